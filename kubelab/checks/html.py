"""Check results as static HTML: what a notebook shows when widgets are not available.

Exported notebooks, nbconvert, GitHub previews and classic front-ends render ``text/html`` but
not live widgets, so every result also renders to self-contained, escaped HTML.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from kubelab.checks.outcome import Outcome
from kubelab.checks.text import cause_heading, closing_note

if TYPE_CHECKING:
    from kubelab.checks.results import CheckResult, CriterionResult

COLOURS = {
    Outcome.PASS: "#1a7f37",
    Outcome.NOT_YET: "#9a6700",
    Outcome.FAIL: "#cf222e",
    Outcome.ERROR: "#6e7781",
}


def badge(outcome: Outcome) -> str:
    return (
        f'<span style="background:{COLOURS[outcome]};color:#fff;border-radius:4px;'
        f'padding:1px 6px;font-weight:600;font-size:0.85em">{escape(outcome.value)}</span>'
    )


def criterion_html(criterion: CriterionResult) -> str:
    verdict = criterion.verdict
    colour = COLOURS[criterion.outcome]
    parts = [
        f'<li style="list-style:none;margin:4px 0"><span style="color:{colour};'
        f'font-weight:700">{escape(criterion.outcome.symbol)}</span> {escape(criterion.title)}'
    ]
    if criterion.outcome is not Outcome.PASS:
        body = []
        if verdict.summary:
            body.append(f"<div>{escape(verdict.summary)}</div>")
        if verdict.details:
            items = "".join(f"<li><code>{escape(d)}</code></li>" for d in verdict.details)
            body.append(f'<ul style="margin:2px 0">{items}</ul>')
        if verdict.causes:
            causes = []
            for finding in verdict.causes:
                logs = ""
                if finding.log_tail:
                    logs = (
                        '<pre style="margin:2px 0;padding:4px;background:#f6f8fa">'
                        + escape("\n".join(finding.log_tail))
                        + "</pre>"
                    )
                causes.append(f"<li>{escape(finding.message)}{logs}</li>")
            body.append(
                f"<div><em>{escape(cause_heading(criterion))}:</em>"
                f'<ul style="margin:2px 0">{"".join(causes)}</ul></div>'
            )
        parts.append(f'<div style="margin-left:1.4em;color:#444">{"".join(body)}</div>')
    parts.append("</li>")
    return "".join(parts)


def check_html(result: CheckResult) -> str:
    criteria = "".join(criterion_html(c) for c in result.criteria)
    note = closing_note(result)
    note_html = f'<div style="color:#555;margin-top:4px">{escape(note)}</div>' if note else ""
    return (
        '<div style="border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;margin:6px 0">'
        f"<div>{badge(result.outcome)} <strong>{escape(result.title)}</strong> "
        f'<code style="color:#666">{escape(result.check_id)}</code> '
        f'<span style="float:right">{result.score:g} / {result.points:g} points</span></div>'
        f'<ul style="padding-left:0;margin:6px 0 0 0">{criteria}</ul>{note_html}</div>'
    )
