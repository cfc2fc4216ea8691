"""Many watchers of one resource: each receives every change once, shown the way it asked for
(plain object, Table, or another API version of the same resource)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubelab.cluster.embedded import EmbeddedCluster
from tests.reliability.rawapi import RawAPI
from tests.reliability.watching import WatchReader, event_name

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def hpa(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1,
            "maxReplicas": 3,
        },
    }


def test_every_watcher_gets_every_change_in_its_own_form(raw: RawAPI, namespace: str) -> None:
    v2 = f"/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers"
    v1 = f"/apis/autoscaling/v1/namespaces/{namespace}/horizontalpodautoscalers"
    version = raw.request("GET", v2).json()["metadata"]["resourceVersion"]
    since = f"?watch=1&resourceVersion={version}"
    plain = [WatchReader(raw, v2 + since, "last") for _ in range(6)]
    older = [WatchReader(raw, v1 + since, "last") for _ in range(3)]
    tables = [WatchReader(raw, v2 + since, "last", TABLE) for _ in range(2)]
    readers = plain + older + tables
    for reader in readers:
        reader.start()
    for index in range(20):
        assert raw.request("POST", v2, hpa(f"hpa-{index}")).status == 201
    patch = {"spec": {"maxReplicas": 5}}
    reply = raw.request("PATCH", f"{v2}/hpa-0", patch, "application/merge-patch+json")
    assert reply.status == 200
    assert raw.request("POST", v2, hpa("last")).status == 201
    created = [f"hpa-{index}" for index in range(20)] + ["last"]
    for reader in readers:
        reader.join(30)
        assert not reader.is_alive(), "a watcher never saw the last change"

    def added(reader: WatchReader) -> list[str]:
        return [event_name(e) for e in reader.events if e["type"] == "ADDED"]

    def versions(reader: WatchReader) -> list[int]:
        shown = [e["object"] for e in reader.events]
        shown = [s["rows"][0]["object"] if s["kind"] == "Table" else s for s in shown]
        return [int(s["metadata"]["resourceVersion"]) for s in shown]

    # The HPA controller may write statuses meanwhile: every watcher sees those too.
    expected = versions(plain[0])
    assert expected == sorted(set(expected)), "events repeated or out of order"
    for reader in readers:
        assert added(reader) == created
        assert versions(reader) == expected
    for group, api_version in ((plain, "autoscaling/v2"), (older, "autoscaling/v1")):
        for reader in group:
            assert {e["object"]["apiVersion"] for e in reader.events} == {api_version}
    assert any(
        e["type"] == "MODIFIED"
        and event_name(e) == "hpa-0"
        and e["object"]["spec"]["maxReplicas"] == 5
        for e in plain[0].events
    )
    assert all(e["object"]["kind"] == "Table" for r in tables for e in r.events)


def _create_at(embedded: EmbeddedCluster, namespace: str, name: str, revision: int) -> int:
    """Create ConfigMap ``name`` so that it is stored at ``revision`` (unless the cluster has
    already gone past it), filling the gap with other ConfigMaps; all in one step on the
    cluster's loop, so that nothing else writes in between. Returns the version it got."""
    api = embedded.cluster.api
    strategy = api.registry.get("", "v1", "configmaps")

    def write() -> int:
        filler = 0
        while api.store.revision < revision - 1:
            api.create(strategy, namespace, {"metadata": {"name": f"filler-{name}-{filler}"}})
            filler += 1
        created = api.create(strategy, namespace, {"metadata": {"name": name}})
        return int(created["metadata"]["resourceVersion"])

    return embedded.run_sync(write)


def test_two_clusters_in_one_process_keep_their_watch_events_apart(
    cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each store numbers its own changes, so the same resourceVersion in two clusters is two
    different changes: a watcher of one must never be sent the other's object."""
    with EmbeddedCluster(tmp_path_factory.mktemp("second-home")) as second:
        clusters = {"first": cluster, "second": second}
        for _ in range(5):
            revision = max(
                c.run_sync(lambda c=c: c.cluster.store.revision) for c in clusters.values()
            )
            revision += 50
            got = {n: _create_at(c, "default", f"from-{n}", revision) for n, c in clusters.items()}
            if set(got.values()) == {revision}:
                break
        else:
            pytest.fail(f"could not store both ConfigMaps at one resourceVersion: {got}")
        since = f"?watch=1&resourceVersion={revision - 1}&timeoutSeconds=2"
        for name, embedded in clusters.items():
            raw = RawAPI.admin(embedded.cluster.home, embedded.cluster.port)
            reply = raw.request("GET", "/api/v1/namespaces/default/configmaps" + since)
            first = json.loads(reply.body.splitlines()[0])
            assert (first["type"], event_name(first)) == ("ADDED", f"from-{name}")
