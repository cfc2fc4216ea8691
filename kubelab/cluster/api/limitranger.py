"""LimitRanger admission: container defaults and bounds from a namespace's LimitRanges.

A LimitRange item of ``type: Container`` gives every container that does not say otherwise
its ``default`` limits and ``defaultRequest`` requests, and notes what it filled in on the pod
(annotation ``kubernetes.io/limit-ranger``). That is how a namespace with a ResourceQuota on
cpu and memory can still accept pods written without ``resources``. Then each container must
lie within the item's ``min`` and ``max``, or the pod is refused::

    pods "web" is forbidden: maximum cpu usage per Container is 1, but limit is 2
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.api import errors
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.quantity import Quantity
from kubelab.cluster.resources.base import ResourceStrategy
from kubelab.cluster.resources.podspec import qos_class

LIMIT_RANGES = ("", "v1", "limitranges")
ANNOTATION = "kubernetes.io/limit-ranger"
CONTAINER = "Container"


def _merge(container: dict[str, Any], part: str, defaults: dict[str, Any]) -> list[str]:
    """Fill in the missing ``part`` ("requests" or "limits") values; returns what was set."""
    resources = container.setdefault("resources", {})
    present = resources.get(part) or {}
    missing = {name: value for name, value in defaults.items() if name not in present}
    if missing:
        resources[part] = {**present, **missing}
    return sorted(missing)


def _apply_defaults(pod: dict[str, Any], item: dict[str, Any]) -> list[str]:
    """Default every container from one Container item; returns the annotation's phrases."""
    notes = []
    spec = pod.get("spec") or {}
    for kind, key in (("container", "containers"), ("init container", "initContainers")):
        for container in spec.get(key) or []:
            requests = _merge(container, "requests", item.get("defaultRequest") or {})
            limits = _merge(container, "limits", item.get("default") or {})
            name = container.get("name", "")
            if requests:
                notes.append(f"{', '.join(requests)} request for {kind} {name}")
            if limits:
                notes.append(f"{', '.join(limits)} limit for {kind} {name}")
    return notes


def _bounds_errors(container: dict[str, Any], item: dict[str, Any]) -> list[str]:
    """``minConstraint`` and ``maxConstraint`` for one container."""
    resources = container.get("resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    problems = []
    for name, bound in (item.get("min") or {}).items():
        low = Quantity.parse(bound)
        prefix = f"minimum {name} usage per {CONTAINER} is {low}"
        if name not in requests:
            problems.append(f"{prefix}.  No request is specified")
        elif Quantity.parse(requests[name]) < low:
            problems.append(f"{prefix}, but request is {Quantity.parse(requests[name])}")
        elif name in limits and Quantity.parse(limits[name]) < low:
            problems.append(f"{prefix}, but limit is {Quantity.parse(limits[name])}")
    for name, bound in (item.get("max") or {}).items():
        high = Quantity.parse(bound)
        prefix = f"maximum {name} usage per {CONTAINER} is {high}"
        if name not in limits:
            problems.append(f"{prefix}.  No limit is specified")
        elif Quantity.parse(limits[name]) > high:
            problems.append(f"{prefix}, but limit is {Quantity.parse(limits[name])}")
        elif name in requests and Quantity.parse(requests[name]) > high:
            problems.append(f"{prefix}, but request is {Quantity.parse(requests[name])}")
    return problems


def limit_ranger(
    api: ObjectAPI, strategy: ResourceStrategy, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """Admission for new pods: apply each LimitRange's container defaults, then its bounds."""
    if old is not None or strategy.group or strategy.plural != "pods":
        return
    meta = obj["metadata"]
    ranges = api.store.list(api.storage_key(api.registry.get(*LIMIT_RANGES)), meta["namespace"])
    problems: list[str] = []
    for limit_range in sorted(ranges, key=lambda r: r["metadata"]["name"]):
        items = [
            item
            for item in (limit_range.get("spec") or {}).get("limits") or []
            if item.get("type") == CONTAINER
        ]
        notes = [note for item in items for note in _apply_defaults(obj, item)]
        if notes:
            annotations = meta.setdefault("annotations", {})
            annotations[ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)
            obj.setdefault("status", {})["qosClass"] = qos_class(obj.get("spec") or {})
        spec = obj.get("spec") or {}
        for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
            for item in items:
                problems += _bounds_errors(container, item)
    if problems:
        reason = problems[0] if len(problems) == 1 else f"[{', '.join(problems)}]"
        name = meta.get("name", "")
        raise errors.forbidden(f'pods "{name}" is forbidden: {reason}', "", "pods", name)
