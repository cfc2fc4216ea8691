"""The local progress store: attempts, passes, hints and timestamps survive sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelab.course.hints import ExerciseHints
from kubelab.course.loader import EXAMPLES_DIR, load_catalog
from kubelab.progress import Progress, render_progress


def test_attempts_and_passes_are_counted(tmp_path: Path) -> None:
    progress = Progress(tmp_path / "p.db")
    progress.record_attempt("pods/web", "FAIL", 1.0, 4.0)
    progress.record_attempt("pods/web", "NOT YET", 3.0, 4.0)
    progress.record_attempt("pods/web", "PASS", 4.0, 4.0)
    again = Progress(tmp_path / "p.db")
    row = again.exercise("pods/web")
    assert (row.attempts, row.passes, row.best_score, row.points) == (3, 1, 4.0, 4.0)
    assert row.passed and row.first_attempt and row.first_pass
    assert again.exercise("other").attempts == 0


def test_progress_lives_under_kubelab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBELAB_HOME", str(tmp_path / "home"))
    Progress().record_hint("pods/web")
    assert (tmp_path / "home" / "progress.db").exists()


def test_hints_are_revealed_in_order_and_remembered(tmp_path: Path) -> None:
    exercise = load_catalog([EXAMPLES_DIR]).exercise("examples/web-pod")
    hints = ExerciseHints(exercise, Progress(tmp_path / "p.db"))
    assert hints.revealed() == []
    assert hints.reveal_next() == exercise.hints[0]
    later = ExerciseHints(exercise, Progress(tmp_path / "p.db"))
    assert later.revealed() == [exercise.hints[0]]
    assert later.reveal_next() == exercise.hints[1]
    assert later.reveal_next() == exercise.hints[2]
    assert later.reveal_next() is None
    assert Progress(tmp_path / "p.db").hints_used("examples/web-pod") == 3


def test_the_progress_table(tmp_path: Path) -> None:
    progress = Progress(tmp_path / "p.db")
    assert "No progress yet" in render_progress(progress.summary())
    progress.record_attempt("b/two", "FAIL", 0.0, 2.0)
    progress.record_attempt("a/one", "PASS", 4.0, 4.0)
    progress.record_hint("b/two")
    table = render_progress(progress.summary(["a/one", "b/two", "c/three"]), {"a/one": "First"})
    lines = table.splitlines()
    assert lines[1].startswith("✓ a/one (First)") and "4/4" in lines[1]
    assert lines[2].startswith("… b/two") and "0/2" in lines[2]
    assert lines[3].startswith("  c/three")
    assert lines[-1] == "1 of 3 exercises passed."
