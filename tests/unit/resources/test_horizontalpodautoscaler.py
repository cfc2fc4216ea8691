"""HorizontalPodAutoscaler in v2 and v1: defaults, validation, conversion round trips, the row."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from kubelab.cluster.resources.horizontalpodautoscaler import (
    BEHAVIOR_ANNOTATION,
    METRICS_ANNOTATION,
    HorizontalPodAutoscalerStrategy,
    HorizontalPodAutoscalerV1Strategy,
    format_metrics,
)

V2 = HorizontalPodAutoscalerStrategy()
V1 = HorizontalPodAutoscalerV1Strategy()
NOW = datetime(2026, 1, 1, 0, 1, 0, tzinfo=UTC)
TARGET = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}


def v2(**spec: Any) -> dict[str, Any]:
    obj = {
        "metadata": {"name": "web", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"scaleTargetRef": dict(TARGET), "maxReplicas": 5, **spec},
    }
    V2.default(obj)
    return obj


def test_identity_and_versions() -> None:
    assert (V2.group, V2.version, V1.version) == ("autoscaling", "v2", "v1")
    assert V2.key == V1.key == "autoscaling/horizontalpodautoscalers"
    assert V2.short_names == ("hpa",) and V2.categories == ("all",)


def test_v2_defaults() -> None:
    spec = v2(behavior={"scaleDown": {"stabilizationWindowSeconds": 60}})["spec"]
    assert spec["minReplicas"] == 1
    assert spec["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 80},
            },
        }
    ]
    assert spec["behavior"]["scaleUp"]["policies"][0] == {
        "type": "Pods",
        "value": 4,
        "periodSeconds": 15,
    }
    assert spec["behavior"]["scaleDown"] == {
        "selectPolicy": "Max",
        "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
        "stabilizationWindowSeconds": 60,
    }


def test_validation() -> None:
    obj = v2(
        minReplicas=3,
        maxReplicas=2,
        metrics=[
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 0},
                },
            }
        ],
    )
    obj["spec"]["scaleTargetRef"]["name"] = ""
    assert [str(e) for e in V2.validate(obj)] == [
        "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`",
        "spec.scaleTargetRef.name: Required value",
        "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater "
        "than 0",
    ]
    no_target = v2(
        metrics=[
            {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization"}}}
        ]
    )
    assert [str(e) for e in V2.validate(no_target)] == [
        "spec.metrics[0].resource.target.averageUtilization: Required value: must set either a "
        "target raw value or a target utilization"
    ]


def test_v1_validation_names_the_v2_fields() -> None:
    obj = {
        "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": TARGET, "maxReplicas": 0, "targetCPUUtilizationPercentage": 0},
    }
    V1.default(obj)
    assert [str(e) for e in V1.validate(obj)] == [
        "spec.maxReplicas: Invalid value: 0: must be greater than 0",
        "spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`",
        "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater "
        "than 0",
    ]


def test_v1_to_v2_and_back() -> None:
    v1_obj = {
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": TARGET,
            "minReplicas": 2,
            "maxReplicas": 5,
            "targetCPUUtilizationPercentage": 50,
        },
    }
    stored = V1.to_storage(v1_obj)
    assert stored["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 50},
            },
        }
    ]
    assert V1.from_storage(stored)["spec"] == v1_obj["spec"]
    no_target = V1.to_storage(
        {"metadata": {"name": "web"}, "spec": {"scaleTargetRef": TARGET, "maxReplicas": 5}}
    )
    assert no_target["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 80


def test_v2_only_fields_travel_in_annotations() -> None:
    memory = {
        "type": "Resource",
        "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}},
    }
    stored = v2(metrics=[memory], behavior={"scaleUp": {"selectPolicy": "Min"}})
    stored["status"] = {"currentReplicas": 2, "desiredReplicas": 3}
    as_v1 = V1.from_storage(stored)
    annotations = as_v1["metadata"]["annotations"]
    assert json.loads(annotations[METRICS_ANNOTATION]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "100Mi"}}
    ]
    behavior = json.loads(annotations[BEHAVIOR_ANNOTATION])
    assert behavior["ScaleUp"]["SelectPolicy"] == "Min"
    assert behavior["ScaleDown"]["StabilizationWindowSeconds"] is None
    assert "targetCPUUtilizationPercentage" not in as_v1["spec"]
    assert as_v1["status"] == {"currentReplicas": 2, "desiredReplicas": 3}
    back = V1.to_storage(as_v1)
    assert back["spec"]["metrics"] == [memory]
    assert back["spec"]["behavior"] == stored["spec"]["behavior"]
    assert "annotations" not in back["metadata"]


def test_row_and_targets() -> None:
    obj = v2()
    obj["status"] = {
        "currentReplicas": 2,
        "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 42}}}
        ],
    }
    assert V2.row(obj, NOW) == ["web", "Deployment/web", "cpu: 42%/80%", "1", 5, 2, "60s"]
    assert V1.row(V1.from_storage(obj), NOW)[2] == "cpu: 42%/80%"
    pods = {
        "type": "Pods",
        "pods": {
            "metric": {"name": "rps"},
            "target": {"type": "AverageValue", "averageValue": "1k"},
        },
    }
    assert format_metrics([pods, pods, pods], []) == "<unknown>/1k, <unknown>/1k + 1 more..."
    assert format_metrics([], []) == "<none>"
