"""The resources view: QoS classes as the kubelet assigns them, requests summed per node against
allocatable, and overcommitted limits pointed out."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kubelab.widgets.resources import format_amount, pod_resources, qos_class, resources_svg
from tests.unit.widgets.objects import node, pod
from tests.unit.widgets.svgdata import SVG, by_name, groups, texts


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({}, "BestEffort"),
        ({"limits": {"cpu": "500m", "memory": "128Mi"}}, "Guaranteed"),
        (
            {
                "requests": {"cpu": "0.5", "memory": "128Mi"},
                "limits": {"cpu": "500m", "memory": "128Mi"},
            },
            "Guaranteed",
        ),
        ({"requests": {"cpu": "100m"}}, "Burstable"),
        (
            {
                "requests": {"cpu": "100m", "memory": "64Mi"},
                "limits": {"cpu": "200m", "memory": "64Mi"},
            },
            "Burstable",
        ),
        ({"limits": {"cpu": "1"}}, "Burstable"),
    ],
)
def test_qos_class_follows_requests_and_limits(resources, expected):
    assert qos_class([{"name": "app", "resources": resources}]) == expected


def test_requests_default_to_limits_and_a_missing_limit_means_none():
    limited = pod_resources(pod("a", resources={"limits": {"cpu": "250m", "memory": "1Gi"}}))
    assert limited.requests == {"cpu": Fraction(1, 4), "memory": Fraction(2**30)}
    assert limited.qos == "Guaranteed"
    open_ended = pod_resources(pod("b", resources={"requests": {"cpu": "100m"}}))
    assert open_ended.limits == {"cpu": None, "memory": None}
    assert open_ended.unset == {"memory"}


@pytest.mark.parametrize(
    ("resource", "amount", "text"),
    [
        ("cpu", Fraction(1, 4), "250m"),
        ("cpu", Fraction(3, 2), "1.5"),
        ("memory", Fraction(64 * 2**20), "64Mi"),
        ("memory", Fraction(3 * 2**29), "1.5Gi"),
        ("cpu", None, "no limit"),
        ("memory", Fraction(0), "0"),
    ],
)
def test_amounts_are_written_as_kubectl_would(resource, amount, text):
    assert format_amount(resource, amount) == text


def test_each_node_sums_the_requests_of_every_namespace_and_lists_its_own_pods():
    steady = {"limits": {"cpu": "500m", "memory": "256Mi"}}
    greedy = {"requests": {"cpu": "1"}, "limits": {"cpu": "3"}}
    pods = [
        pod("steady", resources=steady),
        pod("greedy", resources=greedy),
        pod("neighbour", resources={"requests": {"cpu": "250m"}}, namespace="other"),
        pod("finished", phase="Succeeded", resources={"requests": {"cpu": "2"}}),
        pod("elsewhere", node_name="node-2", resources={"requests": {"memory": "1Gi"}}),
    ]
    svg = resources_svg([node("node-1"), node("node-2")], pods, "lesson")
    nodes = by_name(svg, "node")
    bars = {
        bar.get("data-resource"): bar
        for bar in nodes["node-1"].iter(f"{SVG}g")
        if bar.get("class") == "bar"
    }
    assert bars["cpu"].get("data-allocatable") == "2"
    assert bars["cpu"].get("data-requested") == "1.75"
    assert "limits overcommit" in svg
    shown = [g.get("data-pod") for g in bars["cpu"].iter(f"{SVG}g") if g.get("class") == "request"]
    assert sorted(shown) == ["greedy", "neighbour", "steady"]
    listed = {g.get("data-name"): g.get("data-qos") for g in groups(svg, "pod")}
    assert listed == {"steady": "Guaranteed", "greedy": "Burstable", "elsewhere": "Burstable"}
    assert "not set" in texts(by_name(svg, "pod")["greedy"])
