"""Fixtures for the workload controller tests: a stand-in kubelet and convergence helpers.

The controllers only react to what the API shows, so tests drive them the way a cluster does:
``PlayKubelet`` writes pod status through the ``status`` subresource as a kubelet would (the pod
is Running, Ready, has an IP) and confirms graceful deletions; ``PlayVolumeBinder`` marks
claims Bound. Tests then wait, with a deadline, for the controllers to settle.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import PODS, LocalClient
from kubelab.cluster.embedded import EmbeddedCluster

CLAIMS = ("", "v1", "persistentvolumeclaims")
#: Images from this registry cannot be pulled: their pods never start, as with a real kubelet.
UNPULLABLE_REGISTRY = "registry.invalid/"


def _wait_for(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05,
              message: str = "condition") -> Any:
    """Poll until ``condition()`` is truthy and return it; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(interval)


class PlayKubelet:
    """Does what a kubelet would do for pods bound to a node, one explicit step at a time."""

    def __init__(self, cluster: EmbeddedCluster) -> None:
        self.cluster = cluster
        self.client = LocalClient(cluster.cluster.api, "kubelet")

    def _on_loop(self, function: Callable[..., Any], *args: Any) -> Any:
        return self.cluster.run_sync(function, *args)

    def pods(self, namespace: str) -> list[dict[str, Any]]:
        return self._on_loop(self.client.list, PODS, namespace)

    def start(self, namespace: str, predicate: Callable[[dict[str, Any]], bool] = lambda p: True,
              ready: bool = True) -> list[str]:
        """Report every scheduled, not yet ready pod (that ``predicate`` accepts) as Running and,
        if ``ready``, Ready. Pods with an image it cannot pull stay Pending. Returns the names
        of the pods it changed."""
        changed = []
        for pod in self.pods(namespace):
            if (not pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp")
                    or any(c["image"].startswith(UNPULLABLE_REGISTRY)
                           for c in pod["spec"]["containers"])
                    or _is_ready(pod) == ready and pod["status"].get("phase") == "Running"
                    or not predicate(pod)):
                continue
            self._on_loop(self._write_running, pod, ready)
            changed.append(pod["metadata"]["name"])
        return changed

    def set_ready(self, namespace: str, name: str, ready: bool) -> None:
        pod = self._on_loop(self.client.get, PODS, namespace, name)
        self._on_loop(self._write_running, pod, ready)

    def _write_running(self, pod: dict[str, Any], ready: bool) -> None:
        now = self.client.clock.timestamp()
        state = "True" if ready else "False"
        status = pod.setdefault("status", {})
        status.update({
            "phase": "Running",
            "hostIP": "192.168.49.2",
            "podIP": f"10.244.0.{sum(map(ord, pod['metadata']['name'])) % 250 + 2}",
            "startTime": status.get("startTime") or now,
        })
        status["conditions"] = [
            {"type": kind, "status": "True" if kind in ("Initialized", "PodScheduled",
                                                        "PodReadyToStartContainers") else state,
             "lastProbeTime": None, "lastTransitionTime": now}
            for kind in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                         "PodScheduled")
        ]
        status["containerStatuses"] = [
            {"name": c["name"], "image": c["image"], "imageID": "", "ready": ready,
             "restartCount": 0, "started": True, "state": {"running": {"startedAt": now}}}
            for c in pod["spec"]["containers"]
        ]
        self.client.update_status(PODS, pod)

    def finish_terminating(self, namespace: str) -> list[str]:
        """Confirm that the containers of every pod being deleted have stopped, so the API
        server removes it. Returns the names of the pods it removed."""
        removed = []
        for pod in self.pods(namespace):
            if pod["metadata"].get("deletionTimestamp"):
                self._on_loop(self._confirm_deletion, pod)
                removed.append(pod["metadata"]["name"])
        return removed

    def _confirm_deletion(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        try:
            self.client.delete(PODS, meta["namespace"], meta["name"], grace_period_seconds=0,
                               uid=meta["uid"])
            current = self.client.get(PODS, meta["namespace"], meta["name"])
            if current is not None:
                for container in current["status"].get("containerStatuses") or []:
                    container["ready"] = False
                    container["state"] = {"terminated": {"exitCode": 0, "reason": "Completed"}}
                current["status"]["phase"] = "Succeeded"
                self.client.update_status(PODS, current)
        except APIError as error:
            if error.code not in (404, 409):
                raise

    def step(self, namespace: str) -> bool:
        """One round of kubelet work: start new pods, finish deleted ones. True if any."""
        return bool(self.start(namespace) + self.finish_terminating(namespace))


class PlayVolumeBinder:
    """Marks claims Bound, standing in for the volume binding controller."""

    def __init__(self, cluster: EmbeddedCluster) -> None:
        self.cluster = cluster
        self.client = LocalClient(cluster.cluster.api, "persistentvolume-binder-controller")

    def bind_all(self, namespace: str) -> None:
        def bind() -> None:
            for claim in self.client.list(CLAIMS, namespace):
                if claim.get("status", {}).get("phase") != "Bound":
                    claim["status"] = {"phase": "Bound", "accessModes": claim["spec"].get(
                        "accessModes", []), "capacity": claim["spec"].get(
                        "resources", {}).get("requests", {})}
                    self.client.update_status(CLAIMS, claim)

        self.cluster.run_sync(bind)


class ClusterReader:
    """Reads objects through the API pipeline in-process: quicker than kubectl for the many
    snapshots a step-by-step rollout test takes."""

    def __init__(self, cluster: EmbeddedCluster) -> None:
        self.cluster = cluster
        self.client = LocalClient(cluster.cluster.api, "test-observer")

    def list(self, resource: tuple[str, str, str], namespace: str) -> list[dict[str, Any]]:
        return self.cluster.run_sync(self.client.list, resource, namespace)

    def get(self, resource: tuple[str, str, str], namespace: str,
            name: str) -> dict[str, Any] | None:
        return self.cluster.run_sync(self.client.get, resource, namespace, name)


def _is_ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in pod.get("status", {}).get("conditions") or [])


@pytest.fixture()
def kubelet(cluster: EmbeddedCluster) -> PlayKubelet:
    return PlayKubelet(cluster)


@pytest.fixture()
def volume_binder(cluster: EmbeddedCluster) -> PlayVolumeBinder:
    return PlayVolumeBinder(cluster)


@pytest.fixture()
def reader(cluster: EmbeddedCluster) -> ClusterReader:
    return ClusterReader(cluster)


@pytest.fixture()
def wait_for() -> Callable[..., Any]:
    """``wait_for(condition, timeout=10, message=...)``: poll until truthy, with a deadline."""
    return _wait_for
