"""The notebook widget for a check report: ticks per criterion, messages, hints, check again.

A hint is revealed only when the learner asks for it, one at a time, because hints that show
themselves take the exercise away. "Check again" re-runs the same checks in place, so a learner
who just fixed something does not have to find and re-run the cell.
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from kubelab.checks.html import check_html
from kubelab.checks.report import CheckReport


def _hints_html(hints: list[str]) -> str:
    if not hints:
        return ""
    items = "".join(
        f'<li style="margin:2px 0"><strong>Hint {number}.</strong> {escape(text)}</li>'
        for number, text in enumerate(hints, 1)
    )
    return f'<ol style="list-style:none;padding-left:0;margin:4px 0">{items}</ol>'


def _hint_label(report: CheckReport) -> str:
    assert report.hints is not None
    left = report.hints.total - len(report.hints.revealed())
    return f"Show a hint ({left} left)" if left else "No more hints"


def report_widget(report: CheckReport) -> widgets.VBox:
    """A VBox showing the report, with hint and re-check buttons where they apply."""
    results = widgets.HTML(report._repr_html_())
    hint_area = widgets.HTML(_hints_html(report.hints.revealed() if report.hints else []))
    controls: list[widgets.Widget] = []
    state = {"report": report}

    if report.hints is not None and report.hints.total:
        hint_button = widgets.Button(
            description=_hint_label(report),
            icon="lightbulb-o",
            disabled=len(report.hints.revealed()) >= report.hints.total,
            layout=widgets.Layout(width="auto"),
        )

        def reveal(_: widgets.Button) -> None:
            book = state["report"].hints
            assert book is not None
            book.reveal_next()
            hint_area.value = _hints_html(book.revealed())
            hint_button.description = _hint_label(state["report"])
            hint_button.disabled = len(book.revealed()) >= book.total

        hint_button.on_click(reveal)
        controls.append(hint_button)

    if report.rerun is not None:
        again = widgets.Button(
            description="Check again", icon="refresh", layout=widgets.Layout(width="auto")
        )

        def check_again(_: widgets.Button) -> None:
            rerun = state["report"].rerun
            assert rerun is not None
            again.disabled = True
            again.description = "Checking…"
            try:
                state["report"] = rerun()
                results.value = "".join(check_html(r) for r in state["report"].results)
            finally:
                again.disabled = False
                again.description = "Check again"

        again.on_click(check_again)
        controls.append(again)

    children: list[widgets.Widget] = [results]
    if controls:
        children.append(widgets.HBox(controls))
    children.append(hint_area)
    return widgets.VBox(children)
