"""The Endpoints controller: the older, single-object list of a Service's backends.

``kubectl get endpoints`` and ``kubectl describe service`` still read ``v1/Endpoints``. Ready
pods go under ``addresses``, the others under ``notReadyAddresses``. An Endpoints object holds
at most 1,000 addresses: beyond that it is truncated (not-ready addresses first) and annotated
``endpoints.kubernetes.io/over-capacity: truncated``; EndpointSlices have no such limit.
"""

from __future__ import annotations

import math
from typing import Any

from kubelab.cluster.client import PODS, Resource
from kubelab.cluster.controllers.base import Controller, Key
from kubelab.cluster.controllers.endpointslice import SERVICES
from kubelab.cluster.controllers.service_backends import (
    Backend,
    service_backends,
    services_selecting,
    target_ref,
)

ENDPOINTS: Resource = ("", "v1", "endpoints")
#: An Endpoints object lists at most this many addresses (``maxCapacity``).
MAX_CAPACITY = 1000
OVER_CAPACITY_ANNOTATION = "endpoints.kubernetes.io/over-capacity"


def _address(backend: Backend) -> dict[str, Any]:
    address: dict[str, Any] = {"ip": backend.ip, "targetRef": target_ref(backend.pod)}
    node = backend.pod.get("spec", {}).get("nodeName")
    if node:
        address["nodeName"] = node
    return address


def subsets(backends: list[Backend]) -> list[dict[str, Any]]:
    """Group backends by their port set, as the Endpoints API does."""
    groups: dict[tuple[tuple[str, int, str], ...], list[Backend]] = {}
    for backend in backends:
        if backend.ports and not backend.terminating:
            groups.setdefault(backend.ports, []).append(backend)
    result = []
    for ports, members in groups.items():
        subset: dict[str, Any] = {}
        ready = sorted((b for b in members if b.ready), key=lambda b: b.ip)
        not_ready = sorted((b for b in members if not b.ready), key=lambda b: b.ip)
        if ready:
            subset["addresses"] = [_address(b) for b in ready]
        if not_ready:
            subset["notReadyAddresses"] = [_address(b) for b in not_ready]
        subset["ports"] = [
            {"name": n, "port": p, "protocol": proto} if n else {"port": p, "protocol": proto}
            for n, p, proto in ports
        ]
        result.append(subset)
    return result


def truncate(subsets_: list[dict[str, Any]]) -> bool:
    """Cut the subsets down to :data:`MAX_CAPACITY` addresses in place; True if anything was
    cut. Ready addresses go last: if the ready ones alone are too many, every not-ready one
    goes and the ready ones are cut; otherwise only not-ready ones are. Each subset keeps a
    share of the room in proportion to its size, rounded up, while room is left."""
    ready = sum(len(s.get("addresses") or []) for s in subsets_)
    not_ready = sum(len(s.get("notReadyAddresses") or []) for s in subsets_)
    if ready + not_ready <= MAX_CAPACITY:
        return False
    cut_ready = ready > MAX_CAPACITY
    room, total = (MAX_CAPACITY, ready) if cut_ready else (MAX_CAPACITY - ready, not_ready)
    left = room
    field_name = "addresses" if cut_ready else "notReadyAddresses"
    for subset in subsets_:
        members = subset.get(field_name) or []
        share = min(math.ceil(len(members) / total * room), left)
        subset[field_name] = members[:share]
        left -= len(subset[field_name])
        if cut_ready:
            subset.pop("notReadyAddresses", None)
        if not subset[field_name]:
            subset.pop(field_name)
    return True


class EndpointsController(Controller):
    name = "endpoints-controller"
    watches = (SERVICES, PODS)

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> list[Key]:
        if resource == SERVICES:
            return [(obj["metadata"]["namespace"], obj["metadata"]["name"])]
        return services_selecting(self.client, obj)

    async def reconcile(self, namespace: str, name: str) -> float | None:
        service = self.client.get(SERVICES, namespace, name)
        current = self.client.get(ENDPOINTS, namespace, name)
        if service is None or not service.get("spec", {}).get("selector"):
            if current is not None and service is None:
                self.client.delete(ENDPOINTS, namespace, name)
            return None
        wanted = subsets(service_backends(self.client, service))
        labels = dict(service["metadata"].get("labels") or {})
        annotations = dict((current or {}).get("metadata", {}).get("annotations") or {})
        if truncate(wanted):
            annotations[OVER_CAPACITY_ANNOTATION] = "truncated"
        else:
            annotations.pop(OVER_CAPACITY_ANNOTATION, None)
        if current is None:
            meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels}
            if annotations:
                meta["annotations"] = annotations
            body: dict[str, Any] = {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta}
            if wanted:
                body["subsets"] = wanted
            self.client.create(ENDPOINTS, namespace, body)
            return None
        desired = {**current, "metadata": {**current["metadata"], "labels": labels}}
        desired["metadata"].pop("annotations", None)
        if annotations:
            desired["metadata"]["annotations"] = annotations
        desired.pop("subsets", None)
        if wanted:
            desired["subsets"] = wanted
        if desired != current:
            self.client.update(ENDPOINTS, desired)
        return None
