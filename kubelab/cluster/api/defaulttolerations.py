"""The DefaultTolerationSeconds admission plugin: every new pod tolerates a lost node for 300 s.

kube-apiserver enables it by default. A pod that does not already tolerate the
``node.kubernetes.io/not-ready`` and ``node.kubernetes.io/unreachable`` NoExecute taints gets
tolerations for them with ``tolerationSeconds: 300``. That number is why a Deployment's pods on
a node that has gone silent are replaced about five minutes after the node is marked NotReady:
the taint eviction controller deletes them when the toleration runs out.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.resources.base import ResourceStrategy
from kubelab.cluster.resources.pod import add_default_tolerations


def default_toleration_seconds(
    api: ObjectAPI, strategy: ResourceStrategy, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """Add the two default tolerations to a pod being created."""
    if old is not None or strategy.group or strategy.plural != "pods":
        return
    add_default_tolerations(obj.setdefault("spec", {}))
