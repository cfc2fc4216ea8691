"""How the control plane talks to the API server: the same pipeline as HTTP, minus the wire.

Controllers, the scheduler and the kubelet are API clients, as in Kubernetes. They use this
client, which calls :class:`~kubelab.cluster.api.rest.ObjectAPI` directly, so their writes are
defaulted, validated, versioned and watched exactly like a learner's ``kubectl`` writes, and a
stale write gets the same 409 Conflict.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.rest import DeleteOptions, ObjectAPI, WriteOptions
from kubelab.cluster.api.selectors import Selector
from kubelab.cluster.jsondata import clone
from kubelab.cluster.resources.base import ResourceStrategy

#: A resource named as (group, version, plural), e.g. ("apps", "v1", "deployments").
Resource = tuple[str, str, str]

PODS: Resource = ("", "v1", "pods")
NAMESPACES: Resource = ("", "v1", "namespaces")
EVENTS: Resource = ("", "v1", "events")
NODES: Resource = ("", "v1", "nodes")
LEASES: Resource = ("coordination.k8s.io", "v1", "leases")


class LocalClient:
    """An in-process API client acting as one component (its ``fieldManager``)."""

    def __init__(self, api: ObjectAPI, component: str) -> None:
        self.api = api
        self.component = component

    @property
    def clock(self):  # noqa: ANN201 - the cluster's Clock
        return self.api.clock

    def strategy(self, resource: Resource) -> ResourceStrategy:
        strategy = self.api.registry.get(*resource)
        if strategy is None:
            raise KeyError(f"no such resource: {resource}")
        return strategy

    def _options(self) -> WriteOptions:
        return WriteOptions(field_manager=self.component, field_validation="Ignore", trusted=True)

    def get(self, resource: Resource, namespace: str, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        strategy = self.strategy(resource)
        stored = self.api.store.get(self.api.storage_key(strategy), namespace, name)
        return self.api.present(strategy, stored) if stored is not None else None

    def list(
        self, resource: Resource, namespace: str | None = None, selector: Selector | None = None
    ) -> list[dict[str, Any]]:
        strategy = self.strategy(resource)
        items = self.api.list(strategy, namespace)
        if selector is not None:
            items = [o for o in items if selector.matches(o["metadata"].get("labels"))]
        return [self.api.present(strategy, o) for o in items]

    def create(self, resource: Resource, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.api.create(self.strategy(resource), namespace, obj, self._options())

    def update(
        self, resource: Resource, obj: dict[str, Any], subresource: str = ""
    ) -> dict[str, Any]:
        meta = obj["metadata"]
        return self.api.update(
            self.strategy(resource),
            meta.get("namespace", ""),
            meta["name"],
            obj,
            self._options(),
            subresource,
        )

    def update_status(self, resource: Resource, obj: dict[str, Any]) -> dict[str, Any]:
        return self.update(resource, obj, "status")

    def patch(
        self,
        resource: Resource,
        namespace: str,
        name: str,
        patch: Any,
        patch_type: str = "merge",
        subresource: str = "",
    ) -> dict[str, Any]:
        return self.api.patch(
            self.strategy(resource),
            namespace,
            name,
            patch_type,
            patch,
            self._options(),
            subresource,
        )

    def delete(
        self,
        resource: Resource,
        namespace: str,
        name: str,
        propagation_policy: str | None = None,
        grace_period_seconds: int | None = None,
        uid: str | None = None,
    ) -> dict[str, Any] | None:
        """Delete an object; None when it was already gone."""
        options = DeleteOptions(
            grace_period_seconds=grace_period_seconds,
            propagation_policy=propagation_policy,
            precondition_uid=uid,
        )
        try:
            obj, _ = self.api.delete(self.strategy(resource), namespace, name, options)
        except APIError as error:
            if error.code == 404:
                return None
            raise
        return obj

    def resources(self) -> Iterable[tuple[Resource, ResourceStrategy]]:
        for strategy in self.api.registry:
            yield (strategy.group, strategy.version, strategy.plural), strategy


def copy_object(obj: dict[str, Any]) -> dict[str, Any]:
    return clone(obj)
