"""``kubelab grade`` over the whole course for a class of three, each in a namespace of their own:
one who solved every exercise, one who made a typical mistake in each, one who did nothing.

The gradebook must hold every student and every lesson with the catalog's points. Where work is
confined to the student's namespace, the scores are exact: the lessons on Helm and
troubleshooting give full marks, zero, and something in between. Exercises about objects every
namespace shares (a CustomResourceDefinition, a Namespace) cannot tell students apart, so for
the whole course the test asks only that solving earns more than a mistake or nothing.
"""

from __future__ import annotations

import csv
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelab.cli import main
from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.course import lifecycle
from kubelab.course.loader import COURSE_DIR, Catalog, load_catalog
from kubelab.grading.gradebook import COLUMNS
from kubelab.testing import content_lab
from tests.integration.scenarios.conftest import TIME_SCALE

#: Room on the one node for a class: two students who work through the whole course run more
#: pods than a kubelet's default limit of 110.
CLASSROOM_MAX_PODS = 250


@pytest.fixture(scope="module")
def fast_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """The scenarios' fast cluster, with a node that has room for the whole class."""
    home = tmp_path_factory.mktemp("fast-home")
    with EmbeddedCluster(home, time_scale=TIME_SCALE, max_pods=CLASSROOM_MAX_PODS) as running:
        yield running


ROLES = ("solved", "mistaken", "untouched")
#: Lessons whose every object lives in the student's namespace, so their scores are exact.
EXACT_LESSONS = ("helm", "troubleshooting")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([COURSE_DIR])


@pytest.fixture(scope="module")
def classroom(
    fast_cluster: EmbeddedCluster, catalog: Catalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, str]]]:
    """Three students' namespaces, worked on exercise by exercise, and their roster."""
    scratch = tmp_path_factory.mktemp("classroom")
    suffix = uuid.uuid4().hex[:6]
    students = {role: f"class-{role}-{suffix}" for role in ROLES}
    labs = {
        role: content_lab(fast_cluster.kubeconfig, scratch, [COURSE_DIR], namespace)
        for role, namespace in students.items()
    }
    target = labs["untouched"].target()
    lifecycle.manifests.ensure_namespace(target.api, students["untouched"], "grading")
    for exercise in catalog.exercises.values():
        # Both start before either answers: a start resets what the exercise may leave
        # behind, which for a cluster-wide object would undo the other student's answer.
        labs["solved"].start(exercise.id)
        labs["mistaken"].start(exercise.id)
        labs["solved"].solve(exercise.id)
        for mistake in exercise.wrong_answers[:1]:
            lifecycle.apply_answer(labs["mistaken"].target(), exercise, mistake.answer)
    roster = scratch / "roster.csv"
    roster.write_text(
        "student_id,namespace,email\n"
        + "".join(
            f"{role},{namespace},{role}@example.org\n" for role, namespace in students.items()
        )
    )
    yield roster, students
    for namespace in students.values():
        lifecycle.manifests.delete_namespace(target.api, namespace)


def test_grading_the_whole_course(
    fast_cluster: EmbeddedCluster, catalog: Catalog, classroom, tmp_path: Path
) -> None:
    roster, students = classroom
    out = tmp_path / "grades"
    code = main(
        [
            "grade",
            "--namespace-per-student",
            str(roster),
            "--kubeconfig",
            str(fast_cluster.kubeconfig),
            "--out",
            str(out),
            "--timeout",
            "20",
        ]
    )
    assert code == 0

    with (out / "grades.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = list(reader)
    lesson_points = {
        lesson: sum(e.points for e in catalog.lesson_exercises(lesson))
        for lesson in catalog.lessons
    }
    score: dict[tuple[str, str], float] = {}
    for row in rows:
        assert float(row["max_score"]) == lesson_points[row["assignment"]], row
        score[(row["student_id"], row["assignment"])] = float(row["score"])
    assert set(score) == {(role, lesson) for role in ROLES for lesson in catalog.lessons}

    for lesson in EXACT_LESSONS:
        assert score[("solved", lesson)] == lesson_points[lesson], lesson
        assert 0 < score[("mistaken", lesson)] < lesson_points[lesson], lesson
        assert score[("untouched", lesson)] == 0, lesson

    total = {role: sum(v for (who, _), v in score.items() if who == role) for role in ROLES}
    assert total["solved"] > total["mistaken"] > total["untouched"]

    suites = {s.get("name"): s for s in ET.parse(out / "grades.xml").getroot().iter("testsuite")}
    assert set(suites) == set(ROLES)
    assert int(suites["untouched"].get("failures")) > int(suites["mistaken"].get("failures"))

    report = json.loads((out / "grades.json").read_text())
    graded = {s["student_id"]: s for s in report["students"]}
    assert {s["namespace"] for s in graded.values()} == set(students.values())
    exercises = {e["id"]: e for e in graded["solved"]["exercises"]}
    assert set(exercises) == set(catalog.exercises)
    for exercise_id, exercise in exercises.items():
        if exercise_id.split("/")[0] in EXACT_LESSONS:
            assert exercise["score"] == exercise["max_score"], json.dumps(exercise)[:2000]
