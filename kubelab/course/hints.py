"""Progressive hints: revealed one at a time, on request, and remembered.

Each exercise's hints go from a nudge to nearly the answer. Which ones a learner has seen is
kept in their progress, so the next notebook session shows the same hints again instead of
starting over, and an instructor can see how much help was used.
"""

from __future__ import annotations

from kubelab.course.model import Exercise
from kubelab.progress import Progress


class ExerciseHints:
    """The :class:`~kubelab.checks.report.HintBook` of one exercise, backed by progress."""

    def __init__(self, exercise: Exercise, progress: Progress) -> None:
        self.exercise = exercise
        self.exercise_id = exercise.id
        self.progress = progress

    @property
    def total(self) -> int:
        return len(self.exercise.hints)

    def revealed(self) -> list[str]:
        used = min(self.progress.hints_used(self.exercise_id), self.total)
        return list(self.exercise.hints[:used])

    def reveal_next(self) -> str | None:
        """The next hint (recorded as used), or None when all have been shown."""
        used = self.progress.hints_used(self.exercise_id)
        if used >= self.total:
            return None
        self.progress.record_hint(self.exercise_id)
        return self.exercise.hints[used]
