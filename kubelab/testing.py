"""Content tests: prove that every exercise can be failed, solved, reset and got wrong properly.

A check that passes an unsolved exercise, rejects its own solution, or answers a typical
mistake with the wrong message is the worst bug a course can ship, and learners find it first.
:func:`verify_exercise` runs the whole cycle against a real cluster:

1. reset to the starting state: the checks must FAIL;
2. ``solve()``: the checks must PASS;
3. each known-wrong answer (on a fresh reset): the checks give its expected outcome, with text
   matching its expected message;
4. reset again: the checks must FAIL again (reset really restores the unsolved state).

Use it from pytest::

    @pytest.mark.parametrize("exercise_id", exercise_ids(load_catalog([COURSE_DIR])))
    def test_exercise(exercise_id, kubeconfig, tmp_path):
        verify_exercise(content_lab(kubeconfig, tmp_path), exercise_id)
"""

from __future__ import annotations

import re
from pathlib import Path

from kubelab.checks.connection import connect
from kubelab.checks.outcome import Outcome
from kubelab.checks.report import CheckReport
from kubelab.course import lifecycle
from kubelab.course.lab import Lab
from kubelab.course.loader import Catalog, load_catalog
from kubelab.progress import Progress


class ContentError(AssertionError):
    """An exercise whose checks, solution, reset or wrong answers do not behave."""


def exercise_ids(catalog: Catalog) -> list[str]:
    return list(catalog.exercises)


def content_lab(
    kubeconfig: Path,
    scratch: Path,
    course_dirs: list[Path] | None = None,
    namespace: str | None = None,
) -> Lab:
    """A lab on the cluster of ``kubeconfig`` that keeps its progress in ``scratch``."""
    return Lab(
        catalog=load_catalog(course_dirs),
        connection=connect(kubeconfig),
        namespace=namespace,
        progress=Progress(scratch / "content-test-progress.db"),
    )


def _expect(report: CheckReport, wanted: Outcome, step: str, exercise_id: str) -> None:
    if report.outcome is not wanted:
        raise ContentError(
            f"{exercise_id}: {step}: expected {wanted.value}, got {report.outcome.value}\n"
            f"{report.text()}"
        )


def verify_exercise(lab: Lab, exercise_id: str, timeout: float | None = None) -> None:
    """Run the fail / solve / wrong answers / reset cycle; raises :class:`ContentError`."""
    exercise = lab.exercise(exercise_id)

    def check() -> CheckReport:
        return lab.check(exercise_id, timeout=timeout, record=False)

    lab.reset(exercise_id)
    _expect(check(), Outcome.FAIL, "unsolved starting state", exercise_id)
    lab.solve(exercise_id)
    _expect(check(), Outcome.PASS, "after solve()", exercise_id)
    for wrong in exercise.wrong_answers:
        lab.reset(exercise_id)
        lifecycle.apply_answer(lab.target(), exercise, wrong.answer)
        report = check()
        step = f"known-wrong answer {wrong.title!r}"
        _expect(report, wrong.outcome, step, exercise_id)
        if not re.search(wrong.message, report.text()):
            raise ContentError(
                f"{exercise_id}: {step}: the result does not match /{wrong.message}/\n"
                f"{report.text()}"
            )
    lab.reset(exercise_id)
    _expect(check(), Outcome.FAIL, "after reset()", exercise_id)
