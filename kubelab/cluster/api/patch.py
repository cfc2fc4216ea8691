"""The three PATCH formats of kube-apiserver: JSON patch, JSON merge patch, strategic merge patch.

Clients depend on the exact behaviour of each format, including its rough edges: kopf treats a
failed JSON-patch ``test`` as a retryable 422, a JSON-patch ``replace`` of a missing key adds it,
and ``kubectl apply`` and ``kubectl set image`` send strategic merge patches full of directives
whose result order learners see. So these functions reproduce what kube-apiserver does, not what
the RFCs say where the two differ, and every failure is the :class:`APIError` kube-apiserver
answers with (code, reason and text, including its 500s for malformed strategic merge patches).

The stored object is never modified: each function works on a deep copy and returns it. Turning
the returned dict into a typed object (pruning unknown fields, rejecting wrong types) is a later
step of the request pipeline, exactly as kube-apiserver decodes the patched map afterwards; this is
also where leftover directive keys inside values a patch adds verbatim are reported or dropped.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from kubelab.cluster.api.errors import (
    APIError,
    bad_request,
    invalid,
    unsupported_media_type,
)
from kubelab.cluster.schemas import items_schema, property_schema, resolve, schema_types

#: The PATCH content types a custom resource accepts (no strategic merge patch: no schema tags).
CUSTOM_RESOURCE_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)

#: kube-apiserver refuses JSON patches with more operations than this.
MAX_JSON_PATCH_OPERATIONS = 10000

#: How many bytes the ``copy`` operations of one JSON patch may add (kube-apiserver's default),
#: so that a short patch cannot double a document thousands of times.
MAX_JSON_PATCH_COPY_BYTES = 3 * 1024 * 1024

# How Go names the types a JSON object or list decodes to, for error messages.
_GO_MAP = "map[string]interface {}"
_GO_SLICE = "[]interface {}"


# --- public entry points ---------------------------------------------------------------------


def apply_json_patch(document: dict, patch: Any) -> dict:
    """Apply an RFC 6902 JSON patch (``application/json-patch+json``) to a stored object."""
    operations = _decode_json_patch(patch)
    if len(operations) > MAX_JSON_PATCH_OPERATIONS:
        raise APIError(
            413,
            "RequestEntityTooLarge",
            "Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{MAX_JSON_PATCH_OPERATIONS}, got {len(operations)}",
        )
    with _deep_input_guard():
        run = _JSONPatchRun(copy.deepcopy(document))
        for operation in operations:
            run.apply(operation)
        if not isinstance(run.root, dict):
            raise _undecodable_result(run.root)
    return run.root


def apply_merge_patch(document: dict, patch: Any) -> dict:
    """Apply an RFC 7386 JSON merge patch (``application/merge-patch+json``) to a stored object."""
    if patch is None:
        raise bad_request("Invalid JSON Patch")
    if not isinstance(patch, dict):
        raise bad_request(
            f"error decoding patch: json: cannot unmarshal {_json_kind(patch)} "
            f"into Go value of type {_GO_MAP}"
        )
    with _deep_input_guard():
        result = copy.deepcopy(document)
        _merge_patch_object(result, copy.deepcopy(patch))
    return result


def apply_strategic_merge_patch(document: dict, patch: Any, schema: dict | None) -> dict:
    """Apply a strategic merge patch (``application/strategic-merge-patch+json``).

    ``schema`` is the kind's top-level OpenAPI schema; its ``x-kubernetes-patch-strategy`` and
    ``x-kubernetes-patch-merge-key`` extensions say how each list merges. Without a schema (custom
    resources) the content type is refused, as kube-apiserver refuses it for custom resources.
    """
    if not schema:
        raise unsupported_media_type(", ".join(CUSTOM_RESOURCE_PATCH_TYPES))
    if patch is None:
        return copy.deepcopy(document)
    if not isinstance(patch, dict):
        raise bad_request(
            f"json: cannot unmarshal {_json_kind(patch)} into Go value of type {_GO_MAP}"
        )
    with _deep_input_guard():
        return _merge_map(copy.deepcopy(document), copy.deepcopy(patch), _TypeMeta.of_kind(schema))


# --- errors shared by the formats -----------------------------------------------------------


def _unprocessable() -> APIError:
    """kube-apiserver's answer to a patch that cannot be applied (it drops the library's text)."""
    return APIError(
        422, "Invalid", "the server rejected our request due to an error in our request"
    )


def _server_error(message: str) -> APIError:
    """An error kube-apiserver passes through unconverted: a 500 without a reason."""
    return APIError(500, "", message)


def _server_panic() -> APIError:
    """What a client sees when the Go patch code would crash on an input."""
    return APIError(
        500,
        "InternalError",
        "This request caused apiserver to panic. Look in the logs for details.",
    )


def _undecodable_result(value: Any) -> APIError:
    """A JSON patch that turned the object into a non-object cannot be decoded back into a kind."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    cause = invalid(
        "patch",
        text,
        "couldn't get version/kind; json parse error: json: cannot unmarshal "
        f"{_json_kind(value)} into Go value of type struct {{ "
        'APIVersion string "json:\\"apiVersion,omitempty\\""; '
        'Kind string "json:\\"kind,omitempty\\"" }',
    )
    return APIError(422, "Invalid", f' "" is invalid: {cause}', {"causes": [cause.cause()]})


@contextlib.contextmanager
def _deep_input_guard() -> Iterator[None]:
    """Turn Python's recursion limit on absurdly nested input into the 400 kube-apiserver gives.

    Go's JSON reader rejects documents nested deeper than it supports as invalid JSON; Python's
    limit is lower, so such inputs get the same answer here instead of a traceback.
    """
    try:
        yield
    except RecursionError:
        raise bad_request("invalid JSON patch") from None


def _json_kind(value: Any) -> str:
    """The JSON type name Go's decoder uses in ``cannot unmarshal`` messages."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    return "number"


# --- JSON patch (RFC 6902, as evanphx/json-patch v4 implements it) --------------------------


def _decode_json_patch(patch: Any) -> list[dict[str, Any]]:
    """Check the body the way kube-apiserver's strict decoding of ``[]jsonPatchOp`` does."""
    if patch is None:
        return []
    if not isinstance(patch, list):
        raise bad_request(
            f"error decoding patch: json: cannot unmarshal {_json_kind(patch)} "
            "into Go value of type []handlers.jsonPatchOp"
        )
    for operation in patch:
        if operation is None:
            continue
        if not isinstance(operation, dict):
            raise bad_request(
                f"error decoding patch: json: cannot unmarshal {_json_kind(operation)} "
                "into Go value of type handlers.jsonPatchOp"
            )
        for field, value in operation.items():
            if field in ("op", "path", "from") and value is not None and not isinstance(value, str):
                raise bad_request(
                    f"error decoding patch: json: cannot unmarshal {_json_kind(value)} "
                    f"into Go struct field jsonPatchOp.{field} of type string"
                )
    return [operation or {} for operation in patch]


class _OperationFailed(Exception):
    """One JSON-patch operation does not apply; the whole patch is refused."""


_GO_INT = re.compile(r"[+-]?[0-9]+")
_POINTER_ESCAPE = re.compile(r"~[01]")


def _array_index(token: str) -> int:
    """Parse a list index like Go's ``strconv.Atoi`` (signs and leading zeros allowed)."""
    if not _GO_INT.fullmatch(token):
        raise _OperationFailed
    index = int(token)
    if not -(2**63) <= index < 2**63:
        raise _OperationFailed
    return index


def _unescape(token: str) -> str:
    return _POINTER_ESCAPE.sub(lambda m: "~" if m.group() == "~0" else "/", token)


def _locate(container: dict | list, key: str) -> tuple[Any, Any]:
    """The value at ``key`` and the slot to write it back; a missing object key reads as null."""
    if isinstance(container, dict):
        return container.get(key), key
    index = _array_index(key)
    if index < 0:
        if index < -len(container):
            raise _OperationFailed
        index += len(container)
    if index >= len(container):
        raise _OperationFailed
    return container[index], index


def _insert(container: dict | list, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    index = _array_index(key)
    size = len(container) + 1
    if index >= size or index < -size:
        raise _OperationFailed
    container.insert(index + size if index < 0 else index, value)


def _delete(container: dict | list, key: str) -> None:
    if isinstance(container, dict):
        if key not in container:
            raise _OperationFailed
        del container[key]
        return
    index = _array_index(key)
    if index >= len(container) or index < -len(container):
        raise _OperationFailed
    del container[index]


def _encoded_size(value: Any) -> int:
    """The length of a value as Go's JSON encoder writes it (compact, ``<>&`` escaped)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    escaped = sum(text.count(c) for c in "<>&") * 5 + sum(text.count(c) for c in "\u2028\u2029") * 3
    return len(text.encode()) + escaped


def _same_json(left: Any, right: Any) -> bool:
    """Equality as the JSON-patch ``test`` sees it: structural, with numbers compared by type.

    Go compares scalars by their JSON text, so ``1`` and ``1.0`` differ, and a null element
    inside a compared list crashes the comparison.
    """
    if isinstance(left, dict):
        if not isinstance(right, dict) or len(left) != len(right):
            return False
        for key, value in left.items():
            if key not in right or (value is None) != (right[key] is None):
                return False
            if value is not None and not _same_json(value, right[key]):
                return False
        return True
    if isinstance(left, list):
        if not isinstance(right, list) or len(left) != len(right):
            return False
        for value, other in zip(left, right, strict=True):
            if value is None or other is None:
                raise _server_panic()
            if not _same_json(value, other):
                return False
        return True
    return type(left) is type(right) and left == right


class _JSONPatchRun:
    """Applies operations one after another to a document that a ``replace`` of ``""`` may swap."""

    def __init__(self, root: dict | list) -> None:
        self.root: dict | list = root
        self.copied_bytes = 0

    def apply(self, operation: dict[str, Any]) -> None:
        handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "add": self._add,
            "remove": self._remove,
            "replace": self._replace,
            "move": self._move,
            "copy": self._copy,
            "test": self._test,
        }
        handler = handlers.get(operation.get("op") or "")
        try:
            if handler is None:
                raise _OperationFailed
            handler(operation)
        except _OperationFailed:
            raise _unprocessable() from None

    def _parent(self, path: Any) -> tuple[dict | list, str]:
        """The container holding the last token of ``path``, and that token, unescaped.

        Like the Go library this splits on ``/`` without requiring a leading one, and treats any
        path that reaches a scalar or a missing value on the way as missing.
        """
        if path is None:
            raise _OperationFailed
        tokens = path.split("/")
        if len(tokens) < 2:
            raise _OperationFailed
        node: Any = self.root
        for token in tokens[1:-1]:
            node, _ = _locate(node, _unescape(token))
            if not isinstance(node, dict | list):
                raise _OperationFailed
        return node, _unescape(tokens[-1])

    def _add(self, operation: dict[str, Any]) -> None:
        container, key = self._parent(operation.get("path"))
        _insert(container, key, copy.deepcopy(operation.get("value")))

    def _remove(self, operation: dict[str, Any]) -> None:
        container, key = self._parent(operation.get("path"))
        _delete(container, key)

    def _replace(self, operation: dict[str, Any]) -> None:
        if operation.get("path") == "":
            if "value" not in operation:
                raise _server_panic()
            if not isinstance(operation["value"], dict | list):
                raise _OperationFailed
            self.root = copy.deepcopy(operation["value"])
            return
        container, key = self._parent(operation.get("path"))
        # A missing object key is not an error here: the Go library adds it.
        _, slot = _locate(container, key)
        container[slot] = copy.deepcopy(operation.get("value"))

    def _move(self, operation: dict[str, Any]) -> None:
        source, source_key = self._parent(operation.get("from"))
        value, _ = _locate(source, source_key)
        _delete(source, source_key)
        container, key = self._parent(operation.get("path"))
        _insert(container, key, value)

    def _copy(self, operation: dict[str, Any]) -> None:
        source, source_key = self._parent(operation.get("from"))
        value, _ = _locate(source, source_key)
        container, key = self._parent(operation.get("path"))
        if value is not None:
            self.copied_bytes += _encoded_size(value)
        if self.copied_bytes > MAX_JSON_PATCH_COPY_BYTES:
            raise _OperationFailed
        _insert(container, key, copy.deepcopy(value))

    def _test(self, operation: dict[str, Any]) -> None:
        if operation.get("path") == "":
            if "value" not in operation:
                raise _server_panic()
            if not _same_json(self.root, operation["value"]):
                raise _OperationFailed
            return
        container, key = self._parent(operation.get("path"))
        actual, _ = _locate(container, key)
        expected = operation.get("value")
        if actual is None:
            if expected is not None:
                raise _OperationFailed
        elif "value" not in operation or not _same_json(actual, expected):
            raise _OperationFailed


# --- JSON merge patch (RFC 7386, as evanphx/json-patch v4 implements it) --------------------


def _merge_patch_object(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif target.get(key) is None:
            target[key] = _without_nulls(value)
        else:
            target[key] = _merge_patch_value(target[key], value)


def _merge_patch_value(current: Any, value: Any) -> Any:
    if not isinstance(current, dict):
        return _without_nulls(value)
    if not isinstance(value, dict):
        return value
    _merge_patch_object(current, value)
    return current


def _without_nulls(value: Any) -> Any:
    """Drop null members of objects, also inside lists (null list elements themselves stay).

    Both patch libraries do this to a patch value that is taken whole rather than merged.
    """
    if isinstance(value, dict):
        for key in [key for key, member in value.items() if member is None]:
            del value[key]
        for member in value.values():
            _without_nulls(member)
    elif isinstance(value, list):
        for element in value:
            _without_nulls(element)
    return value


# --- Go formatting, for strategic-merge-patch messages that quote values --------------------


def _go_float(number: float) -> str:
    """A float as Go's ``%v`` prints it: shortest digits, exponent form outside 1e-4..1e6."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if number == 0:
        return "-0" if math.copysign(1.0, number) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(number)).as_tuple()
    all_digits = "".join(map(str, digit_tuple))
    point = len(all_digits) + int(exponent)
    digits = all_digits.rstrip("0")
    prefix = "-" if sign else ""
    if point - 1 < -4 or point - 1 >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{prefix}{mantissa}e{point - 1:+03d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return prefix + digits + "0" * (point - len(digits))
    return f"{prefix}{digits[:point]}.{digits[point:]}"


def _go_value(value: Any, verb: str = "v") -> str:
    """A decoded JSON value as Go's ``fmt`` prints it with ``%v`` (or ``%s``)."""
    if isinstance(value, dict):
        members = " ".join(f"{key}:{_go_value(value[key], verb)}" for key in sorted(value))
        return f"map[{members}]"
    if isinstance(value, list):
        return "[" + " ".join(_go_value(element, verb) for element in value) + "]"
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>" if verb == "v" else "%!s(<nil>)"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    else:
        text = _go_float(value)
    return text if verb == "v" else f"%!s({_go_type(value)}={text})"


def _go_type(value: Any) -> str:
    """The Go type a JSON value decodes to, as ``reflect.Type`` prints with ``%s``."""
    if value is None:
        return "%!s(<nil>)"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return _GO_SLICE
    return _GO_MAP


def _go_equal(left: Any, right: Any) -> bool:
    """Go's ``==`` on two interface values: different types differ, maps and lists crash."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict | list):
        raise _server_panic()
    return left == right


def _go_set_key(value: Any) -> tuple[type, Any]:
    """A value as a key of a Go ``map[interface{}]``: typed, and maps or lists crash."""
    if isinstance(value, dict | list):
        raise _server_panic()
    return type(value), value


def _bad_arg_type(expected: str, actual: Any) -> APIError:
    return _server_error(f"expected a {expected}, but received a {_go_type(actual)}")


def _no_merge_key(item: dict[str, Any], merge_key: str) -> APIError:
    return _server_error(f"map: {_go_value(item)} does not contain declared merge key: {merge_key}")


def _bad_patch_type(directive: Any, item: dict[str, Any]) -> APIError:
    return _server_error(
        f"unknown patch type: {_go_value(directive, 's')} in map: {_go_value(item)}"
    )


# --- strategic merge patch: what the schema says about each field ---------------------------

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_SET_ELEMENT_ORDER = "$setElementOrder"
_DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"


class _TypeMeta:
    """One Go type of the kind, seen through its OpenAPI schema (``LookupPatchMeta`` upstream).

    kube-apiserver reads patch strategies from Go struct tags; the OpenAPI extensions carry the
    same tags. Looking up a field that the Go type does not have is an error there, so it is here.
    """

    def __init__(self, schema: dict[str, Any], name: str) -> None:
        self.schema = schema
        self.name = name

    @classmethod
    def of_kind(cls, schema: dict[str, Any]) -> _TypeMeta:
        kinds = schema.get("x-kubernetes-group-version-kind") or [{}]
        return cls(schema, kinds[0].get("kind", ""))

    @classmethod
    def of_field(cls, schema: dict[str, Any]) -> _TypeMeta:
        reference = schema.get("$ref")
        if reference is None and len(schema.get("allOf", [])) == 1:
            reference = schema["allOf"][0].get("$ref")
        return cls(schema, reference.rsplit(".", 1)[-1] if reference else "")

    def _is_map(self) -> bool:
        resolved = resolve(self.schema)
        return "properties" not in resolved and isinstance(
            resolved.get("additionalProperties"), dict
        )

    def field(self, key: str) -> tuple[_TypeMeta, str, str]:
        """The type of field ``key``, its patch strategy (without retainKeys) and merge key."""
        if self._is_map():
            raise _server_error(
                "merging an object in json but data type is not struct, instead is: map"
            )
        field_schema = property_schema(self.schema, key)
        if field_schema is None:
            raise _server_error(
                f"unable to find api field in struct {self.name} "
                f"for the json field {json.dumps(key, ensure_ascii=False)}"
            )
        strategies = str(field_schema.get("x-kubernetes-patch-strategy", "")).split(",")
        merge_key = str(field_schema.get("x-kubernetes-patch-merge-key", ""))
        return (
            _TypeMeta.of_field(field_schema),
            _strategy_without_retain_keys(strategies),
            merge_key,
        )

    def list_field(self, key: str) -> tuple[_TypeMeta, str, str]:
        """Like :meth:`field`, but the type returned is that of the list's elements."""
        field_type, strategy, merge_key = self.field(key)
        element = items_schema(field_type.schema)
        if element is None:
            if field_type._is_map():
                raise _server_error("expected slice or array type, but got: struct")
            return field_type, strategy, merge_key
        if items_schema(element) is not None:
            raise _server_error("unexpected slice of slice")
        return _TypeMeta.of_field(element), strategy, merge_key

    def go_kind(self) -> str:
        """The Go kind of this type (``struct``, ``string``...), as upstream names it in errors."""
        resolved = resolve(self.schema)
        if self.name or "properties" in resolved:
            return "struct"
        if self._is_map():
            return "map"
        types = schema_types(self.schema)
        if types == {"integer"}:
            return "int64" if resolved.get("format") == "int64" else "int32"
        simple = {"array": "slice", "string": "string", "boolean": "bool", "number": "float64"}
        return simple.get(next(iter(types)), "struct") if len(types) == 1 else "struct"


def _strategy_without_retain_keys(strategies: list[str]) -> str:
    """The list/map strategy of a field; ``retainKeys`` only matters through ``$retainKeys``."""
    if len(strategies) == 1:
        return "" if strategies[0] == "retainKeys" else strategies[0]
    if len(strategies) == 2 and "retainKeys" in strategies:
        return strategies[1] if strategies[0] == "retainKeys" else strategies[0]
    raise _server_error(f"unexpected patch strategy: [{' '.join(strategies)}]")


# --- strategic merge patch: maps ------------------------------------------------------------


def _merge_map(original: dict[str, Any], patch: dict[str, Any], meta: _TypeMeta) -> dict[str, Any]:
    """Merge ``patch`` into ``original`` (both owned copies, changed in place)."""
    if _DIRECTIVE in patch:
        return _map_directive(patch)
    _apply_retain_keys(original, patch)
    _apply_set_element_orders(original, patch, meta)
    for key, value in patch.items():
        is_delete_list = key.startswith(_DELETE_FROM_PRIMITIVE_LIST)
        if is_delete_list:
            key = _directive_target(key, _DELETE_FROM_PRIMITIVE_LIST) or key
        if value is None:
            original.pop(key, None)
            continue
        if key not in original or type(original[key]) is not type(value):
            if not is_delete_list:
                _set_patch_value(original, key, value)
            continue
        if isinstance(value, dict):
            field_type, strategy, _ = meta.field(key)
            original[key] = (
                value if strategy == "replace" else _merge_map(original[key], value, field_type)
            )
        elif isinstance(value, list):
            element, strategy, merge_key = meta.list_field(key)
            if strategy == "merge" or is_delete_list:
                original[key] = _merge_list(
                    original[key], value, element, merge_key, is_delete_list
                )
            else:
                original[key] = value
        else:
            original[key] = value
    return original


def _map_directive(patch: dict[str, Any]) -> dict[str, Any]:
    """``$patch`` on a map: ``replace`` takes the patch as is, ``delete`` empties the map."""
    directive = patch[_DIRECTIVE]
    if directive == "replace":
        del patch[_DIRECTIVE]
        return patch
    if directive == "delete":
        return {}
    raise _bad_patch_type(directive, patch)


def _set_patch_value(original: dict[str, Any], key: str, value: Any) -> None:
    """Take a patch value where there is nothing to merge it with."""
    cleaned, keep = _remove_directives(_without_nulls(value))
    if keep:
        original[key] = cleaned
    else:
        original.pop(key, None)


def _remove_directives(value: Any) -> tuple[Any, bool]:
    """Drop maps carrying ``$patch`` from a value taken verbatim; False if it is one itself."""
    if isinstance(value, dict):
        if _DIRECTIVE in value:
            return None, False
        for key, member in list(value.items()):
            cleaned, keep = _remove_directives(member)
            if keep:
                value[key] = cleaned
            else:
                del value[key]
        return value, True
    if isinstance(value, list):
        kept = [_remove_directives(element) for element in value]
        return [cleaned for cleaned, keep in kept if keep], True
    return value, True


def _directive_target(key: str, prefix: str) -> str:
    """The field a ``$prefix/<field>`` directive key is about."""
    head, slash, field = key.partition("/")
    if not slash or head != prefix:
        if prefix == _SET_ELEMENT_ORDER:
            raise bad_request("invalid patch format of setElementOrder list")
        raise bad_request("invalid patch format of primitive list")
    return field


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    """``$retainKeys``: clear every field of ``original`` the list does not name."""
    if _RETAIN_KEYS not in patch:
        return
    retained = patch.pop(_RETAIN_KEYS)
    if not isinstance(retained, list):
        raise bad_request("invalid patch format of retainKeys")
    allowed = {_go_set_key(name) for name in retained}
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_FROM_PRIMITIVE_LIST, _SET_ELEMENT_ORDER)):
            continue
        if (str, key) not in allowed:
            raise bad_request("invalid patch format of retainKeys")
    for key in [key for key in original if (str, key) not in allowed]:
        del original[key]


# --- strategic merge patch: $setElementOrder ------------------------------------------------


def _apply_set_element_orders(
    original: dict[str, Any], patch: dict[str, Any], meta: _TypeMeta
) -> None:
    """Merge each list named by a ``$setElementOrder/<list>`` and put it in the given order.

    Items the order names come in that order; items only the server has keep their relative
    order and are interleaved where they stood among the others.
    """
    for directive_key in [key for key in patch if key.startswith(_SET_ELEMENT_ORDER)]:
        order = patch.pop(directive_key)
        if not isinstance(order, list):
            raise _bad_arg_type(_GO_SLICE, order)
        key = _directive_target(directive_key, _SET_ELEMENT_ORDER)
        found_original, found_patch = key in original, key in patch
        original_list = original.get(key) if found_original else []
        patch_list = patch.get(key) if found_patch else []
        for value in (original_list, patch_list):
            if not isinstance(value, list):
                raise _bad_arg_type(_GO_SLICE, value)
        element, strategy, merge_key = meta.list_field(key)
        _check_patch_follows_order(patch_list, order, merge_key)
        if found_original and found_patch:
            if strategy == "merge":
                merged = _merge_list(original_list, patch_list, element, merge_key, False)
            else:
                merged = patch_list
        elif found_patch:
            merged = _remove_directives(patch_list)[0]
        elif found_original:
            merged = original_list
        else:
            continue
        if merge_key:
            in_order, server_only = _partition_maps(merged, order, merge_key)
        else:
            in_order, server_only = _partition_primitives(merged, order)
        by_map = _element_type(original_list, patch_list) is dict
        original[key] = _normalize_order(
            in_order, server_only, order, original_list, merge_key, by_map
        )
        patch.pop(key, None)


def _check_patch_follows_order(patch_list: list, order: list, merge_key: str) -> None:
    """The patch's items must appear in ``order``, in the same relative order."""
    if not order or not patch_list:
        return
    items = _split_deletions(patch_list)[0] if merge_key else patch_list
    item_index = order_index = 0
    while item_index < len(items) and order_index < len(order):
        if _has_directive(items[item_index]):
            item_index += 1
            continue
        if _merge_key_values_equal(items[item_index], order[order_index], merge_key):
            item_index += 1
        order_index += 1
    if item_index < len(items) and order_index >= len(order):
        raise _server_error(
            f"The order in patch list:\n{_go_value(patch_list)}\n doesn't match "
            f"{_SET_ELEMENT_ORDER} list:\n{_go_value(order)}\n"
        )


def _has_directive(item: Any) -> bool:
    return isinstance(item, dict) and _DIRECTIVE in item


def _merge_key_values_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _go_equal(left, right)
    for item in (left, right):
        if not isinstance(item, dict):
            raise _bad_arg_type(_GO_MAP, item)
    for item in (left, right):
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
    return _go_equal(left[merge_key], right[merge_key])


# --- strategic merge patch: lists -----------------------------------------------------------


def _merge_list(
    original: list, patch: list, element: _TypeMeta, merge_key: str, is_delete_list: bool
) -> list:
    """Merge a list with the ``merge`` strategy (or apply a ``$deleteFromPrimitiveList``).

    Go edits the array behind ``original`` in place: deletions shift items left and appends
    reuse the freed slots. A ``$setElementOrder`` being applied to the same list orders the
    result by that edited array, so ``original`` is edited here exactly the same way.
    """
    if not original and not patch:
        return original
    by_map = _element_type(original, patch) is dict
    if not by_map:
        if is_delete_list:
            doomed = {_go_set_key(value) for value in patch}
            return [value for value in original if _go_set_key(value) not in doomed]
        # Appending nothing leaves Go working on the original array itself.
        combined = original + patch if patch else original
        merged = combined[: _deduplicate_in_place(combined)]
        server_order = original
    else:
        if not merge_key:
            raise _server_error(f"cannot merge lists without merge key for {element.go_kind()}")
        length, patch, replace = _apply_list_directives(original, patch, merge_key)
        if replace:
            server_order = merged = patch
            patch = []
        else:
            server_order = original[:length]
            merged = _merge_items(original, length, patch, merge_key, element)
    if merge_key:
        in_patch, server_only = _partition_maps(merged, patch, merge_key)
    else:
        in_patch, server_only = _partition_primitives(merged, patch)
    return _normalize_order(in_patch, server_only, patch, server_order, merge_key, by_map)


def _element_type(*lists: list) -> type:
    """The one JSON type all elements share; lists of lists are not supported."""
    found: type | None = None
    for values in lists:
        for value in values:
            if found is None:
                if value is None:
                    raise _server_panic()
                found = type(value)
                if found is list:
                    raise _unprocessable()
            elif type(value) is not found:
                raise _server_error(
                    f"list element types are not identical: {_go_value(list(lists))}"
                )
    if found is None:
        raise _server_error("no elements in any of the given slices")
    return found


def _deduplicate_in_place(values: list) -> int:
    """Drop repeated scalars by moving the last live item into each hole, as upstream does.

    Returns how many leading items of ``values`` are the result; the rest is left over.
    """
    last = len(values) - 1
    i = 0
    while i < last:
        j = i + 1
        while j <= last:
            if _go_equal(values[i], values[j]):
                values[j] = values[last]
                last -= 1
            else:
                j += 1
        i += 1
    return last + 1


def _apply_list_directives(original: list, patch: list, merge_key: str) -> tuple[int, list, bool]:
    """Handle items carrying ``$patch``: delete by merge key, or replace the whole list.

    Deletions edit ``original`` in place; returns how many leading items survive, the patch
    items without directives, and whether they replace the list.
    """
    length = len(original)
    plain: list = []
    replace = False
    for item in patch:
        if _DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[_DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            length = _delete_in_place(original, length, merge_key, item[merge_key])
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise _server_error("merging lists cannot yet be specified in the patch")
        else:
            raise _bad_patch_type(directive, item)
    return length, plain, replace


def _delete_in_place(items: list, length: int, merge_key: str, value: Any) -> int:
    """Remove every item with this merge key from ``items[:length]`` by shifting the rest left."""
    while (index := _find_by_merge_key(items[:length], merge_key, value)) is not None:
        items[index : length - 1] = items[index + 1 : length]
        length -= 1
    return length


def _merge_items(array: list, length: int, patch: list, merge_key: str, element: _TypeMeta) -> list:
    """Merge each patch item into ``array[:length]``'s item with its merge key, or append it.

    Appends first fill the slots deletions freed at the end of ``array``, as Go's ``append``
    does while capacity lasts; after that they go to a new list.
    """
    merged, shared = array, True
    for item in patch:
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        index = _find_by_merge_key(merged[:length], merge_key, item[merge_key])
        if index is not None:
            merged[index] = _merge_map(merged[index], item, element)
            continue
        if shared and length < len(merged):
            merged[length] = item
        else:
            if shared:
                merged, shared = merged[:length], False
            merged.append(item)
        length += 1
    return merged[:length]


def _find_by_merge_key(items: list, merge_key: str, value: Any) -> int | None:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _server_error(f"value for key {index} is not a map")
        if merge_key in item and _go_equal(item[merge_key], value):
            return index
    return None


def _partition_maps(items: list, present: list, merge_key: str) -> tuple[list, list]:
    """Split ``items`` into those whose merge key appears in ``present`` and the rest."""
    inside: list = []
    outside: list = []
    for item in items:
        if not isinstance(item, dict):
            raise _bad_arg_type(_GO_MAP, item)
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        found = _find_by_merge_key(present, merge_key, item[merge_key]) is not None
        (inside if found else outside).append(item)
    return inside, outside


def _partition_primitives(items: list, present: list) -> tuple[list, list]:
    wanted = {_go_set_key(value) for value in present}
    inside = [value for value in items if _go_set_key(value) in wanted]
    outside = [value for value in items if _go_set_key(value) not in wanted]
    return inside, outside


def _normalize_order(
    in_patch: list,
    server_only: list,
    patch_order: list,
    server_order: list,
    merge_key: str,
    by_map: bool,
) -> list:
    """Sort patch items by the patch's order and server items by the server's, then interleave."""
    in_patch = _sort_by(in_patch, patch_order, merge_key, by_map)
    server_only = _sort_by(server_only, server_order, merge_key, by_map)
    positions = _Positions(server_order, merge_key, by_map)
    server_positions = [positions.of(item) for item in server_only]
    patch_positions = [positions.of(item) for item in in_patch]
    result: list = []
    i = j = 0
    while i < len(server_only) or j < len(in_patch):
        if j >= len(in_patch):
            take_server = True
        elif i >= len(server_only):
            take_server = False
        else:
            left, right = server_positions[i], patch_positions[j]
            take_server = left >= 0 and right >= 0 and left < right
        if take_server:
            result.append(server_only[i])
            i += 1
        else:
            result.append(in_patch[j])
            j += 1
    return result


def _sort_by(items: list, order: list, merge_key: str, by_map: bool) -> list:
    """Stable-sort ``items`` by their position in ``order``; ``$patch: delete`` items go last.

    An item missing from ``order`` compares as "less" both ways, as upstream's comparison does;
    this insertion sort is then exactly Go's for the short lists where that can matter.
    """
    deletions: list = []
    if by_map:
        for item in items + order:
            if not isinstance(item, dict):
                raise _bad_arg_type(_GO_MAP, item)
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
        items, deletions = _split_deletions(items)
    positions = _Positions(order, merge_key, by_map)
    keyed = [(positions.of(item), item) for item in items]
    for i in range(1, len(keyed)):
        j = i
        while j > 0 and (keyed[j][0] < 0 or keyed[j - 1][0] < 0 or keyed[j][0] < keyed[j - 1][0]):
            keyed[j], keyed[j - 1] = keyed[j - 1], keyed[j]
            j -= 1
    return [item for _, item in keyed] + deletions


def _split_deletions(items: list) -> tuple[list, list]:
    kept: list = []
    deleted: list = []
    for item in items:
        if not isinstance(item, dict):
            raise _bad_arg_type(_GO_MAP, item)
        (deleted if item.get(_DIRECTIVE) == "delete" else kept).append(item)
    return kept, deleted


class _Positions:
    """Where items stand in a list, by merge key for maps (upstream's ``index``), found fast."""

    def __init__(self, items: list, merge_key: str, by_map: bool) -> None:
        self.items = items
        self.merge_key = merge_key
        self.by_map = by_map
        self.first: dict[tuple[type, Any], int] = {}
        for index, item in enumerate(items):
            identity = self._identity(item)
            if not isinstance(identity, dict | list):
                self.first.setdefault((type(identity), identity), index)

    def _identity(self, item: Any) -> Any:
        if not self.by_map:
            return item
        return item.get(self.merge_key) if isinstance(item, dict) else None

    def of(self, item: Any) -> int:
        """The index of the first item equal to ``item`` (Go's ``==``), or -1."""
        target = self._identity(item)
        if isinstance(target, dict | list):
            for index, other in enumerate(self.items):
                if _go_equal(target, self._identity(other)):
                    return index
            return -1
        return self.first.get((type(target), target), -1)
