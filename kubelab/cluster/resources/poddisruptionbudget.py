"""PodDisruptionBudget (``poddisruptionbudgets.policy``): how many pods evictions may take.

A budget names either ``minAvailable`` or ``maxUnavailable`` (a count or a percentage), never
both; the disruption controller fills in ``status.disruptionsAllowed``, which the table shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, not_supported
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.podspec import (
    go_json,
    invalid_rendered,
    not_more_than_100_percent,
    positive_int_or_percent,
    validate_label_selector,
)
from kubelab.cluster.resources.printing import age

UNHEALTHY_POD_EVICTION_POLICIES = ["AlwaysAllow", "IfHealthyBudget"]


class PodDisruptionBudgetStrategy(ResourceStrategy):
    group = "policy"
    kind = "PodDisruptionBudget"
    plural = "poddisruptionbudgets"
    short_names = ("pdb",)
    subresources = ("status",)
    columns = (
        NAME_COLUMN,
        Column("Min Available", description="The minimum number of pods that must be available."),
        Column(
            "Max Unavailable", description="The maximum number of pods that may be unavailable."
        ),
        Column(
            "Allowed Disruptions",
            type="integer",
            description="Calculated number of pods that may be disrupted at this time.",
        ),
        AGE_COLUMN,
    )

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        """``ValidatePodDisruptionBudgetSpec``."""
        spec = obj.get("spec") or {}
        errors: list[FieldError] = []
        min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
        if min_available is not None and max_unavailable is not None:
            internal = {
                "MinAvailable": min_available,
                "Selector": spec.get("selector"),
                "MaxUnavailable": max_unavailable,
                "UnhealthyPodEvictionPolicy": spec.get("unhealthyPodEvictionPolicy"),
            }
            errors.append(
                invalid_rendered(
                    "spec", go_json(internal), "minAvailable and maxUnavailable cannot be both set"
                )
            )
        for key, value in (("minAvailable", min_available), ("maxUnavailable", max_unavailable)):
            if value is not None:
                errors += positive_int_or_percent(value, f"spec.{key}")
                errors += not_more_than_100_percent(value, f"spec.{key}")
        errors += validate_label_selector(spec.get("selector"), "spec.selector")
        policy = spec.get("unhealthyPodEvictionPolicy")
        if policy is not None and policy not in UNHEALTHY_POD_EVICTION_POLICIES:
            errors.append(
                not_supported(
                    "spec.unhealthyPodEvictionPolicy", policy, UNHEALTHY_POD_EVICTION_POLICIES
                )
            )
        return errors

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        return [
            obj["metadata"]["name"],
            _int_or_string(spec.get("minAvailable")),
            _int_or_string(spec.get("maxUnavailable")),
            status.get("disruptionsAllowed", 0),
            age(obj, now),
        ]


def _int_or_string(value: Any) -> str:
    return "N/A" if value is None else str(value)


STRATEGIES = [PodDisruptionBudgetStrategy()]
