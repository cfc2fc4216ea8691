"""Label and field selectors, parsed from query strings and from ``LabelSelector`` objects.

The grammar is apimachinery's ``labels.Parse``: equality (``a=b``, ``a==b``, ``a!=b``), set-based
(``a in (x,y)``, ``a notin (x)``), existence (``a``, ``!a``), joined by commas that mean AND.
Field selectors support ``=``, ``==`` and ``!=`` only, over the fields a kind makes selectable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kubelab.cluster.api.errors import APIError, bad_request


@dataclass(frozen=True)
class Requirement:
    """One clause of a selector: ``key <operator> values``."""

    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.operator == "=":
            return present and value == self.values[0]
        if self.operator == "!=":
            return not present or value != self.values[0]
        if self.operator == "in":
            return present and value in self.values
        if self.operator == "notin":
            return not present or value not in self.values
        if self.operator == "exists":
            return present
        if self.operator in ("gt", "lt"):
            if value is None or not _INTEGER.fullmatch(value):
                return False
            limit = int(self.values[0])
            return int(value) > limit if self.operator == "gt" else int(value) < limit
        return not present


@dataclass(frozen=True)
class Selector:
    """A conjunction of requirements; the empty selector matches everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


EVERYTHING = Selector()
#: The operators of a ``LabelSelector``'s ``matchExpressions``, as requirement operators.
LABEL_SELECTOR_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}

_TOKEN = re.compile(r"\s*(!=|==|=|\(|\)|,|!|[^\s!=(),]+)")
#: What Go's ``strconv.ParseInt`` reads: the only label values ``gt`` and ``lt`` compare.
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            break
        if match.group(1):
            tokens.append(match.group(1))
        position = match.end()
        if text[position:].strip() == "":
            break
    return tokens


def parse_label_selector(text: str | None) -> Selector:
    """Parse a ``labelSelector`` query parameter, raising 400 BadRequest on bad syntax."""
    if not text or not text.strip():
        return EVERYTHING
    tokens = _tokens(text)
    requirements: list[Requirement] = []
    i = 0

    def fail(detail: str) -> APIError:
        return bad_request(f"unable to parse requirement: {detail}")

    while i < len(tokens):
        token = tokens[i]
        if token == "!":
            if i + 1 >= len(tokens):
                raise fail("found '', expected: identifier")
            requirements.append(Requirement(tokens[i + 1], "!"))
            i += 2
        else:
            key = token
            i += 1
            nxt = tokens[i] if i < len(tokens) else ","
            if nxt == ",":
                requirements.append(Requirement(key, "exists"))
            elif nxt in ("=", "==", "!="):
                value = tokens[i + 1] if i + 1 < len(tokens) else ""
                if value in (",", ")", "("):
                    value = ""
                    i += 1
                else:
                    i += 2
                requirements.append(Requirement(key, "!=" if nxt == "!=" else "=", (value,)))
            elif nxt in ("in", "notin"):
                if i + 1 >= len(tokens) or tokens[i + 1] != "(":
                    raise fail(
                        f"found '{tokens[i + 1] if i + 1 < len(tokens) else ''}' expected: '('"
                    )
                i += 2
                if i >= len(tokens) or tokens[i] in ("(", "!", "=", "==", "!="):
                    found = tokens[i] if i < len(tokens) else ""
                    raise fail(f"found '{found}', expected: ',', ')' or identifier")
                # Upstream reads "()" and an empty member between commas as the empty value.
                values: list[str] = [""]
                while i < len(tokens) and tokens[i] != ")":
                    if tokens[i] == ",":
                        values.append("")
                    elif values[-1]:
                        raise fail(f"found '{tokens[i]}', expected: ',' or ')'")
                    else:
                        values[-1] = tokens[i]
                    i += 1
                if i >= len(tokens):
                    after_comma = tokens[i - 1] == ","
                    raise fail(
                        "found '', expected: ',', or identifier"
                        if after_comma
                        else "found '', expected: ',' or ')'"
                    )
                i += 1
                requirements.append(Requirement(key, nxt, tuple(dict.fromkeys(values))))
            elif nxt in ("gt", "lt"):
                value = tokens[i + 1] if i + 1 < len(tokens) else ""
                if not _INTEGER.fullmatch(value):
                    raise fail(
                        f'values[0]: Invalid value: "{value}": '
                        "for 'Gt', 'Lt' operators, the value must be an integer"
                    )
                i += 2
                requirements.append(Requirement(key, nxt, (value,)))
            else:
                raise fail(f"found '{nxt}', expected: in, notin, =, ==, !=, gt, lt")
        for requirement in requirements[-1:]:
            _check_key(requirement.key)
        if i < len(tokens):
            if tokens[i] != ",":
                raise fail(f"found '{tokens[i]}', expected: ',' or 'end of string'")
            i += 1
    return Selector(tuple(requirements))


def _check_key(key: str) -> None:
    from kubelab.cluster.resources.validation import qualified_name_errors

    problems = qualified_name_errors(key)
    if problems:
        raise bad_request(
            f'unable to parse requirement: invalid label key "{key}": ' + "; ".join(problems)
        )


def selector_from_object(selector: dict[str, Any] | None) -> Selector:
    """Convert a ``metav1.LabelSelector`` (matchLabels + matchExpressions) to a Selector.

    A nil selector matches nothing in controllers, so callers must handle None themselves;
    an empty one ``{}`` matches everything.
    """
    if selector is None:
        return EVERYTHING
    requirements = [
        Requirement(k, "=", (str(v),)) for k, v in (selector.get("matchLabels") or {}).items()
    ]
    for expression in selector.get("matchExpressions") or []:
        operator = LABEL_SELECTOR_OPERATORS.get(expression.get("operator", ""), "exists")
        values = tuple(expression.get("values") or ())
        requirements.append(Requirement(expression.get("key", ""), operator, values))
    return Selector(tuple(requirements))


def selector_from_map(selector: dict[str, str] | None) -> Selector:
    """A plain equality map (Service and ReplicationController selectors)."""
    return Selector(tuple(Requirement(k, "=", (v,)) for k, v in (selector or {}).items()))


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    operator: str  # "=" or "!="
    value: str


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, values: dict[str, str]) -> bool:
        for requirement in self.requirements:
            actual = values.get(requirement.field, "")
            if (actual == requirement.value) != (requirement.operator == "="):
                return False
        return True

    def fields(self) -> set[str]:
        return {r.field for r in self.requirements}

    def value_of(self, field: str) -> str | None:
        """The value an ``=`` requirement pins a field to (used to narrow lookups)."""
        for requirement in self.requirements:
            if requirement.field == field and requirement.operator == "=":
                return requirement.value
        return None


def parse_field_selector(text: str | None) -> FieldSelector:
    if not text or not text.strip():
        return FieldSelector()
    requirements: list[FieldRequirement] = []
    for clause in _split_unescaped(text):
        if not clause.strip():
            continue
        for operator, normalized in (("!=", "!="), ("==", "="), ("=", "=")):
            if operator in clause:
                # The value is taken as written: spaces in it are part of it, as upstream.
                field, _, value = clause.partition(operator)
                requirements.append(FieldRequirement(field.strip(), normalized, _unescape(value)))
                break
        else:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{clause}'")
    return FieldSelector(tuple(requirements))


def _split_unescaped(text: str) -> list[str]:
    parts, current, escaped = [], "", False
    for char in text:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def check_field_selector(selector: FieldSelector, allowed: set[str]) -> None:
    """Reject fields the kind does not support, with kube-apiserver's message."""
    for field in sorted(selector.fields() - allowed):
        raise bad_request(f"field label not supported: {field}")
