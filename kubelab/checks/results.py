"""What a check found: per-criterion verdicts with their explanation and evidence.

Results are plain data so that one run can be shown in a notebook, printed in a terminal,
recorded as progress, written to a gradebook and saved as evidence, all from the same object.
Hidden criteria are already safe here: their texts were written without the expected values,
so no renderer can leak them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubelab.checks.diagnosis import Finding
from kubelab.checks.html import check_html
from kubelab.checks.outcome import Outcome, combine
from kubelab.checks.text import render_check

_REDACTED = "(redacted)"


@dataclass
class Evidence:
    """The objects and events a verdict was based on."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"objects": [redact(obj) for obj in self.objects], "events": self.events}


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def redact(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy safe to write to disk: Secret values replaced (keys kept), also in the copy of
    the object kubectl keeps in an annotation."""
    if obj.get("kind") != "Secret":
        return obj
    copy = dict(obj)
    for key in ("data", "stringData"):
        if isinstance(obj.get(key), dict):
            copy[key] = dict.fromkeys(obj[key], _REDACTED)
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if LAST_APPLIED in annotations:
        copy["metadata"] = {
            **obj["metadata"],
            "annotations": {**annotations, LAST_APPLIED: _REDACTED},
        }
    return copy


@dataclass
class Verdict:
    """One look at the cluster for one criterion."""

    outcome: Outcome
    summary: str = ""
    details: list[str] = field(default_factory=list)
    causes: list[Finding] = field(default_factory=list)
    #: True when the causes explain the failure ("Likely cause"), False when they are only
    #: other things noticed next to a mismatch that explains itself.
    causes_explain: bool = True
    evidence: Evidence = field(default_factory=Evidence)


@dataclass
class CriterionResult:
    id: str
    title: str
    weight: float
    hidden: bool
    verdict: Verdict

    @property
    def outcome(self) -> Outcome:
        return self.verdict.outcome

    @property
    def passed(self) -> bool:
        return self.verdict.outcome is Outcome.PASS

    def to_dict(self, evidence: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "outcome": self.outcome.value,
            "weight": self.weight,
            "hidden": self.hidden,
            "summary": self.verdict.summary,
            "details": self.verdict.details,
            "causes": [
                {"cause": f.cause, "message": f.message, "log_tail": list(f.log_tail)}
                for f in self.verdict.causes
            ],
        }
        if evidence:
            data["evidence"] = self.verdict.evidence.to_dict()
        return data


@dataclass
class CheckResult:
    check_id: str
    title: str
    points: float
    namespace: str
    criteria: list[CriterionResult]
    started_at: str
    duration: float
    timed_out: bool = False
    hidden: bool = False

    @property
    def outcome(self) -> Outcome:
        return combine([c.outcome for c in self.criteria])

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS

    @property
    def score(self) -> float:
        """Partial credit: the check's points in proportion to the weight of passed criteria."""
        total = sum(c.weight for c in self.criteria)
        if total <= 0:
            return 0.0
        earned = sum(c.weight for c in self.criteria if c.passed)
        return round(self.points * earned / total, 4)

    def to_dict(self, evidence: bool = False) -> dict[str, Any]:
        return {
            "id": self.check_id,
            "title": self.title,
            "outcome": self.outcome.value,
            "score": self.score,
            "points": self.points,
            "namespace": self.namespace,
            "hidden": self.hidden,
            "started_at": self.started_at,
            "duration": round(self.duration, 3),
            "timed_out": self.timed_out,
            "criteria": [c.to_dict(evidence) for c in self.criteria],
        }

    def text(self) -> str:
        return render_check(self)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return check_html(self)
