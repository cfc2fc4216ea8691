"""HorizontalPodAutoscaler (``horizontalpodautoscalers.autoscaling``) in v2 and v1.

autoscaling/v2 is the stored form. autoscaling/v1 only knows a CPU utilization target, so, as
upstream does, everything else a v2 object holds (other metrics, current metrics, behavior,
conditions) travels through v1 in ``autoscaling.alpha.kubernetes.io/*`` annotations and comes
back from them: :meth:`HorizontalPodAutoscalerV1Strategy.to_storage` and ``from_storage``.
A v1 object is validated as the v2 object it becomes, so its errors name the v2 fields
(``spec.metrics[0].resource.target.averageUtilization``), as kube-apiserver's do.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import (
    FieldError,
    forbidden_field,
    invalid,
    not_supported,
    required,
)
from kubelab.cluster.quantity import Quantity, QuantityError
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.podspec import (
    dns_label,
    schema_doc,
    validate_label_selector,
)
from kubelab.cluster.resources.printing import age
from kubelab.cluster.resources.validation import path_segment_errors

METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics"
CURRENT_METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior"
ROUND_TRIP_ANNOTATIONS = (
    METRICS_ANNOTATION,
    BEHAVIOR_ANNOTATION,
    "autoscaling.alpha.kubernetes.io/scale-down-tolerance",
    "autoscaling.alpha.kubernetes.io/scale-up-tolerance",
    CURRENT_METRICS_ANNOTATION,
    CONDITIONS_ANNOTATION,
)
DEFAULT_CPU_UTILIZATION = 80
MIN_REPLICAS_LOWER_BOUND = 1
MAX_STABILIZATION_WINDOW_SECONDS = 3600
MAX_PERIOD_SECONDS = 1800
METRIC_SOURCE_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"]
_SOURCE_KEYS = {
    "Object": "object",
    "Pods": "pods",
    "Resource": "resource",
    "External": "external",
    "ContainerResource": "containerResource",
}
_GROUP_VERSION = re.compile(r"^(?:[^/]*|[^/]+/[^/]+)$")

_V2 = "io.k8s.api.autoscaling.v2"


def _scale_up_rules() -> dict[str, Any]:
    return {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ],
    }


def _scale_down_rules() -> dict[str, Any]:
    return {
        "selectPolicy": "Max",
        "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
    }


class HorizontalPodAutoscalerStrategy(ResourceStrategy):
    """autoscaling/v2, the stored version."""

    group = "autoscaling"
    version = "v2"
    kind = "HorizontalPodAutoscaler"
    plural = "horizontalpodautoscalers"
    short_names = ("hpa",)
    categories = ("all",)
    subresources = ("status",)
    columns = (
        NAME_COLUMN,
        Column(
            "Reference",
            description=schema_doc(f"{_V2}.HorizontalPodAutoscalerSpec", "scaleTargetRef"),
        ),
        Column("Targets", description=schema_doc(f"{_V2}.HorizontalPodAutoscalerSpec", "metrics")),
        Column(
            "MinPods", description=schema_doc(f"{_V2}.HorizontalPodAutoscalerSpec", "minReplicas")
        ),
        Column(
            "MaxPods", description=schema_doc(f"{_V2}.HorizontalPodAutoscalerSpec", "maxReplicas")
        ),
        Column(
            "Replicas",
            description=schema_doc(f"{_V2}.HorizontalPodAutoscalerStatus", "currentReplicas"),
        ),
        AGE_COLUMN,
    )

    def default(self, obj: dict[str, Any]) -> None:
        """A minimum of one replica, an 80% CPU target when no metric is given, full behavior."""
        spec = obj.setdefault("spec", {})
        if spec.get("minReplicas") is None:
            spec["minReplicas"] = 1
        if not spec.get("metrics"):
            spec["metrics"] = [_cpu_metric(DEFAULT_CPU_UTILIZATION)]
        for metric in spec["metrics"]:
            for source in (metric or {}).values():
                if isinstance(source, dict) and isinstance(source.get("target"), dict):
                    _canonical_quantities(source["target"], ("value", "averageValue"))
        behavior = spec.get("behavior")
        if isinstance(behavior, dict):
            behavior["scaleUp"] = _fill_rules(behavior.get("scaleUp"), _scale_up_rules())
            behavior["scaleDown"] = _fill_rules(behavior.get("scaleDown"), _scale_down_rules())

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return hpa_spec_errors(obj.get("spec") or {})

    def validate_status_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        status = obj.get("status") or {}
        errors = []
        for key in ("currentReplicas", "desiredReplicas"):
            value = status.get(key, 0)
            if isinstance(value, int) and value < 0:
                errors.append(invalid(f"status.{key}", value, "must be greater than or equal to 0"))
        return errors

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        target = spec.get("scaleTargetRef") or {}
        min_replicas = spec.get("minReplicas")
        return [
            obj["metadata"]["name"],
            f"{target.get('kind', '')}/{target.get('name', '')}",
            format_metrics(spec.get("metrics") or [], status.get("currentMetrics") or []),
            "<unset>" if min_replicas is None else str(min_replicas),
            spec.get("maxReplicas", 0),
            status.get("currentReplicas", 0),
            age(obj, now),
        ]


class HorizontalPodAutoscalerV1Strategy(HorizontalPodAutoscalerStrategy):
    """autoscaling/v1, served by conversion to and from the stored v2 object."""

    version = "v1"

    def default(self, obj: dict[str, Any]) -> None:
        spec = obj.setdefault("spec", {})
        if spec.get("minReplicas") is None:
            spec["minReplicas"] = 1

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return super().validate(self.to_storage(obj))

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return super().row(self.to_storage(obj), now)

    def to_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        """v1 → v2: the CPU target becomes a metric; annotations give back the rest."""
        return v1_to_v2(obj)

    def from_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        """v2 → v1: what v1 cannot hold goes into the round-trip annotations."""
        return v2_to_v1(obj)


def _cpu_metric(utilization: int) -> dict[str, Any]:
    return {
        "type": "Resource",
        "resource": {
            "name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": utilization},
        },
    }


def _fill_rules(rules: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """``copyHPAScalingRules``: the learner's values over upstream's defaults."""
    if not isinstance(rules, dict):
        return defaults
    for key in ("selectPolicy", "stabilizationWindowSeconds", "policies", "tolerance"):
        if rules.get(key) is not None:
            defaults[key] = rules[key]
    return defaults


def _canonical_quantities(target: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if target.get(key) is None:
            continue
        try:
            target[key] = str(Quantity.parse(target[key]))
        except QuantityError:
            continue


# --- validation ---------------------------------------------------------------------------------


def hpa_spec_errors(spec: dict[str, Any]) -> list[FieldError]:
    """``validateHorizontalPodAutoscalerSpec``."""
    errors: list[FieldError] = []
    min_replicas = spec.get("minReplicas")
    max_replicas = spec.get("maxReplicas", 0)
    if isinstance(min_replicas, int) and min_replicas < MIN_REPLICAS_LOWER_BOUND:
        errors.append(
            invalid(
                "spec.minReplicas",
                min_replicas,
                f"must be greater than or equal to {MIN_REPLICAS_LOWER_BOUND}",
            )
        )
    if max_replicas < 1:
        errors.append(invalid("spec.maxReplicas", max_replicas, "must be greater than 0"))
    if isinstance(min_replicas, int) and max_replicas < min_replicas:
        errors.append(
            invalid(
                "spec.maxReplicas", max_replicas, "must be greater than or equal to `minReplicas`"
            )
        )
    errors += _object_reference_errors(spec.get("scaleTargetRef") or {}, "spec.scaleTargetRef")
    has_object_or_external = False
    for i, metric in enumerate(spec.get("metrics") or []):
        errors += _metric_errors(metric or {}, f"spec.metrics[{i}]")
        has_object_or_external |= (metric or {}).get("type") in ("Object", "External")
    if min_replicas == 0 and not has_object_or_external:
        errors.append(
            forbidden_field(
                "spec.metrics",
                "must specify at least one Object or External metric to support scaling to "
                "zero replicas",
            )
        )
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        for key in ("scaleUp", "scaleDown"):
            errors += _rules_errors(behavior.get(key), f"spec.behavior.{key}")
    return errors


def _object_reference_errors(ref: dict[str, Any], path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for key in ("kind", "name"):
        value = str(ref.get(key) or "")
        if not value:
            errors.append(required(f"{path}.{key}"))
        else:
            errors += [invalid(f"{path}.{key}", value, m) for m in path_segment_errors(value)]
    api_version = str(ref.get("apiVersion") or "")
    if not _GROUP_VERSION.match(api_version):
        errors.append(
            invalid(
                f"{path}.apiVersion", api_version, f"unexpected GroupVersion string: {api_version}"
            )
        )
    return errors


def _metric_errors(metric: dict[str, Any], path: str) -> list[FieldError]:
    """``validateMetricSpec``: one source, of the declared type, with a usable target."""
    errors: list[FieldError] = []
    kind = metric.get("type", "")
    if not kind:
        errors.append(required(f"{path}.type", "must specify a metric source type"))
    if kind not in METRIC_SOURCE_TYPES:
        errors.append(not_supported(f"{path}.type", kind, METRIC_SOURCE_TYPES))
    present = [
        key
        for key in ("object", "external", "pods", "resource", "containerResource")
        if metric.get(key) is not None
    ]
    if present:
        errors += _source_errors(present[0], metric[present[0]], f"{path}.{present[0]}")
    expected = _SOURCE_KEYS.get(kind)
    if expected is not None:
        if metric.get(expected) is None:
            errors.append(
                required(
                    f"{path}.{expected}", "must populate information for the given metric source"
                )
            )
    else:
        errors.append(not_supported(f"{path}.type", kind, METRIC_SOURCE_TYPES))
    if len(present) != 1:
        for key in present:
            if key != expected:
                errors.append(
                    forbidden_field(f"{path}.{key}", "must populate the given metric source only")
                )
    return errors


def _source_errors(key: str, source: Any, path: str) -> list[FieldError]:
    source = source if isinstance(source, dict) else {}
    target = source.get("target") or {}
    errors: list[FieldError] = []
    if key in ("object", "external", "pods"):
        if key == "object":
            errors += _object_reference_errors(
                source.get("describedObject") or {}, f"{path}.describedObject"
            )
        errors += _metric_identifier_errors(source.get("metric") or {}, f"{path}.metric")
    else:
        name = str(source.get("name") or "")
        if not name:
            errors.append(required(f"{path}.name", "must specify a resource name"))
        if key == "containerResource":
            container = str(source.get("container") or "")
            if not container:
                errors.append(required(f"{path}.container", "must specify a container"))
            else:
                errors += dns_label(container, f"{path}.container")
    errors += _target_errors(target, f"{path}.target")
    target_path = f"{path}.target"
    value, average, utilization = (
        target.get("value"),
        target.get("averageValue"),
        target.get("averageUtilization"),
    )
    if key == "object" and value is None and average is None:
        errors.append(
            required(
                f"{target_path}.averageValue", "must set either a target value or averageValue"
            )
        )
    elif key == "external":
        if value is None and average is None:
            errors.append(
                required(
                    f"{target_path}.averageValue",
                    "must set either a target value for metric or a per-pod target",
                )
            )
        if value is not None and average is not None:
            errors.append(
                forbidden_field(
                    f"{target_path}.value",
                    "may not set both a target value for metric and a per-pod target",
                )
            )
    elif key == "pods" and average is None:
        errors.append(
            required(f"{target_path}.averageValue", "must specify a positive target averageValue")
        )
    elif key in ("resource", "containerResource"):
        if utilization is None and average is None:
            errors.append(
                required(
                    f"{target_path}.averageUtilization",
                    "must set either a target raw value or a target utilization",
                )
            )
        if utilization is not None and average is not None:
            errors.append(
                forbidden_field(
                    f"{target_path}.averageValue",
                    "may not set both a target raw value and a target utilization",
                )
            )
    return errors


def _metric_identifier_errors(identifier: dict[str, Any], path: str) -> list[FieldError]:
    name = str(identifier.get("name") or "")
    if not name:
        return [required(f"{path}.name", "must specify a metric name")]
    errors = [invalid(f"{path}.name", name, m) for m in path_segment_errors(name)]
    return errors + validate_label_selector(identifier.get("selector"), f"{path}.selector")


def _target_errors(target: dict[str, Any], path: str) -> list[FieldError]:
    """``validateMetricTarget``."""
    errors: list[FieldError] = []
    kind = target.get("type", "")
    if not kind:
        errors.append(required(f"{path}.type", "must specify a metric target type"))
    if kind not in ("Utilization", "Value", "AverageValue"):
        errors.append(
            invalid(f"{path}.type", kind, "must be either Utilization, Value, or AverageValue")
        )
    for key in ("value", "averageValue"):
        if target.get(key) is None:
            continue
        try:
            quantity = Quantity.parse(target[key])
        except QuantityError as error:
            errors.append(invalid(f"{path}.{key}", target[key], str(error)))
            continue
        if quantity.sign() != 1:
            errors.append(invalid(f"{path}.{key}", str(quantity), "must be positive"))
    utilization = target.get("averageUtilization")
    if isinstance(utilization, int) and utilization < 1:
        errors.append(invalid(f"{path}.averageUtilization", utilization, "must be greater than 0"))
    return errors


def _rules_errors(rules: Any, path: str) -> list[FieldError]:
    """``validateScalingRules``."""
    if not isinstance(rules, dict):
        return []
    errors: list[FieldError] = []
    window = rules.get("stabilizationWindowSeconds")
    if isinstance(window, int):
        if window < 0:
            errors.append(
                invalid(
                    f"{path}.stabilizationWindowSeconds",
                    window,
                    "must be greater than or equal to zero",
                )
            )
        if window > MAX_STABILIZATION_WINDOW_SECONDS:
            errors.append(
                invalid(
                    f"{path}.stabilizationWindowSeconds",
                    window,
                    f"must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}",
                )
            )
    select = rules.get("selectPolicy")
    if select is not None and select not in ("Disabled", "Max", "Min"):
        errors.append(not_supported(f"{path}.selectPolicy", select, ["Disabled", "Max", "Min"]))
    policies = rules.get("policies") or []
    if not policies:
        errors.append(required(f"{path}.policies", "must specify at least one Policy"))
    for i, policy in enumerate(policies):
        policy_path = f"{path}.policies[{i}]"
        policy = policy or {}
        kind = policy.get("type", "")
        if kind not in ("Pods", "Percent"):
            errors.append(not_supported(f"{policy_path}.type", kind, ["Percent", "Pods"]))
        value, period = policy.get("value", 0), policy.get("periodSeconds", 0)
        if value <= 0:
            errors.append(invalid(f"{policy_path}.value", value, "must be greater than zero"))
        if period <= 0:
            errors.append(
                invalid(f"{policy_path}.periodSeconds", period, "must be greater than zero")
            )
        if period > MAX_PERIOD_SECONDS:
            errors.append(
                invalid(
                    f"{policy_path}.periodSeconds",
                    period,
                    f"must be less than or equal to {MAX_PERIOD_SECONDS}",
                )
            )
    return errors


# --- printing -----------------------------------------------------------------------------------


def format_metrics(specs: list[dict[str, Any]], statuses: list[dict[str, Any]]) -> str:
    """``formatHPAMetrics``: ``cpu: 42%/80%``, two metrics at most then ``+ N more...``."""
    if not specs:
        return "<none>"
    cells = []
    for i, spec in enumerate(specs):
        status = statuses[i] if i < len(statuses) else {}
        cells.append(_metric_cell(spec or {}, status or {}))
    if len(cells) > 2:
        return f"{', '.join(cells[:2])} + {len(cells) - 2} more..."
    return ", ".join(cells)


def _metric_cell(spec: dict[str, Any], status: dict[str, Any]) -> str:
    kind = spec.get("type")
    key = _SOURCE_KEYS.get(str(kind))
    if key is None:
        return "<unknown type>"
    source = spec.get(key) or {}
    target = source.get("target") or {}
    current = (status.get(key) or {}).get("current") if status.get(key) is not None else None
    if kind in ("External", "Object"):
        if target.get("averageValue") is not None:
            now = (
                _quantity(current.get("averageValue"))
                if current and current.get("averageValue") is not None
                else "<unknown>"
            )
            return f"{now}/{_quantity(target['averageValue'])} (avg)"
        now = _quantity((current or {}).get("value")) if current is not None else "<unknown>"
        return f"{now}/{_quantity(target.get('value'))}"
    if kind == "Pods":
        now = _quantity((current or {}).get("averageValue")) if current is not None else "<unknown>"
        return f"{now}/{_quantity(target.get('averageValue'))}"
    name = source.get("name", "")
    if target.get("averageValue") is not None:
        now = _quantity((current or {}).get("averageValue")) if current is not None else "<unknown>"
        return f"{name}: {now}/{_quantity(target['averageValue'])}"
    now = "<unknown>"
    if current and current.get("averageUtilization") is not None:
        now = f"{current['averageUtilization']}%"
    utilization = target.get("averageUtilization")
    goal = f"{utilization}%" if utilization is not None else "<auto>"
    return f"{name}: {now}/{goal}"


def _quantity(value: Any) -> str:
    """A quantity as ``Quantity.String()`` prints it (``<nil>`` for a missing pointer)."""
    if value is None:
        return "<nil>"
    try:
        return str(Quantity.parse(value))
    except QuantityError:
        return str(value)


# --- conversion between autoscaling/v1 and the stored v2 -------------------------------------


def v2_to_v1(obj: dict[str, Any]) -> dict[str, Any]:
    """``Convert_autoscaling_HorizontalPodAutoscaler_To_v1_HorizontalPodAutoscaler``."""
    result = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("spec", "status")}
    meta = result.setdefault("metadata", {})
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k not in ROUND_TRIP_ANNOTATIONS
    }
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    v1_spec: dict[str, Any] = {"scaleTargetRef": copy.deepcopy(spec.get("scaleTargetRef") or {})}
    if spec.get("minReplicas") is not None:
        v1_spec["minReplicas"] = spec["minReplicas"]
    v1_spec["maxReplicas"] = spec.get("maxReplicas", 0)
    other_metrics = []
    for metric in spec.get("metrics") or []:
        if _is_cpu_utilization(metric):
            v1_spec.setdefault(
                "targetCPUUtilizationPercentage",
                metric["resource"]["target"]["averageUtilization"],
            )
            continue
        other_metrics.append(_metric_spec_to_v1(metric))
    v1_status: dict[str, Any] = {}
    for key in ("observedGeneration", "lastScaleTime"):
        if status.get(key) is not None:
            v1_status[key] = status[key]
    v1_status["currentReplicas"] = status.get("currentReplicas", 0)
    v1_status["desiredReplicas"] = status.get("desiredReplicas", 0)
    for metric in status.get("currentMetrics") or []:
        resource = (metric or {}).get("resource") or {}
        utilization = (resource.get("current") or {}).get("averageUtilization")
        if (
            metric.get("type") == "Resource"
            and resource.get("name") == "cpu"
            and utilization is not None
        ):
            v1_status["currentCPUUtilizationPercentage"] = utilization
    if other_metrics:
        annotations[METRICS_ANNOTATION] = _compact(other_metrics)
    if status.get("currentMetrics"):
        annotations[CURRENT_METRICS_ANNOTATION] = _compact(
            [_metric_status_to_v1(m) for m in status["currentMetrics"]]
        )
    if spec.get("behavior") is not None:
        annotations[BEHAVIOR_ANNOTATION] = _compact(_behavior_to_internal(spec["behavior"]))
    if status.get("conditions"):
        annotations[CONDITIONS_ANNOTATION] = _compact(
            [_condition_to_v1(c) for c in status["conditions"]]
        )
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    result["spec"] = v1_spec
    result["status"] = v1_status
    return result


def v1_to_v2(obj: dict[str, Any]) -> dict[str, Any]:
    """``Convert_v1_HorizontalPodAutoscaler_To_autoscaling_HorizontalPodAutoscaler``."""
    result = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("spec", "status")}
    meta = result.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    v2_spec: dict[str, Any] = {"scaleTargetRef": copy.deepcopy(spec.get("scaleTargetRef") or {})}
    if spec.get("minReplicas") is not None:
        v2_spec["minReplicas"] = spec["minReplicas"]
    v2_spec["maxReplicas"] = spec.get("maxReplicas", 0)
    metrics = [_metric_spec_to_v2(m) for m in _annotation_list(annotations, METRICS_ANNOTATION)]
    if spec.get("targetCPUUtilizationPercentage") is not None:
        metrics.append(_cpu_metric(spec["targetCPUUtilizationPercentage"]))
    v2_spec["metrics"] = metrics or [_cpu_metric(DEFAULT_CPU_UTILIZATION)]
    behavior = _annotation_value(annotations, BEHAVIOR_ANNOTATION)
    if isinstance(behavior, dict) and any(v is not None for v in behavior.values()):
        v2_spec["behavior"] = _behavior_from_internal(behavior)
    v2_status: dict[str, Any] = {}
    for key in ("observedGeneration", "lastScaleTime"):
        if status.get(key) is not None:
            v2_status[key] = status[key]
    v2_status["currentReplicas"] = status.get("currentReplicas", 0)
    v2_status["desiredReplicas"] = status.get("desiredReplicas", 0)
    if CURRENT_METRICS_ANNOTATION in annotations:
        current = _annotation_list(annotations, CURRENT_METRICS_ANNOTATION)
        v2_status["currentMetrics"] = [_metric_status_to_v2(m) for m in current]
    elif status.get("currentCPUUtilizationPercentage") is not None:
        v2_status["currentMetrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "current": {"averageUtilization": status["currentCPUUtilizationPercentage"]},
                },
            }
        ]
    conditions = _annotation_list(annotations, CONDITIONS_ANNOTATION)
    if conditions:
        v2_status["conditions"] = [
            {k: v for k, v in c.items() if v is not None} for c in conditions
        ]
    for key in ROUND_TRIP_ANNOTATIONS:
        annotations.pop(key, None)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    result["spec"] = v2_spec
    if status or v2_status.get("currentMetrics"):
        result["status"] = v2_status
    return result


def _is_cpu_utilization(metric: dict[str, Any]) -> bool:
    resource = (metric or {}).get("resource") or {}
    return (
        metric.get("type") == "Resource"
        and resource.get("name") == "cpu"
        and (resource.get("target") or {}).get("averageUtilization") is not None
    )


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _annotation_value(annotations: dict[str, Any], key: str) -> Any:
    try:
        return json.loads(annotations[key]) if key in annotations else None
    except (TypeError, ValueError):
        return None


def _annotation_list(annotations: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = _annotation_value(annotations, key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _drop_none(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v is not None}


def _metric_spec_to_v1(metric: dict[str, Any]) -> dict[str, Any]:
    """A v2 metric in v1's annotation form (the fields of autoscaling/v1 ``MetricSpec``)."""
    kind = metric.get("type", "")
    source = metric.get(_SOURCE_KEYS.get(kind, "")) or {}
    target = source.get("target") or {}
    identifier = source.get("metric") or {}
    out: dict[str, Any] = {"type": kind}
    if kind == "Object":
        described = source.get("describedObject") or {}
        out["object"] = _drop_none(
            {
                "target": _drop_none(
                    {
                        "kind": described.get("kind", ""),
                        "name": described.get("name", ""),
                        "apiVersion": described.get("apiVersion") or None,
                    }
                ),
                "metricName": identifier.get("name", ""),
                "targetValue": target.get("value") or "0",
                "selector": identifier.get("selector"),
                "averageValue": target.get("averageValue"),
            }
        )
    elif kind == "Pods":
        out["pods"] = _drop_none(
            {
                "metricName": identifier.get("name", ""),
                "targetAverageValue": target.get("averageValue") or "0",
                "selector": identifier.get("selector"),
            }
        )
    elif kind in ("Resource", "ContainerResource"):
        converted = _drop_none(
            {
                "name": source.get("name", ""),
                "targetAverageUtilization": target.get("averageUtilization"),
                "targetAverageValue": target.get("averageValue"),
            }
        )
        if kind == "ContainerResource":
            converted["container"] = source.get("container", "")
        out[_SOURCE_KEYS[kind]] = converted
    elif kind == "External":
        out["external"] = _drop_none(
            {
                "metricName": identifier.get("name", ""),
                "metricSelector": identifier.get("selector"),
                "targetValue": target.get("value"),
                "targetAverageValue": target.get("averageValue"),
            }
        )
    return out


def _metric_spec_to_v2(metric: dict[str, Any]) -> dict[str, Any]:
    kind = metric.get("type", "")
    out: dict[str, Any] = {"type": kind}
    if kind == "Object":
        source = metric.get("object") or {}
        average = source.get("averageValue")
        out["object"] = {
            "describedObject": source.get("target") or {},
            "metric": _drop_none(
                {"name": source.get("metricName", ""), "selector": source.get("selector")}
            ),
            "target": _drop_none(
                {
                    "type": "Value" if average is None else "AverageValue",
                    "value": source.get("targetValue", "0"),
                    "averageValue": average,
                }
            ),
        }
    elif kind == "Pods":
        source = metric.get("pods") or {}
        out["pods"] = {
            "metric": _drop_none(
                {"name": source.get("metricName", ""), "selector": source.get("selector")}
            ),
            "target": {
                "type": "AverageValue",
                "averageValue": source.get("targetAverageValue", "0"),
            },
        }
    elif kind in ("Resource", "ContainerResource"):
        source = metric.get(_SOURCE_KEYS[kind]) or {}
        utilization = source.get("targetAverageUtilization")
        converted: dict[str, Any] = {"name": source.get("name", "")}
        if kind == "ContainerResource":
            converted["container"] = source.get("container", "")
        converted["target"] = _drop_none(
            {
                "type": "AverageValue" if utilization is None else "Utilization",
                "averageUtilization": utilization,
                "averageValue": source.get("targetAverageValue"),
            }
        )
        out[_SOURCE_KEYS[kind]] = converted
    elif kind == "External":
        source = metric.get("external") or {}
        value = source.get("targetValue")
        out["external"] = {
            "metric": _drop_none(
                {"name": source.get("metricName", ""), "selector": source.get("metricSelector")}
            ),
            "target": _drop_none(
                {
                    "type": "AverageValue" if value is None else "Value",
                    "value": value,
                    "averageValue": source.get("targetAverageValue"),
                }
            ),
        }
    return out


def _metric_status_to_v1(metric: dict[str, Any]) -> dict[str, Any]:
    kind = metric.get("type", "")
    source = metric.get(_SOURCE_KEYS.get(kind, "")) or {}
    current = source.get("current") or {}
    identifier = source.get("metric") or {}
    out: dict[str, Any] = {"type": kind}
    if kind == "Object":
        described = source.get("describedObject") or {}
        out["object"] = _drop_none(
            {
                "target": _drop_none(
                    {
                        "kind": described.get("kind", ""),
                        "name": described.get("name", ""),
                        "apiVersion": described.get("apiVersion") or None,
                    }
                ),
                "metricName": identifier.get("name", ""),
                "currentValue": current.get("value") or "0",
                "selector": identifier.get("selector"),
                "averageValue": current.get("averageValue"),
            }
        )
    elif kind == "Pods":
        out["pods"] = _drop_none(
            {
                "metricName": identifier.get("name", ""),
                "currentAverageValue": current.get("averageValue") or "0",
                "selector": identifier.get("selector"),
            }
        )
    elif kind in ("Resource", "ContainerResource"):
        converted = _drop_none(
            {
                "name": source.get("name", ""),
                "currentAverageUtilization": current.get("averageUtilization"),
                "currentAverageValue": current.get("averageValue") or "0",
            }
        )
        if kind == "ContainerResource":
            converted["container"] = source.get("container", "")
        out[_SOURCE_KEYS[kind]] = converted
    elif kind == "External":
        out["external"] = _drop_none(
            {
                "metricName": identifier.get("name", ""),
                "metricSelector": identifier.get("selector"),
                "currentValue": current.get("value") or "0",
                "currentAverageValue": current.get("averageValue"),
            }
        )
    return out


def _metric_status_to_v2(metric: dict[str, Any]) -> dict[str, Any]:
    kind = metric.get("type", "")
    source = metric.get(_SOURCE_KEYS.get(kind, "")) or {}
    out: dict[str, Any] = {"type": kind}
    if kind == "Object":
        out["object"] = {
            "describedObject": source.get("target") or {},
            "metric": _drop_none(
                {"name": source.get("metricName", ""), "selector": source.get("selector")}
            ),
            "current": _drop_none(
                {
                    "value": source.get("currentValue", "0"),
                    "averageValue": source.get("averageValue"),
                }
            ),
        }
    elif kind == "Pods":
        out["pods"] = {
            "metric": _drop_none(
                {"name": source.get("metricName", ""), "selector": source.get("selector")}
            ),
            "current": {"averageValue": source.get("currentAverageValue", "0")},
        }
    elif kind in ("Resource", "ContainerResource"):
        converted: dict[str, Any] = {"name": source.get("name", "")}
        if kind == "ContainerResource":
            converted["container"] = source.get("container", "")
        converted["current"] = _drop_none(
            {
                "averageValue": source.get("currentAverageValue", "0"),
                "averageUtilization": source.get("currentAverageUtilization"),
            }
        )
        out[_SOURCE_KEYS[kind]] = converted
    elif kind == "External":
        out["external"] = {
            "metric": _drop_none(
                {"name": source.get("metricName", ""), "selector": source.get("metricSelector")}
            ),
            "current": _drop_none(
                {
                    "value": source.get("currentValue", "0"),
                    "averageValue": source.get("currentAverageValue"),
                }
            ),
        }
    return out


def _condition_to_v1(condition: dict[str, Any]) -> dict[str, Any]:
    out = {
        "type": condition.get("type", ""),
        "status": condition.get("status", ""),
        "lastTransitionTime": condition.get("lastTransitionTime"),
    }
    for key in ("reason", "message"):
        if condition.get(key):
            out[key] = condition[key]
    return out


_RULE_FIELDS = (
    ("stabilizationWindowSeconds", "StabilizationWindowSeconds"),
    ("selectPolicy", "SelectPolicy"),
    ("policies", "Policies"),
    ("tolerance", "Tolerance"),
)
_POLICY_FIELDS = (("type", "Type"), ("value", "Value"), ("periodSeconds", "PeriodSeconds"))


def _behavior_to_internal(behavior: dict[str, Any]) -> dict[str, Any]:
    """The behavior as upstream marshals its internal type: Go field names, nulls kept."""

    def rules(value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            return None
        out: dict[str, Any] = {}
        for key, name in _RULE_FIELDS:
            item = value.get(key)
            if key == "policies" and isinstance(item, list):
                item = [
                    {n: (p or {}).get(k, 0 if k != "type" else "") for k, n in _POLICY_FIELDS}
                    for p in item
                ]
            out[name] = item
        return out

    return {
        "ScaleUp": rules(behavior.get("scaleUp")),
        "ScaleDown": rules(behavior.get("scaleDown")),
    }


def _behavior_from_internal(behavior: dict[str, Any]) -> dict[str, Any]:
    def rules(value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            return None
        out: dict[str, Any] = {}
        for key, name in _RULE_FIELDS:
            item = value.get(name)
            if key == "policies" and isinstance(item, list):
                item = [{k: (p or {}).get(n) for k, n in _POLICY_FIELDS} for p in item]
            if item is not None:
                out[key] = item
        return out

    return _drop_none(
        {"scaleUp": rules(behavior.get("ScaleUp")), "scaleDown": rules(behavior.get("ScaleDown"))}
    )


STRATEGIES = [HorizontalPodAutoscalerStrategy(), HorizontalPodAutoscalerV1Strategy()]
