"""Recording Events, the way Kubernetes components tell people what they did and why.

An identical event (same object, reason and message) seen again is not a new object: its
``count`` goes up and ``lastTimestamp`` moves, as client-go's event correlator does. That is why
``kubectl describe`` shows lines like ``Back-off restarting failed container (x4 over 2m)``.
"""

from __future__ import annotations

import secrets
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import EVENTS, LocalClient


def object_reference(obj: dict[str, Any], field_path: str = "") -> dict[str, Any]:
    meta = obj["metadata"]
    reference = {
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta.get("uid", ""),
        "apiVersion": obj.get("apiVersion", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if field_path:
        reference["fieldPath"] = field_path
    return {k: v for k, v in reference.items() if v}


class EventRecorder:
    """Writes Events on behalf of one component (``kubelet``, ``deployment-controller``...)."""

    def __init__(self, client: LocalClient, component: str, host: str = "") -> None:
        self.client = client
        self.component = component
        self.host = host
        self._recent: dict[tuple[str, str, str, str, str], str] = {}

    def record(
        self,
        obj: dict[str, Any],
        event_type: str,
        reason: str,
        message: str,
        field_path: str = "",
    ) -> None:
        involved = object_reference(obj, field_path)
        namespace = involved.get("namespace") or "default"
        key = (involved.get("uid", ""), field_path, event_type, reason, message)
        now = self.client.clock.timestamp()
        existing_name = self._recent.get(key)
        if existing_name:
            existing = self.client.get(EVENTS, namespace, existing_name)
            if existing is not None:
                existing["count"] = int(existing.get("count", 1)) + 1
                existing["lastTimestamp"] = now
                try:
                    self.client.update(EVENTS, existing)
                    return
                except APIError:
                    pass
        name = f"{involved['name']}.{secrets.token_hex(8)}"
        source = {"component": self.component}
        if self.host:
            source["host"] = self.host
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": event_type,
            "source": source,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "reportingComponent": self.component,
            "reportingInstance": self.host,
        }
        try:
            self.client.create(EVENTS, namespace, event)
        except APIError:
            return  # events are best effort, as in Kubernetes
        self._recent[key] = name
        if len(self._recent) > 4096:
            self._recent.pop(next(iter(self._recent)))
