"""Word expansion: how ``"$HOME"/*.txt`` becomes the arguments a command receives.

In order: parameters (``$X``, ``${X:-default}``), command substitution (``$(date)``) and
arithmetic (``$((i+1))``) are replaced by their values; the results of *unquoted* expansions
are split into fields at whitespace; then unquoted ``*``, ``?`` and ``[...]`` are matched
against file names. Quoting switches off the last two steps, which is why ``"$X"`` is one
argument however many spaces ``$X`` holds.
"""

from __future__ import annotations

import ast
import fnmatch
import posixpath
import re
from typing import TYPE_CHECKING

from kubelab.cluster.runtime.filesystem import normalize
from kubelab.cluster.runtime.shell.syntax import (
    Arithmetic,
    CommandSubstitution,
    Lexer,
    Literal,
    Parameter,
    ShellSyntaxError,
    Word,
)

if TYPE_CHECKING:
    from kubelab.cluster.runtime.shell.interpreter import Shell

WHITESPACE = " \t\n"
GLOB_CHARACTERS = re.compile(r"[*?\[]")
#: A forced boundary between fields, produced by ``"$@"``.
FIELD_BREAK = None

Segment = tuple[str, bool, bool] | None  # (text, quoted, came from an expansion)


class ExpansionError(Exception):
    """``${X:?message}`` and bad arithmetic: the command is not run."""


class Expander:
    def __init__(self, shell: Shell) -> None:
        self.shell = shell

    async def fields(self, word: Word) -> list[str]:
        """Full expansion: the list of arguments ``word`` becomes."""
        segments = await self._segments(word, tilde=True)
        results: list[str] = []
        for field in _split_fields(segments):
            results.extend(self._glob(field))
        return results

    async def string(self, word: Word, tilde: bool = True) -> str:
        """Expansion without splitting or globbing (assignments, redirection targets)."""
        segments = await self._segments(word, tilde=tilde)
        return "".join(segment[0] for segment in segments if segment is not None)

    async def _segments(self, word: Word, tilde: bool) -> list[Segment]:
        segments: list[Segment] = []
        for index, part in enumerate(word):
            if isinstance(part, Literal):
                text = part.text
                if tilde and index == 0 and not part.quoted and text.startswith("~"):
                    head, slash, rest = text.partition("/")
                    if head == "~":
                        text = self.shell.get("HOME", "/") + slash + rest
                segments.append((text, part.quoted, False))
            elif isinstance(part, Parameter):
                if part.name == "@" and part.quoted and not part.length:
                    for position, argument in enumerate(self.shell.positional):
                        if position:
                            segments.append(FIELD_BREAK)
                        segments.append((argument, True, True))
                    continue
                segments.append((await self._parameter(part), part.quoted, True))
            elif isinstance(part, CommandSubstitution):
                output = await self.shell.substitute(part.source)
                segments.append((output.rstrip("\n"), part.quoted, True))
            elif isinstance(part, Arithmetic):
                segments.append((str(await self._arithmetic(part.expression)), part.quoted, True))
        return segments

    async def _parameter(self, part: Parameter) -> str:
        value = self.shell.parameter(part.name)
        if part.length:
            return str(len(value or ""))
        operator = part.operator
        if not operator:
            return value or ""
        if operator[0] in "#%":
            pattern = await self.string(part.argument)
            return _strip(value or "", pattern, operator)
        unset = value is None or (operator.startswith(":") and value == "")
        if operator.endswith("-"):
            return await self.string(part.argument) if unset else value or ""
        if operator.endswith("="):
            if unset:
                value = await self.string(part.argument)
                self.shell.set(part.name, value)
            return value or ""
        if operator.endswith("+"):
            return "" if unset else await self.string(part.argument)
        if unset:
            message = await self.string(part.argument) or "parameter not set"
            raise ExpansionError(f"{part.name}: {message}")
        return value or ""

    async def _arithmetic(self, expression: str) -> int:
        text = await self.string(Lexer(expression)._word_in_braces(quoted=True), tilde=False)
        try:
            return evaluate_arithmetic(text, self.shell.get)
        except (SyntaxError, ValueError, ZeroDivisionError, ShellSyntaxError):
            raise ExpansionError(f"arithmetic syntax error: {text.strip()}") from None

    def _glob(self, field: list[tuple[str, bool]]) -> list[str]:
        text = "".join(piece for piece, _ in field)
        if not any(not quoted and GLOB_CHARACTERS.search(piece) for piece, quoted in field):
            return [text]
        pattern = "".join(
            piece if not quoted else re.sub(r"([*?\[])", r"[\1]", piece) for piece, quoted in field
        )
        matches = glob(pattern, self.shell)
        return matches or [text]


def _strip(value: str, pattern: str, operator: str) -> str:
    """``${x#p}``/``${x##p}`` remove the shortest/longest matching prefix; ``%`` a suffix."""
    cuts = range(len(value) + 1) if len(operator) == 1 else range(len(value), -1, -1)
    for cut in cuts:
        if operator[0] == "#" and fnmatch.fnmatchcase(value[:cut], pattern):
            return value[cut:]
        if operator[0] == "%" and fnmatch.fnmatchcase(value[len(value) - cut :], pattern):
            return value[: len(value) - cut]
    return value


def _split_fields(segments: list[Segment]) -> list[list[tuple[str, bool]]]:
    fields: list[list[tuple[str, bool]]] = []
    current: list[tuple[str, bool]] = []
    has_content = False

    def flush() -> None:
        nonlocal current, has_content
        if has_content:
            fields.append(current)
        current, has_content = [], False

    for segment in segments:
        if segment is FIELD_BREAK:
            has_content = True
            flush()
            continue
        text, quoted, expanded = segment
        if quoted or not expanded:
            current.append((text, quoted))
            has_content = has_content or quoted or bool(text)
            continue
        if text[:1] and text[0] in WHITESPACE:
            flush()
        for position, piece in enumerate(text.split()):
            if position:
                flush()
            current.append((piece, False))
            has_content = True
        if text[-1:] and text[-1] in WHITESPACE:
            flush()
    flush()
    return fields


def glob(pattern: str, shell: Shell) -> list[str]:
    """File names matching ``pattern`` (relative to the shell's directory), sorted."""
    fs = shell.sandbox.fs
    absolute = pattern.startswith("/")
    candidates = ["/" if absolute else ""]
    for component in [c for c in pattern.split("/") if c]:
        next_candidates = []
        for base in candidates:
            directory = normalize(base or ".", shell.cwd)
            if not GLOB_CHARACTERS.search(component):
                literal = re.sub(r"\[([*?\[])\]", r"\1", component)
                if fs.exists(posixpath.join(directory, literal)):
                    next_candidates.append(posixpath.join(base, literal) if base else literal)
                continue
            if not fs.is_dir(directory):
                continue
            for name in fs.list(directory):
                if name.startswith(".") and not component.startswith("."):
                    continue
                if fnmatch.fnmatchcase(name, component):
                    next_candidates.append(posixpath.join(base, name) if base else name)
        candidates = next_candidates
    return sorted(candidates)


_ALLOWED_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Constant, ast.Name,
    ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.USub, ast.UAdd, ast.Not,
    ast.And, ast.Or, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
)  # fmt: skip


def evaluate_arithmetic(text: str, lookup: object) -> int:
    """Evaluate ``$(( ))`` integer arithmetic: + - * / % comparisons && || ! and variables."""
    source = text.replace("&&", " and ").replace("||", " or ")
    source = re.sub(r"!(?!=)", " not ", source).strip() or "0"
    tree = ast.parse(source, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise SyntaxError(text)
    return int(_evaluate(tree.body, lookup))


def _evaluate(node: ast.AST, lookup: object) -> int:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, int):
            raise ValueError(node.value)
        return node.value
    if isinstance(node, ast.Name):
        value = lookup(node.id, "") or "0"  # type: ignore[operator]
        return int(value.strip()) if value.strip().lstrip("-").isdigit() else 0
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, lookup)
        if isinstance(node.op, ast.Not):
            return int(not operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BoolOp):
        values = [_evaluate(value, lookup) for value in node.values]
        return int(all(values) if isinstance(node.op, ast.And) else any(values))
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, lookup)
        for operator, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, lookup)
            if not _compare(operator, left, right):
                return 0
            left = right
        return 1
    assert isinstance(node, ast.BinOp)
    left, right = _evaluate(node.left, lookup), _evaluate(node.right, lookup)
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    if isinstance(node.op, ast.Mult):
        return left * right
    quotient = abs(left) // abs(right)  # C division truncates towards zero
    if isinstance(node.op, ast.Div):
        return quotient if (left >= 0) == (right > 0) else -quotient
    remainder = abs(left) % abs(right)
    return remainder if left >= 0 else -remainder


def _compare(operator: ast.cmpop, left: int, right: int) -> bool:
    return {
        ast.Eq: left == right, ast.NotEq: left != right, ast.Lt: left < right,
        ast.LtE: left <= right, ast.Gt: left > right, ast.GtE: left >= right,
    }[type(operator)]  # fmt: skip
