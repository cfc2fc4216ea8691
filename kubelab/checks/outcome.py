"""The four verdicts a check can give, and how they combine.

A learner needs to know more than pass/fail: a pod that is still pulling its image is not
wrong, it is *not yet* right, and a cluster that does not answer says nothing about their work
at all. Keeping the four apart is what lets the engine wait for convergence instead of failing
early, and lets a grader tell "wrong answer" from "broken cluster".
"""

from __future__ import annotations

from enum import Enum


class Outcome(Enum):
    """The verdict on one criterion or one whole check."""

    PASS = "PASS"
    NOT_YET = "NOT YET"
    FAIL = "FAIL"
    ERROR = "ERROR"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    def __str__(self) -> str:
        return self.value


_SYMBOLS = {
    Outcome.PASS: "✓",
    Outcome.NOT_YET: "…",
    Outcome.FAIL: "✗",
    Outcome.ERROR: "!",
}

#: Which verdict wins when criteria disagree: an unreachable cluster makes every other verdict
#: meaningless, a definite failure outranks one that may still converge.
_PRECEDENCE = (Outcome.ERROR, Outcome.FAIL, Outcome.NOT_YET, Outcome.PASS)


def combine(outcomes: list[Outcome]) -> Outcome:
    """The verdict of a check from its criteria's verdicts (PASS only if all pass)."""
    if not outcomes:
        return Outcome.FAIL
    for outcome in _PRECEDENCE:
        if outcome in outcomes:
            return outcome
    return Outcome.PASS


def parse_outcome(text: str) -> Outcome:
    """``"NOT YET"``, ``"not_yet"`` or ``"fail"`` to an :class:`Outcome`."""
    wanted = text.strip().upper().replace("_", " ")
    for outcome in Outcome:
        if outcome.value == wanted:
            return outcome
    raise ValueError(f"unknown outcome {text!r}; use PASS, NOT YET, FAIL or ERROR")
