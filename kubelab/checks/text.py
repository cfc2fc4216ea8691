"""Check results as plain text, for ``kubelab check`` in a terminal and for logs.

The layout answers a learner's questions in order: did it pass, which requirement is not met,
what exactly differs (field path, expected, found), and what the cluster says is the cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubelab.checks.outcome import Outcome

if TYPE_CHECKING:
    from kubelab.checks.results import CheckResult, CriterionResult


def cause_heading(criterion: CriterionResult) -> str:
    verdict = criterion.verdict
    if verdict.outcome is Outcome.NOT_YET:
        return "Still converging"
    if not verdict.causes_explain:
        return "Also noticed"
    return "Likely cause" if len(verdict.causes) == 1 else "Likely causes"


def criterion_lines(criterion: CriterionResult) -> list[str]:
    verdict = criterion.verdict
    lines = [f"  {criterion.outcome.symbol} {criterion.title}"]
    if criterion.outcome is Outcome.PASS:
        return lines
    if verdict.summary:
        lines.append(f"      {verdict.summary}")
    lines.extend(f"      - {detail}" for detail in verdict.details)
    if verdict.causes:
        lines.append(f"      {cause_heading(criterion)}:")
        for finding in verdict.causes:
            lines.append(f"        {finding.message}")
            if finding.log_tail:
                lines.append("        last log lines:")
                lines.extend(f"          | {line}" for line in finding.log_tail)
    return lines


def headline(result: CheckResult) -> str:
    return (
        f"{result.outcome.value}  {result.check_id}: {result.title}  "
        f"({result.score:g}/{result.points:g} points)"
    )


def closing_note(result: CheckResult) -> str | None:
    outcome = result.outcome
    if outcome is Outcome.NOT_YET:
        if result.timed_out:
            return (
                f"Still converging after {result.duration:.0f} s. Things may just be slow: "
                "run the check again in a moment."
            )
        return "Some things are still converging."
    if outcome is Outcome.ERROR:
        return "The check could not look at the cluster; nothing was judged about your work."
    return None


def render_check(result: CheckResult) -> str:
    lines = [headline(result)]
    for criterion in result.criteria:
        lines.extend(criterion_lines(criterion))
    note = closing_note(result)
    if note:
        lines.append(f"  {note}")
    return "\n".join(lines)
