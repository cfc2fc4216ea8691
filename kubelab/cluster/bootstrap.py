"""Objects every cluster starts with: the system namespaces and the node.

kubeadm and minikube create ``default``, ``kube-system``, ``kube-public`` and
``kube-node-lease``; the node registers itself when its kubelet starts. Bootstrapping goes
through the normal API pipeline so the objects get defaults, uids and resource versions like
anything else.
"""

from __future__ import annotations

from kubelab.cluster.api.rest import ObjectAPI

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def ensure_namespaces(api: ObjectAPI) -> None:
    strategy = api.registry.get("", "v1", "namespaces")
    for name in SYSTEM_NAMESPACES:
        if api.store.get("/namespaces", "", name) is None:
            try:
                api.create(
                    strategy,
                    "",
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
                )
            except APIError:
                raise
