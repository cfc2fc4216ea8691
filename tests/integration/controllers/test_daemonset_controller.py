"""DaemonSets on a four-node cluster: placement, status, rolling updates, history and undo."""

from __future__ import annotations

import json
import time

import pytest

DAEMON_SETS = ("apps", "v1", "daemonsets")
REVISIONS = ("apps", "v1", "controllerrevisions")
PODS = ("", "v1", "pods")
DAEMON_TOLERATIONS = {
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
}


@pytest.fixture(scope="module")
def cluster(kubeletless_cluster):
    """Every test here runs on the kubelet-less nodes ``node-a`` to ``node-d`` (see conftest):
    ``node-c`` is tainted in a way the DaemonSet tolerates, ``node-d`` in a way it does not."""
    return kubeletless_cluster


def daemon_set(image="nginx:1.25", node_selector=None):
    spec = {
        "containers": [{"name": "agent", "image": image}],
        "tolerations": [
            {"key": "dedicated", "operator": "Equal", "value": "infra", "effect": "NoSchedule"}
        ],
    }
    if node_selector:
        spec["nodeSelector"] = node_selector
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "agent"},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {"metadata": {"labels": {"app": "agent"}}, "spec": spec},
            },
        }
    )


def node_of(pod):
    terms = pod["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"]
    assert terms == [
        {
            "matchFields": [
                {
                    "key": "metadata.name",
                    "operator": "In",
                    "values": [terms[0]["matchFields"][0]["values"][0]],
                }
            ]
        }
    ]
    return terms[0]["matchFields"][0]["values"][0]


def live_pods(reader, namespace):
    return [p for p in reader.list(PODS, namespace) if not p["metadata"].get("deletionTimestamp")]


def settle(reader, namespace, timeout=10.0):
    deadline, previous, quiet = time.monotonic() + timeout, None, 0
    while quiet < 4:
        assert time.monotonic() < deadline, "the controllers did not settle"
        ds = reader.get(DAEMON_SETS, namespace, "agent")
        current = json.dumps([ds, reader.list(PODS, namespace)], sort_keys=True)
        observed = ds.get("status", {}).get("observedGeneration", 0) >= ds["metadata"]["generation"]
        quiet = quiet + 1 if current == previous and observed else 0
        previous = current
        time.sleep(0.03)
    return reader.get(DAEMON_SETS, namespace, "agent")


def run_until_rolled_out(reader, kubelet, namespace, check=lambda ds: None):
    for _ in range(30):
        ds = settle(reader, namespace)
        check(ds)
        status = ds["status"]
        desired = status["desiredNumberScheduled"]
        if (
            status.get("updatedNumberScheduled", 0) == desired == status.get("numberAvailable", 0)
            and len(reader.list(PODS, namespace)) == desired
        ):
            return ds
        kubelet.step(namespace)
    raise AssertionError("the DaemonSet did not roll out")


def test_one_pod_per_eligible_node(kubectl, namespace, reader, kubelet):
    kubectl("apply", "-n", namespace, "-f", "-", input=daemon_set())
    ds = run_until_rolled_out(reader, kubelet, namespace)
    pods = live_pods(reader, namespace)
    assert sorted(node_of(p) for p in pods) == ["node-a", "node-b", "node-c"]
    [revision] = reader.list(REVISIONS, namespace)
    hash_value = revision["metadata"]["labels"]["controller-revision-hash"]
    assert revision["metadata"]["name"] == f"agent-{hash_value}"
    assert revision["revision"] == 1
    assert revision["data"]["spec"]["template"]["$patch"] == "replace"
    for pod in pods:
        assert pod["metadata"]["name"].startswith("agent-")
        assert pod["metadata"]["labels"] == {
            "app": "agent",
            "controller-revision-hash": hash_value,
            "pod-template-generation": "1",
        }
        tolerations = {
            (t["key"], t["effect"])
            for t in pod["spec"]["tolerations"]
            if t.get("operator") == "Exists"
        }
        assert DAEMON_TOLERATIONS.issubset(tolerations)
        assert pod["spec"]["nodeName"] == node_of(pod)
    status = ds["status"]
    assert {
        k: status.get(k)
        for k in (
            "desiredNumberScheduled",
            "currentNumberScheduled",
            "numberReady",
            "updatedNumberScheduled",
            "numberAvailable",
            "numberMisscheduled",
        )
    } == {
        "desiredNumberScheduled": 3,
        "currentNumberScheduled": 3,
        "numberReady": 3,
        "updatedNumberScheduled": 3,
        "numberAvailable": 3,
        "numberMisscheduled": 0,
    }
    row = kubectl("get", "ds", "agent", "-n", namespace).splitlines()[1].split()
    assert row[:6] == ["agent", "3", "3", "3", "3", "3"]


def test_node_selector_limits_the_nodes(kubectl, namespace, reader, kubelet):
    kubectl("apply", "-n", namespace, "-f", "-", input=daemon_set(node_selector={"disk": "ssd"}))
    ds = run_until_rolled_out(reader, kubelet, namespace)
    assert [node_of(p) for p in live_pods(reader, namespace)] == ["node-b"]
    kubectl("label", "node", "node-b", "disk-")
    try:
        ds = settle(reader, namespace)
        assert ds["status"]["desiredNumberScheduled"] == 0
        assert live_pods(reader, namespace) == []
    finally:
        kubectl("label", "node", "node-b", "disk=ssd")


def test_rolling_update_history_and_undo(kubectl, namespace, reader, kubelet):
    kubectl("apply", "-n", namespace, "-f", "-", input=daemon_set())
    run_until_rolled_out(reader, kubelet, namespace)
    status = kubectl.popen("rollout", "status", "ds/agent", "-n", namespace, "--timeout=60s")
    kubectl("set", "image", "ds/agent", "agent=nginx:1.26", "-n", namespace)

    def one_node_at_a_time(ds):
        pods = live_pods(reader, namespace)
        nodes = [node_of(p) for p in pods]
        assert len(nodes) == len(set(nodes)), "two pods on one node without maxSurge"
        available = [p for p in pods if p["status"].get("phase") == "Running"]
        assert len(available) >= 3 - 1, "more than maxUnavailable nodes without a pod"

    ds = run_until_rolled_out(reader, kubelet, namespace, one_node_at_a_time)
    revisions = sorted(reader.list(REVISIONS, namespace), key=lambda r: r["revision"])
    assert [r["revision"] for r in revisions] == [1, 2]
    new_hash = revisions[1]["metadata"]["labels"]["controller-revision-hash"]
    assert {
        p["metadata"]["labels"]["controller-revision-hash"] for p in live_pods(reader, namespace)
    } == {new_hash}
    assert {
        p["metadata"]["labels"]["pod-template-generation"] for p in live_pods(reader, namespace)
    } == {"2"}
    out, err = status.communicate(timeout=30)
    assert status.returncode == 0, err
    assert out.splitlines()[-1] == 'daemon set "agent" successfully rolled out'

    history = kubectl("rollout", "history", "ds/agent", "-n", namespace).splitlines()
    assert [line.split()[0] for line in history[2:] if line] == ["1", "2"]
    kubectl("rollout", "undo", "ds/agent", "-n", namespace)
    ds = run_until_rolled_out(reader, kubelet, namespace)
    assert ds["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    numbers = {
        r["metadata"]["labels"]["controller-revision-hash"]: r["revision"]
        for r in reader.list(REVISIONS, namespace)
    }
    assert numbers[new_hash] == 2 and sorted(numbers.values()) == [2, 3]
    history = kubectl("rollout", "history", "ds/agent", "-n", namespace).splitlines()
    assert [line.split()[0] for line in history[2:] if line] == ["2", "3"]
    skipped = kubectl("rollout", "undo", "ds/agent", "-n", namespace, "--to-revision=3")
    assert "skipped rollback (current template already matches revision 3)" in skipped


def test_rolling_update_with_surge_keeps_every_node_served(kubectl, namespace, reader, kubelet):
    kubectl("apply", "-n", namespace, "-f", "-", input=daemon_set())
    kubectl(
        "patch",
        "ds/agent",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"updateStrategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}',
    )
    run_until_rolled_out(reader, kubelet, namespace)
    kubectl("set", "image", "ds/agent", "agent=nginx:1.26", "-n", namespace)

    def always_served(ds):
        pods = live_pods(reader, namespace)
        running = {node_of(p) for p in pods if p["status"].get("phase") == "Running"}
        assert running == {"node-a", "node-b", "node-c"}
        new = [p for p in pods if p["spec"]["containers"][0]["image"] == "nginx:1.26"]
        assert len([p for p in new if p["status"].get("phase") != "Running"]) <= 1

    run_until_rolled_out(reader, kubelet, namespace, always_served)
    images = {p["spec"]["containers"][0]["image"] for p in live_pods(reader, namespace)}
    assert images == {"nginx:1.26"}
