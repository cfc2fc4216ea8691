"""ResourceQuotas: per-namespace limits on counts and compute, shown as ``used/hard``.

The quota controller copies ``spec.hard`` into ``status.hard`` and keeps ``status.used``
current; ``kubectl get quota`` prints them as ``pods: 1/10, requests.cpu: 500m/1`` in the
REQUEST column and ``limits.*`` resources in LIMIT. Resource names must be ones a quota can
count (``pods``, ``requests.memory``, ``count/deployments.apps``, ...).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, invalid, required
from kubelab.cluster.quantity import Quantity, QuantityError
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.persistentvolume import quantity_text
from kubelab.cluster.resources.printing import age
from kubelab.cluster.resources.resourcenames import (
    STANDARD_QUOTA_RESOURCES,
    is_quota_hugepages,
    quantity_errors,
    resource_name_errors,
)

QUOTA_SCOPES = frozenset(
    {
        "Terminating",
        "NotTerminating",
        "BestEffort",
        "NotBestEffort",
        "PriorityClass",
        "CrossNamespacePodAffinity",
        "VolumeAttributesClass",
    }
)
_CONFLICTING_SCOPES = (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating"))


def quantity_value_errors(name: str, value: Any, path: str) -> list[FieldError]:
    """``ValidateResourceQuantityValue``: not negative, and whole for countable resources."""
    try:
        quantity = Quantity.parse(value)
    except QuantityError:
        return []
    return quantity_errors(name, quantity, path)


def _quota_list_errors(resources: dict[str, Any], path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for name, value in resources.items():
        at = f"{path}[{name}]"
        errors += resource_name_errors(name, at)
        if (
            "/" not in name
            and name not in STANDARD_QUOTA_RESOURCES
            and not is_quota_hugepages(name)
        ):
            errors.append(invalid(at, name, "must be a standard resource for quota"))
        errors += quantity_value_errors(name, value, at)
    return errors


def _scope_errors(spec: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    scopes = spec.get("scopes") or []
    for scope in scopes:
        if scope not in QUOTA_SCOPES:
            errors.append(invalid("spec.scopes", scopes, "unsupported scope"))
    for pair in _CONFLICTING_SCOPES:
        if set(pair) <= set(scopes):
            errors.append(invalid("spec.scopes", scopes, "conflicting scopes"))
    for expr in (spec.get("scopeSelector") or {}).get("matchExpressions") or []:
        path = "spec.scopeSelector.matchExpressions"
        scope, operator = expr.get("scopeName", ""), expr.get("operator", "")
        if scope not in QUOTA_SCOPES:
            errors.append(invalid(f"{path}.scopeName", scope, "unsupported scope"))
        values = expr.get("values") or []
        if operator in ("In", "NotIn") and not values:
            errors.append(
                required(
                    f"{path}.values",
                    "must be at least one value when `operator` is 'In' or 'NotIn' for scope "
                    "selector",
                )
            )
        elif operator in ("Exists", "DoesNotExist") and values:
            errors.append(
                invalid(
                    f"{path}.values",
                    values,
                    "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope "
                    "selector",
                )
            )
        elif operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            errors.append(invalid(f"{path}.operator", operator, "not a valid selector operator"))
    return errors


def usage_columns(obj: dict[str, Any]) -> tuple[str, str]:
    """The REQUEST and LIMIT cells: ``name: used/hard`` for each hard limit, sorted by name."""
    status = obj.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    requests, limits = [], []
    for name in sorted(hard):
        text = f"{name}: {quantity_text(used.get(name))}/{quantity_text(hard[name])}"
        pieces = name.split(".")
        (limits if len(pieces) > 1 and pieces[0] == "limits" else requests).append(text)
    return ", ".join(requests), ", ".join(limits)


class ResourceQuotaStrategy(ResourceStrategy):
    kind = "ResourceQuota"
    plural = "resourcequotas"
    returns_deleted_object = True
    short_names = ("quota",)
    subresources = ("status",)
    columns = (
        NAME_COLUMN,
        Column(
            "Request",
            description="Request represents a minimum amount of cpu/memory that a container "
            "may consume.",
        ),
        Column(
            "Limit",
            description="Limits control the maximum amount of cpu/memory that a container may "
            "use independent of contention on the node.",
        ),
        AGE_COLUMN,
    )

    @property
    def tracks_generation(self) -> bool:
        return False

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        obj["status"] = {}

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        spec = obj.get("spec") or {}
        return _quota_list_errors(spec.get("hard") or {}, "spec.hard") + _scope_errors(spec)

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        errors = self.validate(obj)
        scopes = (obj.get("spec") or {}).get("scopes") or []
        if set(scopes) != set((old.get("spec") or {}).get("scopes") or []):
            errors.append(invalid("spec.scopes", scopes, "field is immutable"))
        return errors

    def validate_status_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        status = obj.get("status") or {}
        return _quota_list_errors(status.get("hard") or {}, "status.hard") + _quota_list_errors(
            status.get("used") or {}, "status.used"
        )

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        requests, limits = usage_columns(obj)
        return [obj["metadata"]["name"], requests, limits, age(obj, now)]


STRATEGIES = [ResourceQuotaStrategy()]
