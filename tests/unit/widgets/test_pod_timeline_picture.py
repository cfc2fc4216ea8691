"""The pod timeline: one segment per state in each lane (equal neighbours merged), a mark per
restart, and Events where they were seen."""

from __future__ import annotations

from kubelab.widgets.timeline import PodTimeline, container_states
from tests.unit.widgets.objects import pod
from tests.unit.widgets.svgdata import groups


def crash(restarts: int, state: dict, ready: bool = False) -> dict:
    return pod("crash", ready=ready, state=state, restarts=restarts)


def event(uid: str, reason: str, message: str = "", count: int = 1) -> dict:
    return {
        "metadata": {"uid": uid, "name": uid},
        "involvedObject": {"kind": "Pod", "name": "crash"},
        "reason": reason,
        "message": message,
        "count": count,
    }


def crash_loop() -> PodTimeline:
    picture = PodTimeline("crash", "lesson")
    scheduled = event("e1", "Scheduled", "assigned lesson/crash to node-1")
    unrelated = {**event("e9", "Started"), "involvedObject": {"kind": "Pod", "name": "other"}}
    steps = [
        (0.0, crash(0, {"waiting": {"reason": "ContainerCreating"}}), [scheduled, unrelated]),
        (1.0, crash(0, {"running": {}}, ready=True), [scheduled]),
        (2.0, crash(0, {"running": {}}, ready=True), [scheduled]),
        (4.0, crash(0, {"terminated": {"reason": "Error", "exitCode": 1}}), [scheduled]),
        (
            4.5,
            crash(1, {"waiting": {"reason": "CrashLoopBackOff"}}),
            [scheduled, event("e2", "BackOff", "Back-off restarting failed container")],
        ),
        (9.0, crash(1, {"running": {}}, ready=True), []),
        (
            11.0,
            crash(2, {"waiting": {"reason": "CrashLoopBackOff"}}),
            [event("e2", "BackOff", count=2)],
        ),
    ]
    for at, obj, events in steps:
        picture.observe({"Pod": [obj], "Event": events}, at)
    return picture


def test_container_states_read_like_the_api_reports_them():
    [waiting] = container_states(crash(2, {"waiting": {"reason": "CrashLoopBackOff"}}))
    assert (waiting.state, waiting.reason, waiting.restarts) == ("waiting", "CrashLoopBackOff", 2)
    [ended] = container_states(crash(0, {"terminated": {"reason": "Error", "exitCode": 1}}))
    assert ended.reason == "Error (exit 1)"
    [unknown] = container_states({"spec": {"containers": [{"name": "app"}]}, "status": {}})
    assert (unknown.name, unknown.state, unknown.reason) == ("app", "waiting", "ContainerCreating")


def test_samples_are_kept_only_when_something_changes():
    picture = crash_loop()
    assert [sample.at for sample in picture.samples] == [0.0, 1.0, 4.0, 4.5, 9.0, 11.0]


def test_lanes_merge_equal_neighbours_and_mark_each_restart():
    svg = crash_loop().svg(12.0)
    phases = groups(svg, "phase")
    assert [g.get("data-label") for g in phases] == ["Running"]
    states = [g.get("data-label") for g in groups(svg, "container-state")]
    assert states == [
        "ContainerCreating",
        "running",
        "Error (exit 1)",
        "CrashLoopBackOff",
        "running",
        "CrashLoopBackOff",
    ]
    assert len(groups(svg, "ready")) == 2
    assert [g.get("data-count") for g in groups(svg, "restart")] == ["1", "2"]


def test_events_seen_at_the_start_are_summed_up_and_later_ones_placed():
    picture = crash_loop()
    svg = picture.svg(12.0)
    assert "Before watching: Scheduled" in svg
    assert [g.get("data-reason") for g in groups(svg, "event")] == ["BackOff"]
    assert "Started" not in svg  # the event was about another pod
    assert picture.summary() == "Lifecycle of pod crash: Running, app CrashLoopBackOff"


def test_a_pod_that_is_not_there_yet():
    picture = PodTimeline("later", "lesson")
    assert "Looking for the pod" in picture.svg(0.0)
    picture.observe({"Pod": [], "Event": []}, 0.0)
    assert "No such Pod (yet)" in picture.svg(1.0)
    assert picture.summary() == "Lifecycle of pod later: not found"
