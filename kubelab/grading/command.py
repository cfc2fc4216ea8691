"""``kubelab grade``: grade a lesson or the whole course, for one learner or a whole class.

Writes ``grades.json``, ``grades.xml`` (JUnit) and ``grades.csv`` (nbgrader export columns) to
``--out``; ``--evidence DIR`` also saves what every verdict was based on. Hidden checks come
from ``--hidden DIR`` and are run only here. The engine is imported when the command runs, so
``kubelab --help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kubelab.course.commands import cluster_options

REPORT_NAMES = {"json": "grades.json", "junit": "grades.xml", "csv": "grades.csv"}


def _grade(args: argparse.Namespace) -> int:
    from kubelab.checks.connection import connect, kube_api
    from kubelab.course.loader import load_catalog
    from kubelab.grading.evidence import write_evidence
    from kubelab.grading.gradebook import number, write_gradebook
    from kubelab.grading.json_report import write_json
    from kubelab.grading.junit import write_junit
    from kubelab.grading.roster import Student, read_roster
    from kubelab.grading.runner import grade

    catalog = load_catalog(args.course)
    if args.hidden is not None:
        catalog = catalog.with_hidden(args.hidden)
    lessons = [catalog.lesson(lesson).id for lesson in args.lesson or []]
    if args.namespace_per_student is not None:
        students = read_roster(args.namespace_per_student)
    else:
        students = [Student(args.student, None)]
    connection = connect(args.kubeconfig, args.context)
    print(connection.describe(), file=sys.stderr)

    def announce(graded: Any) -> None:
        print(
            f"{graded.student.student_id}: {number(graded.score())}/{number(graded.points())}",
            file=sys.stderr,
        )

    run = grade(
        catalog,
        kube_api(connection),
        students,
        lessons=lessons or None,
        timeout=args.timeout,
        jobs=args.jobs,
        assignment=args.assignment,
        duedate=args.duedate or "",
        on_student=announce,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(run, args.out / REPORT_NAMES["json"])
    write_junit(run, args.out / REPORT_NAMES["junit"])
    write_gradebook(run, args.out / REPORT_NAMES["csv"])
    written = [str(args.out / name) for name in REPORT_NAMES.values()]
    if args.evidence is not None:
        write_evidence(run, args.evidence)
        written.append(f"{args.evidence}/ (evidence)")
    print("Wrote " + ", ".join(written))
    return 0


def _run(args: argparse.Namespace) -> int:
    from kubelab.course.commands import reported_failures
    from kubelab.grading.roster import RosterError

    try:
        return _grade(args)
    except (*reported_failures(), RosterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def register(commands: Any) -> None:
    """Add ``kubelab grade`` to ``kubelab``'s argument parser."""
    grade = commands.add_parser(
        "grade", help="grade a lesson or the course: JSON, JUnit XML and a CSV gradebook"
    )
    grade.add_argument(
        "--lesson",
        action="append",
        metavar="ID",
        help="grade this lesson (repeatable; default all)",
    )
    grade.add_argument(
        "--namespace-per-student",
        type=Path,
        metavar="ROSTER.csv",
        help="CSV with student_id and namespace columns: grade each student's namespace",
    )
    grade.add_argument(
        "--student", default="learner", help="student id when grading one learner's cluster"
    )
    grade.add_argument("--hidden", type=Path, metavar="DIR", help="directory of hidden checks")
    grade.add_argument(
        "--evidence",
        type=Path,
        metavar="DIR",
        help="save the objects and events behind each verdict",
    )
    grade.add_argument(
        "--out", type=Path, default=Path("."), metavar="DIR", help="report directory"
    )
    grade.add_argument("--assignment", help="one assignment name for everything graded")
    grade.add_argument("--duedate", help="due date written to the gradebook")
    grade.add_argument("--timeout", type=float, help="seconds each check may wait to converge")
    grade.add_argument("--jobs", type=int, default=4, help="students graded at the same time")
    cluster_options(grade)
    grade.set_defaults(func=_run)
