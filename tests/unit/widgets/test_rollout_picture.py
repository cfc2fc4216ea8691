"""The rollout view: a sample on each change of the Deployment's ReplicaSets, newest first, and
a history line for every ReplicaSet that had pods while it was watched."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from kubelab.widgets.rollout import Rollout, set_states
from tests.unit.widgets.objects import deployment, replicaset
from tests.unit.widgets.svgdata import SVG, by_name, groups


def step(old: int, new: int | None) -> dict[str, list]:
    sets = [replicaset("web-1", old, old, "web", revision=1, image="nginx:1.25")]
    if new is not None:
        sets.append(replicaset("web-2", new, new, "web", revision=2, image="nginx:1.27"))
    sets.append(replicaset("other-1", 5, 5, "other", revision=9))
    return {"Deployment": [deployment("web", 3, 3), deployment("other", 5, 5)], "ReplicaSet": sets}


def test_only_the_deployments_own_replicasets_count_newest_first():
    objects = step(1, 2)
    states = set_states(objects["Deployment"][0], objects["ReplicaSet"])
    assert [(s.name, s.revision, s.image, s.desired) for s in states] == [
        ("web-2", 2, "nginx:1.27", 2),
        ("web-1", 1, "nginx:1.25", 1),
    ]


def test_a_sample_is_kept_only_when_the_sets_change():
    picture = Rollout("web", "lesson")
    for at, (old, new) in enumerate([(3, None), (3, None), (3, 1), (2, 1), (2, 1), (0, 3)]):
        picture.observe(step(old, new), float(at))
    assert [sample.at for sample in picture.samples] == [0.0, 2.0, 3.0, 5.0]
    assert picture.summary() == "Rollout of deployment web: web-2 3/3"


def test_the_drawing_shows_both_sets_and_their_history_after_the_hand_over():
    picture = Rollout("web", "lesson")
    for at, (old, new) in enumerate([(3, None), (2, 1), (1, 2), (0, 3)]):
        picture.observe(step(old, new), float(at * 5))
    svg = picture.svg(20.0)
    assert [g.get("data-name") for g in groups(svg, "replicaset")] == ["web-2", "web-1"]
    sets = by_name(svg, "replicaset")
    assert sets["web-1"].get("data-replicas") == "0"
    assert sets["web-2"].get("data-ready") == "3"
    lines = {
        line.get("data-name"): line.get("points")
        for line in ET.fromstring(svg).iter(f"{SVG}polyline")
    }
    assert set(lines) == {"web-1", "web-2"}
    # The old set's line starts high and ends on the axis; the new one's does the opposite.
    old_points = [tuple(map(float, p.split(","))) for p in lines["web-1"].split()]
    new_points = [tuple(map(float, p.split(","))) for p in lines["web-2"].split()]
    assert old_points[0][1] < old_points[-1][1]
    assert new_points[0][1] > new_points[-1][1]


def test_a_missing_deployment_is_said_so():
    picture = Rollout("nope", "lesson")
    assert "Looking for it" in picture.svg(0.0)
    picture.observe(step(3, None), 0.0)
    assert "No such Deployment (yet)" in picture.svg(1.0)
    assert picture.summary() == "Rollout of deployment nope: no pods"
