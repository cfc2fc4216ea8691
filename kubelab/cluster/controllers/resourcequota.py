"""The resource quota controller: keeps each quota's ``status.used`` true to its namespace.

``kubectl describe quota`` shows, for every limit in ``spec.hard``, what the namespace uses
now. Admission adds a new object's usage as it is created; this controller recounts from the
objects themselves whenever anything in the namespace changes, so usage also goes down when
objects are deleted or pods finish, and a charge for a create that failed is undone.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.api.quota import RESOURCE_QUOTAS, Usage, add, object_usage
from kubelab.cluster.client import LocalClient
from kubelab.cluster.controllers.base import Controller
from kubelab.cluster.quantity import Quantity
from kubelab.cluster.resources.base import ResourceStrategy

ZERO = Quantity.parse(0)


class ResourceQuotaController(Controller):
    name = "resourcequota-controller"
    watches = (RESOURCE_QUOTAS,)

    def __init__(self, client: LocalClient) -> None:
        super().__init__(client)
        client.api.write_hooks.append(self._on_write)

    def _on_write(
        self, strategy: ResourceStrategy, old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> None:
        """Any write in a namespace may change what its quotas count."""
        namespace = (new or old or {}).get("metadata", {}).get("namespace")
        if not namespace:
            return
        quota_strategy = self.client.strategy(RESOURCE_QUOTAS)
        for quota in self.client.api.store.list(
            self.client.api.storage_key(quota_strategy), namespace
        ):
            self.enqueue((namespace, quota["metadata"]["name"]))

    async def reconcile(self, namespace: str, name: str) -> float | None:
        quota = self.client.get(RESOURCE_QUOTAS, namespace, name)
        if quota is None:
            return None
        hard = {
            resource: str(Quantity.parse(amount))
            for resource, amount in ((quota.get("spec") or {}).get("hard") or {}).items()
        }
        usage = self._usage(namespace)
        status = {
            "hard": hard,
            "used": {resource: str(usage.get(resource, ZERO)) for resource in hard},
        }
        if quota.get("status") != status:
            quota["status"] = status
            self.client.update_status(RESOURCE_QUOTAS, quota)
        return None

    def _usage(self, namespace: str) -> Usage:
        """The usage of every object in the namespace, each resource counted once."""
        total: Usage = {}
        seen: set[str] = set()
        for _resource, strategy in self.client.resources():
            key = self.client.api.storage_key(strategy)
            if not strategy.namespaced or key in seen or getattr(strategy, "storage_key", None):
                continue
            seen.add(key)
            for obj in self.client.api.store.list(key, namespace):
                add(total, object_usage(strategy, obj))
        return total
