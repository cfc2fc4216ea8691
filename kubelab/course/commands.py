"""The learner's commands: ``kubelab check``, ``hint``, ``start``, ``solve``, ``reset``...

They do exactly what ``kubelab.check(...)`` and friends do in a notebook, for learners who work
in a terminal. Each handler imports the engine when it runs, so that ``kubelab cluster up`` and
``--help`` stay instant (the Kubernetes client takes a while to import).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

#: ``kubelab check`` exit codes, so scripts can tell the verdicts apart.
EXIT_CODES = {"PASS": 0, "FAIL": 1, "NOT YET": 2, "ERROR": 3}


def cluster_options(parser: argparse.ArgumentParser) -> None:
    """Options every command that talks to a cluster or reads the course shares."""
    parser.add_argument("--kubeconfig", help="kubeconfig file (default: see kubelab doctor)")
    parser.add_argument("--context", help="kubeconfig context to use")
    parser.add_argument(
        "--course",
        action="append",
        type=Path,
        metavar="DIR",
        help="course directory to read exercises from (repeatable; default: the packaged course)",
    )


def make_lab(args: argparse.Namespace, namespace: str | None = None) -> Any:
    from kubelab.checks.connection import connect
    from kubelab.course.lab import Lab

    connection = connect(args.kubeconfig, args.context)
    print(connection.describe(), file=sys.stderr)
    return Lab(connection=connection, namespace=namespace, course_dirs=args.course)


def reported_failures() -> tuple[type[Exception], ...]:
    """Problems a command reports as one line instead of a traceback."""
    from kubelab.checks.kubeapi import APIRequestError, ClusterError
    from kubelab.checks.matchers import SpecError
    from kubelab.course.lifecycle import CommandFailed
    from kubelab.course.loader import UnknownExercise
    from kubelab.course.manifests import ManifestError

    return (ClusterError, APIRequestError, SpecError, UnknownExercise, ManifestError, CommandFailed)


def _run(action: Any, args: argparse.Namespace) -> int:
    try:
        return int(action(args) or 0)
    except reported_failures() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CODES["ERROR"]


def _check(args: argparse.Namespace) -> int:
    report = make_lab(args, args.namespace).check(
        args.id, timeout=args.timeout, record=not args.no_record
    )
    print(report.text())
    return EXIT_CODES[report.outcome.value]


def _hint(args: argparse.Namespace) -> int:
    from kubelab.course.lab import Lab

    lab = Lab(course_dirs=args.course)
    exercise = lab.exercise(args.id)
    text = lab.hint(args.id)
    if text is None:
        print(f"No more hints for {args.id}. `kubelab solve {args.id}` applies the solution.")
        return 0
    print(f"Hint {lab.progress.hints_used(args.id)} of {len(exercise.hints)}: {text}")
    return 0


def _start(args: argparse.Namespace) -> int:
    lab = make_lab(args, args.namespace)
    lab.start(args.id)
    print(f"{args.id} is ready in namespace {lab.target().namespace(lab.exercise(args.id))}.")
    return 0


def _solve(args: argparse.Namespace) -> int:
    make_lab(args, args.namespace).solve(args.id)
    print(f"The solution of {args.id} is applied. `kubelab check {args.id}` shows it passing.")
    return 0


def _reset(args: argparse.Namespace) -> int:
    lab = make_lab(args, args.namespace)
    if args.all:
        lab.reset_course()
        print("Every lesson namespace is back to its starting state.")
    elif args.lesson:
        lab.reset_lesson(args.lesson)
        print(f"Lesson {args.lesson} is back to its starting state.")
    elif args.id:
        lab.reset(args.id)
        print(f"{args.id} is back to its starting state.")
    else:
        print("error: name an exercise, or use --lesson ID or --all", file=sys.stderr)
        return 2
    return 0


def _progress(args: argparse.Namespace) -> int:
    from kubelab.course.loader import load_catalog
    from kubelab.progress import Progress, render_progress

    catalog = load_catalog(args.course)
    titles = {key: exercise.title for key, exercise in catalog.exercises.items()}
    print(render_progress(Progress().summary(list(catalog.exercises)), titles))
    return 0


def register(commands: Any) -> None:
    """Add the learner's subcommands to ``kubelab``'s argument parser."""
    check = commands.add_parser("check", help="check an exercise against the cluster")
    check.add_argument("id", help="exercise or check id, e.g. pods/first-pod")
    check.add_argument("--timeout", type=float, help="seconds to wait for convergence")
    check.add_argument("--namespace", help="check this namespace instead of the lesson's")
    check.add_argument("--no-record", action="store_true", help="do not record the attempt")
    cluster_options(check)
    check.set_defaults(func=lambda a: _run(_check, a))

    hint = commands.add_parser("hint", help="show the next hint of an exercise")
    hint.add_argument("id")
    hint.add_argument("--course", action="append", type=Path, metavar="DIR")
    hint.set_defaults(func=lambda a: _run(_hint, a))

    for name, action, text in (
        ("start", _start, "prepare an exercise: its namespace and starting objects"),
        ("solve", _solve, "apply an exercise's solution"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("id")
        sub.add_argument("--namespace", help="use this namespace instead of the lesson's")
        cluster_options(sub)
        sub.set_defaults(func=lambda a, action=action: _run(action, a))

    reset = commands.add_parser(
        "reset", help="put an exercise, a lesson or the whole course back to its start"
    )
    scope = reset.add_mutually_exclusive_group()
    scope.add_argument("id", nargs="?", help="exercise id")
    scope.add_argument("--lesson", help="recreate this lesson's namespace")
    scope.add_argument("--all", action="store_true", help="recreate every lesson namespace")
    reset.add_argument("--namespace", help="use this namespace instead of the lessons'")
    cluster_options(reset)
    reset.set_defaults(func=lambda a: _run(_reset, a))

    progress = commands.add_parser("progress", help="show your progress through the course")
    progress.add_argument("--course", action="append", type=Path, metavar="DIR")
    progress.set_defaults(func=lambda a: _run(_progress, a))
