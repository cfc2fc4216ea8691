"""Decode-time checks of an object against its schema: unknown fields and wrong JSON types.

kube-apiserver decodes request bodies into Go structs. A wrong JSON type fails the decode
(400 BadRequest, "cannot be handled as a ..."), and fields the struct does not have are dropped,
reported as warnings, or rejected, depending on the request's ``fieldValidation``
(Ignore, Warn or Strict). This module walks the OpenAPI schema to do the same.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster import schemas
from kubelab.cluster.api.errors import bad_request

_GO_TYPES = {
    ("integer", "int32"): "int32",
    ("integer", "int64"): "int64",
    ("integer", ""): "int64",
    ("number", "double"): "float64",
    ("number", ""): "float64",
    ("boolean", ""): "bool",
    ("string", ""): "string",
}


class Findings:
    """What the walk found: unknown field paths and the first type error."""

    def __init__(self) -> None:
        self.unknown: list[str] = []
        self.type_error: str | None = None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "number"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _accepts(types: set[str], value: Any) -> bool:
    if value is None or not types:
        return True
    if isinstance(value, bool):
        return "boolean" in types
    if isinstance(value, int):
        return bool(types & {"integer", "number"})
    if isinstance(value, float):
        return "number" in types or ("integer" in types and value.is_integer())
    if isinstance(value, str):
        return "string" in types
    if isinstance(value, list):
        return "array" in types
    if isinstance(value, dict):
        return "object" in types
    return False


def _go_type_name(schema: dict[str, Any]) -> str:
    resolved = schemas.resolve(schema)
    types = schemas.schema_types(schema)
    if "array" in types:
        items = schemas.items_schema(schema)
        return "[]" + (_go_type_name(items) if items else "interface {}")
    if "object" in types:
        extra = resolved.get("additionalProperties")
        if isinstance(extra, dict) and "properties" not in resolved:
            return "map[string]" + _go_type_name(extra)
        return "struct"
    for json_type in ("integer", "number", "boolean", "string"):
        if json_type in types:
            return _GO_TYPES.get((json_type, resolved.get("format", "")), json_type)
    return "interface {}"


def _struct_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref") or next(
        (s.get("$ref") for s in schema.get("allOf", []) if "$ref" in s), ""
    )
    return ref.rsplit(".", 1)[-1] if ref else "Object"


def _walk(value: Any, schema: dict[str, Any], path: str, struct: str, findings: Findings) -> Any:
    """Check ``value`` against ``schema``; return it with unknown fields pruned."""
    resolved = schemas.resolve(schema)
    if resolved.get("x-kubernetes-preserve-unknown-fields") or not resolved:
        return value
    types = schemas.schema_types(schema)
    if not _accepts(types, value):
        if findings.type_error is None:
            findings.type_error = (
                f"json: cannot unmarshal {_json_type(value)} into Go struct field "
                f"{struct}.{path} of type {_go_type_name(schema)}"
            )
        return value
    if isinstance(value, dict) and "object" in types:
        properties = resolved.get("properties")
        extra = resolved.get("additionalProperties")
        child_struct = _struct_name(schema) if properties else struct
        result = {}
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else key
            if properties and key in properties:
                result[key] = _walk(child, properties[key], child_path, child_struct, findings)
            elif isinstance(extra, dict):
                result[key] = _walk(child, extra, child_path, child_struct, findings)
            elif properties is None and extra is None:
                result[key] = child
            else:
                findings.unknown.append(child_path)
        return result
    if isinstance(value, list) and "array" in types:
        items = schemas.items_schema(schema)
        if not items:
            return value
        return [
            _walk(item, items, f"{path}[{i}]", struct, findings) for i, item in enumerate(value)
        ]
    return value


def check_object(
    obj: dict[str, Any], group: str, version: str, kind: str, mode: str
) -> tuple[dict[str, Any], list[str]]:
    """Validate ``obj`` for ``fieldValidation=mode``; return the pruned object and warnings.

    Raises 400 BadRequest for a type error, and for unknown fields when ``mode`` is Strict.
    """
    schema = schemas.schema_for(group, version, kind)
    if not schema:
        return obj, []
    findings = Findings()
    top = {"$ref": schemas.REF_PREFIX + (schemas.definition_name(group, version, kind) or "")}
    pruned = _walk(obj, top, "", kind, findings)
    handled_as = f'{kind} in version "{version}" cannot be handled as a {kind}'
    if findings.type_error:
        raise bad_request(f"{handled_as}: {findings.type_error}")
    if findings.unknown and mode == "Strict":
        if len(findings.unknown) == 1:
            detail = f'unknown field "{findings.unknown[0]}"'
        else:
            detail = ", ".join(f'unknown field "{p}"' for p in findings.unknown)
        raise bad_request(f"{handled_as}: strict decoding error: {detail}")
    warnings = [f'unknown field "{p}"' for p in findings.unknown] if mode == "Warn" else []
    return pruned, warnings
