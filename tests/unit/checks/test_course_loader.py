"""Loading exercises, lessons and hidden checks from YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelab.checks.matchers import SpecError
from kubelab.checks.outcome import Outcome
from kubelab.course.loader import EXAMPLES_DIR, UnknownExercise, load_catalog


def test_the_examples_load() -> None:
    catalog = load_catalog([EXAMPLES_DIR])
    assert list(catalog.lessons) == ["examples"]
    web = catalog.exercise("examples/web-pod")
    assert web.namespace == "lesson-00" and web.lesson == "examples"
    assert [m["kind"] for m in web.setup] == ["Service"]
    assert web.solution.commands == ("kubectl run web --image=nginx --labels=app=web",)
    assert [w.outcome for w in web.wrong_answers] == [Outcome.FAIL, Outcome.FAIL]
    assert web.points == 4 and len(web.hints) == 3
    color = catalog.exercise("examples/color-config")
    assert color.checks[0].id == "examples/color-config"
    assert catalog.lesson_exercises("examples") == [color, web]


def test_lookup_by_check_or_exercise_id() -> None:
    catalog = load_catalog([EXAMPLES_DIR])
    exercise, checks = catalog.resolve("examples/web-pod")
    assert exercise.id == "examples/web-pod" and len(checks) == 1
    with pytest.raises(UnknownExercise, match="did you mean examples/web-pod"):
        catalog.resolve("examples/web-pd")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_hidden_checks_are_added_and_hidden(tmp_path: Path) -> None:
    write(
        tmp_path / "hidden" / "web.yaml",
        """
exercise: examples/web-pod
checks:
  - id: examples/web-pod/hidden
    title: One container only
    criteria:
      - title: exactly one container
        select: {kind: Pod, name: web}
        quantifier: any
        match: {spec: {containers: {$length: 1}}}
""",
    )
    catalog = load_catalog([EXAMPLES_DIR]).with_hidden(tmp_path / "hidden")
    checks = catalog.exercise("examples/web-pod").checks
    assert [c.id for c in checks] == ["examples/web-pod", "examples/web-pod/hidden"]
    assert checks[1].hidden and all(c.hidden for c in checks[1].criteria)
    assert not checks[0].hidden


def test_hidden_checks_must_name_a_known_exercise(tmp_path: Path) -> None:
    write(tmp_path / "h" / "x.yaml", "exercise: nope/none\nchecks: []\n")
    with pytest.raises(UnknownExercise):
        load_catalog([EXAMPLES_DIR]).with_hidden(tmp_path / "h")


LESSON = "id: l1\ntitle: L\nnamespace: lesson-01\n"
EXERCISE = """
id: l1/ex
title: Ex
checks:
  - criteria:
      - title: a pod
        select: {kind: Pod, name: web}
        quantifier: any
"""


def test_a_lesson_directory_loads_by_itself(tmp_path: Path) -> None:
    write(tmp_path / "lesson.yaml", LESSON)
    write(tmp_path / "ex.yaml", EXERCISE)
    write(tmp_path / "fixture.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    catalog = load_catalog([tmp_path])
    assert catalog.exercise("l1/ex").checks[0].id == "l1/ex"


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ("typo: 1\n", "unknown keys"),
        ("solution: {manifests: [{kind: Pod}]}\n", "apiVersion and kind"),
        ("solution: {commands: ['rm -rf /']}\n", "kubectl or helm only"),
        ("wrong_answers: [{title: t, message: m}]\n", "needs manifests or commands"),
        ("hints: [1, 2]\n", "list of texts"),
        ("setup: [missing.yaml]\n", "missing.yaml"),
    ],
)
def test_exercise_mistakes_are_refused(tmp_path: Path, extra: str, error: str) -> None:
    write(tmp_path / "lesson.yaml", LESSON)
    write(tmp_path / "ex.yaml", EXERCISE + extra)
    with pytest.raises((SpecError, OSError), match=error):
        load_catalog([tmp_path])


def test_check_ids_are_unique_across_the_course(tmp_path: Path) -> None:
    write(tmp_path / "a" / "lesson.yaml", LESSON)
    write(tmp_path / "a" / "ex.yaml", EXERCISE)
    write(tmp_path / "b" / "lesson.yaml", LESSON.replace("l1", "l2"))
    write(
        tmp_path / "b" / "ex.yaml",
        EXERCISE.replace("id: l1/ex", "id: l2/ex").replace(
            "  - criteria", "  - id: l1/ex\n    criteria"
        ),
    )
    with pytest.raises(SpecError, match="unique across the course"):
        load_catalog([tmp_path])
