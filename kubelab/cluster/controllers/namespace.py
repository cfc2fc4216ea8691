"""The namespace controller: empties a deleted namespace, then lets it go.

Deleting a namespace only marks it (phase ``Terminating``): its ``spec.finalizers`` holds the
``kubernetes`` finalizer. This controller deletes every object in the namespace, reports what is
left in the namespace's conditions, and once the namespace is empty removes the finalizer
through the ``finalize`` subresource, which removes the namespace itself.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.client import NAMESPACES, Resource
from kubelab.cluster.controllers.base import Controller, Key

FINALIZER = "kubernetes"


class NamespaceController(Controller):
    name = "namespace-controller"
    watches = (NAMESPACES,)

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> list[Key]:
        return [("", obj["metadata"]["name"])]

    def _namespaced_resources(self) -> list[Resource]:
        seen: set[str] = set()
        found = []
        for resource, strategy in self.client.resources():
            key = self.client.api.storage_key(strategy)
            if (
                strategy.namespaced
                and key not in seen
                and not getattr(strategy, "storage_key", None)
            ):
                seen.add(key)
                found.append(resource)
        return found

    async def reconcile(self, namespace: str, name: str) -> float | None:
        ns = self.client.get(NAMESPACES, "", name)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return None
        remaining = 0
        for resource in self._namespaced_resources():
            for obj in self.client.list(resource, name):
                remaining += 1
                if not obj["metadata"].get("deletionTimestamp"):
                    self.client.delete(resource, name, obj["metadata"]["name"], "Background")
        if remaining:
            return 0.5
        finalizers = [f for f in ns.get("spec", {}).get("finalizers") or [] if f != FINALIZER]
        if finalizers != (ns.get("spec", {}).get("finalizers") or []):
            ns.setdefault("spec", {})["finalizers"] = finalizers
            self.client.update(NAMESPACES, ns, "finalize")
        return None
