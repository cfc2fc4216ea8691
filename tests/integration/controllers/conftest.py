"""Fixtures for the workload controller tests: a cluster without kubelets, and a stand-in.

The controllers only react to what the API shows. To check a rollout *step by step* the tests
need to decide when pods start and stop, so they use ``kubeletless_cluster``: a teaching cluster
whose nodes are plain Node objects with no kubelet behind them. ``PlayKubelet`` then does the
kubelet's part on request: it writes pod status through the ``status`` subresource (Running,
Ready, an IP) and confirms graceful deletions. Tests wait, with a deadline, for the controllers
to settle between steps. (``test_workloads_on_a_real_node.py`` runs the same workloads with the
real kubelet.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import PODS, LocalClient
from kubelab.cluster.embedded import EmbeddedCluster
from tests.polling import eventually

NODES = ("", "v1", "nodes")
#: Images from this registry cannot be pulled: their pods never start, as with a real kubelet.
UNPULLABLE_REGISTRY = "registry.invalid/"


def _wait_for(
    condition: Callable[[], Any],
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "condition",
) -> Any:
    """Poll until ``condition()`` is truthy and return it; fail after ``timeout`` seconds."""
    return eventually(condition, timeout, message, interval)


class PlayKubelet:
    """Does what a kubelet would do for pods bound to a node, one explicit step at a time."""

    def __init__(self, cluster: EmbeddedCluster) -> None:
        self.cluster = cluster
        self.client = LocalClient(cluster.cluster.api, "kubelet")

    def _on_loop(self, function: Callable[..., Any], *args: Any) -> Any:
        return self.cluster.run_sync(function, *args)

    def pods(self, namespace: str) -> list[dict[str, Any]]:
        return self._on_loop(self.client.list, PODS, namespace)

    def start(self, namespace: str) -> list[str]:
        """Report every scheduled pod that is not ready yet as Running and Ready; pods with an
        image that cannot be pulled stay Pending. Returns the names of the pods it changed."""
        changed = []
        for pod in self.pods(namespace):
            unpullable = any(
                c["image"].startswith(UNPULLABLE_REGISTRY) for c in pod["spec"]["containers"]
            )
            if (
                not pod["spec"].get("nodeName")
                or pod["metadata"].get("deletionTimestamp")
                or unpullable
                or _is_ready(pod)
            ):
                continue
            self._on_loop(self._write_running, pod, True)
            changed.append(pod["metadata"]["name"])
        return changed

    def set_ready(self, namespace: str, name: str, ready: bool) -> None:
        pod = self._on_loop(self.client.get, PODS, namespace, name)
        self._on_loop(self._write_running, pod, ready)

    def _write_running(self, pod: dict[str, Any], ready: bool) -> None:
        now = self.client.clock.timestamp()
        state = "True" if ready else "False"
        status = pod.setdefault("status", {})
        status.update(
            {
                "phase": "Running",
                "hostIP": "192.168.49.2",
                "podIP": f"10.244.0.{sum(map(ord, pod['metadata']['name'])) % 250 + 2}",
                "startTime": status.get("startTime") or now,
            }
        )
        status["conditions"] = [
            {
                "type": kind,
                "status": "True"
                if kind in ("Initialized", "PodScheduled", "PodReadyToStartContainers")
                else state,
                "lastProbeTime": None,
                "lastTransitionTime": now,
            }
            for kind in (
                "PodReadyToStartContainers",
                "Initialized",
                "Ready",
                "ContainersReady",
                "PodScheduled",
            )
        ]
        status["containerStatuses"] = [
            {
                "name": c["name"],
                "image": c["image"],
                "imageID": "",
                "ready": ready,
                "restartCount": 0,
                "started": True,
                "state": {"running": {"startedAt": now}},
            }
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
        """The containers have stopped: delete with no grace period left, as a kubelet does."""
        meta = pod["metadata"]
        try:
            self.client.delete(
                PODS, meta["namespace"], meta["name"], grace_period_seconds=0, uid=meta["uid"]
            )
        except APIError as error:
            if error.code not in (404, 409):
                raise

    def step(self, namespace: str) -> bool:
        """One round of kubelet work: finish deleted pods, then start new ones (in this order,
        so that what the controllers do about a started pod is left for the next round)."""
        return bool(self.finish_terminating(namespace) + self.start(namespace))


class ClusterReader:
    """Reads objects through the API pipeline in-process: quicker than kubectl for the many
    snapshots a step-by-step rollout test takes."""

    def __init__(self, cluster: EmbeddedCluster) -> None:
        self.cluster = cluster
        self.client = LocalClient(cluster.cluster.api, "test-observer")

    def list(self, resource: tuple[str, str, str], namespace: str) -> list[dict[str, Any]]:
        return self.cluster.run_sync(self.client.list, resource, namespace)

    def get(
        self, resource: tuple[str, str, str], namespace: str, name: str
    ) -> dict[str, Any] | None:
        return self.cluster.run_sync(self.client.get, resource, namespace, name)


def _is_ready(pod: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in pod.get("status", {}).get("conditions") or []
    )


@pytest.fixture()
def kubelet(cluster: EmbeddedCluster) -> PlayKubelet:
    return PlayKubelet(cluster)


@pytest.fixture()
def reader(cluster: EmbeddedCluster) -> ClusterReader:
    return ClusterReader(cluster)


@pytest.fixture()
def wait_for() -> Callable[..., Any]:
    """``wait_for(condition, timeout=10, message=...)``: poll until truthy, with a deadline."""
    return _wait_for


#: The kubelet-less cluster's nodes: (name, labels, taints).
PLAIN_NODES = (
    ("node-a", {}, []),
    ("node-b", {"disk": "ssd"}, []),
    ("node-c", {}, [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}]),
    ("node-d", {}, [{"key": "gpu", "value": "true", "effect": "NoSchedule"}]),
)


def _register_plain_nodes(client: LocalClient) -> None:
    resources = {"cpu": "4", "memory": "8Gi", "pods": "110"}
    for name, labels, taints in PLAIN_NODES:
        node = client.create(
            NODES,
            "",
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **labels}},
                "spec": {"taints": taints} if taints else {},
            },
        )
        node["status"] = {
            "capacity": resources,
            "allocatable": resources,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": client.clock.timestamp(),
                    "lastTransitionTime": client.clock.timestamp(),
                }
            ],
        }
        client.update_status(NODES, node)


async def _renew_leases(client: LocalClient) -> None:
    """The plain nodes' heartbeat, so that the node controller does not find them lost."""
    leases = ("coordination.k8s.io", "v1", "leases")
    while True:
        for name, _, _ in PLAIN_NODES:
            lease = client.get(leases, "kube-node-lease", name) or {
                "metadata": {"name": name, "namespace": "kube-node-lease"},
                "spec": {"holderIdentity": name, "leaseDurationSeconds": 40},
            }
            lease["spec"]["renewTime"] = client.clock.micro_timestamp()
            if "uid" in lease["metadata"]:
                client.update(leases, lease)
            else:
                client.create(leases, "kube-node-lease", lease)
        await client.clock.sleep(10)


@pytest.fixture(scope="session")
def kubeletless_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """A cluster whose four nodes have no kubelet: ``node-a``, ``node-b`` (disk=ssd),
    ``node-c`` (tainted dedicated=infra) and ``node-d`` (tainted gpu). Their Leases are renewed
    as a kubelet would, so the nodes stay Ready."""
    with EmbeddedCluster(tmp_path_factory.mktemp("kubelab-kubeletless"), nodes=0) as running:
        client = LocalClient(running.cluster.api, "test-setup")
        running.run_sync(_register_plain_nodes, client)
        heartbeat = running.run_sync(asyncio.ensure_future, _renew_leases(client))
        yield running
        running.run_sync(heartbeat.cancel)
