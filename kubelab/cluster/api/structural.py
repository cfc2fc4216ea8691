"""Structural schemas: what a CustomResourceDefinition's ``openAPIV3Schema`` does to objects.

kube-apiserver insists that a custom resource's schema be *structural*: every field's type is
fixed by the schema's own nodes (``type``, ``properties``, ``items``, ``additionalProperties``),
while ``allOf``, ``anyOf``, ``oneOf`` and ``not`` may only add checks on values. That structure
is what lets the server treat a custom resource like a built-in one:

* :func:`prune` drops fields the schema does not declare, as decoding into a Go struct would
  (and reports their paths for ``fieldValidation=Strict|Warn``); :func:`drop_nulls` drops
  ``null`` values the schema does not allow;
* :func:`apply_defaults` fills in ``default`` values, on writes and on reads;
* :func:`validate` checks values and answers with the OpenAPI validator's messages (``spec.replicas
  in body must be of type integer: "string"``), turned into field errors the way
  kube-apiserver does;
* :func:`embedded_resource_errors` and :func:`list_errors` add the checks for
  ``x-kubernetes-embedded-resource`` objects and ``x-kubernetes-list-type`` set/map lists;
* :func:`schema_errors` is the other side: the rules a schema must follow before a
  CustomResourceDefinition with it is accepted.

Schemas and objects are plain JSON (dicts and lists), exactly as they arrive on the wire.
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from kubelab.cluster.api import cel
from kubelab.cluster.api.errors import (
    DUPLICATE,
    FORBIDDEN,
    INVALID,
    TOO_LONG,
    TOO_MANY,
    TYPE_INVALID,
    FieldError,
    forbidden_field,
    invalid,
    not_supported,
    required,
)
from kubelab.cluster.resources.validation import (
    dns1035_label_errors,
    dns1123_subdomain_errors,
    path_segment_errors,
    validate_annotations,
    validate_labels,
)

Schema = dict[str, Any]

#: The fields every resource has whatever its schema says: never pruned at a resource's root.
META_FIELDS = ("apiVersion", "kind", "metadata")
#: Where a value sits in an OpenAPI error message ("spec.size in body is required").
_IN = "body"


# --- paths -----------------------------------------------------------------------------------


def child(path: str, name: str) -> str:
    """``path.name``, as ``field.Path.Child`` renders it."""
    return f"{path}.{name}" if path else name


def key(path: str, name: str) -> str:
    """``path[name]``, as ``field.Path.Key`` renders a map key."""
    return f"{path}[{name}]"


def index(path: str, position: int) -> str:
    return f"{path}[{position}]"


# --- reading schema nodes --------------------------------------------------------------------


def properties(schema: Schema | None) -> dict[str, Schema]:
    props = (schema or {}).get("properties")
    return props if isinstance(props, dict) else {}


def items(schema: Schema | None) -> Schema | None:
    node = (schema or {}).get("items")
    return node if isinstance(node, dict) else None


def has_additional(schema: Schema | None) -> bool:
    """Whether the node sets ``additionalProperties`` at all (a schema, true or false)."""
    return (schema or {}).get("additionalProperties") is not None


def additional(schema: Schema | None) -> Schema | None:
    """The schema of a map's values; None when unset or a plain true/false."""
    node = (schema or {}).get("additionalProperties")
    return node if isinstance(node, dict) else None


def field_schema(schema: Schema | None, name: str) -> tuple[bool, Schema | None]:
    """Whether an object node declares a field ``name``, and the field's schema."""
    props = properties(schema)
    if name in props:
        return True, props[name]
    if has_additional(schema):
        return True, additional(schema)
    return False, None


def preserves_unknown(schema: Schema | None) -> bool:
    return bool((schema or {}).get("x-kubernetes-preserve-unknown-fields"))


def is_embedded(schema: Schema | None) -> bool:
    return bool((schema or {}).get("x-kubernetes-embedded-resource"))


def is_int_or_string(schema: Schema | None) -> bool:
    return bool((schema or {}).get("x-kubernetes-int-or-string"))


def _nullable(schema: Schema | None) -> bool:
    return bool((schema or {}).get("nullable"))


# --- pruning, nulls and defaults -------------------------------------------------------------


def prune(obj: Any, schema: Schema | None, resource_root: bool = True) -> list[str]:
    """Drop, in place, every field ``schema`` does not declare; return their paths, sorted.

    A resource's root keeps ``apiVersion``, ``kind`` and ``metadata`` whatever the schema says;
    so do objects marked ``x-kubernetes-embedded-resource``. Below
    ``x-kubernetes-preserve-unknown-fields`` unknown fields stay, but declared ones are still
    pruned inside.
    """
    if resource_root:
        schema = {**(schema or {}), "x-kubernetes-embedded-resource": True}
    unknown: list[str] = []
    _prune(obj, schema, "", unknown)
    return sorted(unknown)


def _prune(value: Any, schema: Schema | None, path: str, unknown: list[str]) -> None:
    if schema is not None and preserves_unknown(schema):
        _prune_known_only(value, schema, path, unknown)
        return
    if isinstance(value, dict):
        for name in list(value):
            if schema is not None and is_embedded(schema) and name in META_FIELDS:
                continue
            declared, sub = field_schema(schema, name)
            if schema is not None and declared:
                _prune(value[name], sub, child(path, name), unknown)
                continue
            if schema is None or name not in META_FIELDS or path:
                unknown.append(child(path, name))
            del value[name]
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _prune(item, items(schema), index(path, position), unknown)


def _prune_known_only(value: Any, schema: Schema, path: str, unknown: list[str]) -> None:
    if isinstance(value, dict):
        for name, sub_value in value.items():
            if is_embedded(schema) and name in META_FIELDS:
                continue
            declared, sub = field_schema(schema, name)
            if declared:
                _prune(sub_value, sub, child(path, name), unknown)
    elif isinstance(value, list):
        element = items(schema)
        if element is None:
            return
        for position, item in enumerate(value):
            _prune_known_only(item, element, index(path, position), unknown)


def drop_nulls(value: Any, schema: Schema | None) -> None:
    """Remove ``null`` fields the schema neither allows (``nullable``) nor defaults."""
    if isinstance(value, dict):
        for name in list(value):
            _, sub = field_schema(schema, name)
            if (
                value[name] is None
                and sub is not None
                and not _nullable(sub)
                and "default" not in sub
            ):
                del value[name]
            else:
                drop_nulls(value[name], sub)
    elif isinstance(value, list):
        for item in value:
            drop_nulls(item, items(schema))


def _non_nullable_null(value: Any, schema: Schema | None) -> bool:
    return value is None and schema is not None and not _nullable(schema)


def apply_defaults(value: Any, schema: Schema | None) -> None:
    """Fill in ``default`` values in place: for absent fields, and for ``null`` ones whose
    schema is not ``nullable``."""
    if schema is None:
        return
    if isinstance(value, dict):
        for name, prop in properties(schema).items():
            if "default" not in prop or prop["default"] is None:
                continue
            if name not in value or _non_nullable_null(value[name], prop):
                value[name] = copy.deepcopy(prop["default"])
        values_schema = additional(schema)
        for name in list(value):
            if name in properties(schema):
                apply_defaults(value[name], properties(schema)[name])
            elif values_schema is not None:
                if _non_nullable_null(value[name], values_schema):
                    value[name] = copy.deepcopy(values_schema.get("default"))
                apply_defaults(value[name], values_schema)
    elif isinstance(value, list):
        element = items(schema)
        for position in range(len(value)):
            if _non_nullable_null(value[position], element):
                value[position] = copy.deepcopy((element or {}).get("default"))
            apply_defaults(value[position], element)


# --- value validation ------------------------------------------------------------------------


def validate(value: Any, schema: Schema, base: str = "") -> list[FieldError]:
    """Check ``value`` against ``schema`` as kube-apiserver's OpenAPI validator does.

    Messages name the place the validator saw (relative to ``value``); errors are reported at
    ``base`` plus that place, so a status validated on its own says ``status.replicas:
    Invalid value: ...: replicas in body must be ...`` as upstream does.
    """
    checker = _ValueChecker(base)
    checker.check(value, schema, "")
    return checker.errors


def _types(schema: Schema) -> list[str]:
    if is_int_or_string(schema):
        return ["integer", "string"]
    declared = schema.get("type")
    return [declared] if isinstance(declared, str) and declared else []


def _json_type(value: Any) -> tuple[str, str]:
    """The OpenAPI type and format the validator infers for a decoded JSON value."""
    if isinstance(value, bool):
        return "boolean", ""
    if isinstance(value, int):
        return "integer", "int64"
    if isinstance(value, float):
        return "number", "float64"
    if isinstance(value, str):
        return "string", ""
    if isinstance(value, list):
        return "array", ""
    return "object", ""


def go_number(value: float | int) -> str:
    """A number as Go's ``%v`` prints it: ``10`` for 10.0, ``1.5`` for 1.5."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def json_equal(left: Any, right: Any) -> bool:
    """JSON equality: 1 equals 1.0, but true is not 1."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(v, right[k]) for k, v in left.items())
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            json_equal(a, b) for a, b in zip(left, right, strict=True)
        )
    return type(left) is type(right) and left == right


class _ValueChecker:
    """One validation pass; collects field errors in the order the upstream validators run:
    type, composition (allOf/anyOf/oneOf/not), string, format, number, array, enum, object."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.errors: list[FieldError] = []

    # -- turning validator findings into field errors

    def _field(self, name: str) -> str:
        relative = name.removeprefix(".")
        if relative and name != ".":
            return child(self.base, relative)
        return self.base or "<nil>"

    @staticmethod
    def _subject(name: str) -> str:
        return f"{name} in {_IN}"

    def _type_error(self, name: str, type_name: str, actual: str) -> None:
        message = f"{self._subject(name)} must be of type {type_name}: {json.dumps(actual)}"
        self.errors.append(FieldError(TYPE_INVALID, self._field(name), actual, message))

    def _invalid(self, name: str, value: Any, message: str) -> None:
        self.errors.append(invalid(self._field(name), value, f"{self._subject(name)} {message}"))

    def _composite(self, name: str, message: str) -> None:
        self.errors.append(FieldError(INVALID, "<nil>", "", f"{json.dumps(name)} {message}"))

    def valid(self, value: Any, schema: Schema, name: str) -> bool:
        probe = _ValueChecker(self.base)
        probe.check(value, schema, name)
        return not probe.errors

    # -- the walk

    def check(self, value: Any, schema: Schema, name: str) -> None:
        if value is None:
            self._check_type(value, schema, name)
            self._check_enum(value, schema, name)
            return
        self._check_type(value, schema, name)
        self._check_composition(value, schema, name)
        if isinstance(value, str):
            self._check_string(value, schema, name)
            self._check_format(value, schema, name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            self._check_number(value, schema, name)
        if isinstance(value, list):
            self._check_array(value, schema, name)
        self._check_enum(value, schema, name)
        if isinstance(value, dict):
            self._check_object(value, schema, name)

    def _check_type(self, value: Any, schema: Schema, name: str) -> None:
        types = _types(schema)
        declared_format = effective_format(schema)
        if not types and not declared_format:
            return
        if value is None:
            if types and not _nullable(schema):
                self._type_error(name, ",".join(types), "null")
            return
        actual, actual_format = _json_type(value)
        float_int = actual == "number" and "integer" in types and float(value).is_integer()
        int_float = actual == "integer" and "number" in types
        if (
            not isinstance(value, str | list)
            and declared_format
            and not (actual in types or actual_format == declared_format or float_int or int_float)
        ):
            self._type_error(name, declared_format, actual_format)
            return
        numeric = "number" in types or "integer" in types
        if not numeric and declared_format and isinstance(value, str | list):
            return
        if not (actual in types or float_int or int_float):
            self._type_error(name, ",".join(types), actual)

    def _check_composition(self, value: Any, schema: Schema, name: str) -> None:
        any_of = schema.get("anyOf") or []
        if any_of and not any(self.valid(value, option, name) for option in any_of):
            self._composite(name, "must validate at least one schema (anyOf)")
            self.check(value, any_of[0], name)
        one_of = schema.get("oneOf") or []
        if one_of:
            passed = sum(self.valid(value, option, name) for option in one_of)
            if passed != 1:
                found = "Found none valid" if passed == 0 else f"Found {passed} valid alternatives"
                self._composite(name, f"must validate one and only one schema (oneOf). {found}")
                if passed == 0:
                    self.check(value, one_of[0], name)
        all_of = schema.get("allOf") or []
        if all_of:
            passed = 0
            for option in all_of:
                passed += self.valid(value, option, name)
                self.check(value, option, name)
            if passed != len(all_of):
                suffix = ". None validated" if passed == 0 else ""
                self._composite(name, f"must validate all the schemas (allOf){suffix}")
        negated = schema.get("not")
        if isinstance(negated, dict) and self.valid(value, negated, name):
            self._composite(name, "must not validate the schema (not)")

    def _check_string(self, value: str, schema: Schema, name: str) -> None:
        longest, shortest = schema.get("maxLength"), schema.get("minLength")
        if longest is not None and len(value) > longest:
            unit = "byte" if longest == 1 else "bytes"
            self.errors.append(
                FieldError(
                    TOO_LONG, self._field(name), detail=f"may not be more than {longest} {unit}"
                )
            )
            return
        if shortest is not None and len(value) < shortest:
            self._invalid(name, value, f"should be at least {shortest} chars long")
            return
        pattern = schema.get("pattern")
        if pattern:
            try:
                matched = re.search(pattern, value) is not None
            except re.error as problem:
                self._invalid(
                    name, value, f"should match '{pattern}, but pattern is invalid: {problem}'"
                )
                return
            if not matched:
                self._invalid(name, value, f"should match '{pattern}'")

    def _check_format(self, value: str, schema: Schema, name: str) -> None:
        declared = effective_format(schema)
        check = STRING_FORMATS.get(declared.replace("-", "")) if declared else None
        if check is not None and not check(value):
            message = f"{self._subject(name)} must be of type {declared}: {json.dumps(value)}"
            self.errors.append(FieldError(TYPE_INVALID, self._field(name), value, message))

    def _check_number(self, value: float | int, schema: Schema, name: str) -> None:
        factor = schema.get("multipleOf")
        if isinstance(factor, int | float) and factor > 0:
            quotient = value / factor
            if not float(quotient).is_integer():
                self._invalid(name, value, f"should be a multiple of {go_number(factor)}")
        low = schema.get("minimum")
        if isinstance(low, int | float):
            exclusive = bool(schema.get("exclusiveMinimum"))
            if value < low or (exclusive and value == low):
                relation = "greater than" if exclusive else "greater than or equal to"
                self._invalid(name, value, f"should be {relation} {go_number(low)}")
        high = schema.get("maximum")
        if isinstance(high, int | float):
            exclusive = bool(schema.get("exclusiveMaximum"))
            if value > high or (exclusive and value == high):
                relation = "less than" if exclusive else "less than or equal to"
                self._invalid(name, value, f"should be {relation} {go_number(high)}")

    def _check_array(self, value: list[Any], schema: Schema, name: str) -> None:
        element = items(schema)
        if element is not None:
            for position, item in enumerate(value):
                self.check(item, element, f"{name}[{position}]")
        fewest, most = schema.get("minItems"), schema.get("maxItems")
        if fewest is not None and len(value) < fewest:
            self._invalid(name, len(value), f"should have at least {fewest} items")
        if most is not None and len(value) > most:
            unit = "item" if most == 1 else "items"
            self.errors.append(
                FieldError(
                    TOO_MANY,
                    self._field(name),
                    detail=f"{len(value)}: must have at most {most} {unit}",
                )
            )

    def _check_enum(self, value: Any, schema: Schema, name: str) -> None:
        allowed = schema.get("enum")
        if not allowed:
            return
        if value is not None and any(json_equal(value, option) for option in allowed):
            return
        listed = [
            option if isinstance(option, str) else json.dumps(option, separators=(",", ":"))
            for option in allowed
        ]
        self.errors.append(not_supported(self._field(name), value, listed))

    def _check_object(self, value: dict[str, Any], schema: Schema, name: str) -> None:
        count = len(value)
        fewest, most = schema.get("minProperties"), schema.get("maxProperties")
        if fewest is not None and count < fewest:
            self._invalid(name, count, f"should have at least {fewest} properties")
        if most is not None and count > most:
            unit = "item" if most == 1 else "items"
            self.errors.append(
                FieldError(
                    TOO_MANY, self._field(name), detail=f"{count}: must have at most {most} {unit}"
                )
            )
        props = properties(schema)
        extra = schema.get("additionalProperties")
        for field_name, field_value in value.items():
            if field_name in props:
                continue
            if extra is False:
                self.errors.append(
                    invalid(
                        self._field(name),
                        field_name,
                        f"{name}.{field_name} in {_IN} is a forbidden property",
                    )
                )
            elif isinstance(extra, dict):
                self.check(field_value, extra, f"{name}.{field_name}")
        for field_name, field_value in value.items():
            if field_name in props:
                self.check(field_value, props[field_name], child(name, field_name))
        for field_name in schema.get("required") or []:
            if field_name not in value:
                self.errors.append(required(self._field(f"{name}.{field_name}")))


# --- formats ---------------------------------------------------------------------------------

_UUID = re.compile(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
_UUID3 = re.compile(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
_UUID4 = re.compile(
    r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$"
)
_UUID5 = re.compile(
    r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$"
)
_HOSTNAME = re.compile(
    r"^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_MAC = re.compile(
    r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}$"
    r"|^([0-9A-Fa-f]{2}[:-]){7}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{2}[:-]){19}[0-9A-Fa-f]{2}$"
)
_HEX_COLOR = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_RGB_COLOR = re.compile(
    r"^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])"
    r"\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$"
)
_BSON_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$")
_DURATION = re.compile(
    r"^(((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+|"
    r"\d+\s*(ns|nano|nanos|us|micro|micros|ms|milli|millis|s|second|seconds|m|minute|minutes"
    r"|h|hour|hours|d|day|days|w|week|weeks))$"
)
_URI = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*|/[^\s]*)$")
_K8S_SHORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_K8S_LONG_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _matches(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda value: pattern.match(value) is not None


def _parses(parse: Callable[[str], Any]) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            parse(value)
        except ValueError:
            return False
        return True

    return check


def _date(value: str) -> bool:
    return _DATE.match(value) is not None and _parses(datetime.fromisoformat)(value)


def _date_time(value: str) -> bool:
    if _DATE_TIME.match(value) is None:
        return False
    normalized = value.replace("z", "Z").replace("Z", "+00:00").replace("t", "T")
    return _parses(datetime.fromisoformat)(normalized)


def _base64(value: str) -> bool:
    return _parses(lambda text: base64.b64decode(text, validate=True))(value)


#: The string formats kube-apiserver validates in custom resources, by normalized name
#: (``date-time`` and ``datetime`` are one format), each with a check of its syntax.
STRING_FORMATS: dict[str, Callable[[str], bool]] = {
    "bsonobjectid": _matches(_BSON_OBJECT_ID),
    "uri": _matches(_URI),
    "email": _matches(_EMAIL),
    "hostname": lambda value: len(value) <= 255 and _HOSTNAME.match(value) is not None,
    "ipv4": _parses(ipaddress.IPv4Address),
    "ipv6": _parses(ipaddress.IPv6Address),
    "cidr": _parses(lambda text: ipaddress.ip_network(text, strict=False)),
    "mac": _matches(_MAC),
    "uuid": _matches(_UUID),
    "uuid3": _matches(_UUID3),
    "uuid4": _matches(_UUID4),
    "uuid5": _matches(_UUID5),
    "hexcolor": _matches(_HEX_COLOR),
    "rgbcolor": _matches(_RGB_COLOR),
    "byte": _base64,
    "password": lambda value: True,
    "date": _date,
    "duration": _matches(_DURATION),
    "datetime": _date_time,
    "k8sshortname": lambda value: len(value) <= 63 and _K8S_SHORT_NAME.match(value) is not None,
    "k8slongname": lambda value: len(value) <= 253 and _K8S_LONG_NAME.match(value) is not None,
}
#: Formats kube-apiserver keeps for numbers; any other is ignored.
_NUMBER_FORMATS = {"integer": ("int32", "int64"), "number": ("float", "double")}


def effective_format(schema: Schema) -> str:
    """The format the validator honours: unknown string formats and odd number formats are
    dropped, as kube-apiserver strips them before validating."""
    declared = schema.get("format") or ""
    if not declared:
        return ""
    kind = schema.get("type") or ""
    if kind in ("", "string"):
        return declared if declared.replace("-", "") in STRING_FORMATS else ""
    if kind in _NUMBER_FORMATS:
        return declared if declared in _NUMBER_FORMATS[kind] else ""
    return ""


def unrecognized_formats(schema: Schema) -> Iterator[str]:
    """Formats a schema names that kube-apiserver does not know (it warns about them)."""
    for node in walk(schema):
        declared = node.get("format")
        if declared and not effective_format(node):
            yield declared


# --- embedded resources and list types -------------------------------------------------------


def embedded_resource_errors(value: Any, schema: Schema | None, path: str = "") -> list[FieldError]:
    """``x-kubernetes-embedded-resource`` objects need ``apiVersion``, ``kind`` and valid
    metadata, like any object a client could create."""
    found: list[FieldError] = []
    if schema is None:
        return found
    if isinstance(value, dict):
        if is_embedded(schema):
            found += _embedded_object_errors(value, path)
        for name, sub_value in value.items():
            if name in properties(schema):
                found += embedded_resource_errors(
                    sub_value, properties(schema)[name], child(path, name)
                )
            elif additional(schema) is not None:
                found += embedded_resource_errors(sub_value, additional(schema), key(path, name))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found += embedded_resource_errors(item, items(schema), index(path, position))
    return found


def _embedded_object_errors(value: dict[str, Any], path: str) -> list[FieldError]:
    found: list[FieldError] = []
    for name in ("apiVersion", "kind"):
        if name not in value:
            found.append(required(child(path, name)))
    api_version = value.get("apiVersion")
    if "apiVersion" in value:
        if not isinstance(api_version, str):
            found.append(invalid(child(path, "apiVersion"), api_version, "must be a string"))
        elif not api_version:
            found.append(invalid(child(path, "apiVersion"), api_version, "must not be empty"))
        elif api_version.count("/") > 1:
            found.append(
                invalid(
                    child(path, "apiVersion"),
                    api_version,
                    f"unexpected GroupVersion string: {api_version}",
                )
            )
    kind_value = value.get("kind")
    if "kind" in value:
        if not isinstance(kind_value, str):
            found.append(invalid(child(path, "kind"), kind_value, "must be a string"))
        elif not kind_value:
            found.append(invalid(child(path, "kind"), kind_value, "must not be empty"))
        elif problems := dns1035_label_errors(kind_value.lower()):
            found.append(
                invalid(
                    child(path, "kind"),
                    kind_value,
                    "may have mixed case, but should otherwise match: " + ",".join(problems),
                )
            )
    meta = value.get("metadata")
    if isinstance(meta, dict):
        meta_path = child(path, "metadata")
        for message in path_segment_errors(meta.get("name") or "fakename"):
            found.append(invalid(child(meta_path, "name"), meta.get("name"), message))
        namespace = meta.get("namespace")
        if namespace:
            for message in dns1123_subdomain_errors(namespace):
                found.append(invalid(child(meta_path, "namespace"), namespace, message))
        found += validate_labels(meta.get("labels"), child(meta_path, "labels"))
        found += validate_annotations(meta.get("annotations"), child(meta_path, "annotations"))
    elif "metadata" in value:
        found.append(invalid(child(path, "metadata"), meta, "must be an object"))
    return found


def list_errors(value: Any, schema: Schema | None, path: str = "") -> list[FieldError]:
    """Duplicates in ``x-kubernetes-list-type: set`` lists and duplicate keys in ``map`` lists."""
    found: list[FieldError] = []
    if schema is None:
        return found
    if isinstance(value, dict):
        for name, sub_value in value.items():
            if name in properties(schema):
                found += list_errors(sub_value, properties(schema)[name], child(path, name))
            elif additional(schema) is not None:
                found += list_errors(sub_value, additional(schema), key(path, name))
    elif isinstance(value, list):
        list_type = schema.get("x-kubernetes-list-type")
        if list_type == "set":
            found += _duplicates(value, lambda item: item, path)
        elif list_type == "map":
            names = schema.get("x-kubernetes-list-map-keys") or []
            element = items(schema) or {}
            found += _duplicates(value, lambda item: _map_key(item, names, element), path)
        for position, item in enumerate(value):
            found += list_errors(item, items(schema), index(path, position))
    return found


def _map_key(item: Any, names: list[str], element: Schema) -> dict[str, Any]:
    if not isinstance(item, dict):
        return {}
    found = {}
    for name in names:
        if name in item:
            found[name] = item[name]
        elif "default" in properties(element).get(name, {}):
            found[name] = properties(element)[name]["default"]
    return found


def _duplicates(values: list[Any], identity: Callable[[Any], Any], path: str) -> list[FieldError]:
    seen: dict[str, int] = {}
    found = []
    for position, item in enumerate(values):
        marker = json.dumps(identity(item), sort_keys=True)
        seen[marker] = seen.get(marker, 0) + 1
        if seen[marker] == 2:
            found.append(FieldError(DUPLICATE, index(path, position), identity(item)))
    return found


# --- walking schemas -------------------------------------------------------------------------

_NESTED_LISTS = ("allOf", "anyOf", "oneOf")


def walk(schema: Schema | None) -> Iterator[Schema]:
    """Every node of a schema, value-validation branches included."""
    if not isinstance(schema, dict):
        return
    yield schema
    for sub in properties(schema).values():
        yield from walk(sub)
    for name in ("items", "additionalProperties", "not"):
        yield from walk(schema.get(name) if isinstance(schema.get(name), dict) else None)
    for name in _NESTED_LISTS:
        for sub in schema.get(name) or []:
            yield from walk(sub)


def unfold(schema: Schema) -> Schema:
    """The schema as kube-apiserver publishes it: ``x-kubernetes-int-or-string`` fields get
    the ``anyOf: [integer, string]`` that spells out what they accept."""
    folded = copy.deepcopy(schema)
    for node in walk(folded):
        if not is_int_or_string(node) or _int_or_string_pattern(node):
            continue
        alternatives = [{"type": "integer"}, {"type": "string"}]
        if "anyOf" not in node:
            node["anyOf"] = alternatives
        else:
            node["allOf"] = [{"anyOf": alternatives}, *(node.get("allOf") or [])]
    return folded


def _int_or_string_pattern(schema: Schema) -> bool:
    pattern = [{"type": "integer"}, {"type": "string"}]
    if schema.get("anyOf") == pattern:
        return True
    all_of = schema.get("allOf") or []
    return bool(all_of) and isinstance(all_of[0], dict) and all_of[0].get("anyOf") == pattern


# --- what a CRD's schema must look like ------------------------------------------------------

_OPENAPI_TYPES = ["array", "boolean", "integer", "number", "object", "string"]
#: The root schema fields allowed with a status subresource, in upstream's (Go field) naming.
_ROOT_FIELDS_WITH_STATUS = {
    "description": "Description",
    "type": "Type",
    "format": "Format",
    "title": "Title",
    "maximum": "Maximum",
    "exclusiveMaximum": "ExclusiveMaximum",
    "minimum": "Minimum",
    "exclusiveMinimum": "ExclusiveMinimum",
    "maxLength": "MaxLength",
    "minLength": "MinLength",
    "pattern": "Pattern",
    "maxItems": "MaxItems",
    "minItems": "MinItems",
    "uniqueItems": "UniqueItems",
    "multipleOf": "MultipleOf",
    "required": "Required",
    "items": "Items",
    "properties": "Properties",
    "externalDocs": "ExternalDocs",
    "example": "Example",
    "x-kubernetes-preserve-unknown-fields": "XPreserveUnknownFields",
    "x-kubernetes-validations": "XValidations",
}
_VALIDATION_REASONS = [
    "FieldValueDuplicate",
    "FieldValueForbidden",
    "FieldValueInvalid",
    "FieldValueRequired",
]


def _is_zero(value: Any) -> bool:
    return value in (None, False, 0, "", [], {})


def schema_errors(schema: Schema, path: str, status_enabled: bool) -> list[FieldError]:
    """Why a version's ``openAPIV3Schema`` (at ``path``) cannot be accepted, in upstream's
    order: the status-root rules, the structural invariants (which, when broken, hide the
    rest), then the OpenAPI rules, defaults and CEL rules node by node."""
    found: list[FieldError] = []
    if status_enabled:
        found += _status_root_errors(schema, path)
    if schema.get("nullable"):
        found.append(forbidden_field(f"{path}.nullable", "nullable cannot be true at the root"))
    structural = structural_errors(schema, path)
    rules = _SchemaRules(check_cel=not structural and not found)
    rules.check(schema, path, root=True)
    found += structural + rules.schema_errors
    if not structural:
        found += default_errors(schema, path)
    return found + rules.cel_errors


def _status_root_errors(schema: Schema, path: str) -> list[FieldError]:
    for name, value in schema.items():
        if _is_zero(value):
            continue
        if name == "type":
            if value != "object":
                return [
                    invalid(
                        f"{path}.type",
                        value,
                        'only "object" is allowed as the type at the root of the schema if '
                        "the status subresource is enabled",
                    )
                ]
            continue
        if name not in _ROOT_FIELDS_WITH_STATUS:
            allowed = " ".join(_ROOT_FIELDS_WITH_STATUS.values())
            return [
                invalid(
                    path,
                    schema,
                    f"only [{allowed}] fields are allowed at the root of the schema if the "
                    "status subresource is enabled",
                )
            ]
    return []


# -- structural invariants

_ROOT, _ITEM, _FIELD = "root", "item", "field"
_EMPTY_TYPE = {
    _ROOT: "must not be empty at the root",
    _ITEM: "must not be empty for specified array items",
    _FIELD: "must not be empty for specified object fields",
}
#: Generic keywords a value-validation branch may not set, with upstream's complaint.
_NESTED_FORBIDDEN = (
    ("type", FORBIDDEN, "must be empty to be structural"),
    ("additionalProperties", FORBIDDEN, "must be undefined to be structural"),
    ("default", FORBIDDEN, "must be undefined to be structural"),
    ("title", FORBIDDEN, "must be empty to be structural"),
    ("description", FORBIDDEN, "must be empty to be structural"),
    ("nullable", FORBIDDEN, "must be false to be structural"),
    ("x-kubernetes-preserve-unknown-fields", FORBIDDEN, "must be false to be structural"),
    ("x-kubernetes-embedded-resource", FORBIDDEN, "must be false to be structural"),
    ("x-kubernetes-int-or-string", FORBIDDEN, "must be false to be structural"),
    ("x-kubernetes-list-map-keys", FORBIDDEN, "must be empty to be structural"),
    ("x-kubernetes-list-type", FORBIDDEN, "must be undefined to be structural"),
    ("x-kubernetes-map-type", FORBIDDEN, "must be undefined to be structural"),
    ("x-kubernetes-validations", FORBIDDEN, "must be empty to be structural"),
)


def structural_errors(schema: Schema, path: str) -> list[FieldError]:
    """Why a schema is not structural (``ValidateStructural``), sorted as upstream sorts."""
    found = _invariant_errors(schema, _ROOT, path) + _completeness_errors(schema, path, path)
    return sorted(found, key=str)


def _invariant_errors(schema: Schema, level: str, path: str) -> list[FieldError]:
    found: list[FieldError] = []
    kind = schema.get("type") or ""
    if kind == "array" and items(schema) is None:
        found.append(required(f"{path}.items", "must be specified"))
    if items(schema) is not None:
        found += _invariant_errors(items(schema) or {}, _ITEM, f"{path}.items")
    for name, prop in properties(schema).items():
        found += _invariant_errors(prop, _FIELD, key(f"{path}.properties", name))
    if has_additional(schema):
        if level == _ROOT:
            found.append(
                forbidden_field(f"{path}.additionalProperties", "must not be used at the root")
            )
        if additional(schema) is not None:
            found += _invariant_errors(
                additional(schema) or {}, _FIELD, f"{path}.additionalProperties"
            )
    if is_int_or_string(schema) and preserves_unknown(schema):
        found.append(
            invalid(
                f"{path}.x-kubernetes-preserve-unknown-fields",
                True,
                "must be false if x-kubernetes-int-or-string is true",
            )
        )
    if is_int_or_string(schema) and is_embedded(schema):
        found.append(
            invalid(
                f"{path}.x-kubernetes-embedded-resource",
                True,
                "must be false if x-kubernetes-int-or-string is true",
            )
        )
    found += _value_validation_errors(schema, level, path, top=True)
    if is_embedded(schema) and kind != "object":
        detail = "must be object if x-kubernetes-embedded-resource is true"
        found.append(
            required(f"{path}.type", detail) if not kind else invalid(f"{path}.type", kind, detail)
        )
    elif not kind and not is_int_or_string(schema) and not preserves_unknown(schema):
        found.append(required(f"{path}.type", _EMPTY_TYPE[level]))
    if is_embedded(schema) and has_additional(schema):
        found.append(
            forbidden_field(
                f"{path}.additionalProperties",
                "must not be used if x-kubernetes-embedded-resource is set",
            )
        )
    if level == _ROOT and kind and kind != "object":
        found.append(invalid(f"{path}.type", kind, "must be object at the root"))
    check_meta = level == _ROOT or is_embedded(schema)
    props = properties(schema)
    for name in ("kind", "apiVersion"):
        if name in props and check_meta and props[name].get("type") != "string":
            found.append(
                invalid(
                    key(f"{path}.properties", name) + ".type",
                    props[name].get("type", ""),
                    "must be string",
                )
            )
    if "metadata" in props:
        found += _metadata_errors(
            props["metadata"], check_meta, level, key(f"{path}.properties", "metadata")
        )
    if is_embedded(schema) and not preserves_unknown(schema) and not props:
        found.append(
            required(
                f"{path}.properties",
                "must not be empty if x-kubernetes-embedded-resource is true without "
                "x-kubernetes-preserve-unknown-fields",
            )
        )
    return found


def _metadata_errors(meta: Schema, check_meta: bool, level: str, path: str) -> list[FieldError]:
    found: list[FieldError] = []
    if check_meta and meta.get("type") != "object":
        found.append(invalid(f"{path}.type", meta.get("type", ""), "must be object"))
    if level == _ROOT:
        rest = {k: v for k, v in meta.items() if k not in ("type", "default")}
        props = properties(meta)
        if set(props) <= {"name", "generateName"}:
            rest.pop("properties", None)
        if any(not _is_zero(v) for v in rest.values()):
            found.append(
                forbidden_field(
                    path,
                    "must not specify anything other than name and generateName, but metadata "
                    "is implicitly specified",
                )
            )
    return found


def _value_validation_errors(
    schema: Schema, level: str, path: str, top: bool = False
) -> list[FieldError]:
    """Errors inside ``allOf``/``anyOf``/``oneOf``/``not``: those branches may only check
    values, never give a field a type or other structure."""
    found: list[FieldError] = []
    if not top:
        for name, error_type, detail in _NESTED_FORBIDDEN:
            if not _is_zero(schema.get(name)):
                found.append(FieldError(error_type, f"{path}.{name}", detail=detail))
        if "metadata" in properties(schema):
            found.append(
                forbidden_field(
                    key(f"{path}.properties", "metadata"),
                    "must not be specified in a nested context",
                )
            )
        for name, sub in properties(schema).items():
            found += _value_validation_errors(sub, _FIELD, key(f"{path}.properties", name))
        if items(schema) is not None:
            found += _value_validation_errors(items(schema) or {}, level, f"{path}.items")
    skip_any_of = top and _int_or_string_pattern(schema) and schema.get("anyOf")
    for name in _NESTED_LISTS:
        for position, sub in enumerate(schema.get(name) or []):
            if name == "anyOf" and skip_any_of:
                continue
            if not isinstance(sub, dict):
                continue
            if (
                name == "allOf"
                and position == 0
                and top
                and _int_or_string_pattern(schema)
                and not schema.get("anyOf")
            ):
                found += _value_validation_errors(
                    {k: v for k, v in sub.items() if k != "anyOf"}, level, f"{path}.allOf[0]"
                )
                continue
            found += _value_validation_errors(sub, level, f"{path}.{name}[{position}]")
    negated = schema.get("not")
    if isinstance(negated, dict):
        found += _value_validation_errors(negated, level, f"{path}.not")
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and pattern:
        try:
            re.compile(pattern)
        except re.error as problem:
            found.append(
                invalid(
                    f"{path}.pattern",
                    pattern,
                    f"must be a valid regular expression, but isn't: {problem}",
                )
            )
    return found


def _completeness_errors(schema: Schema, structure_path: str, value_path: str) -> list[FieldError]:
    """Every field a value-validation branch mentions must also be in the structure."""
    found: list[FieldError] = []
    branches: list[tuple[Schema, str]] = []
    negated = schema.get("not")
    if isinstance(negated, dict):
        branches.append((negated, f"{value_path}.not"))
    for name in _NESTED_LISTS:
        for position, sub in enumerate(schema.get(name) or []):
            if isinstance(sub, dict):
                branches.append((sub, f"{value_path}.{name}[{position}]"))
    for branch, branch_path in branches:
        found += _nested_completeness(branch, schema, structure_path, branch_path)
    return found


def _nested_completeness(
    branch: Schema, structure: Schema | None, structure_path: str, branch_path: str
) -> list[FieldError]:
    if structure is None:
        return [required(structure_path, f"because it is defined in {branch_path}")]
    found = _completeness_errors(branch, structure_path, branch_path)
    if items(branch) is not None:
        found += _nested_completeness(
            items(branch) or {}, items(structure), f"{structure_path}.items", f"{branch_path}.items"
        )
    for name, sub in properties(branch).items():
        if name not in properties(structure):
            found.append(
                required(
                    key(f"{structure_path}.properties", name),
                    f"because it is defined in {key(f'{branch_path}.properties', name)}",
                )
            )
        else:
            found += _nested_completeness(
                sub,
                properties(structure)[name],
                key(f"{structure_path}.properties", name),
                key(f"{branch_path}.properties", name),
            )
    return found


# -- OpenAPI rules, node by node


class _SchemaRules:
    """``ValidateCustomResourceDefinitionOpenAPISchema``: what OpenAPI features a CRD schema
    may use, where defaults may go, how list and map types are declared, and whether its CEL
    rules compile."""

    def __init__(self, check_cel: bool) -> None:
        self.check_cel = check_cel
        self.schema_errors: list[FieldError] = []
        self.cel_errors: list[FieldError] = []

    def check(
        self,
        schema: Schema,
        path: str,
        root: bool = False,
        defaults_forbidden: str | None = None,
        inside_meta: bool = False,
        old_self_forbidden: str | None = None,
    ) -> None:
        errors_before = len(self.schema_errors)
        self._keywords(schema, path, defaults_forbidden, inside_meta)
        if schema.get("uniqueItems"):
            self.schema_errors.append(
                forbidden_field(
                    f"{path}.uniqueItems",
                    "uniqueItems cannot be set to true since the runtime complexity becomes "
                    "quadratic",
                )
            )
        extra = schema.get("additionalProperties")
        if extra is not None:
            if properties(schema) and (extra is not True):
                self.schema_errors.append(
                    forbidden_field(
                        f"{path}.additionalProperties",
                        "additionalProperties and properties are mutual exclusive",
                    )
                )
            if isinstance(extra, dict):
                reason = defaults_forbidden
                if inside_meta:
                    reason = "inside additionalProperties applying to object metadata"
                self.check(
                    extra,
                    f"{path}.additionalProperties",
                    defaults_forbidden=reason,
                    inside_meta=inside_meta,
                    old_self_forbidden=old_self_forbidden,
                )
        map_type = schema.get("x-kubernetes-map-type")
        for name, prop in properties(schema).items():
            sub_forbidden = defaults_forbidden
            sub_meta = inside_meta
            sub_old_self = old_self_forbidden
            if map_type not in (None, "granular", "atomic") and sub_old_self is None:
                sub_old_self = path
            if (root or is_embedded(schema)) and name in META_FIELDS:
                sub_meta = True
                if root:
                    sub_forbidden = f"in top-level {name}"
            self.check(
                prop,
                key(f"{path}.properties", name),
                defaults_forbidden=sub_forbidden,
                inside_meta=sub_meta,
                old_self_forbidden=sub_old_self,
            )
        negated = schema.get("not")
        if isinstance(negated, dict):
            self.check(negated, f"{path}.not", defaults_forbidden=defaults_forbidden)
        for name in _NESTED_LISTS:
            for position, sub in enumerate(schema.get(name) or []):
                if isinstance(sub, dict):
                    self.check(
                        sub, f"{path}.{name}[{position}]", defaults_forbidden=defaults_forbidden
                    )
        element = schema.get("items")
        if isinstance(element, dict):
            item_old_self = old_self_forbidden
            if schema.get("x-kubernetes-list-type") != "map" and item_old_self is None:
                item_old_self = path
            self.check(
                element,
                f"{path}.items",
                defaults_forbidden=defaults_forbidden,
                inside_meta=inside_meta,
                old_self_forbidden=item_old_self,
            )
        self._extensions(schema, path)
        self._list_map_keys(schema, path)
        self._rules(
            schema, path, root, len(self.schema_errors) == errors_before, old_self_forbidden
        )

    def _keywords(
        self, schema: Schema, path: str, defaults_forbidden: str | None, inside_meta: bool
    ) -> None:
        add = self.schema_errors.append
        kind = schema.get("type")
        if kind and kind not in _OPENAPI_TYPES and kind != "null":
            add(not_supported(f"{path}.type", kind, _OPENAPI_TYPES))
        if "default" in schema and schema["default"] is not None and defaults_forbidden is not None:
            add(forbidden_field(f"{path}.default", f"must not be set {defaults_forbidden}".strip()))
        unsupported = (
            ("id", "id is not supported"),
            ("additionalItems", "additionalItems is not supported"),
            ("patternProperties", "patternProperties is not supported"),
            ("definitions", "definitions is not supported"),
            ("dependencies", "dependencies is not supported"),
            ("$ref", "$ref is not supported"),
        )
        for name, detail in unsupported:
            if not _is_zero(schema.get(name)):
                add(forbidden_field(f"{path}.{name}", detail))
        if kind == "null":
            add(
                forbidden_field(
                    f"{path}.type", "type cannot be set to null, use nullable as an alternative"
                )
            )
        if isinstance(schema.get("items"), list):
            add(forbidden_field(f"{path}.items", "items must be a schema object and not an array"))
        if inside_meta and is_embedded(schema):
            add(
                forbidden_field(
                    f"{path}.x-kubernetes-embedded-resource",
                    "must not be used inside of resource meta",
                )
            )

    def _extensions(self, schema: Schema, path: str) -> None:
        add = self.schema_errors.append
        kind = schema.get("type") or ""
        if schema.get("x-kubernetes-preserve-unknown-fields") is False:
            add(
                invalid(
                    f"{path}.x-kubernetes-preserve-unknown-fields",
                    False,
                    "must be true or undefined",
                )
            )
        map_type = schema.get("x-kubernetes-map-type")
        if map_type is not None and kind != "object":
            detail = "must be object if x-kubernetes-map-type is specified"
            add(
                required(f"{path}.type", detail)
                if not kind
                else invalid(f"{path}.type", kind, detail)
            )
        if map_type is not None and map_type not in ("atomic", "granular"):
            add(not_supported(f"{path}.x-kubernetes-map-type", map_type, ["atomic", "granular"]))
        list_type = schema.get("x-kubernetes-list-type")
        element = items(schema)
        if list_type is not None and kind != "array":
            detail = "must be array if x-kubernetes-list-type is specified"
            add(
                required(f"{path}.type", detail)
                if not kind
                else invalid(f"{path}.type", kind, detail)
            )
        elif list_type == "set" and element is not None:
            if element.get("type") == "array" and element.get("x-kubernetes-list-type") not in (
                None,
                "atomic",
            ):
                add(
                    invalid(
                        f"{path}.items.x-kubernetes-list-type",
                        element.get("x-kubernetes-list-type"),
                        "must be atomic as item of a list with x-kubernetes-list-type=set",
                    )
                )
            if element.get("type") == "object" and element.get("x-kubernetes-map-type") != "atomic":
                add(
                    invalid(
                        f"{path}.items.x-kubernetes-map-type",
                        list_type,
                        "must be atomic as item of a list with x-kubernetes-list-type=set",
                    )
                )
        if list_type is not None and list_type not in ("atomic", "set", "map"):
            add(
                not_supported(f"{path}.x-kubernetes-list-type", list_type, ["atomic", "set", "map"])
            )

    def _list_map_keys(self, schema: Schema, path: str) -> None:
        add = self.schema_errors.append
        list_type = schema.get("x-kubernetes-list-type")
        names = schema.get("x-kubernetes-list-map-keys") or []
        if names:
            if list_type is None:
                add(
                    required(
                        f"{path}.x-kubernetes-list-type",
                        "must be map if x-kubernetes-list-map-keys is non-empty",
                    )
                )
            elif list_type != "map":
                add(
                    invalid(
                        f"{path}.x-kubernetes-list-type",
                        list_type,
                        "must be map if x-kubernetes-list-map-keys is non-empty",
                    )
                )
        element = items(schema)
        if list_type == "map":
            if not names:
                add(
                    required(
                        f"{path}.x-kubernetes-list-map-keys",
                        "must not be empty if x-kubernetes-list-type is map",
                    )
                )
            if element is None:
                add(
                    required(f"{path}.items", "must have a schema if x-kubernetes-list-type is map")
                )
            elif element.get("type") != "object":
                add(
                    invalid(
                        f"{path}.items.type",
                        element.get("type", ""),
                        "must be object if parent array's x-kubernetes-list-type is map",
                    )
                )
            else:
                seen: set[str] = set()
                for name in names:
                    prop = properties(element).get(name)
                    if prop is None:
                        add(
                            invalid(
                                f"{path}.x-kubernetes-list-map-keys",
                                names,
                                "entries must all be names of item properties",
                            )
                        )
                    elif prop.get("type") in ("array", "object"):
                        add(
                            invalid(
                                key(f"{path}.items.properties", name) + ".type",
                                element.get("type"),
                                "must be a scalar type if parent array's x-kubernetes-list-type "
                                "is map",
                            )
                        )
                    if name in seen:
                        add(
                            invalid(
                                f"{path}.x-kubernetes-list-map-keys",
                                names,
                                "must not contain duplicate entries",
                            )
                        )
                    seen.add(name)
        if list_type in ("set", "map") and element is not None:
            if element.get("nullable"):
                add(
                    forbidden_field(
                        f"{path}.items.nullable",
                        f"cannot be nullable when x-kubernetes-list-type is {list_type}",
                    )
                )
            if list_type == "map":
                needed = set(element.get("required") or [])
                for name in names:
                    prop = properties(element).get(name)
                    if prop is None:
                        continue
                    prop_path = key(f"{path}.items.properties", name)
                    if name not in needed and prop.get("default") is None:
                        add(
                            required(
                                f"{prop_path}.default",
                                "this property is in x-kubernetes-list-map-keys, so it must "
                                "have a default or be a required property",
                            )
                        )
                    if prop.get("nullable"):
                        add(
                            forbidden_field(
                                f"{prop_path}.nullable",
                                "this property is in x-kubernetes-list-map-keys, so it cannot "
                                "be nullable",
                            )
                        )

    def _rules(
        self,
        schema: Schema,
        path: str,
        root: bool,
        node_valid: bool,
        old_self_forbidden: str | None,
    ) -> None:
        rules = schema.get("x-kubernetes-validations") or []
        for position, rule in enumerate(rules):
            if isinstance(rule, dict):
                self.schema_errors += _rule_shape_errors(
                    rule, f"{path}.x-kubernetes-validations[{position}]", schema
                )
        if not (self.check_cel and node_valid):
            return
        for position, rule in enumerate(rules):
            if not isinstance(rule, dict) or not str(rule.get("rule", "")).strip():
                continue
            rule_path = f"{path}.x-kubernetes-validations[{position}]"
            self.cel_errors += cel.compile_errors(rule, rule_path, schema, root)
            uses_old_self = cel.uses_old_self(rule.get("rule", ""))
            if uses_old_self and old_self_forbidden is not None:
                self.cel_errors.append(
                    invalid(
                        f"{rule_path}.rule",
                        rule.get("rule"),
                        "oldSelf cannot be used on the uncorrelatable portion of the schema "
                        f"within {old_self_forbidden}",
                    )
                )
            elif not uses_old_self and rule.get("optionalOldSelf") is not None:
                self.cel_errors.append(
                    invalid(
                        f"{rule_path}.optionalOldSelf",
                        rule["optionalOldSelf"],
                        "may not be set if oldSelf is not used in rule",
                    )
                )


def _rule_shape_errors(rule: dict[str, Any], path: str, schema: Schema) -> list[FieldError]:
    found: list[FieldError] = []
    text = str(rule.get("rule") or "")
    message = rule.get("message")
    trimmed_rule, trimmed_message = text.strip(), str(message or "").strip()
    if not trimmed_rule:
        found.append(required(f"{path}.rule", "rule is not specified"))
    elif message and not trimmed_message:
        found.append(invalid(f"{path}.message", message, "must be non-empty if specified"))
    elif "\n" in trimmed_message or "\r" in trimmed_message:
        found.append(invalid(f"{path}.message", message, "must not contain line breaks"))
    elif ("\n" in trimmed_rule or "\r" in trimmed_rule) and not trimmed_message:
        found.append(
            required(f"{path}.message", "message must be specified if rule contains line breaks")
        )
    expression = rule.get("messageExpression")
    if expression is not None and expression != "" and not str(expression).strip():
        found.append(
            required(
                f"{path}.messageExpression", "messageExpression must be non-empty if specified"
            )
        )
    reason = rule.get("reason")
    if reason is not None and reason not in _VALIDATION_REASONS:
        found.append(not_supported(f"{path}.reason", reason, _VALIDATION_REASONS))
    field_path = rule.get("fieldPath")
    if field_path:
        if not str(field_path).strip():
            found.append(invalid(f"{path}.fieldPath", field_path, "must be non-empty if specified"))
        if "\n" in field_path:
            found.append(invalid(f"{path}.fieldPath", field_path, "must not contain line breaks"))
        elif resolve_field_path(field_path, schema) is None:
            found.append(invalid(f"{path}.fieldPath", field_path, "must be a valid path"))
    return found


_FIELD_PATH_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\['([^']*)'\]|\[(\d+)\]")


def resolve_field_path(field_path: str, schema: Schema) -> str | None:
    """A rule's ``fieldPath`` (``.spec.replicas``, ``.map['key']``) as a field path below the
    rule's node, or None when the schema has no such field."""
    position, node, rendered = 0, schema, ""
    while position < len(field_path):
        match = _FIELD_PATH_PART.match(field_path, position)
        if match is None:
            return None
        name, map_key, list_index = match.groups()
        if name is not None:
            declared, sub = field_schema(node, name)
            if not declared or sub is None and name not in properties(node):
                return None
            node = sub or {}
            rendered = child(rendered, name)
        elif map_key is not None:
            if additional(node) is None:
                return None
            node = additional(node) or {}
            rendered = key(rendered, map_key)
        else:
            if items(node) is None:
                return None
            node = items(node) or {}
            rendered = index(rendered, int(list_index))
        position = match.end()
    return rendered


# -- defaults


def default_errors(schema: Schema, path: str) -> list[FieldError]:
    """Each ``default`` must be valid for its own node, and must not carry unknown fields."""
    found: list[FieldError] = []
    _default_errors(schema, path, {**schema, "x-kubernetes-embedded-resource": True}, False, found)
    return found


def _default_errors(
    schema: Schema, path: str, node: Schema, inside_meta: bool, found: list[FieldError]
) -> None:
    value = node.get("default")
    if value is not None and not inside_meta:
        pruned = copy.deepcopy(value)
        prune(pruned, node, resource_root=is_embedded(node))
        if not json_equal(pruned, value):
            found.append(invalid(f"{path}.default", value, "must not have unknown fields"))
        problems = embedded_resource_errors(value, node, f"{path}.default")
        problems = problems or validate(value, node, f"{path}.default")
        found.extend(problems)
    element = items(node)
    if element is not None:
        _default_errors(schema, f"{path}.items", element, inside_meta, found)
    for name, prop in properties(node).items():
        sub_meta = inside_meta or (is_embedded(node) and name in META_FIELDS)
        _default_errors(schema, key(f"{path}.properties", name), prop, sub_meta, found)
