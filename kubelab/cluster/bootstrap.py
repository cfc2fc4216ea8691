"""Objects every cluster starts with: the system namespaces and the nodes.

kubeadm and minikube create ``default``, ``kube-system``, ``kube-public`` and
``kube-node-lease``; the node registers itself when its kubelet starts. Bootstrapping goes
through the normal API pipeline so the objects get defaults, uids and resource versions like
anything else.
"""

from __future__ import annotations

from kubelab.cluster.api.allocation import KUBERNETES_SERVICE_IP
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.kubelet.node import NodeCapacity, node_ip, node_name, node_object

#: The port the API server listens on inside a minikube node, as the kubernetes Service shows.
API_SERVER_PORT = 8443

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def ensure_namespaces(api: ObjectAPI) -> None:
    strategy = api.registry.get("", "v1", "namespaces")
    for name in SYSTEM_NAMESPACES:
        if api.store.get("/namespaces", "", name) is None:
            namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            api.create(strategy, "", namespace)


def register_nodes(api: ObjectAPI, count: int, capacity: NodeCapacity | None = None) -> None:
    """Register ``count`` nodes (kept across restarts; extra ones from earlier runs stay)."""
    strategy = api.registry.get("", "v1", "nodes")
    for index in range(count):
        if api.store.get("/nodes", "", node_name(index)) is None:
            node = node_object(index, capacity or NodeCapacity(), api.clock.timestamp())
            status = node.pop("status")
            created = api.create(strategy, "", node)
            created["status"] = status
            api.update(strategy, "", created["metadata"]["name"], created, subresource="status")


def ensure_kubernetes_service(api: ObjectAPI) -> None:
    """The ``default/kubernetes`` Service through which pods reach the API server."""
    ensure_kubernetes_endpoint_slice(api)
    if api.store.get("/services", "default", "kubernetes") is not None:
        return
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "clusterIP": KUBERNETES_SERVICE_IP,
            "type": "ClusterIP",
            "ports": [
                {"name": "https", "port": 443, "protocol": "TCP", "targetPort": API_SERVER_PORT}
            ],
        },
    }
    api.create(api.registry.get("", "v1", "services"), "default", service)
    endpoints = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
        },
        "subsets": [
            {
                "addresses": [{"ip": node_ip(0)}],
                "ports": [{"name": "https", "port": API_SERVER_PORT, "protocol": "TCP"}],
            }
        ],
    }
    api.create(api.registry.get("", "v1", "endpoints"), "default", endpoints)


def ensure_kubernetes_endpoint_slice(api: ObjectAPI) -> None:
    """The EndpointSlice kube-apiserver keeps for its own Service, beside the Endpoints."""
    strategy = api.registry.get("discovery.k8s.io", "v1", "endpointslices")
    if api.store.get(api.storage_key(strategy), "default", "kubernetes") is not None:
        return
    endpoint_slice = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": "kubernetes"},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [node_ip(0)], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": API_SERVER_PORT, "protocol": "TCP"}],
    }
    api.create(strategy, "default", endpoint_slice)
