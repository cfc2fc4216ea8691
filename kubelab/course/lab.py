"""The learner's handle on the course: check, hint, start, solve and reset exercises by id.

``kubelab.check("pods/first-pod")`` in a notebook and ``kubelab check pods/first-pod`` in a
terminal both come here, so they run the same checks against the same cluster and record the
same progress.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kubelab.checks.connection import kube_api, notebook_connection
from kubelab.checks.engine import ProgressCallback, run_check
from kubelab.checks.report import CheckReport
from kubelab.connect import Connection
from kubelab.course import lifecycle
from kubelab.course.hints import ExerciseHints
from kubelab.course.loader import Catalog, load_catalog
from kubelab.course.model import Exercise
from kubelab.progress import Progress


class Lab:
    """A course, a cluster and a progress store; every action takes an exercise or check id.

    ``namespace`` replaces every lesson namespace (a classroom where each student has one).
    """

    def __init__(
        self,
        catalog: Catalog | None = None,
        connection: Connection | None = None,
        namespace: str | None = None,
        progress: Progress | None = None,
        course_dirs: Iterable[Path] | None = None,
    ) -> None:
        self._catalog = catalog
        self._course_dirs = list(course_dirs) if course_dirs is not None else None
        self._connection = connection
        self.namespace = namespace
        self.progress = progress if progress is not None else Progress()

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = load_catalog(self._course_dirs)
        return self._catalog

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = notebook_connection()
        return self._connection

    def target(self) -> lifecycle.Target:
        return lifecycle.Target(self.connection, kube_api(self.connection), self.namespace)

    def exercise(self, exercise_id: str) -> Exercise:
        return self.catalog.exercise(exercise_id)

    def check(
        self,
        check_id: str,
        *,
        timeout: float | None = None,
        record: bool = True,
        on_progress: ProgressCallback | None = None,
    ) -> CheckReport:
        """Run a check (or every check of an exercise) and record the attempt."""
        exercise, checks = self.catalog.resolve(check_id)
        target = self.target()
        namespace = target.namespace(exercise)
        results = [
            run_check(check, target.api, namespace, timeout=timeout, on_progress=on_progress)
            for check in checks
        ]
        report = CheckReport(
            exercise.title if len(checks) > 1 else checks[0].title,
            results,
            ExerciseHints(exercise, self.progress),
            lambda: self.check(check_id, timeout=timeout, record=record),
        )
        if record:
            self.progress.record_attempt(
                exercise.id, report.outcome.value, report.score, report.points
            )
        return report

    def hint(self, exercise_id: str) -> str | None:
        """The next hint of an exercise, or None when there are no more."""
        return ExerciseHints(self.exercise(exercise_id), self.progress).reveal_next()

    def start(self, exercise_id: str) -> None:
        lifecycle.start(self.target(), self.exercise(exercise_id))

    def solve(self, exercise_id: str) -> None:
        lifecycle.solve(self.target(), self.exercise(exercise_id))

    def reset(self, exercise_id: str) -> None:
        lifecycle.reset(self.target(), self.exercise(exercise_id))

    def reset_lesson(self, lesson_id: str) -> None:
        lifecycle.reset_lesson(self.target(), self.catalog, lesson_id)

    def reset_course(self) -> None:
        lifecycle.reset_course(self.target(), self.catalog)

    def cleanup(self, exercise_id: str) -> None:
        lifecycle.cleanup(self.target(), self.exercise(exercise_id))
