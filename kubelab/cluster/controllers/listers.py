"""Listers: how a controller reads many objects without copying each one.

In kube-controller-manager a controller reads through an informer's *lister*: the objects it
gets are the shared ones in the informer's cache, and the rule is that nobody changes them; a
controller that wants to write one makes a copy first. The teaching cluster's cache is the store
itself (kube-apiserver's watch cache, kept current on every write), so a lister here hands out
the store's objects. That keeps a ReplicaSet's pass over a namespace of a thousand pods a
matter of filtering, not of copying a thousand pods.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.client import LocalClient, Resource


def list_shared(
    client: LocalClient, resource: Resource, namespace: str | None = None
) -> list[dict[str, Any]]:
    """The resource's objects (in one namespace, or all), shared and read-only: copy one
    (:func:`~kubelab.cluster.client.copy_object`) before changing it."""
    strategy = client.strategy(resource)
    items = client.api.list(strategy, namespace)
    if getattr(strategy, "from_storage", None) is not None:
        return [client.api.present(strategy, item) for item in items]
    return items
