"""Finding what a pod subresource talks to: the pod, one of its containers, its node's kubelet.

kube-apiserver serves ``log``, ``exec``, ``attach`` and ``portforward`` by reading the pod,
checking the container name (``validateContainer`` in the pod registry), and passing the request
on to the kubelet of the pod's node. This module does the API server's half of that, with its
error texts, and then hands over the kubelet's view: the pod worker and its container instances,
which is where logs are kept and commands run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kubelab.cluster.api import errors
from kubelab.cluster.api.handlers import Target
from kubelab.cluster.api.rest import ObjectAPI

if TYPE_CHECKING:
    from kubelab.cluster.kubelet.agent import Kubelet
    from kubelab.cluster.kubelet.pod_worker import PodWorker
    from kubelab.cluster.runtime.container import Container

#: The port every kubelet serves its API on; part of the "error dialing backend" text.
KUBELET_PORT = 10250


def container_names(pod: dict[str, Any]) -> list[str]:
    """Every container name in the order upstream visits them: init, regular, ephemeral."""
    spec = pod.get("spec", {})
    return [
        c["name"]
        for kind in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(kind) or []
    ]


def validate_container(pod: dict[str, Any], requested: str) -> str:
    """The container a request means: the one named, or the only one; 400 otherwise."""
    name = pod["metadata"]["name"]
    if requested:
        if requested not in container_names(pod):
            raise errors.bad_request(f"container {requested} is not valid for pod {name}")
        return requested
    regular = pod.get("spec", {}).get("containers") or []
    if len(regular) == 1:
        return regular[0]["name"]
    if not regular:
        raise errors.bad_request(f"a container name must be specified for pod {name}")
    listed = " ".join(container_names(pod))
    raise errors.bad_request(
        f"a container name must be specified for pod {name}, choose one of: [{listed}]"
    )


def get_pod(api: ObjectAPI, target: Target) -> dict[str, Any]:
    """The pod a subresource path names (404 when it does not exist)."""
    return api.get(target.strategy, target.namespace or "", target.name or "")


def node_address(node: dict[str, Any]) -> str:
    """The node's InternalIP, where its kubelet listens."""
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address.get("address"))
    return str(node["metadata"]["name"])


def _node_address(api: ObjectAPI, node_name: str) -> str:
    strategy = api.registry.get("", "v1", "nodes")
    node = api.store.get(api.storage_key(strategy), "", node_name) if strategy else None
    return node_address(node) if node else node_name


@dataclass
class PodOnNode:
    """A scheduled pod and the node agent running it."""

    pod: dict[str, Any]
    kubelet: Kubelet

    @property
    def worker(self) -> PodWorker | None:
        """The kubelet's worker for this very pod (same uid), if it has one."""
        return self.kubelet.workers.get(self.pod["metadata"].get("uid", ""))

    def running_container(self, name: str) -> Container | None:
        """The container instance that is running now, as the runtime would list it."""
        worker = self.worker
        container = worker.containers.get(name) if worker is not None else None
        return container if container is not None and container.running else None


def kubelets(request: web.Request) -> dict[str, Kubelet]:
    """The node agents by node name, as the application was built with them."""
    from kubelab.cluster.api.app import KUBELETS_KEY  # the app module imports this package

    return request.app[KUBELETS_KEY]


def on_node(request: web.Request, api: ObjectAPI, pod: dict[str, Any]) -> PodOnNode | None:
    """The pod's kubelet, or None while the pod is not scheduled.

    A pod bound to a node that has no kubelet, or whose kubelet is stopped, answers as an
    unreachable kubelet does.
    """
    node_name = pod.get("spec", {}).get("nodeName")
    if not node_name:
        return None
    kubelet = kubelets(request).get(node_name)
    if kubelet is None or not kubelet.running:
        address = _node_address(api, node_name)
        raise errors.APIError(
            500,
            "",
            f"error dialing backend: dial tcp {address}:{KUBELET_PORT}: "
            "connect: connection refused",
        )
    return PodOnNode(pod, kubelet)


def require_node(request: web.Request, api: ObjectAPI, pod: dict[str, Any]) -> PodOnNode:
    """Like :func:`on_node`, with the 400 streaming requests get for an unscheduled pod."""
    located = on_node(request, api, pod)
    if located is None:
        raise errors.bad_request(f"pod {pod['metadata']['name']} does not have a host assigned")
    return located
