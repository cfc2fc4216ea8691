"""Results render for terminals, notebooks and reports without leaking hidden answers."""

from __future__ import annotations

import json

import ipywidgets

from kubelab.checks.diagnosis import Finding
from kubelab.checks.matchers import match
from kubelab.checks.outcome import Outcome
from kubelab.checks.report import CheckReport
from kubelab.checks.results import CheckResult, CriterionResult, Evidence, Verdict, redact

SECRET_ANSWER = "registry.example/answer:42"


def hidden_failure() -> CriterionResult:
    (mismatch,) = match(
        {"spec": {"containers": [{"name": "web", "image": SECRET_ANSWER}]}},
        {"spec": {"containers": [{"name": "web", "image": "nginx"}]}},
    )
    verdict = Verdict(
        Outcome.FAIL,
        "Pod web in namespace lesson-01 is not as the task asks.",
        [f"Pod web: {mismatch.render(hidden=True)}"],
    )
    return CriterionResult("image", "Uses the right image", 1.0, True, verdict)


def result(*criteria: CriterionResult, points: float = 3, timed_out: bool = False) -> CheckResult:
    return CheckResult(
        "pods/web", "Web pod", points, "lesson-01", list(criteria), "t", 1.5, timed_out
    )


PASSED = CriterionResult("exists", "Pod web exists", 2.0, False, Verdict(Outcome.PASS))
CONVERGING = CriterionResult(
    "ready",
    "Pod web is Ready",
    1.0,
    False,
    Verdict(
        Outcome.NOT_YET,
        "Pod web in namespace lesson-01 is not as the task asks.",
        ["Pod web: status.phase: expected Running, found Pending"],
        [Finding("starting", "Pod web is being started on node kubelab", True)],
    ),
)
CRASHING = CriterionResult(
    "ready",
    "Pod web is Ready",
    1.0,
    False,
    Verdict(
        Outcome.FAIL,
        "Pod web <b>is</b> not as the task asks.",
        [],
        [
            Finding(
                "crash-loop", "container web keeps crashing", False, ("boom", "<script>x</script>")
            )
        ],
    ),
)


def test_scores_are_partial_credit_by_weight() -> None:
    assert result(PASSED, CONVERGING).score == 2.0
    assert result(PASSED, CONVERGING, points=6).score == 4.0
    assert result(CONVERGING).score == 0.0


def test_text_shows_outcome_ticks_details_and_causes() -> None:
    text = result(PASSED, CONVERGING, timed_out=True).text()
    assert text.splitlines()[0] == "NOT YET  pods/web: Web pod  (2/3 points)"
    assert "  ✓ Pod web exists" in text
    assert "  … Pod web is Ready" in text
    assert "- Pod web: status.phase: expected Running, found Pending" in text
    assert "Still converging:" in text and "run the check again in a moment" in text


def test_crash_logs_are_shown_and_html_is_escaped() -> None:
    checked = result(CRASHING)
    assert "| boom" in checked.text()
    html = checked._repr_html_()
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "&lt;b&gt;is&lt;/b&gt;" in html


def test_hidden_expected_values_never_appear_anywhere() -> None:
    checked = result(hidden_failure())
    report = CheckReport("Web pod", [checked])
    rendered = [
        checked.text(),
        checked._repr_html_(),
        json.dumps(checked.to_dict(evidence=True)),
        report.text(),
        json.dumps(report._repr_mimebundle_(), default=str),
    ]
    for text in rendered:
        assert SECRET_ANSWER not in text
        assert "answer:42" not in text
    assert "not what the task asks for" in checked.text()


class Hints:
    exercise_id = "pods/web"

    def __init__(self, hints: list[str]) -> None:
        self.hints = hints
        self.used = 0

    @property
    def total(self) -> int:
        return len(self.hints)

    def revealed(self) -> list[str]:
        return self.hints[: self.used]

    def reveal_next(self) -> str | None:
        if self.used >= len(self.hints):
            return None
        self.used += 1
        return self.hints[self.used - 1]


def test_the_widget_reveals_hints_one_at_a_time() -> None:
    hints = Hints(["Look at the labels.", "Use --labels app=web."])
    report = CheckReport("Web pod", [result(PASSED, CONVERGING)], hints)
    view = report.widget()
    results, buttons, hint_area = view.children
    assert isinstance(results, ipywidgets.HTML) and "Pod web exists" in results.value
    (button,) = buttons.children
    assert button.description == "Show a hint (2 left)" and hint_area.value == ""
    button.click()
    assert "Look at the labels." in hint_area.value and "Use --labels" not in hint_area.value
    button.click()
    assert "Use --labels" in hint_area.value
    assert button.disabled and button.description == "No more hints"
    assert "Stuck?" not in report.text()


def test_the_widget_checks_again_in_place() -> None:
    fixed = CheckReport("Web pod", [result(PASSED)])
    report = CheckReport("Web pod", [result(PASSED, CONVERGING)], rerun=lambda: fixed)
    view = report.widget()
    results, buttons, _ = view.children
    (again,) = buttons.children
    again.click()
    assert "NOT YET" not in results.value and "PASS" in results.value


def test_the_notebook_bundle_has_a_widget_and_fallbacks() -> None:
    bundle = CheckReport("Web pod", [result(PASSED)])._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("PASS")
    assert "Pod web exists" in bundle["text/html"]


def test_hint_note_counts_used_hints() -> None:
    hints = Hints(["one", "two"])
    report = CheckReport("Web pod", [result(CONVERGING)], hints)
    assert "shows a hint (0 of 2 used)" in report.text()


def test_evidence_redacts_secret_values() -> None:
    secret = {"kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "czNjcmV0"}}
    assert redact(secret)["data"] == {"password": "(redacted)"}
    evidence = Evidence([secret]).to_dict()
    assert "czNjcmV0" not in json.dumps(evidence)
    assert secret["data"]["password"] == "czNjcmV0"
