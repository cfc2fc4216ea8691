"""Time to grade a class: ``kubelab grade`` over a 30-student roster on one shared cluster.

A third of the class solved the example lesson, a third gave a wrong answer to each exercise and
a third only started; the figure is the wall time of the real ``kubelab grade`` command, from
start to the written gradebook, with its default four students graded at a time. The lesson is
worth 6 points (``web-pod`` 4, ``color-config`` 2), so the scores seen are 6 for the solvers, 2
for the wrong answers (half of ``web-pod``'s criteria still pass) and 0 for the rest.

Run: ``.venv/bin/python benchmarks/grading.py [--students 30]``; writes
``benchmarks/results/grading.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import VENV_BIN, background_cluster, load_average, write_result  # noqa: E402

from kubelab.course import lifecycle  # noqa: E402
from kubelab.course.loader import EXAMPLES_DIR  # noqa: E402
from kubelab.testing import content_lab  # noqa: E402

EXERCISES = ("examples/color-config", "examples/web-pod")


def prepare_class(kubeconfig: Path, scratch: Path, students: int) -> Path:
    """Each student's work in a namespace of their own; returns the roster."""
    rows = ["student_id,namespace"]
    for index in range(students):
        namespace = f"student-{index:02d}"
        lab = content_lab(kubeconfig, scratch / namespace, [EXAMPLES_DIR], namespace)
        for exercise in EXERCISES:
            lab.start(exercise)
            if index % 3 == 0:
                lab.solve(exercise)
            elif index % 3 == 1:
                wrong = lab.exercise(exercise).wrong_answers[0]
                lifecycle.apply_answer(lab.target(), lab.exercise(exercise), wrong.answer)
        rows.append(f"s{index:02d},{namespace}")
    roster = scratch / "roster.csv"
    roster.write_text("\n".join(rows) + "\n")
    return roster


def run(students: int = 30) -> dict[str, Any]:
    with background_cluster(time_scale=10) as cluster, tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        roster = prepare_class(cluster.kubeconfig, Path(scratch), students)
        prepared = time.perf_counter() - started
        load_before = load_average()
        out = Path(scratch) / "grades"
        started = time.perf_counter()
        subprocess.run(
            [
                str(VENV_BIN / "kubelab"),
                "grade",
                "--namespace-per-student",
                str(roster),
                "--course",
                str(EXAMPLES_DIR),
                "--kubeconfig",
                str(cluster.kubeconfig),
                "--out",
                str(out),
            ],
            env={**os.environ, "HOME": scratch},
            check=True,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        graded = time.perf_counter() - started
        report = json.loads((out / "grades.json").read_text())
    checks = sum(len(e["checks"]) for s in report["students"] for e in s["exercises"])
    scores = sorted({s["score"] for s in report["students"]})
    max_scores = sorted({s["max_score"] for s in report["students"]})
    result = {
        "students": students,
        "checks_run": checks,
        "grade_seconds": round(graded, 2),
        "seconds_per_student": round(graded / students, 3),
        "class_setup_seconds": round(prepared, 1),
        "scores_seen": scores,
        "max_score": max_scores[0] if len(max_scores) == 1 else max_scores,
        "course": "the example lesson's 2 exercises",
        "load_before": load_before,
        "load_after": load_average(),
    }
    print(json.dumps(result, indent=2), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args()
    print(f"wrote {write_result('grading', run(args.students))}")


if __name__ == "__main__":
    main()
