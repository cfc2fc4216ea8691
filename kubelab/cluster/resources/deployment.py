"""Deployment (``deployments.apps``): rolling updates of a ReplicaSet-managed pod template.

Defaults are those a learner's short manifest relies on (one replica, RollingUpdate with 25%
surge and unavailability, ten old revisions kept, a ten-minute progress deadline); validation
is ``ValidateDeploymentSpec`` with the selector-versus-template rule learners trip over, and
the selector may not change once set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import (
    FieldError,
    forbidden_field,
    invalid,
    required,
)
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.podspec import (
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SelectorError,
    container_cells,
    default_pod_template,
    go_json,
    immutable_selector,
    int_or_percent_value,
    non_negative,
    not_more_than_100_percent,
    not_supported_rendered,
    positive_int_or_percent,
    schema_doc,
    selector_string,
    template_pod_spec,
    template_restart_policy_errors,
    validate_pod_template,
    workload_selector_errors,
    workload_warnings,
)
from kubelab.cluster.resources.printing import age

_STATUS = "io.k8s.api.apps.v1.DeploymentStatus"
STRATEGY_TYPES = ["Recreate", "RollingUpdate"]


class DeploymentStrategy(ResourceStrategy):
    group = "apps"
    kind = "Deployment"
    plural = "deployments"
    short_names = ("deploy",)
    categories = ("all",)
    subresources = ("status", "scale")
    columns = (
        NAME_COLUMN,
        Column("Ready", description="Number of the pod with ready state"),
        Column("Up-to-date", description=schema_doc(_STATUS, "updatedReplicas")),
        Column("Available", description=schema_doc(_STATUS, "availableReplicas")),
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
        Column(
            "Selector",
            priority=1,
            description=schema_doc("io.k8s.api.apps.v1.DeploymentSpec", "selector"),
        ),
    )

    def default(self, obj: dict[str, Any]) -> None:
        """``SetDefaults_Deployment`` and the pod template defaults."""
        spec = obj.setdefault("spec", {})
        if spec.get("replicas") is None:
            spec["replicas"] = 1
        strategy = spec.setdefault("strategy", {})
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.get("rollingUpdate")
            if not isinstance(rolling, dict):
                rolling = strategy["rollingUpdate"] = {}
            rolling.setdefault("maxUnavailable", "25%")
            rolling.setdefault("maxSurge", "25%")
            for key in ("maxUnavailable", "maxSurge"):
                if rolling[key] is None:
                    rolling[key] = "25%"
        if spec.get("revisionHistoryLimit") is None:
            spec["revisionHistoryLimit"] = 10
        if spec.get("progressDeadlineSeconds") is None:
            spec["progressDeadlineSeconds"] = 600
        default_pod_template(spec.get("template"))

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return deployment_spec_errors(obj.get("spec") or {})

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return self.validate(obj) + immutable_selector(
            (obj.get("spec") or {}).get("selector"), (old.get("spec") or {}).get("selector")
        )

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        return workload_warnings(obj)

    def scale_selector(self, obj: dict[str, Any]) -> str:
        """The ``status.selector`` of the Scale subresource."""
        return selector_string((obj.get("spec") or {}).get("selector"))

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        try:
            selector = selector_string(spec.get("selector"))
        except SelectorError:
            selector = "<invalid>"
        return [
            obj["metadata"]["name"],
            f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            status.get("updatedReplicas", 0),
            status.get("availableReplicas", 0),
            age(obj, now),
            *container_cells(template_pod_spec(obj)),
            selector,
        ]


def deployment_spec_errors(spec: dict[str, Any]) -> list[FieldError]:
    """``ValidateDeploymentSpec``."""
    errors = non_negative(spec.get("replicas", 0), "spec.replicas")
    template = spec.get("template") or {}
    selector_errors, converted = workload_selector_errors(
        spec.get("selector"), template, "deployment", "invalid label selector"
    )
    errors += selector_errors
    if converted:
        errors += validate_pod_template(spec.get("template"), "spec.template")
        errors += template_restart_policy_errors(template, "spec.template", "ReplicaSet")
    errors += _strategy_errors(spec.get("strategy") or {})
    min_ready = spec.get("minReadySeconds", 0)
    errors += non_negative(min_ready, "spec.minReadySeconds")
    if spec.get("revisionHistoryLimit") is not None:
        errors += non_negative(spec["revisionHistoryLimit"], "spec.revisionHistoryLimit")
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None:
        errors += non_negative(deadline, "spec.progressDeadlineSeconds")
        if isinstance(deadline, int) and isinstance(min_ready, int) and deadline <= min_ready:
            errors.append(
                invalid(
                    "spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"
                )
            )
    return errors


def _strategy_errors(strategy: dict[str, Any]) -> list[FieldError]:
    """``ValidateDeploymentStrategy``."""
    kind = strategy.get("type", "")
    rolling = strategy.get("rollingUpdate")
    path = "spec.strategy"
    if kind == "Recreate":
        if rolling is not None:
            return [
                forbidden_field(
                    f"{path}.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            ]
        return []
    if kind == "RollingUpdate":
        if not isinstance(rolling, dict):
            return [required(f"{path}.rollingUpdate", "this should be defaulted and never be nil")]
        return rolling_update_errors(rolling, f"{path}.rollingUpdate")
    internal = {"Type": kind, "RollingUpdate": _internal_rolling(rolling)}
    return [not_supported_rendered(path, go_json(internal), STRATEGY_TYPES)]


def _internal_rolling(rolling: Any) -> dict[str, Any] | None:
    if not isinstance(rolling, dict):
        return None
    return {"MaxUnavailable": rolling.get("maxUnavailable"), "MaxSurge": rolling.get("maxSurge")}


def rolling_update_errors(rolling: dict[str, Any], path: str) -> list[FieldError]:
    """``ValidateRollingUpdateDeployment``: both may not be zero, unavailability ≤ 100%."""
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    errors = positive_int_or_percent(unavailable, f"{path}.maxUnavailable")
    errors += positive_int_or_percent(surge, f"{path}.maxSurge")
    if int_or_percent_value(unavailable)[0] == 0 and int_or_percent_value(surge)[0] == 0:
        errors.append(
            invalid(f"{path}.maxUnavailable", unavailable, "may not be 0 when `maxSurge` is 0")
        )
    return errors + not_more_than_100_percent(unavailable, f"{path}.maxUnavailable")


STRATEGIES = [DeploymentStrategy()]
