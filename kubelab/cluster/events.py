"""Recording Events, the way Kubernetes components tell people what they did and why.

Events pass through a correlator, as in client-go, before they are written:

* **aggregation**: events alike in all but their message (same object, type and reason) are
  written one by one until the tenth distinct message within ten minutes; from then on they are
  folded into one event whose message starts ``(combined from similar events):``, so a
  ReplicaSet creating a hundred pods leaves nine ``Created pod`` events and one combined event,
  not a hundred;
* **de-duplication**: an event identical to one recorded before (same object, field, type,
  reason and message) is not a new object: its ``count`` goes up and ``lastTimestamp`` moves.
  That is why ``kubectl describe`` shows ``Back-off restarting failed container (x4 over 2m)``.

Both remember what they have seen in least-recently-used caches of 4,096 entries, so a
long-running component's memory stays bounded however many objects it reports on.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import EVENTS, LocalClient
from kubelab.cluster.resources.printing import parse_time

#: Entries in each correlator cache (client-go's ``maxLruCacheEntries``).
CACHE_SIZE = 4096
#: From this many distinct messages within :data:`AGGREGATE_WINDOW`, similar events combine.
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_WINDOW = timedelta(minutes=10)
COMBINED_PREFIX = "(combined from similar events): "

K = TypeVar("K")
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """A mapping that forgets its least recently used entry once it holds ``size``."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class _Similar:
    """The distinct messages seen lately for one (object, type, reason)."""

    messages: set[str] = field(default_factory=set)
    last_seen: str = ""


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
        #: Aggregation: (object, type, reason) -> the messages seen within the window.
        self._similar: LRUCache[tuple[str, ...], _Similar] = LRUCache()
        #: De-duplication: an event's identity -> the name of the Event written for it.
        self._recent: LRUCache[tuple[str, ...], str] = LRUCache()

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
        now = self.client.clock.timestamp()
        aggregate_key = (
            involved.get("kind", ""),
            namespace,
            involved["name"],
            involved.get("uid", ""),
            involved.get("apiVersion", ""),
            event_type,
            reason,
        )
        message, key = self._aggregate(aggregate_key, field_path, message, now)
        if self._count_again(key, namespace, message, now):
            return
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
        self._recent.put(key, name)

    def _aggregate(
        self, aggregate_key: tuple[str, ...], field_path: str, message: str, now: str
    ) -> tuple[str, tuple[str, ...]]:
        """The message to write and the identity to de-duplicate it by: the event's own, or,
        past the limit of similar events, the combined event's (one per object/type/reason)."""
        similar = self._similar.get(aggregate_key)
        if similar is None or _older_than(similar.last_seen, now, AGGREGATE_WINDOW):
            similar = _Similar()
        similar.last_seen = now
        similar.messages.add(message)
        self._similar.put(aggregate_key, similar)
        if len(similar.messages) < AGGREGATE_MAX_EVENTS:
            return message, (*aggregate_key, field_path, message)
        similar.messages.discard(message)
        return COMBINED_PREFIX + message, aggregate_key

    def _count_again(self, key: tuple[str, ...], namespace: str, message: str, now: str) -> bool:
        """Bump ``count`` and ``lastTimestamp`` (and the message, which changes for a combined
        event) of the Event already written for ``key``; False if there is none to bump."""
        existing_name = self._recent.get(key)
        if existing_name is None:
            return False
        existing = self.client.get(EVENTS, namespace, existing_name)
        if existing is None:
            return False
        existing["count"] = int(existing.get("count", 1)) + 1
        existing["lastTimestamp"] = now
        existing["message"] = message
        try:
            self.client.update(EVENTS, existing)
        except APIError:
            return False
        return True


def _older_than(earlier: str, now: str, window: timedelta) -> bool:
    before, current = parse_time(earlier), parse_time(now)
    return before is None or current is None or current - before > window
