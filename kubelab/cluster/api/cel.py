"""CEL validation rules: the ``x-kubernetes-validations`` of a custom resource's schema.

A rule is a CEL expression on ``self`` (the value at the schema node it sits on) that must be
true, for example ``self.minReplicas <= self.maxReplicas``. A *transition rule* also reads
``oldSelf``, the value before an update; it only runs when there is an old value to compare
with. A failed rule is reported at the node (or at its ``fieldPath``) with its ``message``,
the result of its ``messageExpression``, or ``failed rule: <rule>``, and its ``reason``
(``FieldValueInvalid`` unless it says otherwise), as kube-apiserver reports it.

Expressions are parsed and run by ``cel-python``; values are handed to it typed by the schema
(``number`` fields as doubles, ``date-time`` strings as timestamps), with the string and list
functions Kubernetes adds to CEL that rules use most.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import celpy
from celpy import celtypes
from lark import Token

from kubelab.cluster.api.errors import (
    DUPLICATE,
    FORBIDDEN,
    INVALID,
    REQUIRED,
    FieldError,
    invalid,
)

Schema = dict[str, Any]

SELF, OLD_SELF = "self", "oldSelf"
_REASONS = {
    "FieldValueInvalid": INVALID,
    "FieldValueForbidden": FORBIDDEN,
    "FieldValueRequired": REQUIRED,
    "FieldValueDuplicate": DUPLICATE,
}
_ENVIRONMENT = celpy.Environment()


class RuleError(Exception):
    """A rule that does not compile; the text is what kube-apiserver says about it."""


# --- the functions Kubernetes adds to CEL ----------------------------------------------------


def _string(value: Any) -> celtypes.StringType:
    return celtypes.StringType(value)


def _join(values: Any, separator: Any = "") -> celtypes.StringType:
    return _string(str(separator).join(str(item) for item in values))


def _split(text: Any, separator: Any, limit: Any = -1) -> celtypes.ListType:
    parts = (
        str(text).split(str(separator))
        if int(limit) < 0
        else str(text).split(str(separator), max(int(limit) - 1, 0))
    )
    return celtypes.ListType([_string(part) for part in parts])


def _substring(text: Any, start: Any, end: Any = None) -> celtypes.StringType:
    return _string(str(text)[int(start) : None if end is None else int(end)])


def _index_of(container: Any, item: Any) -> celtypes.IntType:
    if isinstance(container, str):
        return celtypes.IntType(str(container).find(str(item)))
    return celtypes.IntType(next((i for i, x in enumerate(container) if x == item), -1))


def _last_index_of(container: Any, item: Any) -> celtypes.IntType:
    if isinstance(container, str):
        return celtypes.IntType(str(container).rfind(str(item)))
    found = [i for i, x in enumerate(container) if x == item]
    return celtypes.IntType(found[-1] if found else -1)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "lowerAscii": lambda text: _string(str(text).lower()),
    "upperAscii": lambda text: _string(str(text).upper()),
    "trim": lambda text: _string(str(text).strip()),
    "replace": lambda text, old, new, limit=-1: _string(
        str(text).replace(str(old), str(new), int(limit))
    ),
    "charAt": lambda text, position: _string(str(text)[int(position) : int(position) + 1]),
    "join": _join,
    "split": _split,
    "substring": _substring,
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "isSorted": lambda values: celtypes.BoolType(list(values) == sorted(values)),
    "sum": lambda values: sum(values[1:], values[0]) if values else celtypes.IntType(0),
    "min": lambda values: min(values),
    "max": lambda values: max(values),
}


# --- compiling -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledRule:
    """A parsed rule, ready to run, and whether it is a transition rule."""

    tree: Any
    program: Any
    uses_old_self: bool


def _syntax_error(expression: str, problem: celpy.CELParseError) -> str:
    line = getattr(problem, "line", None) or 1
    column = getattr(problem, "column", None) or 1
    source = expression.splitlines()[line - 1] if expression.splitlines() else expression
    return (
        f"ERROR: <input>:{line}:{column}: Syntax error: unexpected input\n"
        f" | {source}\n | {'.' * (column - 1)}^"
    )


@functools.lru_cache(maxsize=512)
def compile_rule(expression: str) -> CompiledRule:
    """Parse ``expression`` (cached: the same rules run on every write)."""
    try:
        tree = _ENVIRONMENT.compile(expression)
    except celpy.CELParseError as problem:
        raise RuleError(f"compilation failed: {_syntax_error(expression, problem)}") from None
    idents = {
        token.value
        for token in tree.scan_values(lambda t: isinstance(t, Token) and t.type == "IDENT")
    }
    program = _ENVIRONMENT.program(tree, functions=FUNCTIONS)
    return CompiledRule(tree, program, OLD_SELF in idents)


def uses_old_self(expression: str) -> bool:
    """Whether a rule reads ``oldSelf`` (False for rules that do not compile)."""
    try:
        return compile_rule(expression).uses_old_self
    except RuleError:
        return False


def compile_errors(
    rule: dict[str, Any], path: str, schema: Schema | None = None, resource_root: bool = False
) -> list[FieldError]:
    """Why a CRD's rule (at ``path``, on the node ``schema``) cannot be used: its expression
    or its ``messageExpression`` does not compile, or it selects a field the schema does not
    declare."""
    found: list[FieldError] = []
    expression = str(rule.get("rule", ""))
    try:
        compiled = compile_rule(expression)
    except RuleError as problem:
        found.append(invalid(f"{path}.rule", rule, str(problem)))
    else:
        node = _with_type_meta(schema or {}) if resource_root else schema
        undefined = _undefined_fields(compiled.tree, node) if node is not None else []
        if undefined:
            issues = [_located(expression, t, f"undefined field '{t.value}'") for t in undefined]
            found.append(invalid(f"{path}.rule", rule, "compilation failed: " + "\n".join(issues)))
    message = rule.get("messageExpression")
    if message:
        try:
            compile_rule(str(message))
        except RuleError as problem:
            found.append(invalid(f"{path}.messageExpression", rule, f"messageExpression {problem}"))
    return found


def _located(expression: str, token: Token, text: str) -> str:
    """A CEL checker error: position of the field selection (its dot), and a caret under it."""
    line = token.line or 1
    column = max((token.column or 2) - 1, 1)
    source = expression.splitlines()[line - 1] if expression.splitlines() else expression
    return f"ERROR: <input>:{line}:{column}: {text}\n | {source}\n | {'.' * (column - 1)}^"


def _selection_chain(node: Any) -> list[Token] | None:
    """The fields a ``self.a.b`` (or ``oldSelf.a.b``) selection names, or None for others."""
    names: list[Token] = []
    while getattr(node, "data", None) in ("member_dot", "member", "primary"):
        if node.data == "member_dot":
            names.insert(0, node.children[1])
        node = node.children[0]
    if getattr(node, "data", None) == "ident" and node.children[0] in (SELF, OLD_SELF):
        return names
    return None


def _undefined_fields(tree: Any, schema: Schema) -> list[Token]:
    """Field selections on ``self`` the schema's structure rules out (the CEL type checker's
    ``undefined field``): only objects with declared properties and nothing open-ended."""
    found: list[Token] = []
    for selection in tree.find_data("member_dot"):
        names = _selection_chain(selection)
        if not names:
            continue
        node: Schema = schema
        for token in names:
            props = node.get("properties") or {}
            if token.value in props:
                node = props[token.value]
            elif (
                isinstance(node.get("additionalProperties"), dict)
                or node.get("x-kubernetes-preserve-unknown-fields")
                or not props
            ):
                break
            else:
                if token not in found:
                    found.append(token)
                break
    return sorted(found, key=lambda token: (token.line, token.column))


# --- values ----------------------------------------------------------------------------------


def _timestamp(text: str) -> Any:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return celtypes.StringType(text)
    return celtypes.TimestampType(moment)


def to_cel(value: Any, schema: Schema | None) -> Any:
    """A JSON value as CEL sees it, typed by its schema node."""
    schema = schema or {}
    if value is None:
        return None
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        return celtypes.MapType(
            {
                celtypes.StringType(name): to_cel(
                    item, props.get(name) or (extra if isinstance(extra, dict) else None)
                )
                for name, item in value.items()
            }
        )
    if isinstance(value, list):
        element = schema.get("items") if isinstance(schema.get("items"), dict) else None
        return celtypes.ListType([to_cel(item, element) for item in value])
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int | float) and schema.get("type") == "number":
        return celtypes.DoubleType(float(value))
    if isinstance(value, str):
        declared = (schema.get("format") or "").replace("-", "")
        if declared == "datetime":
            return _timestamp(value)
        if declared == "duration":
            try:
                return celtypes.DurationType(value)
            except ValueError:
                return celtypes.StringType(value)
        if declared == "byte":
            try:
                return celtypes.BytesType(base64.b64decode(value))
            except ValueError:
                return celtypes.StringType(value)
    return celpy.json_to_cel(value)


# --- running ---------------------------------------------------------------------------------

_MISSING_KEY = re.compile(r"no such member in mapping: '([^']*)'")


def _evaluation_problem(problem: Exception) -> str:
    text = str(problem.args[0]) if problem.args else str(problem)
    missing = _MISSING_KEY.search(text)
    if missing:
        return f"no such key: {missing.group(1)}"
    if "divide by zero" in text:
        return "division by zero"
    if "no matching overload" in text or "no such overload" in text:
        return "no such overload"
    return text


def _rule_text(rule: dict[str, Any]) -> str:
    message = str(rule.get("message") or "").strip()
    return message or str(rule.get("rule", "")).strip()


def _node_type(schema: Schema) -> str:
    return str(schema.get("type") or "")


def has_rules(schema: Any) -> bool:
    """Whether a schema holds any ``x-kubernetes-validations`` at all (without them there is
    no CEL validator, and nothing for an invalid object to leave unchecked)."""
    if isinstance(schema, dict):
        if schema.get("x-kubernetes-validations"):
            return True
        return any(has_rules(item) for item in schema.values())
    if isinstance(schema, list):
        return any(has_rules(item) for item in schema)
    return False


def validate(
    value: Any, old: Any, schema: Schema | None, path: str = "", resource_root: bool = True
) -> list[FieldError]:
    """Run every rule in ``schema`` over ``value`` (and ``old``, for transition rules)."""
    if schema is None or value is None:
        return []
    found = _node_errors(value, old, schema, path, resource_root)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        old_map = old if isinstance(old, dict) else {}
        correlated = schema.get("x-kubernetes-map-type") in (None, "granular", "atomic")
        for name, item in value.items():
            previous = old_map.get(name) if correlated else None
            if name in props:
                found += validate(item, previous, props[name], _child(path, name), False)
            elif isinstance(extra, dict):
                found += validate(item, previous, extra, f"{path}[{name}]", False)
    elif isinstance(value, list):
        element = schema.get("items") if isinstance(schema.get("items"), dict) else None
        old_items = _correlated_items(schema, old)
        for position, item in enumerate(value):
            found += validate(item, old_items(item), element, f"{path}[{position}]", False)
    return found


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _correlated_items(schema: Schema, old: Any) -> Callable[[Any], Any]:
    """Old items by list-map key: only ``x-kubernetes-list-type: map`` items correlate."""
    if schema.get("x-kubernetes-list-type") != "map" or not isinstance(old, list):
        return lambda item: None
    names = schema.get("x-kubernetes-list-map-keys") or []

    def identity(item: Any) -> str | None:
        if not isinstance(item, dict):
            return None
        return json.dumps([item.get(name) for name in names])

    by_key = {identity(item): item for item in old}
    return lambda item: by_key.get(identity(item))


def _node_errors(
    value: Any, old: Any, schema: Schema, path: str, resource_root: bool
) -> list[FieldError]:
    rules = schema.get("x-kubernetes-validations") or []
    if not rules:
        return []
    cel_schema = _with_type_meta(schema) if resource_root else schema
    activation = {SELF: to_cel(value, cel_schema)}
    if old is not None:
        activation[OLD_SELF] = to_cel(old, cel_schema)
    found: list[FieldError] = []
    for rule in rules:
        expression = str(rule.get("rule", ""))
        try:
            compiled = compile_rule(expression)
        except RuleError as problem:
            found.append(invalid(path, _node_type(schema), f"rule compile error: {problem}"))
            continue
        if compiled.uses_old_self and old is None:
            continue
        if not compiled.uses_old_self and old is not None and _unchanged(value, old):
            continue
        try:
            result = compiled.program.evaluate(activation)
        except celpy.CELEvalError as problem:
            found.append(_evaluation_error(problem, rule, path, schema))
            continue
        if isinstance(result, celpy.CELEvalError):
            found.append(_evaluation_error(result, rule, path, schema))
            continue
        if result is True or result == celtypes.BoolType(True):
            continue
        found.append(_failure(rule, path, value, schema, activation))
    return found


def _unchanged(value: Any, old: Any) -> bool:
    """Ratcheting: a rule that does not read ``oldSelf`` is not enforced on a value an update
    leaves as it was, so tightening a rule does not lock existing objects."""
    return json.dumps(value, sort_keys=True) == json.dumps(old, sort_keys=True)


def _with_type_meta(schema: Schema) -> Schema:
    """At a resource's root, rules also see ``apiVersion``, ``kind`` and ``metadata``."""
    props = dict(schema.get("properties") or {})
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    props.setdefault("metadata", {"type": "object"})
    return {**schema, "properties": props}


def _evaluation_error(
    problem: Exception, rule: dict[str, Any], path: str, schema: Schema
) -> FieldError:
    text = _evaluation_problem(problem)
    if text == "no such overload":
        detail = (
            f"'{text}': call arguments did not match a supported operator, function or macro "
            f"signature for rule: {_rule_text(rule)}"
        )
    else:
        detail = f"{text} evaluating rule: {_rule_text(rule)}"
    return invalid(path or "<nil>", _node_type(schema), detail)


def _failure(
    rule: dict[str, Any], path: str, value: Any, schema: Schema, activation: dict[str, Any]
) -> FieldError:
    field_path = str(rule.get("fieldPath") or "").strip().removeprefix(".")
    if field_path:
        path = _child(path, field_path)
    path = path or "<nil>"
    detail = _message(rule, activation)
    reason = _REASONS.get(str(rule.get("reason") or ""), INVALID)
    if reason == DUPLICATE:
        return FieldError(DUPLICATE, path, value)
    if reason in (FORBIDDEN, REQUIRED):
        return FieldError(reason, path, detail=detail)
    if _node_type(schema) in ("object", "array"):
        return FieldError(INVALID, path, detail=detail)
    return invalid(path, value, detail)


def _message(rule: dict[str, Any], activation: dict[str, Any]) -> str:
    expression = str(rule.get("messageExpression") or "")
    if expression:
        try:
            produced = compile_rule(expression).program.evaluate(activation)
        except (RuleError, celpy.CELEvalError):
            produced = None
        if isinstance(produced, str) and produced.strip() and "\n" not in produced:
            return produced.strip()
    message = str(rule.get("message") or "").strip()
    return message or f"failed rule: {str(rule.get('rule', '')).strip()}"
