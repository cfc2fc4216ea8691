"""Start, solve, reset and clean up exercises: getting the cluster into a known state.

Learners who break things need a way back that does not involve an instructor (reset), learners
who are stuck need a way forward (solve), and content tests need both to prove every exercise
works. An exercise's *footprint* is what it may leave behind: the objects its fixtures, solution
and known-wrong answers create and the objects its checks select; resetting deletes the
footprint and applies the fixtures again. Resetting a lesson recreates its whole namespace.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kubelab.checks.criteria import NeverCriterion, StateCriterion
from kubelab.checks.kubeapi import APIRequestError, KubeAPI, UnknownResource
from kubelab.connect import Connection
from kubelab.course import manifests
from kubelab.course.loader import Catalog
from kubelab.course.model import Answer, Exercise

COMMAND_TIMEOUT = 120.0
#: Where helm commands of solutions find the course's charts (``${COURSE_CHARTS}/webapp``).
CHARTS_DIR = Path(__file__).parent / "charts"
CHARTS_PLACEHOLDER = "${COURSE_CHARTS}"
_NAMESPACE_FLAGS = ("-n", "--namespace", "-A", "--all-namespaces")


class CommandFailed(RuntimeError):
    """A solution's kubectl command failed."""


@dataclass(frozen=True)
class Target:
    """Where an exercise is played: the cluster, and the namespace its lesson uses there."""

    connection: Connection
    api: KubeAPI
    namespace_override: str | None = None

    def namespace(self, exercise: Exercise) -> str:
        return self.namespace_override or exercise.namespace


def start(target: Target, exercise: Exercise) -> None:
    """Create the namespace if needed and apply the exercise's fixtures."""
    namespace = target.namespace(exercise)
    manifests.ensure_namespace(target.api, namespace, exercise.lesson)
    manifests.apply(target.api, exercise.setup, namespace)


def apply_answer(target: Target, exercise: Exercise, answer: Answer) -> None:
    """Apply an answer's manifests, then run its kubectl commands, in the exercise namespace."""
    namespace = target.namespace(exercise)
    manifests.ensure_namespace(target.api, namespace, exercise.lesson)
    manifests.apply(target.api, answer.manifests, namespace)
    for command in answer.commands:
        run_command(target.connection, command, namespace)


def solve(target: Target, exercise: Exercise) -> None:
    """Fast-forward: apply the solution on top of whatever is there."""
    apply_answer(target, exercise, exercise.solution)


def run_command(connection: Connection, command: str, namespace: str) -> str:
    """Run one ``kubectl ...`` or ``helm ...`` line against the connection's cluster, in
    ``namespace``. ``${COURSE_CHARTS}`` in a helm line is the course's chart directory, so a
    solution installs the same chart the course's repository serves, on any cluster."""
    text = manifests.substitute(command, namespace).replace(CHARTS_PLACEHOLDER, str(CHARTS_DIR))
    tool, *args = shlex.split(text)
    if not any(arg in _NAMESPACE_FLAGS or arg.startswith("--namespace=") for arg in args):
        # Before any "--": what follows it is the container's command, not kubectl's flags.
        end = args.index("--") if "--" in args else len(args)
        args = [*args[:end], "--namespace", namespace, *args[end:]]
    run = connection.helm_command if tool == "helm" else connection.kubectl_command
    result = subprocess.run(
        run(*args),
        capture_output=True,
        text=True,
        env=connection.environment(),
        timeout=COMMAND_TIMEOUT,
    )
    if result.returncode != 0:
        raise CommandFailed(f"{command!r} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def footprint(target: Target, exercise: Exercise) -> list[manifests.Placed]:
    """Everything the exercise may have created, as it exists in the cluster right now."""
    namespace = target.namespace(exercise)
    api = target.api
    found: dict[tuple[str, str, str | None], manifests.Placed] = {}

    def add(placed: manifests.Placed) -> None:
        found[(placed.rtype.kind, placed.name, placed.namespace)] = placed

    answers = [exercise.solution, *(wrong.answer for wrong in exercise.wrong_answers)]
    for manifest in [*exercise.setup, *(m for a in answers for m in a.manifests)]:
        try:
            add(manifests.place(api, manifest, namespace))
        except UnknownResource:
            continue  # a kind the cluster does not serve (yet) cannot have objects
    for check in exercise.checks:
        for criterion in check.criteria:
            if not isinstance(criterion, StateCriterion | NeverCriterion):
                continue
            selection = criterion.select
            if selection.name is None and selection.labels is None:
                continue
            try:
                resolved = selection.resolve(api, namespace)
            except APIRequestError:
                continue
            for obj in resolved.objects:
                manifest = {
                    "apiVersion": obj["apiVersion"],
                    "kind": obj["kind"],
                    "metadata": {"name": obj["metadata"]["name"]},
                }
                add(manifests.place(api, manifest, resolved.namespace or namespace))
    return list(found.values())


def cleanup(target: Target, exercise: Exercise) -> None:
    """Delete the exercise's footprint (the namespace stays)."""
    manifests.delete(target.api, footprint(target, exercise))


def reset(target: Target, exercise: Exercise) -> None:
    """Back to the state the exercise starts from."""
    cleanup(target, exercise)
    start(target, exercise)


def reset_lesson(target: Target, catalog: Catalog, lesson_id: str) -> None:
    """Recreate the lesson's namespace from scratch with every exercise's fixtures."""
    exercises = catalog.lesson_exercises(lesson_id)
    namespace = target.namespace_override or catalog.lesson(lesson_id).namespace
    manifests.delete_namespace(target.api, namespace)
    manifests.ensure_namespace(target.api, namespace, lesson_id)
    for exercise in exercises:
        manifests.apply(target.api, exercise.setup, target.namespace(exercise))


def reset_course(target: Target, catalog: Catalog) -> None:
    """Every lesson namespace recreated (and only those: nothing else in the cluster)."""
    done: set[str] = set()
    for lesson in catalog.lessons.values():
        namespace = target.namespace_override or lesson.namespace
        if namespace in done:
            for exercise in catalog.lesson_exercises(lesson.id):
                manifests.apply(target.api, exercise.setup, namespace)
            continue
        reset_lesson(target, catalog, lesson.id)
        done.add(namespace)
