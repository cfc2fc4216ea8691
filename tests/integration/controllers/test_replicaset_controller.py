"""ReplicaSets and ReplicationControllers: self-healing, adoption, release, scaling order."""

from __future__ import annotations

import json

import pytest

REPLICA_SET = """\
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: front
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      tier: front
  template:
    metadata:
      labels:
        tier: front
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
"""

REPLICATION_CONTROLLER = """\
apiVersion: v1
kind: ReplicationController
metadata:
  name: legacy
spec:
  replicas: 2
  selector:
    app: legacy
  template:
    metadata:
      labels:
        app: legacy
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
"""

BARE_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels:
    {labels}
spec:
  {node_selector}
  containers:
  - name: nginx
    image: nginx:1.25
"""


@pytest.fixture(scope="module")
def cluster(kubeletless_cluster):
    """Every test here runs where pods start only when the test says so (see conftest)."""
    return kubeletless_cluster


def _json(kubectl, *args):
    return json.loads(kubectl(*args, "-o", "json"))


def _active_pods(kubectl, namespace, selector):
    pods = _json(kubectl, "get", "pods", "-n", namespace, "-l", selector)["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def _events(kubectl, namespace, name):
    items = _json(
        kubectl, "get", "events", "-n", namespace, "--field-selector", f"involvedObject.name={name}"
    )["items"]
    return [(e["reason"], e["message"]) for e in items]


def _owner(pod):
    return [r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")]


def test_replicaset_creates_pods_and_reports_status(kubectl, namespace, kubelet, wait_for):
    kubectl("apply", "-n", namespace, "-f", "-", input=REPLICA_SET.format(replicas=3))
    pods = wait_for(
        lambda: (
            len(_active_pods(kubectl, namespace, "tier=front")) == 3
            and _active_pods(kubectl, namespace, "tier=front")
        ),
        message="three pods",
    )
    for pod in pods:
        assert pod["metadata"]["name"].startswith("front-")
        assert len(pod["metadata"]["name"]) == len("front-") + 5
        [owner] = _owner(pod)
        assert owner["kind"] == "ReplicaSet" and owner["name"] == "front"
        assert owner["blockOwnerDeletion"] is True
    wait_for(
        lambda: all(
            p["spec"].get("nodeName") for p in _active_pods(kubectl, namespace, "tier=front")
        ),
        message="scheduling",
    )
    kubelet.start(namespace)

    def ready():
        status = _json(kubectl, "get", "rs", "front", "-n", namespace)["status"]
        return status.get("availableReplicas") == 3 and status

    status = wait_for(ready, message="three available replicas")
    assert status["replicas"] == 3
    assert status["fullyLabeledReplicas"] == 3
    assert status["readyReplicas"] == 3
    assert status["observedGeneration"] == 1
    table = kubectl("get", "rs", "front", "-n", namespace).splitlines()
    assert table[1].split()[:4] == ["front", "3", "3", "3"]
    created = [m for r, m in _events(kubectl, namespace, "front") if r == "SuccessfulCreate"]
    assert sorted(created) == sorted(f"Created pod: {p['metadata']['name']}" for p in pods)


def test_a_deleted_pod_is_replaced(kubectl, namespace, kubelet, wait_for):
    kubectl("apply", "-n", namespace, "-f", "-", input=REPLICA_SET.format(replicas=2))
    before = wait_for(
        lambda: (
            len(_active_pods(kubectl, namespace, "tier=front")) == 2
            and _active_pods(kubectl, namespace, "tier=front")
        ),
        message="two pods",
    )
    victim = before[0]["metadata"]["name"]
    kubectl("delete", "pod", victim, "-n", namespace, "--wait=false")

    def replaced():
        names = {p["metadata"]["name"] for p in _active_pods(kubectl, namespace, "tier=front")}
        return len(names) == 2 and victim not in names and names

    names = wait_for(replaced, message="a replacement pod")
    [replacement] = names - {before[1]["metadata"]["name"]}
    assert ("SuccessfulCreate", f"Created pod: {replacement}") in _events(
        kubectl, namespace, "front"
    )
    kubelet.finish_terminating(namespace)
    wait_for(
        lambda: len(_json(kubectl, "get", "pods", "-n", namespace)["items"]) == 2,
        message="the deleted pod to go",
    )


def test_replication_controller_adopts_a_matching_bare_pod(kubectl, namespace, wait_for):
    kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=BARE_POD.format(name="stray", labels="app: legacy", node_selector=""),
    )
    kubectl("apply", "-n", namespace, "-f", "-", input=REPLICATION_CONTROLLER)

    def adopted():
        pods = _active_pods(kubectl, namespace, "app=legacy")
        return len(pods) == 2 and all(_owner(p) for p in pods) and pods

    pods = wait_for(adopted, message="adoption and one more pod")
    stray = next(p for p in pods if p["metadata"]["name"] == "stray")
    [owner] = _owner(stray)
    assert owner == {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "name": "legacy",
        "uid": _json(kubectl, "get", "rc", "legacy", "-n", namespace)["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    creates = [m for r, m in _events(kubectl, namespace, "legacy") if r == "SuccessfulCreate"]
    assert len(creates) == 1
    wait_for(
        lambda: (
            _json(kubectl, "get", "rc", "legacy", "-n", namespace)["status"].get("replicas") == 2
        ),
        message="status.replicas 2",
    )


def test_a_pod_whose_labels_change_is_released_and_replaced(kubectl, namespace, wait_for):
    kubectl("apply", "-n", namespace, "-f", "-", input=REPLICA_SET.format(replicas=2))
    pods = wait_for(
        lambda: (
            len(_active_pods(kubectl, namespace, "tier=front")) == 2
            and _active_pods(kubectl, namespace, "tier=front")
        ),
        message="two pods",
    )
    released = pods[0]["metadata"]["name"]
    kubectl("label", "pod", released, "-n", namespace, "tier=debug", "--overwrite")

    def done():
        pod = _json(kubectl, "get", "pod", released, "-n", namespace)
        return (
            not pod["metadata"].get("ownerReferences")
            and len(_active_pods(kubectl, namespace, "tier=front")) == 2
        )

    wait_for(done, message="release and replacement")


def test_replica_set_adopts_and_scales_down_the_unscheduled_pod_first(
    kubectl, namespace, kubelet, wait_for
):
    kubectl("apply", "-n", namespace, "-f", "-", input=REPLICA_SET.format(replicas=3))
    wait_for(
        lambda: (
            len(
                [
                    p
                    for p in _active_pods(kubectl, namespace, "tier=front")
                    if p["spec"].get("nodeName")
                ]
            )
            == 3
        ),
        message="three scheduled pods",
    )
    kubelet.start(namespace)
    kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=BARE_POD.format(
            name="nowhere", labels="tier: front", node_selector="nodeSelector: {disk: none}"
        ),
    )

    def nowhere_deleted():
        events = _events(kubectl, namespace, "front")
        return ("SuccessfulDelete", "Deleted pod: nowhere") in events

    wait_for(nowhere_deleted, message="the unscheduled orphan to be adopted and deleted")
    assert len(_active_pods(kubectl, namespace, "tier=front")) == 3


def test_scale_down_removes_not_ready_pods_first(kubectl, namespace, kubelet, wait_for):
    kubectl("apply", "-n", namespace, "-f", "-", input=REPLICA_SET.format(replicas=4))
    wait_for(
        lambda: (
            len(
                [
                    p
                    for p in _active_pods(kubectl, namespace, "tier=front")
                    if p["spec"].get("nodeName")
                ]
            )
            == 4
        ),
        message="four scheduled pods",
    )
    kubelet.start(namespace)
    names = sorted(p["metadata"]["name"] for p in _active_pods(kubectl, namespace, "tier=front"))
    unready = set(names[:2])
    for name in unready:
        kubelet.set_ready(namespace, name, False)
    wait_for(
        lambda: (
            _json(kubectl, "get", "rs", "front", "-n", namespace)["status"].get("readyReplicas")
            == 2
        ),
        message="two ready replicas",
    )
    kubectl("scale", "rs", "front", "-n", namespace, "--replicas=2")

    def scaled():
        remaining = {p["metadata"]["name"] for p in _active_pods(kubectl, namespace, "tier=front")}
        return len(remaining) == 2 and remaining

    assert wait_for(scaled, message="scale down") == set(names) - unready
    deleted = {
        m.removeprefix("Deleted pod: ")
        for r, m in _events(kubectl, namespace, "front")
        if r == "SuccessfulDelete"
    }
    assert deleted == unready


def test_replica_failure_when_a_quota_refuses_pods(kubectl, namespace, wait_for):
    kubectl("create", "quota", "two-pods", "--hard=pods=2", "-n", namespace)
    wait_for(
        lambda: (
            _json(kubectl, "get", "quota", "two-pods", "-n", namespace)
            .get("status", {})
            .get("hard")
        ),
        message="the quota to be counted",
    )
    kubectl("apply", "-n", namespace, "-f", "-", input=REPLICA_SET.format(replicas=3))

    def failing():
        status = _json(kubectl, "get", "rs", "front", "-n", namespace)["status"]
        return status.get("conditions") and status

    status = wait_for(failing, message="the ReplicaFailure condition")
    [condition] = status["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "ReplicaFailure",
        "True",
        "FailedCreate",
    )
    assert "exceeded quota: two-pods" in condition["message"]
    assert status["replicas"] == 2
    assert any(
        r == "FailedCreate" and m.startswith("Error creating: ") and "exceeded quota" in m
        for r, m in _events(kubectl, namespace, "front")
    )
    kubectl("scale", "rs", "front", "-n", namespace, "--replicas=2")
    wait_for(
        lambda: (
            not _json(kubectl, "get", "rs", "front", "-n", namespace)["status"].get("conditions")
        ),
        message="the condition to clear",
    )
