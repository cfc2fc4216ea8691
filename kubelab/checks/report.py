"""What ``kubelab.check("id")`` returns: the results of an exercise's checks, with its hints.

One object serves every place a learner meets it: a notebook cell shows it as a live widget
(ticks, messages, a hint button, a "check again" button) or as static HTML where widgets do not
run, a terminal prints its text, and code can read its outcome and score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kubelab.checks.html import check_html
from kubelab.checks.outcome import Outcome, combine
from kubelab.checks.results import CheckResult


class HintBook(Protocol):
    """Progressive hints of one exercise; revealing one is remembered (and counted)."""

    exercise_id: str

    @property
    def total(self) -> int: ...

    def revealed(self) -> list[str]: ...

    def reveal_next(self) -> str | None: ...


@dataclass
class CheckReport:
    title: str
    results: list[CheckResult]
    hints: HintBook | None = None
    rerun: Callable[[], CheckReport] | None = None

    @property
    def outcome(self) -> Outcome:
        return combine([r.outcome for r in self.results])

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.results), 4)

    @property
    def points(self) -> float:
        return sum(r.points for r in self.results)

    def hint_note(self) -> str | None:
        if self.hints is None or self.passed:
            return None
        used = len(self.hints.revealed())
        if used >= self.hints.total:
            return None
        return (
            f"Stuck? kubelab.hint({self.hints.exercise_id!r}) or `kubelab hint "
            f"{self.hints.exercise_id}` shows a hint ({used} of {self.hints.total} used)."
        )

    def text(self) -> str:
        parts = [result.text() for result in self.results]
        note = self.hint_note()
        if note:
            parts.append(note)
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return "".join(check_html(result) for result in self.results)

    def widget(self) -> Any:
        """The interactive view (needs ipywidgets)."""
        from kubelab.checks.view import report_widget

        return report_widget(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/plain": self.text(), "text/html": self._repr_html_()}
        try:
            widget = self.widget()
        except ImportError:
            return bundle
        shown = widget._repr_mimebundle_()
        data = shown[0] if isinstance(shown, tuple) else shown
        bundle.update({k: v for k, v in (data or {}).items() if k != "text/plain"})
        return bundle
