"""Running every selected check for every student, and adding up the points.

Each student's checks run against their own namespace (or the lesson namespaces when grading a
single learner's cluster). Grading looks at settled work, so a failure is confirmed quickly
instead of waiting the learner's settle time; NOT YET still waits for convergence within each
check's time limit, because a deployment still rolling out at grading time deserves its chance.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from kubelab.checks.engine import run_check
from kubelab.checks.kubeapi import KubeAPI
from kubelab.checks.results import CheckResult
from kubelab.course.loader import Catalog
from kubelab.course.model import Exercise, Lesson
from kubelab.grading.roster import Student

GRADING_SETTLE = 0.3


@dataclass
class ExerciseGrade:
    exercise: Exercise
    results: list[CheckResult]

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.results), 4)

    @property
    def points(self) -> float:
        return sum(r.points for r in self.results)


@dataclass
class StudentGrade:
    student: Student
    exercises: list[ExerciseGrade]

    def in_lesson(self, lesson_id: str | None) -> list[ExerciseGrade]:
        return [e for e in self.exercises if lesson_id is None or e.exercise.lesson == lesson_id]

    def score(self, lesson_id: str | None = None) -> float:
        return round(sum(e.score for e in self.in_lesson(lesson_id)), 4)

    def points(self, lesson_id: str | None = None) -> float:
        return sum(e.points for e in self.in_lesson(lesson_id))


@dataclass
class GradeRun:
    started_at: str
    cluster: str
    lessons: list[Lesson]
    students: list[StudentGrade]
    #: One assignment name for everything graded, or None for one assignment per lesson.
    assignment: str | None = None
    duedate: str = ""


def selected_exercises(catalog: Catalog, lessons: list[str] | None) -> list[Exercise]:
    chosen = lessons if lessons else list(catalog.lessons)
    return [exercise for lesson in chosen for exercise in catalog.lesson_exercises(lesson)]


def grade_student(
    api: KubeAPI,
    student: Student,
    exercises: list[Exercise],
    timeout: float | None,
    settle: float,
) -> StudentGrade:
    grades = []
    for exercise in exercises:
        namespace = student.namespace or exercise.namespace
        results = [
            run_check(check, api, namespace, timeout=timeout, settle=settle)
            for check in exercise.checks
        ]
        grades.append(ExerciseGrade(exercise, results))
    return StudentGrade(student, grades)


def grade(
    catalog: Catalog,
    api: KubeAPI,
    students: list[Student],
    *,
    lessons: list[str] | None = None,
    timeout: float | None = None,
    settle: float = GRADING_SETTLE,
    jobs: int = 4,
    assignment: str | None = None,
    duedate: str = "",
    on_student: Callable[[StudentGrade], None] | None = None,
) -> GradeRun:
    """Grade every student (several at a time) on the selected lessons' checks."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    exercises = selected_exercises(catalog, lessons)

    def one(student: Student) -> StudentGrade:
        result = grade_student(api, student, exercises, timeout, settle)
        if on_student is not None:
            on_student(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        graded = list(pool.map(one, students))
    chosen = [catalog.lesson(lesson) for lesson in (lessons or list(catalog.lessons))]
    return GradeRun(started_at, api.server, chosen, graded, assignment, duedate)
