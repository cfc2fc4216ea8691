"""The ReplicationController controller: the ReplicaSet's predecessor, with a plain selector.

A ReplicationController selects its pods with an equality-only map (``app: web``) instead of a
``LabelSelector``; everything else, adoption, release, scaling and status, is the ReplicaSet's
loop from :mod:`~kubelab.cluster.controllers.replica_management`.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.api.selectors import Selector, selector_from_map
from kubelab.cluster.client import PODS, Resource
from kubelab.cluster.controllers.replica_management import ReplicaManager

REPLICATION_CONTROLLERS: Resource = ("", "v1", "replicationcontrollers")


class ReplicationControllerController(ReplicaManager):
    name = "replication-controller"
    watches = (REPLICATION_CONTROLLERS, PODS)

    def selector(self, owner: dict[str, Any]) -> Selector | None:
        """An empty map would select every pod; the API server defaults it from the template's
        labels, so an empty one here selects nothing."""
        selector = owner["spec"].get("selector")
        return selector_from_map(selector) if selector else None
