"""Concurrency: writers racing on one object never lose an update, and a watch started at a
resourceVersion delivers every later change exactly once, in order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.reliability.rawapi import RawAPI
from tests.reliability.watching import WatchReader

CLIENTS = 12


def configmap(name: str, data: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data or {}}


def test_one_success_per_resource_version_and_409_for_the_rest(raw: RawAPI, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    assert raw.request("POST", path, configmap("race")).status == 201
    with ThreadPoolExecutor(CLIENTS) as pool:
        for round_number in range(4):
            current = raw.request("GET", f"{path}/race").json()

            def update(
                client: int, current: dict[str, Any] = current, round_number: int = round_number
            ) -> tuple[int, Any]:
                # Every body differs from the stored object: an update that changes nothing
                # is a no-op that keeps the resourceVersion, and may succeed beside a winner.
                body = {**current, "data": {"writer": f"{round_number}-{client}"}}
                reply = raw.request("PUT", f"{path}/race", body)
                return reply.status, reply.json()

            replies = list(pool.map(update, range(CLIENTS)))
            winners = [body for status, body in replies if status == 200]
            losers = [body for status, body in replies if status != 200]
            assert len(winners) == 1, f"round {round_number}: {len(winners)} updates succeeded"
            assert len(losers) == CLIENTS - 1
            for status in losers:
                assert (status["code"], status["reason"]) == (409, "Conflict")
                assert status["message"] == (
                    'Operation cannot be fulfilled on configmaps "race": the object has been '
                    "modified; please apply your changes to the latest version and try again"
                )
            stored = raw.request("GET", f"{path}/race").json()
            assert stored == winners[0]
            assert int(stored["metadata"]["resourceVersion"]) > int(
                current["metadata"]["resourceVersion"]
            )


def test_read_modify_write_counters_lose_no_update(raw: RawAPI, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps/counter"
    created = raw.request("POST", path.rsplit("/", 1)[0], configmap("counter", {"n": "0"}))
    assert created.status == 201
    increments = 5

    def increment_repeatedly(client: int) -> int:
        conflicts = 0
        for _ in range(increments):
            while True:
                current = raw.request("GET", path).json()
                current["data"]["n"] = str(int(current["data"]["n"]) + 1)
                reply = raw.request("PUT", path, current)
                if reply.status == 200:
                    break
                assert reply.status == 409, reply.body
                conflicts += 1
        return conflicts

    with ThreadPoolExecutor(6) as pool:
        conflicts = sum(pool.map(increment_repeatedly, range(6)))
    assert raw.request("GET", path).json()["data"]["n"] == str(6 * increments)
    assert conflicts > 0, "the clients never raced; the test proved nothing"


def test_watch_from_a_version_sees_every_later_change_once_in_order(
    raw: RawAPI, namespace: str
) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    for index in range(5):
        assert raw.request("POST", path, configmap(f"before-{index}")).status == 201
    start = raw.request("GET", path).json()
    start_version = int(start["metadata"]["resourceVersion"])
    state = {item["metadata"]["name"]: item for item in start["items"]}
    reader = WatchReader(raw, f"{path}?watch=1&resourceVersion={start_version}", "marker")
    reader.start()

    acknowledged: list[int] = []
    #: A ConfigMap's DELETE answers with a Status, which has no resourceVersion.
    deletions: list[str] = []
    lock = threading.Lock()

    def churn(client: int) -> None:
        for step in range(10):
            name = f"c{client}-{step % 4}"
            reply = raw.request("POST", path, configmap(name, {"step": str(step)}))
            if reply.status == 409:
                patch = {"data": {"step": str(step)}}
                reply = raw.request(
                    "PATCH", f"{path}/{name}", patch, "application/merge-patch+json"
                )
            assert reply.status in (200, 201), reply.body
            with lock:
                acknowledged.append(int(reply.json()["metadata"]["resourceVersion"]))
            if step % 5 == 4:
                assert raw.request("DELETE", f"{path}/{name}").status == 200
                with lock:
                    deletions.append(name)
        assert raw.request("DELETE", f"{path}/before-{client}").status == 200
        with lock:
            deletions.append(f"before-{client}")

    with ThreadPoolExecutor(5) as pool:
        list(pool.map(churn, range(5)))
    final = raw.request("GET", path).json()
    assert raw.request("POST", path, configmap("marker")).status == 201
    reader.join(30)
    assert not reader.is_alive(), "the watch never delivered the marker"

    events = [e for e in reader.events if e["object"]["metadata"]["name"] != "marker"]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(set(versions)), "events repeated or out of order"
    assert all(version > start_version for version in versions)
    # The namespace's CA bundle ConfigMap is the controller's write, and may come after the list.
    ours = [e for e in events if e["object"]["metadata"]["name"] != "kube-root-ca.crt"]
    written = [
        int(e["object"]["metadata"]["resourceVersion"]) for e in ours if e["type"] != "DELETED"
    ]
    assert sorted(written) == sorted(acknowledged), "a write was missed or invented"
    deleted = [e["object"]["metadata"]["name"] for e in ours if e["type"] == "DELETED"]
    assert sorted(deleted) == sorted(deletions), "a deletion was missed or invented"
    for event in events:
        name = event["object"]["metadata"]["name"]
        if event["type"] == "DELETED":
            del state[name]
        else:
            # List items carry no apiVersion and kind, as in kube-apiserver's typed lists.
            state[name] = {
                k: v for k, v in event["object"].items() if k not in ("apiVersion", "kind")
            }
    assert state == {item["metadata"]["name"]: item for item in final["items"]}
