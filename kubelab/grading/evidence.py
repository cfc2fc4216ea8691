"""Evidence: the objects and events each verdict was based on, saved per student and check.

A grade can be disputed weeks later, when the cluster is long gone. The evidence directory
keeps, for every check of every student, the verdicts together with the exact objects and
events they were judged on (Secret values redacted), so a grade can be explained without
re-running anything.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kubelab.grading.runner import GradeRun


def safe_name(text: str) -> str:
    """A file name for an id like ``pods/first-pod`` (``pods__first-pod``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "__", text).strip("_") or "unnamed"


def write_evidence(run: GradeRun, directory: Path) -> list[Path]:
    written = []
    for graded in run.students:
        folder = directory / safe_name(graded.student.student_id)
        folder.mkdir(parents=True, exist_ok=True)
        for exercise in graded.exercises:
            for result in exercise.results:
                path = folder / f"{safe_name(result.check_id)}.json"
                document = {
                    "student_id": graded.student.student_id,
                    "cluster": run.cluster,
                    "exercise": exercise.exercise.id,
                    **result.to_dict(evidence=True),
                }
                path.write_text(json.dumps(document, indent=2, default=str) + "\n", "utf-8")
                written.append(path)
    return written
