"""The event correlator every component records through, as client-go's: identical events
raise ``count``, more than a handful of similar ones are combined, and what it remembers is
bounded (4,096 entries, least recently used forgotten first)."""

from __future__ import annotations

import uuid
from typing import Any

from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.cluster.events import CACHE_SIZE, COMBINED_PREFIX, EventRecorder, LRUCache
from tests.conftest import Kubectl


def config_map(namespace: str, name: str) -> dict[str, Any]:
    """An involved object (events only need its reference)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "uid": str(uuid.uuid4())},
    }


def record_all(
    cluster: EmbeddedCluster, recorder: EventRecorder, calls: list[tuple[dict, str, str]]
) -> None:
    """Record events on the cluster's loop, where components record theirs."""

    def run() -> None:
        for obj, reason, message in calls:
            recorder.record(obj, "Normal", reason, message)

    cluster.run_sync(run)


def events_of(kubectl: Kubectl, namespace: str, name: str) -> list[dict]:
    return kubectl.json(
        "get", "events", "-n", namespace, "--field-selector", f"involvedObject.name={name}"
    )["items"]


def recorder_for(cluster: EmbeddedCluster) -> EventRecorder:
    from kubelab.cluster.client import LocalClient

    return EventRecorder(LocalClient(cluster.cluster.api, "test-controller"), "test-controller")


def test_identical_events_are_counted_on_one_event(
    cluster: EmbeddedCluster, kubectl: Kubectl, namespace: str
) -> None:
    recorder = recorder_for(cluster)
    obj = config_map(namespace, "settings")
    record_all(cluster, recorder, [(obj, "Synced", "settings synced")] * 3)
    [event] = events_of(kubectl, namespace, "settings")
    assert event["count"] == 3
    assert event["message"] == "settings synced"
    assert event["lastTimestamp"] >= event["firstTimestamp"]


def test_similar_events_are_combined_from_the_tenth_message(
    cluster: EmbeddedCluster, kubectl: Kubectl, namespace: str
) -> None:
    recorder = recorder_for(cluster)
    obj = config_map(namespace, "many")
    calls = [(obj, "Created", f"Created pod: web-{index}") for index in range(12)]
    record_all(cluster, recorder, calls)
    events = events_of(kubectl, namespace, "many")
    singles = [e for e in events if not e["message"].startswith(COMBINED_PREFIX)]
    combined = [e for e in events if e["message"].startswith(COMBINED_PREFIX)]
    assert sorted(e["message"] for e in singles) == [f"Created pod: web-{i}" for i in range(9)]
    assert all(e["count"] == 1 for e in singles)
    [aggregate] = combined
    assert aggregate["message"] == COMBINED_PREFIX + "Created pod: web-11"
    assert aggregate["count"] == 3
    # Another reason is another group.
    record_all(cluster, recorder, [(obj, "Deleted", "Deleted pod: web-0")])
    assert "Deleted pod: web-0" in [e["message"] for e in events_of(kubectl, namespace, "many")]


def test_the_correlator_forgets_the_least_recently_used_first(
    cluster: EmbeddedCluster, kubectl: Kubectl, namespace: str
) -> None:
    recorder = recorder_for(cluster)
    first, kept = config_map(namespace, "first"), config_map(namespace, "kept")
    # "first" is used again after "kept", so "kept" is the least recently used of the two
    # (and the oldest entry once enough other objects have filled the cache).
    calls = [(first, "Synced", "synced"), (kept, "Synced", "synced")]
    calls += [(first, "Synced", "synced")]
    calls += [(config_map(namespace, f"o{i}"), "Synced", "synced") for i in range(CACHE_SIZE - 1)]
    calls += [(first, "Synced", "synced"), (kept, "Synced", "synced")]
    record_all(cluster, recorder, calls)
    assert len(recorder._recent) == CACHE_SIZE
    # "first" was remembered: its count went up. "kept" was forgotten: its repeat is new.
    assert [e["count"] for e in events_of(kubectl, namespace, "first")] == [3]
    assert sorted(e["count"] for e in events_of(kubectl, namespace, "kept")) == [1, 1]


def test_lru_cache_bounds_its_size_and_refreshes_on_use() -> None:
    cache: LRUCache[str, int] = LRUCache(size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2
