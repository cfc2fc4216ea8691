"""Crash safety: ``kill -9`` the teaching cluster in the middle of concurrent writes. After a
restart every acknowledged write is there, nothing unacknowledged is half-there, and SQLite's
integrity check passes."""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.background import ServerProcess
from tests.reliability.rawapi import RawAPI

NAMESPACE = "crash"
CONFIGMAPS = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
WRITERS = 6
ACKNOWLEDGED_BEFORE_KILL = 120


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    running = ServerProcess(tmp_path / "home")
    yield running
    running.stop()


class Writers:
    """Threads that each create ConfigMaps and then rewrite them, remembering what was sent
    and what the server acknowledged."""

    def __init__(self, api: RawAPI) -> None:
        self.api = api
        self.stop = threading.Event()
        self.lock = threading.Lock()
        #: Every value each object was ever sent (a create or a patch), acknowledged or not.
        self.sent: dict[str, list[dict[str, str]]] = {}
        #: The last acknowledged value of each object.
        self.acknowledged: dict[str, dict[str, str]] = {}
        self.threads = [threading.Thread(target=self._write, args=(i,)) for i in range(WRITERS)]

    def _send(self, name: str, data: dict[str, str], create: bool) -> bool:
        with self.lock:
            self.sent.setdefault(name, []).append(data)
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}
        try:
            if create:
                reply = self.api.request("POST", CONFIGMAPS, body, timeout=10)
            else:
                patch = {"data": data}
                reply = self.api.request(
                    "PATCH",
                    f"{CONFIGMAPS}/{name}",
                    patch,
                    "application/merge-patch+json",
                    timeout=10,
                )
        except OSError:
            return False
        if reply.status in (200, 201):
            with self.lock:
                self.acknowledged[name] = data
            return True
        return False

    def _write(self, writer: int) -> None:
        step = 0
        while not self.stop.is_set():
            name = f"w{writer}-{step // 3}"
            data = {"step": str(step), "payload": secrets.token_hex(512)}
            if not self._send(name, data, create=step % 3 == 0):
                return
            step += 1

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def test_acknowledged_writes_survive_kill_9(server: ServerProcess) -> None:
    api = server.start()
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    assert api.request("POST", "/api/v1/namespaces", namespace).status == 201
    writers = Writers(api)
    for thread in writers.threads:
        thread.start()
    deadline = time.monotonic() + 90
    while writers.count() < ACKNOWLEDGED_BEFORE_KILL and time.monotonic() < deadline:
        time.sleep(0.02)
    server.kill()
    writers.stop.set()
    for thread in writers.threads:
        thread.join(30)
    assert writers.count() >= ACKNOWLEDGED_BEFORE_KILL

    database = sqlite3.connect(server.home / "cluster.db")
    assert database.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    database.close()

    api = server.start()
    listed = api.request("GET", CONFIGMAPS).json()["items"]
    stored = {item["metadata"]["name"]: item.get("data") for item in listed}
    stored.pop("kube-root-ca.crt", None)
    for name, data in writers.acknowledged.items():
        assert name in stored, f"acknowledged ConfigMap {name} was lost"
        sent = writers.sent[name]
        later = sent[sent.index(data) :]
        assert stored[name] in later, f"{name} went back to before its acknowledged write"
    for name, data in stored.items():
        assert name in writers.sent, f"{name} was never written"
        assert data in writers.sent[name], f"{name} holds a value that was never sent whole"
    versions = [int(item["metadata"]["resourceVersion"]) for item in listed]
    assert len(set(versions)) == len(versions)
    created = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "after-restart"}}
    reply = api.request("POST", CONFIGMAPS, created)
    assert reply.status == 201
    assert int(reply.json()["metadata"]["resourceVersion"]) > max(versions)
