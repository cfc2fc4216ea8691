"""Access to the OpenAPI schemas of the served Kubernetes version.

The schemas come from the ``kubernetes-validate`` package, which ships the upstream OpenAPI
definitions (with the ``x-kubernetes-*`` extensions that strategic merge patch, server-side
apply and ``kubectl explain`` rely on). Everything that needs to know the shape of a kind asks
this module, so there is one source of truth.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Any

from kubelab.cluster.version import SCHEMA_VERSION_DIR

REF_PREFIX = "#/$defs/"


@functools.cache
def definitions() -> dict[str, dict[str, Any]]:
    """All named definitions, keyed like ``io.k8s.api.apps.v1.Deployment``."""
    # Locate the package's data without importing it: its __init__ pulls in jsonschema and a
    # URI grammar that take seconds to load, and only the JSON files are needed here.
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the kubernetes-validate package is not installed")
    root = Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"
    text = (root / SCHEMA_VERSION_DIR / "_definitions.json").read_text()
    return json.loads(text)["$defs"]


@functools.cache
def _gvk_index() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, schema in definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            key = (gvk.get("group", ""), gvk["version"], gvk["kind"])
            # Prefer the definition in the kind's own API package over re-exports.
            if key not in index or ".api." in name:
                index[key] = name
    return index


def definition_name(group: str, version: str, kind: str) -> str | None:
    """The definition name for a group/version/kind, or None when the schemas lack it."""
    return _gvk_index().get((group, version, kind))


def resolve(schema: dict[str, Any] | None) -> dict[str, Any]:
    """Follow ``$ref`` (also inside a one-element ``allOf``) to the referenced schema."""
    seen = 0
    while schema and seen < 50:
        seen += 1
        if "$ref" in schema:
            schema = definitions()[schema["$ref"].removeprefix(REF_PREFIX)]
        elif len(schema.get("allOf", [])) == 1 and "properties" not in schema:
            schema = schema["allOf"][0]
        else:
            break
    return schema or {}


def schema_for(group: str, version: str, kind: str) -> dict[str, Any]:
    """The resolved top-level schema of a kind (empty when unknown)."""
    name = definition_name(group, version, kind)
    return definitions()[name] if name else {}


def property_schema(schema: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The schema of one property of an object schema, unresolved, or None when unknown."""
    resolved = resolve(schema)
    props = resolved.get("properties")
    if props and key in props:
        return props[key]
    extra = resolved.get("additionalProperties")
    if isinstance(extra, dict):
        return extra
    return None


def items_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of a list's items, unresolved, or None when not a list."""
    items = resolve(schema).get("items")
    return items if isinstance(items, dict) else None


def schema_types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema allows, ignoring ``null`` (upstream marks optional fields so)."""
    resolved = resolve(schema)
    declared = resolved.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {t for t in declared if t != "null"}
    types: set[str] = set()
    for option in resolved.get("oneOf", []) + resolved.get("anyOf", []):
        types |= schema_types(option)
    return types
