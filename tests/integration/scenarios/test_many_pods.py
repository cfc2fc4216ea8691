"""Many pods on several nodes: the scheduler spreads them, ``--max-pods`` gives each node room
(capacity and a pod range wide enough), and the garbage collector still finds every orphan,
including one left behind while the cluster was down."""

from __future__ import annotations

import ipaddress
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.cluster.store.objects import ObjectStore
from tests.conftest import Kubectl, fresh_namespace
from tests.integration.scenarios.conftest import TIME_SCALE
from tests.polling import eventually

MAX_PODS = 300


@pytest.fixture(scope="module")
def three_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    home = tmp_path_factory.mktemp("three-nodes")
    with EmbeddedCluster(home, time_scale=TIME_SCALE, nodes=3, max_pods=MAX_PODS) as running:
        yield running


@pytest.fixture()
def kc(three_nodes: EmbeddedCluster, tmp_path: Path) -> Kubectl:
    return Kubectl(three_nodes.kubeconfig, tmp_path)


@pytest.fixture()
def space(kc: Kubectl) -> Iterator[str]:
    yield from fresh_namespace(kc, "m")


def running_pods(kc: Kubectl, namespace: str, expected: int) -> list[dict] | None:
    pods = kc.json("get", "pods", "-n", namespace)["items"]
    running = [p for p in pods if p.get("status", {}).get("phase") == "Running"]
    return running if len(running) == expected == len(pods) else None


def test_nodes_report_the_max_pods_capacity_and_a_pod_range_that_fits_it(kc: Kubectl) -> None:
    nodes = kc.json("get", "nodes")["items"]
    assert len(nodes) == 3
    ranges = [ipaddress.ip_network(n["spec"]["podCIDR"]) for n in nodes]
    for node, pod_range in zip(nodes, ranges, strict=True):
        assert node["status"]["capacity"]["pods"] == str(MAX_PODS)
        assert node["status"]["allocatable"]["pods"] == str(MAX_PODS)
        assert pod_range.num_addresses - 3 >= MAX_PODS
        assert pod_range.subnet_of(ipaddress.ip_network("10.244.0.0/16"))
    assert not any(a.overlaps(b) for a in ranges for b in ranges if a is not b)


def test_replicas_that_request_nothing_spread_evenly(kc: Kubectl, space: str) -> None:
    kc("create", "deployment", "web", "--image=nginx:1.25", "--replicas=30", "-n", space)
    pods = eventually(lambda: running_pods(kc, space, 30), timeout=60)
    per_node = Counter(p["spec"]["nodeName"] for p in pods)
    assert sorted(per_node.values()) == [10, 10, 10], per_node


def test_one_node_runs_more_pods_than_a_slash_24_has_addresses(kc: Kubectl, space: str) -> None:
    nodes = [n["metadata"]["name"] for n in kc.json("get", "nodes")["items"]]
    for other in nodes[1:]:
        kc("cordon", other)
    try:
        kc("create", "deployment", "many", "--image=nginx:1.25", "--replicas=260", "-n", space)
        pods = eventually(lambda: running_pods(kc, space, 260), timeout=180, interval=1.0)
    finally:
        for other in nodes[1:]:
            kc("uncordon", other)
    assert {p["spec"]["nodeName"] for p in pods} == {nodes[0]}
    node = kc.json("get", "node", nodes[0])
    pod_range = ipaddress.ip_network(node["spec"]["podCIDR"])
    ips = [ipaddress.ip_address(p["status"]["podIP"]) for p in pods]
    assert len(set(ips)) == 260
    assert all(ip in pod_range for ip in ips)
    kc("delete", "deployment", "many", "-n", space)
    eventually(lambda: not kc.json("get", "pods", "-n", space)["items"], timeout=120)


def test_an_orphan_left_while_the_cluster_was_down_is_collected_at_start(tmp_path: Path) -> None:
    """The collector's first pass looks at every stored object, not only at changes."""
    with EmbeddedCluster(tmp_path, time_scale=TIME_SCALE) as running:
        kc = Kubectl(running.kubeconfig, tmp_path)
        kc("create", "configmap", "owner", "-n", "default")
        owner = kc.json("get", "configmap", "owner", "-n", "default")
        reference = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": "owner",
            "uid": owner["metadata"]["uid"],
        }
        dependent = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "dependent", "ownerReferences": [reference]},
        }
        kc("apply", "-n", "default", "-f", "-", input=json.dumps(dependent))
    store = ObjectStore(tmp_path / "cluster.db")
    store.delete("/configmaps", "default", "owner")
    store.close()
    with EmbeddedCluster(tmp_path, time_scale=TIME_SCALE) as running:
        kc = Kubectl(running.kubeconfig, tmp_path)
        eventually(
            lambda: "NotFound" in kc.run("get", "configmap", "dependent", check=False).stderr,
            timeout=20,
        )
