"""The HorizontalPodAutoscaler's arithmetic: upstream's formula, tolerance, unready and missing
pods, scaling policies and conditions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.client import LocalClient
from kubelab.cluster.clock import Clock
from kubelab.cluster.controllers.horizontalpodautoscaler import (
    CalculationError,
    History,
    HorizontalPodAutoscalerController,
    PodMetric,
    ScaleEvent,
    Tolerances,
    calculate_replicas,
    group_pods,
    pod_requests,
    scale_down_limit,
    scale_up_limit,
    set_condition,
)
from kubelab.cluster.resources.builtin import builtin_registry
from kubelab.cluster.resources.printing import format_time
from kubelab.cluster.store.objects import ObjectStore

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
LONG_AGO = format_time(NOW - timedelta(hours=1))


def pod(name: str, cpu: str = "100m", phase: str = "Running", ready: str = "True") -> dict:
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": cpu}}}]},
        "status": {
            "phase": phase,
            "startTime": LONG_AGO,
            "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": LONG_AGO}],
        },
    }


def sample(value: int) -> PodMetric:
    return PodMetric(value, NOW)


def utilization_replicas(
    current: int, pods: list[dict], usage: dict[str, int], target: int
) -> tuple[int, dict[str, int]]:
    """Replicas for a CPU utilization target, as the controller computes them."""
    requests = pod_requests(pods, "cpu", "")

    def ratio(values: dict[str, int]) -> float:
        requested = sum(requests[n] for n in values)
        return (sum(values.values()) * 100 // requested) / target

    return calculate_replicas(
        current,
        pods,
        {n: sample(v) for n, v in usage.items()},
        "cpu",
        ratio,
        lambda name: requests[name],
        Tolerances(),
        NOW,
    )


def test_desired_is_the_ceiling_of_current_times_ratio() -> None:
    pods = [pod("a"), pod("b")]
    replicas, _ = utilization_replicas(2, pods, {"a": 160, "b": 160}, 50)
    assert replicas == 7  # ceil(2 * 160 / 50)


def test_a_ratio_within_the_tolerance_changes_nothing() -> None:
    pods = [pod("a"), pod("b")]
    assert utilization_replicas(2, pods, {"a": 54, "b": 54}, 50)[0] == 2
    assert utilization_replicas(2, pods, {"a": 56, "b": 56}, 50)[0] == 3


def test_scale_down() -> None:
    pods = [pod(n) for n in "abcd"]
    assert utilization_replicas(4, pods, dict.fromkeys("abcd", 10), 50)[0] == 1


def test_unready_pods_count_as_idle_on_a_scale_up() -> None:
    pods = [pod("a"), pod("b", ready="False")]
    # a alone is at 200% (ratio 4), so b is counted at 0: (200 + 0) / 2 = 100% -> ratio 2.
    replicas, measured = utilization_replicas(2, pods, {"a": 200, "b": 200}, 50)
    assert replicas == 4
    assert measured == {"a": 200}


def test_pending_pods_are_not_measured() -> None:
    pods = [pod("a"), pod("b", phase="Pending")]
    replicas, _ = utilization_replicas(2, pods, {"a": 25}, 50)
    assert replicas == 1


def test_missing_metrics_count_as_full_requests_on_a_scale_down() -> None:
    pods = [pod("a"), pod("b")]
    # a is at 10%; b has no metrics and counts as 100%: 55% overall is within tolerance.
    assert utilization_replicas(2, pods, {"a": 10}, 50)[0] == 2


def test_deleted_and_failed_pods_are_ignored() -> None:
    deleted = pod("b")
    deleted["metadata"]["deletionTimestamp"] = LONG_AGO
    pods = [pod("a"), deleted, pod("c", phase="Failed")]
    ready, unready, missing, ignored = group_pods(
        pods, {"a": sample(1), "b": sample(1)}, "cpu", NOW
    )
    assert (ready, unready, missing, ignored) == (1, set(), set(), {"b", "c"})


def test_a_pod_that_just_became_ready_is_not_yet_trusted() -> None:
    fresh = pod("a")
    fresh["status"]["startTime"] = format_time(NOW - timedelta(seconds=60))
    fresh["status"]["conditions"][0]["lastTransitionTime"] = format_time(NOW - timedelta(seconds=5))
    assert group_pods([fresh], {"a": sample(1)}, "cpu", NOW)[1] == {"a"}
    assert group_pods([fresh], {"a": sample(1)}, "memory", NOW)[0] == 1


def test_no_metrics_at_all_is_an_error() -> None:
    with pytest.raises(CalculationError, match="did not receive metrics for targeted pods"):
        utilization_replicas(1, [pod("a", phase="Pending")], {}, 50)


def test_requests_are_required() -> None:
    bare = pod("a")
    bare["spec"]["containers"][0]["resources"] = {}
    with pytest.raises(CalculationError, match="missing request for cpu in container app of Pod a"):
        pod_requests([bare], "cpu", "")


def test_sidecars_count_but_init_containers_do_not() -> None:
    p = pod("a", cpu="100m")
    p["spec"]["initContainers"] = [
        {"name": "setup", "resources": {"requests": {"cpu": "1"}}},
        {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}},
    ]
    assert pod_requests([p], "cpu", "") == {"a": 150}
    assert pod_requests([p], "cpu", "proxy") == {"a": 50}


def test_scale_up_policies() -> None:
    rules = {
        "selectPolicy": "Max",
        "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ],
    }
    assert scale_up_limit(2, [], rules, NOW) == 6
    assert scale_up_limit(10, [], rules, NOW) == 20
    recent = [ScaleEvent(3, NOW - timedelta(seconds=5))]
    assert scale_up_limit(5, recent, rules, NOW) == 6, "the period started at 2 replicas"
    assert scale_up_limit(5, [], {**rules, "selectPolicy": "Min"}, NOW) == 9
    assert scale_up_limit(5, [], {**rules, "selectPolicy": "Disabled"}, NOW) == 5


def test_scale_down_policies() -> None:
    rules = {
        "selectPolicy": "Max",
        "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
    }
    assert scale_down_limit(10, [], rules, NOW) == 5
    recent = [ScaleEvent(2, NOW - timedelta(seconds=30))]
    assert scale_down_limit(8, recent, rules, NOW) == 5


def test_conditions_keep_their_transition_time_while_unchanged() -> None:
    hpa: dict[str, Any] = {}
    set_condition(hpa, "AbleToScale", "True", "SucceededGetScale", "ok", "t1")
    set_condition(hpa, "AbleToScale", "True", "ReadyForNewScale", "still ok", "t2")
    [condition] = hpa["status"]["conditions"]
    assert condition == {
        "type": "AbleToScale",
        "lastTransitionTime": "t1",
        "status": "True",
        "reason": "ReadyForNewScale",
        "message": "still ok",
    }
    set_condition(hpa, "AbleToScale", "False", "FailedGetScale", "no", "t3")
    assert hpa["status"]["conditions"][0]["lastTransitionTime"] == "t3"


# --- normalization -------------------------------------------------------------------------------


def autoscaler(maximum: int = 10, minimum: int = 1, behavior: dict | None = None) -> dict:
    spec: dict[str, Any] = {"minReplicas": minimum, "maxReplicas": maximum}
    if behavior is not None:
        spec["behavior"] = behavior
    return {"metadata": {"name": "web", "namespace": "team"}, "spec": spec, "status": {}}


def conditions(hpa: dict) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in hpa["status"]["conditions"]}


@pytest.fixture()
def controller() -> HorizontalPodAutoscalerController:
    api = ObjectAPI(ObjectStore(), builtin_registry(), Clock())
    return HorizontalPodAutoscalerController(LocalClient(api, "horizontal-pod-autoscaler"))


def test_without_behavior_a_scale_up_at_most_doubles(
    controller: HorizontalPodAutoscalerController,
) -> None:
    hpa = autoscaler(maximum=10)
    assert controller._normalize(hpa, History(), 1, 10, 1) == 4
    assert conditions(hpa)["ScalingLimited"] == ("True", "ScaleUpLimit")
    hpa = autoscaler(maximum=3)
    assert controller._normalize(hpa, History(), 1, 10, 1) == 3
    assert conditions(hpa)["ScalingLimited"] == ("True", "TooManyReplicas")


def test_without_behavior_scale_down_waits_for_the_window(
    controller: HorizontalPodAutoscalerController,
) -> None:
    now = controller._now()
    history = History(recommendations=[(4, now - timedelta(seconds=100))])
    hpa = autoscaler()
    assert controller._normalize(hpa, history, 4, 1, 1) == 4
    assert conditions(hpa)["AbleToScale"] == ("True", "ScaleDownStabilized")
    history = History(recommendations=[(4, now - timedelta(seconds=301))])
    hpa = autoscaler()
    assert controller._normalize(hpa, history, 4, 1, 1) == 1
    assert conditions(hpa)["AbleToScale"] == ("True", "ReadyForNewScale")
    assert history.recommendations[0][0] == 1, "the old sample is replaced"


def test_behavior_policies_limit_the_rate(controller: HorizontalPodAutoscalerController) -> None:
    behavior = {
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}],
        },
        "scaleDown": {
            "stabilizationWindowSeconds": 30,
            "selectPolicy": "Max",
            "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
        },
    }
    hpa = autoscaler(maximum=20, behavior=behavior)
    assert controller._normalize_with_behavior(hpa, History(), 3, 12, 1) == 5
    assert conditions(hpa)["ScalingLimited"] == ("True", "ScaleUpLimit")
    now = controller._now()
    recent = History(recommendations=[(6, now - timedelta(seconds=10))])
    hpa = autoscaler(maximum=20, behavior=behavior)
    assert controller._normalize_with_behavior(hpa, recent, 6, 2, 1) == 6
    assert conditions(hpa)["AbleToScale"] == ("True", "ScaleDownStabilized")
    settled = History(recommendations=[(6, now - timedelta(seconds=40))])
    hpa = autoscaler(maximum=20, behavior=behavior)
    assert controller._normalize_with_behavior(hpa, settled, 6, 2, 1) == 5
    assert conditions(hpa)["ScalingLimited"] == ("True", "ScaleDownLimit")
