"""The EndpointSlice controller: keeps each Service's list of backend addresses current.

kube-proxy (and the Service proxy of the API server) send a Service's traffic only to the
endpoints listed in its EndpointSlices, and only to those marked ready. That is how a failing
readiness probe takes a pod out of rotation without restarting it.

A slice holds at most 100 endpoints, so a Service of 250 pods has three slices (named from the
Service with a generated suffix, ``web-x7k2p``). Endpoints stay in the slice they are in while
pods come and go: a pass rewrites only the slices whose endpoints changed, fills their free room
first, and creates a new slice only for what does not fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubelab.cluster.client import PODS, Resource, copy_object
from kubelab.cluster.controllers.base import Controller, Key
from kubelab.cluster.controllers.listers import list_shared
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
#: kube-controller-manager's ``--max-endpoints-per-slice`` default.
MAX_ENDPOINTS_PER_SLICE = 100


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
            for s in list_shared(self.client, ENDPOINT_SLICES, namespace)
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
        groups: dict[PortKey, list[dict[str, Any]]] = {}
        for backend in sorted(service_backends(self.client, service), key=lambda b: b.ip):
            ports = tuple(port for port in backend.ports if port[1])
            groups.setdefault(ports, []).append(_endpoint(backend))
        by_ports: dict[PortKey, list[dict[str, Any]]] = {}
        for current in existing:
            by_ports.setdefault(_port_key(current), []).append(current)
        plan = SlicePlan()
        for ports, endpoints in groups.items():
            plan.reconcile_ports(ports, endpoints, by_ports.pop(ports, []))
        leftovers = [s for slices in by_ports.values() for s in slices]
        if not groups:
            # A Service without endpoints keeps one empty placeholder slice.
            placeholder = next((s for s in leftovers if not s.get("endpoints")), None)
            if placeholder is None:
                plan.create.append(((), []))
            else:
                leftovers.remove(placeholder)
                plan.keep_placeholder(placeholder)
        plan.delete.extend(leftovers)
        self._apply(service, plan)
        return None

    def _apply(self, service: dict[str, Any], plan: SlicePlan) -> None:
        """Write the plan: updates first, then new slices, then deletions, so that a backend
        moving between slices is never missing from all of them."""
        meta = service["metadata"]
        labels = {
            **(meta.get("labels") or {}),
            SERVICE_NAME_LABEL: meta["name"],
            MANAGED_BY_LABEL: MANAGED_BY,
        }
        for current, endpoints in plan.update:
            desired = copy_object(current)
            desired["metadata"]["labels"] = labels
            desired["endpoints"] = endpoints
            if desired != current:
                self.client.update(ENDPOINT_SLICES, desired)
        owner = {
            "apiVersion": "v1",
            "kind": "Service",
            "name": meta["name"],
            "uid": meta["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
        for ports, endpoints in plan.create:
            body: dict[str, Any] = {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "generateName": f"{meta['name']}-",
                    "labels": labels,
                    "ownerReferences": [owner],
                },
                "addressType": "IPv4",
                "endpoints": endpoints,
            }
            if ports and endpoints:
                body["ports"] = _slice_ports(ports)
            self.client.create(ENDPOINT_SLICES, meta["namespace"], body)
        for stale in plan.delete:
            self.client.delete(ENDPOINT_SLICES, meta["namespace"], stale["metadata"]["name"])


PortKey = tuple[tuple[str, int, str], ...]


def _port_key(endpoint_slice: dict[str, Any]) -> PortKey:
    """The port set a slice serves (empty for a placeholder)."""
    ports = endpoint_slice.get("ports") or []
    return tuple((p.get("name", ""), p.get("port", 0), p.get("protocol", "TCP")) for p in ports)


def _identity(endpoint: dict[str, Any]) -> tuple[Any, ...]:
    return (tuple(endpoint["addresses"]), endpoint.get("targetRef", {}).get("uid"))


@dataclass
class SlicePlan:
    """What one pass changes: slices to rewrite (with their new endpoints), slices to create
    (ports and endpoints) and slices to delete."""

    update: list[tuple[dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)
    create: list[tuple[PortKey, list[dict[str, Any]]]] = field(default_factory=list)
    delete: list[dict[str, Any]] = field(default_factory=list)

    def keep_placeholder(self, placeholder: dict[str, Any]) -> None:
        self.update.append((placeholder, []))

    def reconcile_ports(
        self, ports: PortKey, endpoints: list[dict[str, Any]], slices: list[dict[str, Any]]
    ) -> None:
        """Spread one port set's endpoints over its slices as the EndpointSlice reconciler
        does, touching as few slices as it can:

        1. in each existing slice, keep the endpoints still wanted (refreshed) and drop the
           others; a slice left empty is deleted, a changed one is rewritten;
        2. add the endpoints not yet in any slice to the rewritten slices while they have room;
        3. put a last batch smaller than a slice into the fullest unchanged slice it fits in;
        4. create new slices of up to :data:`MAX_ENDPOINTS_PER_SLICE` for the rest.
        """
        wanted = {_identity(e): e for e in endpoints}
        changed: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        unchanged: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for current in sorted(slices, key=lambda s: s["metadata"]["name"]):
            old = current.get("endpoints") or []
            kept = [wanted.pop(_identity(e)) for e in old if _identity(e) in wanted]
            if not kept:
                self.delete.append(current)
            elif kept != old:
                changed.append((current, kept))
            else:
                unchanged.append((current, kept))
        remaining = list(wanted.values())
        for _, kept in changed:
            room = MAX_ENDPOINTS_PER_SLICE - len(kept)
            kept.extend(remaining[:room])
            remaining = remaining[max(room, 0) :]
        if remaining and len(remaining) < MAX_ENDPOINTS_PER_SLICE:
            fits = [
                entry
                for entry in unchanged
                if len(entry[1]) + len(remaining) <= MAX_ENDPOINTS_PER_SLICE
            ]
            if fits:
                fullest = max(fits, key=lambda entry: len(entry[1]))
                unchanged.remove(fullest)
                changed.append((fullest[0], fullest[1] + remaining))
                remaining = []
        self.update.extend(changed)
        for start in range(0, len(remaining), MAX_ENDPOINTS_PER_SLICE):
            self.create.append((ports, remaining[start : start + MAX_ENDPOINTS_PER_SLICE]))
