"""The CSV gradebook, in the columns nbgrader's ``nbgrader export`` writes.

Instructors already have tooling (LMS imports, spreadsheets) built around nbgrader's export, so
the gradebook uses exactly its columns: one row per student and assignment, where an assignment
is a lesson (or everything graded, under one ``--assignment`` name). Scores carry partial
credit per criterion.
"""

from __future__ import annotations

import csv
from pathlib import Path

from kubelab.grading.runner import GradeRun

COLUMNS = (
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
)


def number(value: float) -> str:
    """``3`` rather than ``3.0``; partial credit keeps up to four decimals."""
    return f"{round(value, 4):g}"


def rows(run: GradeRun) -> list[dict[str, str]]:
    assignments: list[tuple[str, str | None]] = (
        [(run.assignment, None)]
        if run.assignment
        else [(lesson.id, lesson.id) for lesson in run.lessons]
    )
    table = []
    for name, lesson in assignments:
        for graded in run.students:
            student = graded.student
            raw = graded.score(lesson)
            table.append(
                {
                    "assignment": name,
                    "duedate": run.duedate,
                    "timestamp": run.started_at,
                    "student_id": student.student_id,
                    "last_name": student.last_name,
                    "first_name": student.first_name,
                    "email": student.email,
                    "raw_score": number(raw),
                    "late_submission_penalty": "0",
                    "score": number(raw),
                    "max_score": number(graded.points(lesson)),
                }
            )
    return table


def write_gradebook(run: GradeRun, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(run))
