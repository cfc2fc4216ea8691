"""DaemonSet (``daemonsets.apps``): one pod per eligible node.

Rolling updates replace one pod at a time by default (maxUnavailable 1, maxSurge 0). The
template generation apps/v1 keeps in the ``deprecated.daemonset.template.generation``
annotation starts at 1 and grows each time the template changes, as upstream maintains it.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, invalid, required
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.podspec import (
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SelectorError,
    container_cells,
    default_pod_template,
    format_label_selector,
    format_labels,
    go_json,
    immutable_selector,
    int_or_percent_value,
    invalid_selector,
    non_negative,
    not_more_than_100_percent,
    not_supported_rendered,
    positive_int_or_percent,
    schema_doc,
    selector_requirements,
    semantic,
    template_pod_spec,
    template_restart_policy_errors,
    template_selector_mismatch,
    validate_label_selector,
    validate_pod_template,
    workload_warnings,
)
from kubelab.cluster.resources.printing import age

TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"
_STATUS = "io.k8s.api.apps.v1.DaemonSetStatus"
UPDATE_STRATEGY_TYPES = ["RollingUpdate", "OnDelete"]


class DaemonSetStrategy(ResourceStrategy):
    group = "apps"
    kind = "DaemonSet"
    plural = "daemonsets"
    short_names = ("ds",)
    categories = ("all",)
    subresources = ("status",)
    columns = (
        NAME_COLUMN,
        Column(
            "Desired", type="integer", description=schema_doc(_STATUS, "desiredNumberScheduled")
        ),
        Column(
            "Current", type="integer", description=schema_doc(_STATUS, "currentNumberScheduled")
        ),
        Column("Ready", type="integer", description=schema_doc(_STATUS, "numberReady")),
        Column(
            "Up-to-date", type="integer", description=schema_doc(_STATUS, "updatedNumberScheduled")
        ),
        Column("Available", type="integer", description=schema_doc(_STATUS, "numberAvailable")),
        Column(
            "Node Selector", description=schema_doc("io.k8s.api.core.v1.PodSpec", "nodeSelector")
        ),
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
        Column(
            "Selector",
            priority=1,
            description=schema_doc("io.k8s.api.apps.v1.DaemonSetSpec", "selector"),
        ),
    )

    def default(self, obj: dict[str, Any]) -> None:
        """``SetDefaults_DaemonSet``: RollingUpdate 1 unavailable, no surge, ten revisions."""
        spec = obj.setdefault("spec", {})
        strategy = spec.setdefault("updateStrategy", {})
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.get("rollingUpdate")
            if not isinstance(rolling, dict):
                rolling = strategy["rollingUpdate"] = {}
            if rolling.get("maxUnavailable") is None:
                rolling["maxUnavailable"] = 1
            if rolling.get("maxSurge") is None:
                rolling["maxSurge"] = 0
        if spec.get("revisionHistoryLimit") is None:
            spec["revisionHistoryLimit"] = 10
        default_pod_template(spec.get("template"))

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        super().prepare_for_create(obj)
        annotations = obj.setdefault("metadata", {}).setdefault("annotations", {})
        annotations[TEMPLATE_GENERATION_ANNOTATION] = "1"

    def prepare_for_update(self, obj: dict[str, Any], old: dict[str, Any]) -> None:
        """Clients may not set the template generation; a changed template bumps it."""
        super().prepare_for_update(obj, old)
        old_annotations = (old.get("metadata") or {}).get("annotations") or {}
        generation = int(old_annotations.get(TEMPLATE_GENERATION_ANNOTATION) or 1)
        template = semantic((obj.get("spec") or {}).get("template"))
        if template != semantic((old.get("spec") or {}).get("template")):
            generation += 1
        annotations = obj.setdefault("metadata", {}).setdefault("annotations", {})
        annotations[TEMPLATE_GENERATION_ANNOTATION] = str(generation)

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return daemonset_spec_errors(obj.get("spec") or {})

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return self.validate(obj) + immutable_selector(
            (obj.get("spec") or {}).get("selector"), (old.get("spec") or {}).get("selector")
        )

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        return workload_warnings(obj)

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        return [
            obj["metadata"]["name"],
            status.get("desiredNumberScheduled", 0),
            status.get("currentNumberScheduled", 0),
            status.get("numberReady", 0),
            status.get("updatedNumberScheduled", 0),
            status.get("numberAvailable", 0),
            format_labels(template_pod_spec(obj).get("nodeSelector")),
            age(obj, now),
            *container_cells(template_pod_spec(obj)),
            format_label_selector(spec.get("selector")),
        ]


def daemonset_spec_errors(spec: dict[str, Any]) -> list[FieldError]:
    """``ValidateDaemonSetSpec``: no Required for a missing selector, but then nothing matches."""
    selector = spec.get("selector")
    template = spec.get("template") or {}
    errors = validate_label_selector(selector, "spec.selector")
    with contextlib.suppress(SelectorError):
        errors += template_selector_mismatch(
            selector_requirements(selector), template, "spec.template"
        )
    if isinstance(selector, dict) and not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    ):
        errors.append(
            invalid_selector("spec.selector", selector, "empty selector is invalid for daemonset")
        )
    errors += validate_pod_template(spec.get("template"), "spec.template")
    errors += template_restart_policy_errors(template, "spec.template", "DaemonSet")
    errors += non_negative(spec.get("minReadySeconds", 0), "spec.minReadySeconds")
    errors += _update_strategy_errors(spec.get("updateStrategy") or {})
    if spec.get("revisionHistoryLimit") is not None:
        errors += non_negative(spec["revisionHistoryLimit"], "spec.revisionHistoryLimit")
    return errors


def _update_strategy_errors(strategy: dict[str, Any]) -> list[FieldError]:
    kind = strategy.get("type", "")
    path = "spec.updateStrategy"
    if kind == "OnDelete":
        return []
    rolling = strategy.get("rollingUpdate")
    if kind == "RollingUpdate":
        if not isinstance(rolling, dict):
            return [required(f"{path}.rollingUpdate")]
        return _rolling_update_errors(rolling, f"{path}.rollingUpdate")
    internal_rolling = (
        {"MaxUnavailable": rolling.get("maxUnavailable"), "MaxSurge": rolling.get("maxSurge")}
        if isinstance(rolling, dict)
        else None
    )
    internal = {"Type": kind, "RollingUpdate": internal_rolling}
    return [not_supported_rendered(path, go_json(internal), UPDATE_STRATEGY_TYPES)]


def _rolling_update_errors(rolling: dict[str, Any], path: str) -> list[FieldError]:
    """``ValidateRollingUpdateDaemonSet``: exactly one of the two may be non-zero."""
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    errors = positive_int_or_percent(unavailable, f"{path}.maxUnavailable")
    errors += positive_int_or_percent(surge, f"{path}.maxSurge")
    errors += not_more_than_100_percent(unavailable, f"{path}.maxUnavailable")
    errors += not_more_than_100_percent(surge, f"{path}.maxSurge")
    has_unavailable = int_or_percent_value(unavailable)[0] != 0
    has_surge = int_or_percent_value(surge)[0] != 0
    if has_unavailable and has_surge:
        errors.append(
            invalid(f"{path}.maxSurge", surge, "may not be set when maxUnavailable is non-zero")
        )
    elif not has_unavailable and not has_surge:
        errors.append(required(f"{path}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    return errors


STRATEGIES = [DaemonSetStrategy()]
