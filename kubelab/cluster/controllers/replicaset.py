"""The ReplicaSet controller: keeps ``spec.replicas`` pods matching the selector running.

Delete one of its pods and another is created; label a bare pod so that it matches and the
ReplicaSet adopts it (and deletes a surplus pod); change a pod's labels so that it no longer
matches and the ReplicaSet lets it go and starts a replacement. The loop itself lives in
:mod:`~kubelab.cluster.controllers.replica_management`, shared with ReplicationControllers.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.api.selectors import Selector, selector_from_object
from kubelab.cluster.client import PODS, Resource
from kubelab.cluster.controllers.replica_management import ReplicaManager

REPLICA_SETS: Resource = ("apps", "v1", "replicasets")


class ReplicaSetController(ReplicaManager):
    name = "replicaset-controller"
    watches = (REPLICA_SETS, PODS)

    def selector(self, owner: dict[str, Any]) -> Selector | None:
        """A ``LabelSelector``; a missing one selects nothing (``{}`` would select all)."""
        selector = owner["spec"].get("selector")
        return None if selector is None else selector_from_object(selector)
