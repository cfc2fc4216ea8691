"""The full grading report as JSON: every student, exercise, check and criterion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubelab.grading.runner import GradeRun


def report(run: GradeRun) -> dict[str, Any]:
    return {
        "generated_at": run.started_at,
        "cluster": run.cluster,
        "assignment": run.assignment,
        "duedate": run.duedate,
        "lessons": [lesson.id for lesson in run.lessons],
        "students": [
            {
                "student_id": graded.student.student_id,
                "namespace": graded.student.namespace,
                "last_name": graded.student.last_name,
                "first_name": graded.student.first_name,
                "email": graded.student.email,
                "score": graded.score(),
                "max_score": graded.points(),
                "exercises": [
                    {
                        "id": exercise.exercise.id,
                        "title": exercise.exercise.title,
                        "lesson": exercise.exercise.lesson,
                        "score": exercise.score,
                        "max_score": exercise.points,
                        "checks": [result.to_dict() for result in exercise.results],
                    }
                    for exercise in graded.exercises
                ],
            }
            for graded in run.students
        ],
    }


def write_json(run: GradeRun, path: Path) -> None:
    path.write_text(json.dumps(report(run), indent=2, ensure_ascii=False) + "\n", "utf-8")
