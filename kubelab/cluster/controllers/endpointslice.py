"""The EndpointSlice controller: keeps each Service's list of backend addresses current.

kube-proxy (and the Service proxy of the API server) send a Service's traffic only to the
endpoints listed in its EndpointSlices, and only to those marked ready. That is how a failing
readiness probe takes a pod out of rotation without restarting it.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.client import PODS, Resource
from kubelab.cluster.controllers.base import Controller, Key
from kubelab.cluster.controllers.service_backends import (
    Backend,
    service_backends,
    services_selecting,
    target_ref,
)

SERVICES: Resource = ("", "v1", "services")
ENDPOINT_SLICES: Resource = ("discovery.k8s.io", "v1", "endpointslices")
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"


def _endpoint(backend: Backend) -> dict[str, Any]:
    endpoint: dict[str, Any] = {
        "addresses": [backend.ip],
        "conditions": {
            "ready": backend.ready,
            "serving": backend.serving,
            "terminating": backend.terminating,
        },
        "targetRef": target_ref(backend.pod),
    }
    node = backend.pod.get("spec", {}).get("nodeName")
    if node:
        endpoint["nodeName"] = node
    return endpoint


def _slice_ports(ports: tuple[tuple[str, int, str], ...]) -> list[dict[str, Any]]:
    return [
        {"name": name, "port": number, "protocol": protocol} for name, number, protocol in ports
    ]


class EndpointSliceController(Controller):
    name = "endpointslice-controller"
    watches = (SERVICES, PODS, ENDPOINT_SLICES)

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> list[Key]:
        meta = obj["metadata"]
        if resource == SERVICES:
            return [(meta["namespace"], meta["name"])]
        if resource == ENDPOINT_SLICES:
            service = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
            return [(meta["namespace"], service)] if service else []
        return services_selecting(self.client, obj)

    def _owned_slices(self, namespace: str, name: str) -> list[dict[str, Any]]:
        return [
            s
            for s in self.client.list(ENDPOINT_SLICES, namespace)
            if (s["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == name
            and (s["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY
        ]

    async def reconcile(self, namespace: str, name: str) -> float | None:
        service = self.client.get(SERVICES, namespace, name)
        existing = self._owned_slices(namespace, name)
        gone = service is None or service["metadata"].get("deletionTimestamp")
        if gone or not service.get("spec", {}).get("selector"):
            for stale in existing:
                self.client.delete(ENDPOINT_SLICES, namespace, stale["metadata"]["name"])
            return None
        groups: dict[tuple[tuple[str, int, str], ...], list[Backend]] = {}
        for backend in service_backends(self.client, service):
            groups.setdefault(backend.ports, []).append(backend)
        if not groups:
            groups[
                tuple(
                    (p.get("name", ""), 0, p.get("protocol", "TCP"))
                    for p in service["spec"].get("ports") or []
                )
            ] = []
        wanted = []
        for ports, backends in groups.items():
            listed_ports = [p for p in _slice_ports(ports) if p["port"]] if backends else []
            wanted.append(
                {
                    "addressType": "IPv4",
                    "endpoints": [_endpoint(b) for b in sorted(backends, key=lambda b: b.ip)],
                    "ports": listed_ports or None,
                }
            )
        self._sync(service, existing, wanted)
        return None

    def _sync(
        self, service: dict[str, Any], existing: list[dict[str, Any]], wanted: list[dict[str, Any]]
    ) -> None:
        meta = service["metadata"]
        labels = {
            **(meta.get("labels") or {}),
            SERVICE_NAME_LABEL: meta["name"],
            MANAGED_BY_LABEL: MANAGED_BY,
        }
        owner = {
            "apiVersion": "v1",
            "kind": "Service",
            "name": meta["name"],
            "uid": meta["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
        for index, body in enumerate(wanted):
            body = {k: v for k, v in body.items() if v is not None}
            if index < len(existing):
                current = existing[index]
                desired = {**current, **body, "metadata": {**current["metadata"], "labels": labels}}
                if body.get("ports") is None:
                    desired.pop("ports", None)
                if desired != current:
                    self.client.update(ENDPOINT_SLICES, desired)
            else:
                self.client.create(
                    ENDPOINT_SLICES,
                    meta["namespace"],
                    {
                        "apiVersion": "discovery.k8s.io/v1",
                        "kind": "EndpointSlice",
                        "metadata": {
                            "generateName": f"{meta['name']}-",
                            "labels": labels,
                            "ownerReferences": [owner],
                        },
                        **body,
                    },
                )
        for stale in existing[len(wanted) :]:
            self.client.delete(ENDPOINT_SLICES, meta["namespace"], stale["metadata"]["name"])
