"""LimitRanges: per-namespace minimums, maximums and defaults for containers, pods and claims.

For ``type: Container`` the API server fills in what a learner leaves out (a ``max`` becomes the
default limit, a default limit the default request, a ``min`` the default request), then checks
that ``min <= defaultRequest <= default <= max``. LimitRanges have no printer upstream, so
``kubectl get limits`` shows NAME and CREATED AT.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, duplicate, forbidden_field, invalid, required
from kubelab.cluster.quantity import Quantity, QuantityError
from kubelab.cluster.resources.base import ResourceStrategy
from kubelab.cluster.resources.columns import DEFAULT_COLUMNS, default_row
from kubelab.cluster.resources.fieldchecks import messages_at
from kubelab.cluster.resources.resourcenames import (
    container_resource_name_errors,
    overcommit_allowed,
    resource_name_errors,
)
from kubelab.cluster.resources.validation import qualified_name_errors

LIMIT_TYPES = ("Pod", "Container", "PersistentVolumeClaim")
_LISTS = ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")


def _type_errors(kind: str, path: str) -> list[FieldError]:
    """``validateLimitRangeTypeName``."""
    errors = messages_at(path, kind, qualified_name_errors(kind))
    if not errors and "/" not in kind and kind not in LIMIT_TYPES:
        errors.append(invalid(path, kind, "must be a standard limit type or fully qualified"))
    return errors


def _resource_errors(kind: str, name: str, path: str) -> list[FieldError]:
    """``validateLimitRangeResourceName``: pod and container limits take container resources."""
    if kind in ("Pod", "Container"):
        return container_resource_name_errors(name, path)
    return resource_name_errors(name, path)


def _quantities(values: dict[str, Any]) -> dict[str, Quantity]:
    parsed = {}
    for name, value in (values or {}).items():
        try:
            parsed[name] = Quantity.parse(value)
        except QuantityError:
            continue
    return parsed


def _go_float(value: float) -> str:
    """Go's ``%f``."""
    return f"{value:f}"


def _comparison_errors(limit: dict[str, Any], path: str) -> list[FieldError]:
    """The order ``min <= defaultRequest <= default <= max`` and the ratio rules, per resource."""
    lists = {key: _quantities(limit.get(key)) for key in _LISTS}
    low, high = lists["min"], lists["max"]
    default, request, ratio = (
        lists["default"],
        lists["defaultRequest"],
        lists["maxLimitRequestRatio"],
    )
    least, most = (low, "min value"), (high, "max value")
    request_side = (request, "default request value")
    # (field reported, whose value it shows, the side that must not be greater, the other)
    order_rules = (
        ("min", low, least, most),
        ("defaultRequest", request, least, request_side),
        ("defaultRequest", request, request_side, most),
        ("defaultRequest", request, request_side, (default, "default limit value")),
        ("default", low, least, (default, "default value")),
        ("default", high, (default, "default value"), most),
    )
    errors: list[FieldError] = []
    names = set().union(*(lists[key].keys() for key in _LISTS))
    for name in sorted(names):
        at = f"[{name}]"
        for field, shown, (smaller, smaller_is), (larger, larger_is) in order_rules:
            if name in smaller and name in larger and smaller[name] > larger[name]:
                text = f"{smaller_is} {smaller[name]} is greater than {larger_is} {larger[name]}"
                errors.append(invalid(f"{path}.{field}{at}", str(shown[name]), text))
        if name in ratio and ratio[name] < Quantity.parse(1):
            errors.append(
                invalid(
                    f"{path}.maxLimitRequestRatio{at}",
                    str(ratio[name]),
                    f"ratio {ratio[name]} is less than 1",
                )
            )
        if name in ratio and name in low and name in high and low[name].sign():
            allowed = high[name].milli_value() / low[name].milli_value()
            if ratio[name].milli_value() / 1000 > allowed:
                errors.append(
                    invalid(
                        f"{path}.maxLimitRequestRatio{at}",
                        str(ratio[name]),
                        f"ratio {ratio[name]} is greater than max/min = {_go_float(allowed)}",
                    )
                )
        if (
            not overcommit_allowed(name)
            and name in default
            and name in request
            and default[name] != request[name]
        ):
            errors.append(
                invalid(
                    f"{path}.defaultRequest{at}",
                    str(request[name]),
                    f"default value {default[name]} must equal to defaultRequest value "
                    f"{request[name]} in {name}",
                )
            )
    return errors


def _limit_errors(limit: dict[str, Any], path: str) -> list[FieldError]:
    kind = limit.get("type") or ""
    errors = _type_errors(kind, f"{path}.type")
    if kind == "Pod":
        for key in ("default", "defaultRequest"):
            if limit.get(key):
                errors.append(
                    forbidden_field(f"{path}.{key}", "may not be specified when `type` is 'Pod'")
                )
    for key in _LISTS:
        if kind == "Pod" and key in ("default", "defaultRequest"):
            continue
        for name in limit.get(key) or {}:
            errors += _resource_errors(kind, name, f"{path}.{key}[{name}]")
    if kind == "PersistentVolumeClaim" and not (
        "storage" in (limit.get("min") or {}) or "storage" in (limit.get("max") or {})
    ):
        errors.append(
            required(
                f"{path}.limits",
                "either minimum or maximum storage value is required, but neither was provided",
            )
        )
    return errors + _comparison_errors(limit, path)


class LimitRangeStrategy(ResourceStrategy):
    kind = "LimitRange"
    plural = "limitranges"
    short_names = ("limits",)
    columns = DEFAULT_COLUMNS

    def default(self, obj: dict[str, Any]) -> None:
        """``SetDefaults_LimitRangeItem`` for container limits."""
        for limit in (obj.get("spec") or {}).get("limits") or []:
            if not isinstance(limit, dict) or limit.get("type") != "Container":
                continue
            default = limit.get("default") or {}
            request = limit.get("defaultRequest") or {}
            for name, value in (limit.get("max") or {}).items():
                default.setdefault(name, value)
            for name, value in default.items():
                request.setdefault(name, value)
            for name, value in (limit.get("min") or {}).items():
                request.setdefault(name, value)
            limit["default"], limit["defaultRequest"] = default, request

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        errors: list[FieldError] = []
        seen: set[str] = set()
        for i, limit in enumerate((obj.get("spec") or {}).get("limits") or []):
            limit = limit or {}
            path = f"spec.limits[{i}]"
            errors += _limit_errors(limit, path)
            kind = limit.get("type") or ""
            if kind in seen:
                errors.append(duplicate(f"{path}.type", kind))
            seen.add(kind)
        return errors

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return default_row(obj)


STRATEGIES = [LimitRangeStrategy()]
