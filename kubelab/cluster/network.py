"""The cluster network: pod addresses, Service virtual IPs and cluster DNS.

In a real cluster three components make ``curl http://web`` work inside a pod: the CNI plugin
gives each pod an IP reachable from every other pod, CoreDNS answers ``web.<ns>.svc.cluster.local``
with the Service's cluster IP, and kube-proxy turns a connection to that virtual IP into one to a
*ready* endpoint chosen at random. :class:`ClusterNetwork` plays all three for the simulated
pods. It reads Services and EndpointSlices through the API like kube-proxy does, so a pod that
fails its readiness probe stops receiving traffic exactly when its endpoint turns not-ready.
"""

from __future__ import annotations

import ipaddress
import random
from typing import Any

from kubelab.cluster.client import LocalClient, Resource
from kubelab.cluster.runtime.network import (
    HttpRequest,
    HttpResponse,
    NetworkNamespace,
    Streams,
    refused,
)

SERVICES: Resource = ("", "v1", "services")
ENDPOINT_SLICES: Resource = ("discovery.k8s.io", "v1", "endpointslices")
CLUSTER_DOMAIN = "cluster.local"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"


class ClusterNetwork:
    """Every pod's network namespace by IP, plus Service routing and DNS answers."""

    def __init__(self, client: LocalClient, node_ips: dict[str, str] | None = None) -> None:
        self.client = client
        self.pods: dict[str, NetworkNamespace] = {}
        #: Node name → node IP, for NodePort traffic to ``<node IP>:<node port>``.
        self.node_ips = node_ips or {}

    def attach(self, namespace: NetworkNamespace) -> None:
        self.pods[namespace.ip] = namespace

    def detach(self, namespace: NetworkNamespace) -> None:
        if self.pods.get(namespace.ip) is namespace:
            del self.pods[namespace.ip]

    # --- DNS -------------------------------------------------------------------------------------

    async def lookup(self, name: str) -> list[str]:
        """Answer an A query the way CoreDNS's kubernetes plugin does."""
        name = name.rstrip(".").lower()
        suffix = f".svc.{CLUSTER_DOMAIN}"
        if name.endswith(f".pod.{CLUSTER_DOMAIN}"):
            dashed = name.split(".")[0]
            address = dashed.replace("-", ".")
            return [address] if self._is_ip(address) else []
        if not name.endswith(suffix):
            return []
        parts = name[: -len(suffix)].split(".")
        if len(parts) == 2:
            service_name, namespace = parts
            service = self.client.get(SERVICES, namespace, service_name)
            if service is None:
                return []
            spec = service.get("spec", {})
            if spec.get("type") == "ExternalName":
                return []
            if spec.get("clusterIP") and spec["clusterIP"] != "None":
                return [spec["clusterIP"]]
            return [
                e["addresses"][0]
                for e in self._endpoints(namespace, service_name)
                if e.get("conditions", {}).get("ready")
            ]
        if len(parts) == 3:
            hostname, service_name, namespace = parts
            for endpoint in self._endpoints(namespace, service_name):
                target = endpoint.get("targetRef") or {}
                if endpoint.get("hostname") == hostname or target.get("name") == hostname:
                    return list(endpoint.get("addresses") or [])
        return []

    @staticmethod
    def _is_ip(text: str) -> bool:
        try:
            ipaddress.ip_address(text)
        except ValueError:
            return False
        return True

    # --- kube-proxy --------------------------------------------------------------------------

    def _endpoints(self, namespace: str, service: str) -> list[dict[str, Any]]:
        endpoints = []
        for endpoint_slice in self.client.list(ENDPOINT_SLICES, namespace):
            labels = endpoint_slice["metadata"].get("labels") or {}
            if labels.get(SERVICE_NAME_LABEL) == service:
                for endpoint in endpoint_slice.get("endpoints") or []:
                    endpoints.append({**endpoint, "_ports": endpoint_slice.get("ports") or []})
        return endpoints

    def _service_for(self, address: str, port: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The Service and Service port behind a cluster IP or a node port."""
        by_node_port = address in self.node_ips.values()
        for service in self.client.list(SERVICES):
            spec = service.get("spec", {})
            for service_port in spec.get("ports") or []:
                if by_node_port and service_port.get("nodePort") == port:
                    return service, service_port
                if (
                    not by_node_port
                    and spec.get("clusterIP") == address
                    and (service_port.get("port") == port)
                ):
                    return service, service_port
        raise refused(port)

    def route(self, address: str, port: int) -> tuple[NetworkNamespace, int]:
        """Where a connection to ``address:port`` ends up: a pod and a port in it."""
        if address in self.pods:
            return self.pods[address], port
        service, service_port = self._service_for(address, port)
        meta = service["metadata"]
        choices = []
        for endpoint in self._endpoints(meta["namespace"], meta["name"]):
            if not endpoint.get("conditions", {}).get("ready"):
                continue
            target = next(
                (
                    p.get("port")
                    for p in endpoint["_ports"]
                    if p.get("name", "") == service_port.get("name", "")
                ),
                None,
            )
            for ip in endpoint.get("addresses") or []:
                if ip in self.pods and target:
                    choices.append((self.pods[ip], int(target)))
        if not choices:
            raise refused(port)
        return random.choice(choices)

    async def http(self, address: str, port: int, request: HttpRequest) -> HttpResponse:
        namespace, target_port = self.route(address, port)
        return await namespace.http(target_port, request)

    async def tcp_connect(self, address: str, port: int) -> Streams:
        namespace, target_port = self.route(address, port)
        return await namespace.tcp_connect(target_port)
