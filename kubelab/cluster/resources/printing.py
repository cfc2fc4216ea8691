"""Helpers shared by the kinds' table printers (``kubectl get`` columns)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

NONE = "<none>"
UNKNOWN = "<unknown>"


def parse_time(value: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp as Kubernetes writes it (``2026-01-02T03:04:05Z``)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def format_time(moment: datetime) -> str:
    """RFC 3339 with second precision in UTC, as ``metav1.Time`` serialises."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def human_duration(delta: timedelta) -> str:
    """kubectl's ``duration.HumanDuration``: ``45s``, ``2m30s``, ``5h10m``, ``3d4h``, ``2y``."""
    seconds = int(delta.total_seconds())
    if seconds < -1:
        return "<invalid>"
    seconds = max(seconds, 0)
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24
        rest = days % 365
        return f"{days // 365}y{rest}d" if rest else f"{days // 365}y"
    return f"{hours // 24 // 365}y"


def since(value: str | None, now: datetime) -> str:
    """Human age of a timestamp, or ``<unknown>`` when it is missing."""
    moment = parse_time(value)
    if moment is None:
        return UNKNOWN
    return human_duration(now - moment)


def age(obj: dict[str, Any], now: datetime) -> str:
    return since(obj.get("metadata", {}).get("creationTimestamp"), now)


def join_or_none(values: list[str], sep: str = ",") -> str:
    return sep.join(values) if values else NONE


def format_label_selector(selector: dict[str, Any] | None) -> str:
    """``metav1.FormatLabelSelector``: ``app=web,tier in (a,b)``, or ``<none>``."""
    if not selector:
        return NONE
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    text = ",".join(parts)
    return text if text else NONE


def format_map_selector(selector: dict[str, str] | None) -> str:
    """A plain map selector (Services, ReplicationControllers) as ``a=b,c=d``."""
    if not selector:
        return NONE
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def container_names_and_images(pod_spec: dict[str, Any]) -> tuple[str, str]:
    """The ``CONTAINERS`` and ``IMAGES`` wide columns of workload kinds."""
    containers = pod_spec.get("containers") or []
    names = ",".join(c.get("name", "") for c in containers)
    images = ",".join(c.get("image", "") for c in containers)
    return names, images
