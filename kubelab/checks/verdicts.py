"""Turning "this is not as asked" plus what diagnosis found into FAIL or NOT YET.

The rule: a problem the cluster reports (image pull error, crash loop, wrong namespace...) is a
FAIL with that problem as its likely cause; otherwise, if something related is still converging
and the failure is of a kind convergence can fix, the verdict is NOT YET; otherwise FAIL.
"""

from __future__ import annotations

from typing import Any

from kubelab.checks.diagnosis import Finding, NamespaceView
from kubelab.checks.outcome import Outcome
from kubelab.checks.results import Evidence, Verdict


def evidence_from(objects: list[dict[str, Any]], view: NamespaceView | None) -> Evidence:
    seen: dict[str, dict[str, Any]] = {}
    for obj in objects:
        seen[obj.get("metadata", {}).get("uid") or str(id(obj))] = obj
    if view is not None:
        seen.update(view.consulted)
    events = list(view.consulted_events.values()) if view is not None else []
    return Evidence(list(seen.values()), events)


def failure_verdict(
    summary: str,
    details: list[str],
    findings: list[Finding],
    convergeable: bool,
    evidence: Evidence,
    spec_mismatch: bool = False,
) -> Verdict:
    """FAIL or NOT YET for a failed criterion, with the findings that explain it.

    ``spec_mismatch`` says the failure is in fields the learner writes (not status), so the
    findings are extra observations rather than the explanation.
    """
    problems = [f for f in findings if not f.converging]
    converging = [f for f in findings if f.converging]
    if problems:
        return Verdict(Outcome.FAIL, summary, details, problems, not spec_mismatch, evidence)
    if converging and convergeable:
        return Verdict(Outcome.NOT_YET, summary, details, converging, True, evidence)
    return Verdict(Outcome.FAIL, summary, details, [], True, evidence)
