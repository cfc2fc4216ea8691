"""A Service in front of hundreds of pods: its EndpointSlices hold at most 100 endpoints each
and keep their names while pods come and go, and the legacy Endpoints object is cut at 1,000
addresses with the ``over-capacity`` annotation, as kube-controller-manager does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelab.cluster.controllers.endpoints import MAX_CAPACITY, truncate
from kubelab.cluster.embedded import EmbeddedCluster
from tests.conftest import Kubectl, fresh_namespace
from tests.integration.scenarios.conftest import TIME_SCALE
from tests.polling import eventually


@pytest.fixture(scope="module")
def roomy_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    home = tmp_path_factory.mktemp("roomy-node")
    with EmbeddedCluster(home, time_scale=TIME_SCALE, max_pods=300) as running:
        yield running


@pytest.fixture()
def kc(roomy_node: EmbeddedCluster, tmp_path: Path) -> Kubectl:
    return Kubectl(roomy_node.kubeconfig, tmp_path)


@pytest.fixture()
def space(kc: Kubectl) -> Iterator[str]:
    yield from fresh_namespace(kc, "eps")


def slices(kc: Kubectl, namespace: str) -> list[dict]:
    return kc.json(
        "get", "endpointslices", "-n", namespace, "-l", "kubernetes.io/service-name=web"
    )["items"]


def slices_holding(kc: Kubectl, namespace: str, count: int) -> list[dict] | None:
    """The Service's slices once they list ``count`` endpoints in all."""
    found = slices(kc, namespace)
    total = sum(len(s.get("endpoints") or []) for s in found)
    return found if total == count else None


def test_a_250_pod_service_gets_three_slices_that_keep_their_names(kc: Kubectl, space: str) -> None:
    kc("create", "deployment", "web", "-n", space, "--image=nginx:1.25", "--replicas=250")
    kc("expose", "deployment", "web", "-n", space, "--port=80")
    found = eventually(lambda: slices_holding(kc, space, 250), timeout=120)
    assert sorted(len(s["endpoints"]) for s in found) == [50, 100, 100]
    for endpoint_slice in found:
        assert re.fullmatch(r"web-[a-z0-9]{5}", endpoint_slice["metadata"]["name"])
        labels = endpoint_slice["metadata"]["labels"]
        assert labels["endpointslice.kubernetes.io/managed-by"] == (
            "endpointslice-controller.k8s.io"
        )
        assert endpoint_slice["ports"] == [{"name": "", "port": 80, "protocol": "TCP"}]
    addresses = [a for s in found for e in s["endpoints"] for a in e["addresses"]]
    assert len(set(addresses)) == 250
    names = {s["metadata"]["name"] for s in found}

    endpoints = kc.json("get", "endpoints", "web", "-n", space)
    assert "endpoints.kubernetes.io/over-capacity" not in (
        endpoints["metadata"].get("annotations") or {}
    )

    # Pods going and coming change the slices they are in, not the set of slices.
    kc("scale", "deployment", "web", "-n", space, "--replicas=220")
    after_scale_down = eventually(lambda: slices_holding(kc, space, 220), timeout=60)
    assert {s["metadata"]["name"] for s in after_scale_down} == names
    kc("scale", "deployment", "web", "-n", space, "--replicas=270")
    after_scale_up = eventually(lambda: slices_holding(kc, space, 270), timeout=60)
    assert {s["metadata"]["name"] for s in after_scale_up} == names
    assert all(len(s["endpoints"]) <= 100 for s in after_scale_up)
    addresses = [a for s in after_scale_up for e in s["endpoints"] for a in e["addresses"]]
    assert len(set(addresses)) == 270


def address(index: int) -> dict:
    return {"ip": f"10.244.{index // 250}.{index % 250 + 1}"}


def test_endpoints_keep_ready_addresses_first_when_truncated() -> None:
    ports = [{"port": 80, "protocol": "TCP"}]
    subsets = [
        {"addresses": [address(i) for i in range(600)], "ports": ports},
        {
            "addresses": [address(i) for i in range(600, 900)],
            "notReadyAddresses": [address(i) for i in range(900, 1100)],
            "ports": ports,
        },
    ]
    assert truncate(subsets)
    assert len(subsets[0]["addresses"]) == 600
    assert len(subsets[1]["addresses"]) == 300
    assert len(subsets[1]["notReadyAddresses"]) == MAX_CAPACITY - 900


def test_endpoints_cut_ready_addresses_in_proportion_when_they_alone_overflow() -> None:
    ports = [{"port": 80, "protocol": "TCP"}]
    subsets = [
        {"addresses": [address(i) for i in range(900)], "ports": ports},
        {
            "addresses": [address(i) for i in range(900, 1200)],
            "notReadyAddresses": [address(1200)],
            "ports": ports,
        },
    ]
    assert truncate(subsets)
    # 900/1200 and 300/1200 of 1,000, rounded up, capped by what is left.
    assert len(subsets[0]["addresses"]) == 750
    assert len(subsets[1]["addresses"]) == 250
    assert "notReadyAddresses" not in subsets[1]


def test_endpoints_at_capacity_are_left_alone() -> None:
    subsets = [{"addresses": [address(i) for i in range(MAX_CAPACITY)], "ports": []}]
    assert not truncate(subsets)
    assert len(subsets[0]["addresses"]) == MAX_CAPACITY
