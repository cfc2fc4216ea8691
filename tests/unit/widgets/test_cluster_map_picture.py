"""The cluster map drawn from API objects: ownership, placement on nodes, and Service
endpoints, read back from the SVG's elements."""

from __future__ import annotations

from kubelab.widgets.cluster_map import UNSCHEDULED, cluster_map_svg
from tests.unit.widgets.objects import (
    deployment,
    endpoint_slice,
    node,
    pod,
    replicaset,
    service,
)
from tests.unit.widgets.svgdata import SVG, by_name, groups, texts


def rolling_update() -> dict[str, list]:
    """Deployment web half way through a rolling update, across two nodes."""
    return {
        "Node": [node("node-2"), node("node-1")],
        "Deployment": [deployment("web", 3, 2, updated=1)],
        "ReplicaSet": [
            replicaset("web-old", 2, 2, "web", revision=1),
            replicaset("web-new", 1, 0, "web", revision=2),
            replicaset("web-older", 0, 0, "web", revision=0),
        ],
        "Pod": [
            pod("web-old-a", "node-1", owned_by="web-old"),
            pod("web-old-b", "node-2", owned_by="web-old"),
            pod(
                "web-new-c",
                "node-1",
                ready=False,
                state={"waiting": {"reason": "ContainerCreating"}},
                owned_by="web-new",
            ),
            pod("web-new-d", None, phase="Pending", ready=False, state={}, owned_by="web-new"),
        ],
        "Service": [service("web")],
        "EndpointSlice": [
            endpoint_slice("web", {"web-old-a": True, "web-old-b": True, "web-new-c": False})
        ],
    }


def test_pods_sit_in_the_frame_of_their_node_and_unscheduled_ones_apart():
    svg = cluster_map_svg(rolling_update(), "lesson")
    nodes = groups(svg, "node")
    assert [g.get("data-name") for g in nodes] == ["node-1", "node-2", UNSCHEDULED]
    members = {
        g.get("data-name"): sorted(
            p.get("data-name") for p in g.iter(f"{SVG}g") if p.get("class") == "pod"
        )
        for g in nodes
    }
    assert members == {
        "node-1": ["web-new-c", "web-old-a"],
        "node-2": ["web-old-b"],
        UNSCHEDULED: ["web-new-d"],
    }
    assert [g.get("data-ready") for g in nodes] == ["true", "true", "unknown"]


def test_each_pod_says_what_kubectl_get_pods_would():
    pods = by_name(cluster_map_svg(rolling_update(), "lesson"), "pod")
    assert {name: g.get("data-status") for name, g in pods.items()} == {
        "web-old-a": "Running",
        "web-old-b": "Running",
        "web-new-c": "ContainerCreating",
        "web-new-d": "Pending",
    }
    assert pods["web-old-a"].get("data-ready") == "true"
    assert pods["web-new-c"].get("data-ready") == "false"
    assert "ContainerCreating · 0/1 ready" in texts(pods["web-new-c"])


def test_replicasets_scaled_to_zero_are_left_out_and_revisions_shown():
    svg = cluster_map_svg(rolling_update(), "lesson")
    sets = by_name(svg, "replicaset")
    assert set(sets) == {"web-old", "web-new"}
    assert "0 of 1 ready · revision 2" in texts(sets["web-new"])
    [web] = groups(svg, "deployment")
    assert "2/3 ready · 1 up to date" in texts(web)


def test_ownership_lines_join_deployment_replicasets_and_their_pods():
    svg = cluster_map_svg(rolling_update(), "lesson")
    [links] = groups(svg, "owner-links")
    # One line from the Deployment to each shown ReplicaSet, one from a ReplicaSet to each pod.
    assert len(list(links.iter(f"{SVG}path"))) == 2 + 4


def test_service_arrows_go_to_its_endpoints_dashed_when_not_ready():
    svg = cluster_map_svg(rolling_update(), "lesson")
    [web] = groups(svg, "service")
    assert sorted(web.get("data-endpoints").split()) == ["web-old-a", "web-old-b"]
    arrows = {p.get("data-pod"): p for p in web.iter(f"{SVG}path") if p.get("class") == "endpoint"}
    assert set(arrows) == {"web-old-a", "web-old-b", "web-new-c"}
    assert arrows["web-new-c"].get("data-ready") == "false"
    assert arrows["web-new-c"].get("stroke-dasharray")
    assert arrows["web-old-a"].get("stroke-dasharray") is None
    assert "ClusterIP 80 · 2 endpoints" in texts(web)


def test_terminating_and_crash_looping_pods_are_told_apart():
    objects = {
        "Node": [node("node-1")],
        "Pod": [
            pod("leaving", deleting=True),
            pod(
                "crashing",
                ready=False,
                state={"waiting": {"reason": "CrashLoopBackOff"}},
                restarts=3,
            ),
            pod(
                "done",
                phase="Succeeded",
                ready=False,
                state={"terminated": {"reason": "Completed"}},
            ),
        ],
    }
    pods = by_name(cluster_map_svg(objects), "pod")
    assert pods["leaving"].get("data-status") == "Terminating"
    assert pods["leaving"].get("data-ready") == "false"
    assert pods["crashing"].get("data-status") == "CrashLoopBackOff"
    assert "CrashLoopBackOff · 0/1 ready · 3 restarts" in texts(pods["crashing"])
    assert pods["done"].get("data-status") == "Completed"


def test_names_are_escaped_and_an_empty_namespace_still_draws():
    objects = {"Node": [node("node-1")], "Service": [service('a<b>&"c')]}
    svg = cluster_map_svg(objects, "empty")
    assert by_name(svg, "service").keys() == {'a<b>&"c'}
    assert "no pods here" in svg
    assert "1 node · 0 pods, 0 ready" in svg
