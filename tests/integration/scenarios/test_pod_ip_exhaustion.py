"""A node whose pod range is used up: the next pod's sandbox cannot be created, the kubelet
says so with a ``FailedCreatePodSandBox`` Warning and keeps retrying, and the pod starts as soon
as another pod on the node gives its address back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelab.cluster.client import copy_object
from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.cluster.kubelet.node import node_name
from kubelab.cluster.store.objects import ObjectStore
from tests.conftest import Kubectl
from tests.integration.scenarios.conftest import TIME_SCALE
from tests.polling import eventually

#: Six addresses: the bridge takes the first, five are left for pods.
NARROW_RANGE = "10.244.0.0/29"


@pytest.fixture(scope="module")
def narrow_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """A one-node cluster whose node was registered with a /29 pod range (as if
    kube-controller-manager had a node mask of 29), set while the cluster was down."""
    home = tmp_path_factory.mktemp("narrow-node")
    with EmbeddedCluster(home, time_scale=TIME_SCALE):
        pass
    store = ObjectStore(home / "cluster.db")
    node = copy_object(store.get("/nodes", "", node_name(0)))
    node["spec"]["podCIDR"] = NARROW_RANGE
    node["spec"]["podCIDRs"] = [NARROW_RANGE]
    store.update("/nodes", node, None)
    store.close()
    with EmbeddedCluster(home, time_scale=TIME_SCALE) as running:
        yield running


def pod_status(kc: Kubectl, name: str) -> dict:
    return kc.json("get", "pod", name, "-n", "default")["status"]


def sandbox_failures(kc: Kubectl, pod: str) -> list[dict]:
    events = kc.json(
        "get", "events", "-n", "default", "--field-selector", f"involvedObject.name={pod}"
    )["items"]
    return [e for e in events if e["reason"] == "FailedCreatePodSandBox"]


def test_pod_waits_for_a_free_address_and_starts_when_one_is_released(
    narrow_node: EmbeddedCluster, tmp_path: Path
) -> None:
    kc = Kubectl(narrow_node.kubeconfig, tmp_path)
    for index in range(5):
        kc("run", f"fits-{index}", "-n", "default", "--image=nginx:1.25")
    addresses = eventually(
        lambda: (
            [
                status.get("podIP")
                for status in (pod_status(kc, f"fits-{i}") for i in range(5))
                if status.get("phase") == "Running"
            ]
            if all(pod_status(kc, f"fits-{i}").get("phase") == "Running" for i in range(5))
            else None
        )
    )
    assert sorted(addresses) == [f"10.244.0.{n}" for n in range(2, 7)]

    kc("run", "one-too-many", "-n", "default", "--image=nginx:1.25")
    failures = eventually(lambda: sandbox_failures(kc, "one-too-many"))
    event = failures[0]
    assert event["type"] == "Warning"
    assert event["source"]["component"] == "kubelet"
    assert event["message"].startswith("Failed to create pod sandbox: ")
    assert event["message"].endswith(
        "failed to allocate for range 0: no IP addresses available in range set: "
        "10.244.0.1-10.244.0.6"
    )
    # The kubelet retries on its next sync (each attempt a new sandbox, so a new message);
    # the pod waits, it is not failed.
    eventually(lambda: len(sandbox_failures(kc, "one-too-many")) >= 2)
    waiting = pod_status(kc, "one-too-many")
    assert waiting["phase"] == "Pending"
    assert "podIP" not in waiting
    state = waiting["containerStatuses"][0]["state"]["waiting"]["reason"]
    assert state == "ContainerCreating"

    freed = pod_status(kc, "fits-0")["podIP"]
    kc("delete", "pod", "fits-0", "-n", "default", "--grace-period=0", "--force")
    started = eventually(
        lambda: (s := pod_status(kc, "one-too-many")).get("phase") == "Running" and s, timeout=30
    )
    assert started["podIP"] == freed
    # The cluster stayed healthy: another pod gets an address once one is free again.
    kc("delete", "pod", "fits-1", "-n", "default", "--grace-period=0", "--force")
    kc("run", "after", "-n", "default", "--image=nginx:1.25")
    eventually(lambda: pod_status(kc, "after").get("phase") == "Running", timeout=30)
