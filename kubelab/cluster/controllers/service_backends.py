"""Which pods back a Service, on which ports, and whether each is ready to take traffic.

Both the EndpointSlice controller and the legacy Endpoints controller answer this question the
same way, so it lives here once: pods in the Service's namespace whose labels match its selector,
that have an IP and have not finished; a pod is *ready* when its Ready condition is True (or the
Service publishes not-ready addresses), and *terminating* once it has a deletionTimestamp.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubelab.cluster.api.selectors import selector_from_map
from kubelab.cluster.client import PODS, LocalClient
from kubelab.cluster.controllers.listers import list_shared


@dataclass(frozen=True)
class Backend:
    pod: dict[str, Any]
    ip: str
    ready: bool
    serving: bool
    terminating: bool
    #: (port name, resolved port number, protocol) for each Service port this pod serves.
    ports: tuple[tuple[str, int, str], ...]


def _pod_ready(pod: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in pod.get("status", {}).get("conditions") or []
    )


def resolve_target_port(service_port: dict[str, Any], pod: dict[str, Any]) -> int | None:
    """A Service port's targetPort on one pod: a number, or a named container port."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol", "TCP")
    for container in pod.get("spec", {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target and port.get("protocol", "TCP") == protocol:
                return int(port["containerPort"])
    return None


def service_backends(client: LocalClient, service: dict[str, Any]) -> list[Backend]:
    spec = service.get("spec", {})
    selector = spec.get("selector")
    if not selector:
        return []
    matcher = selector_from_map(selector)
    namespace = service["metadata"]["namespace"]
    publish_not_ready = bool(spec.get("publishNotReadyAddresses"))
    backends = []
    for pod in list_shared(client, PODS, namespace):
        status = pod.get("status", {})
        if not matcher.matches(pod["metadata"].get("labels")):
            continue
        if not status.get("podIP") or status.get("phase") in ("Succeeded", "Failed"):
            continue
        ports = []
        for service_port in spec.get("ports") or []:
            number = resolve_target_port(service_port, pod)
            if number is not None:
                ports.append(
                    (service_port.get("name", ""), number, service_port.get("protocol", "TCP"))
                )
        ready = _pod_ready(pod)
        terminating = bool(pod["metadata"].get("deletionTimestamp"))
        backends.append(
            Backend(
                pod=pod,
                ip=status["podIP"],
                ready=(ready or publish_not_ready) and not terminating,
                serving=ready or publish_not_ready,
                terminating=terminating,
                ports=tuple(ports),
            )
        )
    return backends


def target_ref(pod: dict[str, Any]) -> dict[str, str]:
    meta = pod["metadata"]
    return {
        "kind": "Pod",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta.get("uid", ""),
    }


def services_selecting(client: LocalClient, pod: dict[str, Any]) -> list[tuple[str, str]]:
    """(namespace, name) of every Service whose selector matches the pod's labels."""
    meta = pod["metadata"]
    keys = []
    for service in list_shared(client, ("", "v1", "services"), meta["namespace"]):
        selector = service.get("spec", {}).get("selector")
        if selector and selector_from_map(selector).matches(meta.get("labels")):
            keys.append((meta["namespace"], service["metadata"]["name"]))
    return keys
