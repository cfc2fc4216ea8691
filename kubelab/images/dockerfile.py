"""Reading a Dockerfile: instructions, line continuations, exec and shell forms, variables.

The rules are Docker's: a ``#`` line is a comment, a trailing backslash continues the line,
instruction names are case-insensitive, ``CMD ["a", "b"]`` (JSON) is the exec form and anything
else the shell form, and ``$NAME``/``${NAME}``/``${NAME:-default}``/``${NAME:+alt}`` expand in the
instructions that take variables (not in ``RUN``, ``CMD`` or ``ENTRYPOINT``, whose shell does it).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

#: Instructions the builder carries out.
SUPPORTED = (
    "FROM",
    "ARG",
    "ENV",
    "LABEL",
    "WORKDIR",
    "USER",
    "COPY",
    "ADD",
    "EXPOSE",
    "CMD",
    "ENTRYPOINT",
    "RUN",
    "STOPSIGNAL",
    "VOLUME",
)
#: Real instructions it does not carry out (each needs Docker).
UNSUPPORTED = ("HEALTHCHECK", "SHELL", "ONBUILD", "MAINTAINER")
_VARIABLE = re.compile(r"\\\$|\$(?:\{(\w+)(?::([-+])([^}]*))?\}|(\w+))")


class BuildError(Exception):
    """A build that cannot go on; the message says what to do."""


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    arguments: str  # the raw text after the keyword, continuations joined
    line: int  # where it starts in the Dockerfile
    flags: tuple[str, ...] = ()  # "--chown=1000" and the like

    @property
    def text(self) -> str:
        """How the instruction reads (for history and progress lines)."""
        return " ".join([self.keyword, *self.flags, self.arguments]).strip()

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction, else None."""
        if not self.arguments.startswith("["):
            return None
        try:
            value = json.loads(self.arguments)
        except ValueError:
            return None
        return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and pending):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        pending += stripped
        if pending.strip():
            lines.append((start, pending.strip()))
        pending = ""
    if pending.strip():
        lines.append((start, pending.strip()))
    return lines


def parse(text: str, filename: str = "Dockerfile") -> list[Instruction]:
    """The instructions of a Dockerfile; raises ``BuildError`` for unknown or unsupported ones."""
    instructions = []
    for number, line in _logical_lines(text):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        flags = []
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            flags.append(flag)
            rest = rest.strip()
        where = f"{filename}:{number}"
        if keyword in UNSUPPORTED:
            raise BuildError(
                f"{where}: {keyword} is not supported by the kubelab builder; build this "
                "Dockerfile with Docker (docker build) or on minikube (minikube image build)"
            )
        if keyword not in SUPPORTED:
            raise BuildError(f"{where}: unknown instruction: {keyword}")
        if not rest and keyword not in ("CMD", "ENTRYPOINT"):
            raise BuildError(f"{where}: {keyword} requires at least one argument")
        for flag in flags:
            if flag.startswith("--from") or flag.startswith("--mount"):
                raise BuildError(
                    f"{where}: {keyword} {flag} needs a multi-stage build or BuildKit mounts, "
                    "which the kubelab builder does not do; use Docker or minikube for it"
                )
        instructions.append(Instruction(keyword, rest, number, tuple(flags)))
    first = next((i for i in instructions if i.keyword != "ARG"), None)
    if first is None:
        raise BuildError(f"{filename}: no FROM instruction: a Dockerfile must start with FROM")
    if first.keyword != "FROM":
        raise BuildError(f"{filename}:{first.line}: the first instruction must be FROM")
    froms = [i for i in instructions if i.keyword == "FROM"]
    if len(froms) > 1:
        raise BuildError(
            f"{filename}:{froms[1].line}: multi-stage builds (a second FROM) are not supported by "
            "the kubelab builder; build this Dockerfile with Docker or minikube"
        )
    return instructions


def expand(text: str, variables: Mapping[str, str]) -> str:
    """Replace ``$NAME`` and ``${NAME...}`` the way the Dockerfile frontend does."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "\\$":
            return "$"
        name, operator, word, bare = match.groups()
        value = variables.get(name or bare, "")
        if operator == "-":
            return value or word
        if operator == "+":
            return word if value else ""
        return value

    return _VARIABLE.sub(replace, text)


def key_values(text: str, where: str) -> list[tuple[str, str]]:
    """``ENV``/``LABEL`` pairs: ``a=1 b="two words"``, or the old ``ENV NAME value`` form."""
    try:
        words = shlex.split(text)
    except ValueError as problem:
        raise BuildError(f"{where}: {problem}") from None
    if words and "=" not in words[0]:
        name, _, value = text.partition(" ")
        return [(name, value.strip())]
    pairs = []
    for word in words:
        name, equals, value = word.partition("=")
        if not equals or not name:
            raise BuildError(f"{where}: {word!r} must be of the form NAME=VALUE")
        pairs.append((name, value))
    return pairs
