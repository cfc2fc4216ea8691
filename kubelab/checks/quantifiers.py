"""How many selected objects must match: ``any``, ``all``, ``none``, ``exactly``, ``at_least``.

The quantifier is always explicit because "pods with app=web have image nginx" means different
things for one pod and for three, and assertion tools that silently pick "at least one" let
wrong answers through. ``all`` and ``none`` over an empty selection do not pass: a check about
pods says nothing when there are no pods, so it fails instead of passing vacuously.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubelab.checks.matchers import SpecError

NAMES = ("any", "all", "none", "exactly", "at_least")


@dataclass(frozen=True)
class Quantifier:
    name: str
    count: int = 0

    def __post_init__(self) -> None:
        if self.name not in NAMES:
            raise SpecError(f"unknown quantifier {self.name!r}; use one of {', '.join(NAMES)}")
        if self.count < 0:
            raise SpecError(f"{self.name} needs a count of 0 or more")

    def judge(self, total: int, matching: int, has_match: bool, allow_empty: bool) -> bool:
        """Whether ``matching`` of ``total`` selected objects satisfies the quantifier.

        ``none`` without a ``match`` means "no such object exists" (an absence check);
        with a ``match`` it means "objects exist and none of them is like this".
        """
        empty_ok = allow_empty or (self.name == "none" and not has_match)
        if total == 0 and self.name in ("all", "none") and not empty_ok:
            return False
        match self.name:
            case "any":
                return matching >= 1
            case "all":
                return matching == total
            case "none":
                return matching == 0
            case "exactly":
                return matching == self.count
            case _:
                return matching >= self.count

    def describe(self, what: str) -> str:
        """The requirement in words: ``at least 3 of the Pods with labels app=web``."""
        match self.name:
            case "any":
                return f"at least one of the {what}"
            case "all":
                return f"every one of the {what} (and at least one to exist)"
            case "none":
                return f"none of the {what}"
            case "exactly":
                return f"exactly {self.count} of the {what}"
            case _:
                return f"at least {self.count} of the {what}"


def parse_quantifier(value: Any) -> Quantifier:
    """``any`` / ``{exactly: 3}`` / ``{at_least: 2}`` from YAML."""
    if isinstance(value, str):
        if value in ("exactly", "at_least"):
            raise SpecError(f"{value} needs a count: {{{value}: N}}")
        return Quantifier(value)
    if isinstance(value, dict) and len(value) == 1:
        ((name, count),) = value.items()
        if (
            name in ("exactly", "at_least")
            and isinstance(count, int)
            and not isinstance(count, bool)
        ):
            return Quantifier(name, count)
    raise SpecError(
        f"quantifier {value!r} is not one of any, all, none, {{exactly: N}}, {{at_least: N}}"
    )


ANY = Quantifier("any")
ALL = Quantifier("all")
NONE = Quantifier("none")


def exactly(count: int) -> Quantifier:
    return Quantifier("exactly", count)


def at_least(count: int) -> Quantifier:
    return Quantifier("at_least", count)
