"""Label selectors: the query string the API takes, and local matching for diagnosis.

Checks select objects by labels through the API (``labelSelector=app=web``), but diagnosing "this
Service selects nothing" or "these pods belong to that Deployment" means evaluating selectors
found *inside* objects (a Service's plain map, a Deployment's ``matchLabels`` and
``matchExpressions``) against pods already fetched.
"""

from __future__ import annotations

from typing import Any

from kubelab.checks.matchers import SpecError

_SELECTOR_KEYS = {"matchLabels", "matchExpressions"}


def is_label_selector_object(selector: dict[str, Any]) -> bool:
    return bool(selector) and set(selector) <= _SELECTOR_KEYS


def format_labels(labels: dict[str, str] | None) -> str:
    """``{"app": "web"}`` as ``app=web`` (how kubectl and the API write it)."""
    return ",".join(f"{key}={value}" for key, value in sorted((labels or {}).items()))


def selector_query(selector: str | dict[str, Any]) -> str:
    """The ``labelSelector`` query value for a string, a plain map or a LabelSelector object."""
    if isinstance(selector, str):
        return selector
    if not isinstance(selector, dict):
        raise SpecError(f"a label selector is a map or a string, not {selector!r}")
    if not is_label_selector_object(selector):
        return format_labels({str(k): str(v) for k, v in selector.items()})
    terms = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = ",".join(expression.get("values") or [])
        match operator:
            case "In":
                terms.append(f"{key} in ({values})")
            case "NotIn":
                terms.append(f"{key} notin ({values})")
            case "Exists":
                terms.append(str(key))
            case "DoesNotExist":
                terms.append(f"!{key}")
            case _:
                raise SpecError(f"unknown label selector operator {operator!r}")
    return ",".join(terms)


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    """Whether labels satisfy a selector found in an object.

    An empty or missing selector matches nothing here: a Service without a selector and a
    workload without one select no pods, which is what a learner needs to be told about.
    """
    if not selector:
        return False
    labels = labels or {}
    if not is_label_selector_object(selector):
        return all(labels.get(key) == value for key, value in selector.items())
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key = expression.get("key")
        values = expression.get("values") or []
        operator = expression.get("operator")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True
