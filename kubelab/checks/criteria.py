"""Criteria: the single requirements a check is made of, and how each is evaluated.

A criterion is *started* once per check run and then *evaluated* as often as the engine polls;
most criteria simply look at the cluster each time, but some need memory across looks (a watch
for "never happened", the steps of a behavioural probe), so every run gets its own
:class:`Evaluation`.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kubelab.checks.context import RunContext
from kubelab.checks.diagnosis import (
    NamespaceView,
    absence_findings,
    controller_owner,
    is_terminating,
    object_findings,
)
from kubelab.checks.kubeapi import ClusterError, KubeAPI, ResourceType, UnknownResource
from kubelab.checks.matchers import Matcher, Mismatch, SpecError, as_matcher
from kubelab.checks.outcome import Outcome
from kubelab.checks.quantifiers import Quantifier
from kubelab.checks.results import Evidence, Verdict
from kubelab.checks.selection import Selection, object_label
from kubelab.checks.verdicts import evidence_from, failure_verdict

#: How many objects and mismatches a message lists before it says "and N more".
SHOWN = 5


class Evaluation(ABC):
    """One criterion within one check run."""

    @abstractmethod
    def evaluate(self) -> Verdict:
        """Look at the cluster now."""

    def close(self) -> None:  # noqa: B027 - most evaluations hold nothing to release
        """Release what the evaluation holds (watches, threads)."""


@dataclass(frozen=True, kw_only=True)
class Criterion(ABC):
    """One requirement with a stable id, a title the learner reads, and a weight for credit.

    ``hidden`` criteria never show expected values (only what is wrong); ``message`` is the
    author's own words for a failure, shown instead of the generated summary.
    """

    id: str
    title: str
    weight: float = 1.0
    hidden: bool = False
    message: str | None = None

    @abstractmethod
    def start(self, context: RunContext) -> Evaluation:
        """Begin evaluating this criterion for one run."""


def _cap(lines: list[str], noun: str) -> list[str]:
    if len(lines) <= SHOWN:
        return lines
    return lines[:SHOWN] + [f"… and {len(lines) - SHOWN} more {noun}"]


def _is_status(mismatch: Mismatch) -> bool:
    return mismatch.path == "status" or mismatch.path.startswith(("status.", "status["))


# --- state: select, count, match --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StateCriterion(Criterion):
    """Objects selected now, counted by a quantifier after partial matching."""

    select: Selection
    quantifier: Quantifier
    match: Any = None
    allow_empty: bool = False
    matcher: Matcher | None = field(init=False, default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "matcher", None if self.match is None else as_matcher(self.match))

    def start(self, context: RunContext) -> Evaluation:
        return _StateEvaluation(self, context)


class _StateEvaluation(Evaluation):
    def __init__(self, criterion: StateCriterion, context: RunContext) -> None:
        self.criterion = criterion
        self.context = context

    def evaluate(self) -> Verdict:
        c, ctx = self.criterion, self.context
        try:
            resolved = c.select.resolve(ctx.api, ctx.namespace)
        except UnknownResource as exc:
            return Verdict(Outcome.FAIL, exc.message)
        objects = resolved.objects
        mismatches = [c.matcher.mismatches(obj, "") if c.matcher else [] for obj in objects]
        matching = sum(1 for found in mismatches if not found)
        if c.quantifier.judge(len(objects), matching, c.matcher is not None, c.allow_empty):
            return Verdict(Outcome.PASS, evidence=Evidence(objects))
        namespace = resolved.namespace or ctx.namespace
        view = NamespaceView(ctx.api, namespace)
        what = "objects this check looks for" if c.hidden else c.select.describe()
        where = f" in namespace {namespace}" if resolved.rtype.namespaced else ""
        if not objects:
            findings = absence_findings(c.select, resolved.rtype, view, c.hidden)
            summary = f"No {what} found{where}."
            return failure_verdict(
                c.message or summary, [], findings, True, evidence_from([], view)
            )
        failing, details, summary = _describe_failure(c, objects, mismatches, what + where)
        related = [obj for obj, _ in failing] or objects
        findings = [f for obj in related[:SHOWN] for f in object_findings(obj, view)]
        convergeable = all(
            is_terminating(obj) or controller_owner(obj) is not None or all(map(_is_status, found))
            for obj, found in failing
        )
        # Fields of objects a controller writes (a Deployment's pods, a Service's endpoints)
        # are explained by the findings; the learner's own objects explain themselves.
        spec_mismatch = any(
            not _is_status(m)
            for obj, found in failing
            if controller_owner(obj) is None
            for m in found
        )
        return failure_verdict(
            c.message or summary,
            _cap(details, "differences"),
            list(dict.fromkeys(findings)),
            convergeable,
            evidence_from(objects, view),
            spec_mismatch,
        )


def _describe_failure(
    c: StateCriterion, objects: list[dict[str, Any]], mismatches: list[list[Mismatch]], what: str
) -> tuple[list[tuple[dict[str, Any], list[Mismatch]]], list[str], str]:
    """The objects that spoil the count, a line per difference, and a one-line summary."""
    matching = [obj for obj, found in zip(objects, mismatches, strict=True) if not found]
    if c.quantifier.name == "none":
        details = [
            f"{object_label(obj)} is in a state the task rules out"
            if c.hidden or c.matcher is None
            else f"{object_label(obj)} matches {c.matcher.describe()}"
            for obj in matching
        ]
        if c.matcher is None:
            return (
                [(obj, []) for obj in matching],
                details,
                (f"Expected no {what}, but {len(objects)} exist."),
            )
        summary = f"None of the {what} may be in this state, but {len(matching)} are."
        return [(obj, []) for obj in matching], details, summary
    failing = [(obj, found) for obj, found in zip(objects, mismatches, strict=True) if found]
    details = [
        f"{object_label(obj)}: {m.render(c.hidden)}"
        for obj, found in failing
        for m in found[:SHOWN]
    ]
    if c.select.name is not None:
        summary = f"{what[0].upper()}{what[1:]} is not as the task asks."
    elif c.hidden and c.quantifier.name in ("exactly", "at_least"):
        summary = f"{len(matching)} of the {len(objects)} selected are as the task asks."
    else:
        summary = (
            f"Expected {c.quantifier.describe(what)} to be as the task asks; "
            f"{len(matching)} of {len(objects)} are."
        )
    return failing, details, summary


# --- never: watched over a window -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class NeverCriterion(Criterion):
    """No selected object may match at any moment of a time window (watch-based).

    "Eventually absent" is a :class:`StateCriterion` with quantifier ``none``; this one
    catches what happened and went away again: a pod that crashed once during a rolling update,
    a Service that had no endpoints for a second.
    """

    select: Selection
    window: float
    match: Any = None
    matcher: Matcher | None = field(init=False, default=None, compare=False)

    def __post_init__(self) -> None:
        if self.window <= 0:
            raise SpecError(f"criterion {self.id}: a never criterion needs a window above 0 s")
        object.__setattr__(self, "matcher", None if self.match is None else as_matcher(self.match))

    def start(self, context: RunContext) -> Evaluation:
        return _NeverEvaluation(self, context)


@dataclass(frozen=True)
class _Sighting:
    at: str
    label: str
    description: str
    obj: dict[str, Any]


class _NeverEvaluation(Evaluation):
    def __init__(self, criterion: NeverCriterion, context: RunContext) -> None:
        self.criterion = criterion
        self.context = context
        self.started = time.monotonic()
        self.sightings: list[_Sighting] = []
        self.error: ClusterError | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stream: Any = None
        self._unknown: str | None = None

    def _violates(self, obj: dict[str, Any]) -> bool:
        c = self.criterion
        if c.select.name is not None and obj.get("metadata", {}).get("name") != c.select.name:
            return False
        return c.matcher is None or c.matcher.matches(obj)

    def _see(self, obj: dict[str, Any]) -> None:
        if not self._violates(obj):
            return
        c = self.criterion
        if c.hidden or c.matcher is None:
            description = "was in a state the task rules out" if c.matcher else "existed"
        else:
            description = f"matched {c.matcher.describe()}"
        now = datetime.now(UTC).strftime("%H:%M:%S")
        with self._lock:
            self.sightings.append(_Sighting(now, object_label(obj), description, obj))

    def _begin(self) -> None:
        c, ctx = self.criterion, self.context
        try:
            rtype = ctx.api.resource(c.select.api_version, c.select.kind)
        except UnknownResource as exc:
            self._unknown = exc.message
            return
        namespace = c.select.namespace_in(ctx.namespace) if rtype.namespaced else None
        objects, version = ctx.api.list_with_version(rtype, namespace, c.select.label_query)
        for obj in objects:
            self._see(obj)
        self._thread = threading.Thread(
            target=self._watch,
            args=(ctx.api, rtype, namespace, version),
            name=f"kubelab-never-{c.id}",
            daemon=True,
        )
        self._thread.start()

    def _watch(
        self, api: KubeAPI, rtype: ResourceType, namespace: str | None, version: str
    ) -> None:
        c = self.criterion
        while not self._stop.is_set():
            left = c.window - (time.monotonic() - self.started)
            if left <= 0:
                return
            try:
                self._stream = api.watch(
                    rtype, namespace, version, int(left) + 1, c.select.label_query
                )
                for kind, obj in self._stream:
                    if self._stop.is_set():
                        return
                    if kind == "ERROR":
                        break
                    version = obj.get("metadata", {}).get("resourceVersion", version)
                    if kind in ("ADDED", "MODIFIED"):
                        self._see(obj)
            except ClusterError as exc:
                self.error = exc
                return
            except Exception as exc:  # noqa: BLE001 - a broken watch must become a verdict
                self.error = ClusterError(f"watching {c.select.describe()} failed: {exc}")
                return

    def evaluate(self) -> Verdict:
        c = self.criterion
        if self._thread is None and self._unknown is None:
            self._begin()
        if self._unknown is not None:
            return Verdict(Outcome.FAIL, self._unknown)
        if self.error is not None:
            return Verdict(Outcome.ERROR, str(self.error))
        with self._lock:
            sightings = list(self.sightings)
        what = "objects this check looks for" if c.hidden else c.select.describe()
        if sightings:
            details = [f"at {s.at} UTC {s.label} {s.description}" for s in sightings]
            summary = c.message or f"This must never happen to the {what}, but it did."
            evidence = Evidence([s.obj for s in sightings])
            return Verdict(Outcome.FAIL, summary, _cap(details, "sightings"), evidence=evidence)
        elapsed = time.monotonic() - self.started
        if elapsed < c.window:
            return Verdict(
                Outcome.NOT_YET,
                f"Still watching the {what}: {elapsed:.0f} of {c.window:.0f} s observed.",
            )
        return Verdict(Outcome.PASS)

    def close(self) -> None:
        self._stop.set()
        stream = self._stream
        if stream is not None:
            stream.close()
        if self._thread is not None:
            self._thread.join(2)
