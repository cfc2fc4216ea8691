"""Exercises and lessons: what a learner is asked to do, and everything that goes with it.

An exercise is the unit a learner works on: a task text, the fixtures applied before they
start, the checks that grade it, progressive hints, a solution that ``solve()`` can apply, and
known-wrong answers that must fail with the intended message (so the checks are tested the way
learners will actually get things wrong). A lesson groups exercises and owns a namespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kubelab.checks.engine import Check
from kubelab.checks.outcome import Outcome

#: Written in manifests and commands where the exercise's namespace goes; replaced when they
#: are applied, so the same exercise works in a lesson namespace and in a student's namespace.
NAMESPACE_PLACEHOLDER = "${NAMESPACE}"


@dataclass(frozen=True)
class Answer:
    """Manifests to apply and kubectl commands to run, in that order."""

    manifests: tuple[dict[str, Any], ...] = ()
    commands: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.manifests and not self.commands


@dataclass(frozen=True)
class WrongAnswer:
    """A typical mistake; the checks must give ``outcome`` with text matching ``message``."""

    title: str
    answer: Answer
    message: str
    outcome: Outcome = Outcome.FAIL


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    lesson: str
    namespace: str
    task: str
    checks: tuple[Check, ...]
    setup: tuple[dict[str, Any], ...] = ()
    hints: tuple[str, ...] = ()
    solution: Answer = field(default_factory=Answer)
    wrong_answers: tuple[WrongAnswer, ...] = ()
    source: Path | None = None

    @property
    def points(self) -> float:
        return sum(check.max_points for check in self.checks)

    def with_checks(self, extra: tuple[Check, ...]) -> Exercise:
        return replace(self, checks=self.checks + extra)


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    namespace: str
    exercises: tuple[str, ...]
