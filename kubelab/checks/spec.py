"""The YAML check format, read into the same objects the Python API builds.

A check in YAML::

    id: pods/first-pod
    title: A pod named web runs nginx
    points: 3
    timeout: 30s
    criteria:
      - id: exists
        title: Pod web exists and runs nginx
        select: {kind: Pod, name: web}          # apiVersion defaults to v1, namespace to
        quantifier: any                         # the exercise's lesson namespace
        match:
          spec: {containers: [{image: {$image: {repository: nginx}}}]}
      - id: serves
        title: Service web answers
        probe: {http: {service: web, port: 80, path: /, status: 200}}

Unknown keys are errors, so a typo such as ``mach:`` cannot silently turn a criterion into one
that checks nothing.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from kubelab.checks.criteria import Criterion, NeverCriterion, StateCriterion
from kubelab.checks.engine import DEFAULT_TIMEOUT, Check
from kubelab.checks.matchers import SpecError, show
from kubelab.checks.probes import (
    DataSurvivesProbe,
    ExecProbe,
    HttpProbe,
    LogsProbe,
    Probe,
    ProbeCriterion,
    RolloutHistoryProbe,
)
from kubelab.checks.quantifiers import parse_quantifier
from kubelab.checks.selection import Selection

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
CHECK_KEYS = {"id", "title", "points", "timeout", "hidden", "description", "criteria"}
CRITERION_KEYS = {
    "id",
    "title",
    "weight",
    "hidden",
    "message",
    "select",
    "quantifier",
    "match",
    "allow_empty",
    "window",
    "probe",
}
SELECT_KEYS = {"kind", "apiVersion", "name", "labels", "namespace"}


def parse_duration(value: Any) -> float:
    """Seconds from ``30``, ``"30s"``, ``"2m"``, ``"1m30s"`` or ``"500ms"``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        parts = _DURATION.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            return sum(float(n) * _UNITS[u] for n, u in parts)
    raise SpecError(f"{show(value)} is not a duration (write 30s, 2m or 1m30s)")


def _require_map(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SpecError(f"{what} must be a map, got {show(data)}")
    return data


def _known(data: dict[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise SpecError(f"{what} has unknown keys {unknown}; allowed: {sorted(allowed)}")


def _text(data: dict[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{what} needs a {key} (text)")
    return value


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:48] or "criterion"


def parse_selection(data: Any, default_kind: str | None = None) -> Selection:
    data = _require_map(data, "select")
    _known(data, SELECT_KEYS, "select")
    kind = data.get("kind", default_kind)
    if not isinstance(kind, str):
        raise SpecError("select needs a kind (Pod, Deployment, ...)")
    return Selection(
        kind=kind,
        api_version=str(data.get("apiVersion", "v1")),
        name=data.get("name"),
        labels=data.get("labels"),
        namespace=data.get("namespace"),
    )


def _pod_selection(data: dict[str, Any], what: str) -> Selection:
    if "pod" in data and "select" in data:
        raise SpecError(f"{what}: give pod or select, not both")
    if "pod" in data:
        return Selection(kind="Pod", name=str(data["pod"]))
    if "select" in data:
        return parse_selection(data["select"], default_kind="Pod")
    raise SpecError(f"{what} needs pod: NAME or select: {{labels: ...}}")


def parse_probe(data: Any) -> Probe:
    data = _require_map(data, "probe")
    if len(data) != 1:
        raise SpecError(f"a probe has exactly one kind, got {sorted(data)}")
    ((kind, args),) = data.items()
    args = _require_map(args, f"probe {kind}")
    match kind:
        case "http":
            _known(
                args, {"service", "port", "path", "status", "body", "namespace", "timeout"}, kind
            )
            return HttpProbe(
                service=_text(args, "service", "http probe"),
                port=args.get("port", 80),
                path=str(args.get("path", "/")),
                status=int(args.get("status", 200)),
                body=args.get("body"),
                namespace=args.get("namespace"),
                timeout=parse_duration(args.get("timeout", 5)),
            )
        case "exec":
            allowed = {"pod", "select", "command", "container", "output", "exit_code", "timeout"}
            _known(args, allowed, kind)
            command = args.get("command")
            if isinstance(command, str):
                command = shlex.split(command)
            if not isinstance(command, list) or not command:
                raise SpecError("exec probe needs a command (a list or a string)")
            return ExecProbe(
                select=_pod_selection(args, "exec probe"),
                command=tuple(str(part) for part in command),
                container=args.get("container"),
                output=args.get("output"),
                exit_code=int(args.get("exit_code", 0)),
                timeout=parse_duration(args.get("timeout", 10)),
            )
        case "logs":
            _known(args, {"pod", "select", "log", "container"}, kind)
            if "log" not in args:
                raise SpecError("logs probe needs log: (e.g. {$contains: ready})")
            return LogsProbe(
                select=_pod_selection(args, "logs probe"),
                log=args["log"],
                container=args.get("container"),
            )
        case "data_survives":
            _known(args, {"pod", "select", "path", "container"}, kind)
            return DataSurvivesProbe(
                select=_pod_selection(args, "data_survives probe"),
                path=_text(args, "path", "data_survives probe"),
                container=args.get("container"),
            )
        case "rollout_history":
            _known(args, {"deployment", "min_revisions", "includes", "namespace"}, kind)
            includes = args.get("includes", [])
            if not isinstance(includes, list):
                raise SpecError("rollout_history includes is a list of pod templates")
            return RolloutHistoryProbe(
                deployment=_text(args, "deployment", "rollout_history probe"),
                min_revisions=int(args.get("min_revisions", 1)),
                includes=tuple(includes),
                namespace=args.get("namespace"),
            )
    raise SpecError(
        f"unknown probe {kind!r}; use http, exec, logs, data_survives or rollout_history"
    )


def parse_criterion(data: Any, check_hidden: bool = False) -> Criterion:
    data = _require_map(data, "criterion")
    _known(data, CRITERION_KEYS, f"criterion {data.get('id', data.get('title', ''))!r}")
    title = _text(data, "title", "every criterion")
    common: dict[str, Any] = {
        "id": str(data.get("id") or _slug(title)),
        "title": title,
        "weight": float(data.get("weight", 1.0)),
        "hidden": bool(data.get("hidden", check_hidden)),
        "message": data.get("message"),
    }
    if common["weight"] < 0:
        raise SpecError(f"criterion {common['id']}: weight cannot be negative")
    if ("probe" in data) == ("select" in data):
        raise SpecError(f"criterion {common['id']} needs either select or probe (one of them)")
    if "probe" in data:
        extra = {"quantifier", "match", "allow_empty", "window"} & set(data)
        if extra:
            raise SpecError(f"criterion {common['id']}: {sorted(extra)} do not apply to probes")
        return ProbeCriterion(probe=parse_probe(data["probe"]), **common)
    selection = parse_selection(data["select"])
    if "quantifier" not in data:
        raise SpecError(
            f"criterion {common['id']} needs a quantifier: any, all, none, never, "
            "{exactly: N} or {at_least: N}"
        )
    if data["quantifier"] == "never":
        if "window" not in data:
            raise SpecError(f"criterion {common['id']}: quantifier never needs a window (10s)")
        return NeverCriterion(
            select=selection,
            window=parse_duration(data["window"]),
            match=data.get("match"),
            **common,
        )
    if "window" in data:
        raise SpecError(f"criterion {common['id']}: window only applies to quantifier never")
    return StateCriterion(
        select=selection,
        quantifier=parse_quantifier(data["quantifier"]),
        match=data.get("match"),
        allow_empty=bool(data.get("allow_empty", False)),
        **common,
    )


def parse_check(data: Any, hidden: bool = False) -> Check:
    """A :class:`Check` from its YAML form; ``hidden`` makes every criterion hidden."""
    data = _require_map(data, "check")
    _known(data, CHECK_KEYS, f"check {data.get('id', '')!r}")
    check_id = _text(data, "id", "every check")
    check_hidden = bool(data.get("hidden", hidden))
    criteria = data.get("criteria")
    if not isinstance(criteria, list) or not criteria:
        raise SpecError(f"check {check_id} needs a non-empty list of criteria")
    try:
        parsed = tuple(parse_criterion(item, check_hidden) for item in criteria)
    except SpecError as exc:
        raise SpecError(f"check {check_id}: {exc}") from exc
    points = data.get("points")
    return Check(
        id=check_id,
        title=str(data.get("title") or check_id),
        criteria=parsed,
        points=None if points is None else float(points),
        timeout=parse_duration(data.get("timeout", DEFAULT_TIMEOUT)),
        hidden=check_hidden,
        description=str(data.get("description", "")),
    )
