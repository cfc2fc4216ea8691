"""A node whose kubelet stops: NotReady, tainted, its pods evicted and replaced, and back again.

A two-node teaching cluster runs fifty times faster than real time, so the node monitor grace
period (50 s) and the pods' default toleration (300 s) pass in seconds. The node is switched off
the way ``kubelab cluster node stop`` does it, and everything is observed with kubectl.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubelab.cluster.embedded import EmbeddedCluster
from tests.conftest import Kubectl
from tests.integration.rbac.conftest import ClassCluster
from tests.polling import eventually

TIME_SCALE = 50.0
LOST = "kubelab-m02"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 5
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            preference:
              matchExpressions:
              - {key: kubernetes.io/hostname, operator: In, values: [kubelab-m02]}
      containers:
      - {name: web, image: nginx}
"""


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    home = tmp_path_factory.mktemp("two-nodes")
    with EmbeddedCluster(home, time_scale=TIME_SCALE, nodes=2) as running:
        yield running


@pytest.fixture()
def kc(two_nodes: EmbeddedCluster, tmp_path: Path) -> Kubectl:
    return Kubectl(two_nodes.kubeconfig, tmp_path)


def node(kc: Kubectl, name: str) -> dict[str, Any]:
    return kc.json("get", "node", name)


def ready_condition(kc: Kubectl, name: str) -> dict[str, Any]:
    return next(c for c in node(kc, name)["status"]["conditions"] if c["type"] == "Ready")


def pods(kc: Kubectl) -> list[dict[str, Any]]:
    return kc.json("get", "pods", "-n", "default", "-l", "app=web")["items"]


def is_ready(pod: dict[str, Any]) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in pod.get("status", {}).get("conditions") or []
    )


def test_a_lost_node_is_tainted_its_pods_replaced_and_it_recovers(two_nodes, kc):
    kc("apply", "-n", "default", "-f", "-", input=DEPLOYMENT)
    kc("rollout", "status", "deployment/web", "-n", "default", "--timeout=60s")
    originals = {p["metadata"]["name"] for p in pods(kc) if p["spec"]["nodeName"] == LOST}
    assert originals, "the pods prefer the node that is about to be lost"
    tolerations = pods(kc)[0]["spec"]["tolerations"]
    assert {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
            "effect": "NoExecute", "tolerationSeconds": 300} in tolerations  # fmt: skip

    two_nodes.call(two_nodes.cluster.stop_node(LOST))

    condition = eventually(lambda: (c := ready_condition(kc, LOST))["status"] == "Unknown" and c)
    assert (condition["reason"], condition["message"]) == (
        "NodeStatusUnknown", "Kubelet stopped posting node status.",
    )  # fmt: skip
    statuses = {c["type"]: c["status"] for c in node(kc, LOST)["status"]["conditions"]}
    assert statuses == {t: "Unknown" for t in ("MemoryPressure", "DiskPressure", "PIDPressure",
                                               "Ready")}  # fmt: skip
    listing = kc("get", "nodes", "--no-headers").splitlines()
    assert any(line.split()[:2] == [LOST, "NotReady"] for line in listing)
    taints = eventually(lambda: len(t := node(kc, LOST)["spec"].get("taints") or []) == 2 and t)
    assert sorted((t["key"], t["effect"]) for t in taints) == [
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoSchedule"),
    ]
    assert "timeAdded" in next(t for t in taints if t["effect"] == "NoExecute")
    lost_pods = [p for p in pods(kc) if p["metadata"]["name"] in originals]
    assert lost_pods and not any(is_ready(p) for p in lost_pods)

    exec_result = kc.run("exec", sorted(originals)[0], "-n", "default", "--", "true", check=False)
    assert exec_result.returncode == 1
    assert "error dialing backend: dial tcp 192.168.49.3:10250" in exec_result.stderr

    def replaced() -> bool:
        current = pods(kc)
        fresh = [p for p in current if p["metadata"]["name"] not in originals]
        return len(fresh) == 2 and all(is_ready(p) for p in fresh) and fresh

    fresh = eventually(replaced, timeout=60)
    assert {p["spec"]["nodeName"] for p in fresh} == {"kubelab"}
    evicted = [p for p in pods(kc) if p["metadata"]["name"] in originals]
    assert evicted and all(p["metadata"].get("deletionTimestamp") for p in evicted)
    disruption = next(
        c for c in evicted[0]["status"]["conditions"] if c["type"] == "DisruptionTarget"
    )
    assert (disruption["reason"], disruption["message"]) == (
        "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint",
    )  # fmt: skip
    events = kc.json("get", "events", "-n", "default")["items"]
    messages = {(e["reason"], e["message"]) for e in events}
    for name in originals:
        assert ("TaintManagerEviction", f"Marking for deletion Pod default/{name}") in messages
        assert ("NodeNotReady", "Node is not ready") in messages
    assert ("NodeNotReady", f"Node {LOST} status is now: NodeNotReady") in messages

    two_nodes.run_sync(two_nodes.cluster.start_node, LOST)

    eventually(lambda: ready_condition(kc, LOST)["status"] == "True")
    eventually(lambda: not node(kc, LOST)["spec"].get("taints"))
    eventually(lambda: not any(p["metadata"]["name"] in originals for p in pods(kc)))
    assert ready_condition(kc, LOST)["reason"] == "KubeletReady"


def test_the_kubelab_command_switches_a_node_off_and_on(tmp_path_factory, tmp_path):
    home = tmp_path_factory.mktemp("node-power-home")
    cluster = ClassCluster(home, tmp_path_factory.mktemp("node-power-scratch"))
    cluster.kubelab("cluster", "up", "--nodes", "2", "--time-scale", str(TIME_SCALE))
    try:
        kc = Kubectl(home / "kubeconfig", tmp_path)
        missing = cluster.kubelab("cluster", "node", "stop", "nosuch", check=False)
        assert missing.returncode == 1
        assert missing.stderr == (
            'error: The teaching cluster has no node "nosuch" (its nodes: kubelab, kubelab-m02).\n'
        )
        stopped = cluster.kubelab("cluster", "node", "stop", LOST)
        assert stopped.stdout.startswith(f"Node {LOST} is switched off")
        assert json.loads((home / "stopped-nodes.json").read_text()) == [LOST]
        eventually(lambda: ready_condition(kc, LOST)["status"] == "Unknown")
        assert ready_condition(kc, "kubelab")["status"] == "True"
        cluster.kubelab("cluster", "node", "start", LOST)
        eventually(lambda: ready_condition(kc, LOST)["status"] == "True")
        eventually(lambda: not node(kc, LOST)["spec"].get("taints"))
    finally:
        cluster.kubelab("cluster", "down", check=False)


def test_node_commands_need_a_running_cluster(tmp_path):
    cluster = ClassCluster(tmp_path / "home", tmp_path)
    result = cluster.kubelab("cluster", "node", "start", "kubelab", check=False)
    assert (result.returncode, result.stderr) == (
        1, "error: The teaching cluster is not running. Start it with: kubelab cluster up\n",
    )  # fmt: skip
