"""Custom resources: the strategy a CustomResourceDefinition's version is served with.

kube-apiserver has no code for a custom kind; it builds a generic strategy from the CRD. So
does :class:`CustomResourceStrategy`, one per served version: names and scope from the CRD's
accepted names, the ``status`` and ``scale`` subresources the version declares, decoding that
prunes unknown fields and applies defaults (:mod:`kubelab.cluster.api.structural`), validation
by the version's schema and CEL rules (:mod:`kubelab.cluster.api.cel`), tables from its
``additionalPrinterColumns``, and storage in the CRD's storage version (conversion strategy
``None``: only ``apiVersion`` changes between versions).

:class:`CustomResourceRegistrar` keeps the registry in step with the stored CRDs: a CRD's
versions are served from the moment it is ``Established`` until it is gone, so discovery,
OpenAPI and the request pipeline see a new kind at once.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar

from kubelab.cluster import schemas
from kubelab.cluster.api import cel, structural
from kubelab.cluster.api.errors import (
    NOT_SUPPORTED,
    REQUIRED,
    TOO_LONG,
    TOO_MANY,
    TYPE_INVALID,
    FieldError,
    bad_request,
    forbidden,
    invalid,
)
from kubelab.cluster.resources.base import ALL_VERBS, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.customresourcedefinition import (
    CRDS,
    ESTABLISHED,
    condition_true,
    is_terminating,
    spec_of,
    storage_version,
    version_schema,
    version_subresources,
    versions_of,
)
from kubelab.cluster.resources.printing import human_duration, parse_time

_META = "apimachinery.pkg.apis.meta.v1.ObjectMeta"
_OBJECT_META_REF = "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
#: What clients may still do with custom resources while their CRD is being deleted.
TERMINATING_VERBS = ("delete", "deletecollection", "get", "list", "watch")
#: Field errors that make CEL rules pointless to run (the value is not even the right shape).
_BLOCKING = {NOT_SUPPORTED, REQUIRED, TOO_LONG, TOO_MANY, TYPE_INVALID}
_MAX_INT32 = 2**31 - 1


def _doc(definition: str, field: str) -> str:
    prop = schemas.definitions()[definition]["properties"][field]
    return str(prop.get("description", ""))


def _type_meta_property(name: str) -> dict[str, Any]:
    return {"description": _doc("io.k8s.api.core.v1.Pod", name), "type": "string"}


def _object_meta_property() -> dict[str, Any]:
    return {
        "allOf": [{"$ref": _OBJECT_META_REF}],
        "description": _doc("io.k8s.api.core.v1.Pod", "metadata"),
    }


# --- printer columns -------------------------------------------------------------------------


class JSONPath:
    """The JSONPath subset printer columns use (``.status.conditions[?(@.type=="Ready")]``
    ``.status``, ``.spec.items[0].name``, ``.metadata.labels['app']``)."""

    _STEP = re.compile(
        r"""\.\.(?P<deep>[\w-]+)|\.(?P<name>[\w-]+|\*)|\[(?P<index>-?\d+)\]|\[\*\]"""
        r"""|\[['"](?P<key>[^'"]*)['"]\]"""
        r"""|\[\?\(@(?P<filter>(\.[\w-]+)+)\s*(?:(?P<op>==|!=|<=|>=|<|>)\s*(?P<literal>[^)]+))?\)\]"""
    )

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.steps: list[Callable[[Any], Iterable[Any]]] = []
        text = expression.strip().removeprefix("{").removesuffix("}")
        position = 0
        while position < len(text):
            match = self._STEP.match(text, position)
            if match is None:
                raise ValueError(f"unrecognized column definition {json.dumps(expression)}")
            self.steps.append(self._step(match))
            position = match.end()

    @staticmethod
    def _step(match: re.Match[str]) -> Callable[[Any], Iterable[Any]]:
        groups = match.groupdict()
        if groups["deep"]:
            return lambda node: _descendants(node, groups["deep"])
        if groups["name"] == "*" or match.group(0) == "[*]":
            return _children
        if groups["name"] or groups["key"] is not None:
            name = groups["name"] or groups["key"]
            return lambda node: [node[name]] if isinstance(node, dict) and name in node else []
        if groups["index"] is not None:
            position = int(groups["index"])
            return lambda node: (
                [node[position]]
                if isinstance(node, list) and -len(node) <= position < len(node)
                else []
            )
        fields = groups["filter"].strip(".").split(".")
        operator, literal = groups["op"], _literal(groups["literal"])
        return lambda node: [
            item for item in _children(node) if _filter_matches(item, fields, operator, literal)
        ]

    def find(self, obj: Any) -> list[Any]:
        nodes = [obj]
        for step in self.steps:
            nodes = [found for node in nodes for found in step(node)]
        return nodes


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return list(node.values())
    return list(node) if isinstance(node, list) else []


def _descendants(node: Any, name: str) -> list[Any]:
    found = [node[name]] if isinstance(node, dict) and name in node else []
    for item in _children(node):
        found += _descendants(item, name)
    return found


def _literal(text: str | None) -> Any:
    if text is None:
        return None
    text = text.strip()
    if text[:1] in "'\"":
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        return text


def _filter_matches(item: Any, fields: list[str], operator: str | None, literal: Any) -> bool:
    value = item
    for name in fields:
        if not isinstance(value, dict) or name not in value:
            return False
        value = value[name]
    if operator is None:
        return True
    try:
        return {
            "==": value == literal,
            "!=": value != literal,
            "<": value < literal,
            ">": value > literal,
            "<=": value <= literal,
            ">=": value >= literal,
        }[operator]
    except TypeError:
        return False


def _text(value: Any) -> str:
    """A value as client-go's JSONPath printer writes it into a string column."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return structural.go_number(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _cell(kind: str, value: Any, now: datetime) -> Any:
    """A typed printer-column cell (``cellForJSONValue``); None when the type does not fit."""
    if value is None:
        return None
    if kind == "string":
        return _text(value)
    if kind == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        moment = parse_time(value)
        return human_duration(now - moment) if moment else "<invalid>"
    return None


AGE_PRINTER_COLUMN = {
    "name": "Age",
    "type": "date",
    "description": field_doc(_META, "creationTimestamp"),
    "jsonPath": ".metadata.creationTimestamp",
}


# --- the strategy ----------------------------------------------------------------------------


def version_priority(name: str) -> tuple[int, int, int, str]:
    """Kube-aware version order, best first: v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > other."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", name)
    if match is None:
        return (3, 0, 0, name)
    major, stage, minor = match.groups()
    rank = {"": 0, "beta": 1, "alpha": 2}[stage or ""]
    return (rank, -int(major), -int(minor or 0), name)


class CustomResourceStrategy(ResourceStrategy):
    """One served version of a custom resource, built from its CRD."""

    #: Custom resources have no patch strategy metadata, so no strategic merge patch.
    supports_strategic_merge_patch: ClassVar[bool] = False

    def __init__(self, crd: dict[str, Any], version: dict[str, Any]) -> None:
        spec = spec_of(crd)
        names = (crd.get("status") or {}).get("acceptedNames") or spec.get("names") or {}
        self.crd_name = crd["metadata"]["name"]
        self.group = spec.get("group", "")
        self.version = version.get("name", "")
        self.kind = names.get("kind", "")
        self.plural = names.get("plural", "")
        self._singular = names.get("singular") or self.kind.lower()
        self._list_kind = names.get("listKind") or f"{self.kind}List"
        self.namespaced = spec.get("scope") == "Namespaced"
        self.short_names = tuple(names.get("shortNames") or ())
        self.categories = tuple(names.get("categories") or ())
        declared = version_subresources(version)
        self.subresources = tuple(name for name in ("status", "scale") if name in declared)
        self.scale = declared.get("scale") if isinstance(declared.get("scale"), dict) else None
        self.schema: dict[str, Any] = version_schema(version) or {}
        self.preserves_unknown = bool(spec.get("preserveUnknownFields"))
        self.storage_version = storage_version(crd)
        stored = next((v for v in versions_of(crd) if v.get("name") == self.storage_version), {})
        self.storage_schema: dict[str, Any] = version_schema(stored) or {}
        self.terminating = is_terminating(crd)
        self.verbs = TERMINATING_VERBS if self.terminating else ALL_VERBS
        self.selectable_fields = tuple(
            str(f.get("jsonPath", "")).removeprefix(".")
            for f in version.get("selectableFields") or []
            if isinstance(f, dict)
        )
        printer = [c for c in version.get("additionalPrinterColumns") or [] if isinstance(c, dict)]
        self._printer = printer or [AGE_PRINTER_COLUMN]
        self._paths = [JSONPath(c.get("jsonPath", "")) for c in self._printer]
        self.columns = (
            Column("Name", format="name", description=field_doc(_META, "name")),
            *(
                Column(
                    c.get("name", ""),
                    type=c.get("type", "string"),
                    format=c.get("format", ""),
                    description=c.get("description")
                    or f"Custom resource definition column (in JSONPath format): "
                    f"{c.get('jsonPath', '')}",
                    priority=int(c.get("priority") or 0),
                )
                for c in self._printer
            ),
        )
        self.deprecation_warning = None
        if version.get("deprecated"):
            self.deprecation_warning = version.get("deprecationWarning") or _deprecation_text(
                spec, self.version, self.kind
            )

    # -- identity

    @property
    def singular(self) -> str:
        return self._singular

    @property
    def list_kind(self) -> str:
        return self._list_kind

    @property
    def tracks_generation(self) -> bool:
        """Custom resources always count generations, status subresource or not."""
        return True

    # -- decoding: prune, drop nulls, default

    def check_fields(self, obj: dict[str, Any], mode: str) -> tuple[dict[str, Any], list[str]]:
        unknown = _unknown_metadata_fields(obj)
        if not self.preserves_unknown:
            unknown += structural.prune(obj, self.schema)
            structural.drop_nulls(obj, self.schema)
        structural.apply_defaults(obj, self.schema)
        if unknown and mode == "Strict":
            listed = ", ".join(f'unknown field "{path}"' for path in unknown)
            raise bad_request(
                f'{self.kind} in version "{self.version}" cannot be handled as a {self.kind}: '
                f"strict decoding error: {listed}"
            )
        return obj, [f'unknown field "{path}"' for path in unknown] if mode == "Warn" else []

    def from_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Reads apply the storage version's defaults; another version then keeps only the
        fields its own schema declares (conversion ``None``)."""
        structural.apply_defaults(obj, self.storage_schema)
        if self.version != self.storage_version and not self.preserves_unknown:
            structural.prune(obj, self.schema)
        return obj

    def to_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj["apiVersion"] = f"{self.group}/{self.storage_version}"
        return obj

    # -- writes

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        if self.terminating:
            name = obj.get("metadata", {}).get("name", "")
            raise forbidden(
                f'{self.plural}.{self.group} "{name}" is forbidden: create not allowed while '
                "custom resource definition is terminating",
                self.group,
                self.plural,
                name,
            )
        super().prepare_for_create(obj)

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        found = structural.validate(obj, self.schema)
        found += self._scale_errors(obj, spec=True) + self._scale_errors(obj, spec=False)
        found += structural.embedded_resource_errors(obj, self.schema)
        found += structural.list_errors(obj, self.schema)
        return self._with_rules(found, obj, None)

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        found = _ratchet(structural.validate(obj, self.schema), obj, old)
        found += self._scale_errors(obj, spec=True) + self._scale_errors(obj, spec=False)
        found += structural.embedded_resource_errors(obj, self.schema)
        if not structural.list_errors(old, self.schema):
            found += structural.list_errors(obj, self.schema)
        return self._with_rules(found, obj, old)

    def validate_status_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        found: list[FieldError] = []
        status_schema = structural.properties(self.schema).get("status")
        if "status" in obj and status_schema is not None:
            found += _ratchet(structural.validate(obj["status"], status_schema, "status"), obj, old)
        found += self._scale_errors(obj, spec=False)
        new_lists = structural.list_errors(obj, self.schema)
        if new_lists and not structural.list_errors(old, self.schema):
            found += new_lists
        return self._with_rules(found, obj, old)

    def _with_rules(
        self, found: list[FieldError], obj: dict[str, Any], old: dict[str, Any] | None
    ) -> list[FieldError]:
        if not cel.has_rules(self.schema):
            return found
        if any(error.type in _BLOCKING for error in found):
            return [
                *found,
                invalid(
                    "<nil>",
                    None,
                    "some validation rules were not checked because the object was invalid; "
                    "correct the existing errors to complete validation",
                ),
            ]
        return found + cel.validate(obj, old, self.schema)

    def _scale_errors(self, obj: dict[str, Any], spec: bool) -> list[FieldError]:
        if self.scale is None:
            return []
        path = self.scale.get("specReplicasPath" if spec else "statusReplicasPath") or ""
        value = _dotted(obj, path)
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            if value is None:
                return []
            return [
                invalid(
                    path,
                    0,
                    f"{path.removeprefix('.')} accessor error: {value} is of the type "
                    f"{_go_type(value)}, expected int64",
                )
            ]
        if value < 0:
            return [invalid(path, value, "should be a non-negative integer")]
        if value > _MAX_INT32:
            return [invalid(path, value, f"should be less than or equal to {_MAX_INT32}")]
        return []

    # -- subresources and selectors

    def scale_selector(self, obj: dict[str, Any]) -> str:
        path = (self.scale or {}).get("labelSelectorPath") or ""
        value = _dotted(obj, path) if path else None
        return value if isinstance(value, str) else ""

    # -- printing

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        cells: list[Any] = [obj["metadata"]["name"]]
        for column, path in zip(self._printer, self._paths, strict=True):
            found = path.find(obj)
            cells.append(_cell(column.get("type", "string"), found[0], now) if found else None)
        return cells

    # -- OpenAPI

    def openapi_schema(self) -> dict[str, Any]:
        """The version's schema as kube-apiserver publishes it, with the type and object
        metadata every resource has."""
        published = structural.unfold(self.schema) if self.schema else {"type": "object"}
        for node in structural.walk(published):
            if structural.is_embedded(node):
                _add_resource_meta(node)
                node["required"] = list(
                    dict.fromkeys([*(node.get("required") or []), "kind", "apiVersion"])
                )
        _add_resource_meta(published)
        published.setdefault("type", "object")
        return published


def _add_resource_meta(node: dict[str, Any]) -> None:
    props = node.setdefault("properties", {})
    props["apiVersion"] = _type_meta_property("apiVersion")
    props["kind"] = _type_meta_property("kind")
    props["metadata"] = _object_meta_property()


def _deprecation_text(spec: dict[str, Any], version: str, kind: str) -> str:
    group = spec.get("group", "")
    text = f"{group}/{version} {kind} is deprecated"
    newer = [
        v.get("name", "")
        for v in spec.get("versions") or []
        if isinstance(v, dict)
        and v.get("served")
        and not v.get("deprecated")
        and version_priority(v.get("name", "")) < version_priority(version)
    ]
    if newer:
        text += f"; use {group}/{min(newer, key=version_priority)} {kind}"
    return text


_OBJECT_META_FIELDS = frozenset(
    schemas.definitions()["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]
)


def _unknown_metadata_fields(obj: dict[str, Any]) -> list[str]:
    """Fields in ``metadata`` that ObjectMeta does not have: dropped, and reported."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return []
    unknown = sorted(name for name in meta if name not in _OBJECT_META_FIELDS)
    for name in unknown:
        del meta[name]
    return [f"metadata.{name}" for name in unknown]


def _dotted(obj: Any, path: str) -> Any:
    value = obj
    for part in path.removeprefix(".").split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _go_type(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return type(value).__name__


_PATH_PART = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def _value_at(obj: Any, path: str) -> tuple[bool, Any]:
    value = obj
    for name, position in _PATH_PART.findall(path):
        if name:
            if not isinstance(value, dict) or name not in value:
                return False, None
            value = value[name]
        else:
            if not isinstance(value, list) or int(position) >= len(value):
                return False, None
            value = value[int(position)]
    return True, value


def _ratchet(found: list[FieldError], obj: Any, old: Any) -> list[FieldError]:
    """Ratcheting: a schema error about a value an update did not change is let through, so
    an object stored before its CRD tightened a rule can still be updated elsewhere."""
    kept = []
    for error in found:
        if error.type != REQUIRED and error.field != "<nil>":
            new_found, new_value = _value_at(obj, error.field)
            old_found, old_value = _value_at(old, error.field)
            if new_found and old_found and structural.json_equal(new_value, old_value):
                continue
        kept.append(error)
    return kept


# --- serving CRDs ----------------------------------------------------------------------------


def strategies_for(crd: dict[str, Any]) -> list[CustomResourceStrategy]:
    """The strategies an established CRD is served with: one per served version, preferred
    version first."""
    if not condition_true(crd, ESTABLISHED):
        return []
    served = [v for v in versions_of(crd) if v.get("served")]
    served.sort(key=lambda v: version_priority(str(v.get("name", ""))))
    return [CustomResourceStrategy(crd, version) for version in served]


class CustomResourceRegistrar:
    """Serves the custom resources of every established CRD, and stops when it goes.

    It runs on every committed CRD write (and over the stored CRDs at start-up), before any
    other write hook, so by the time a client sees a CRD ``Established`` its resources are in
    discovery and OpenAPI and accept requests.
    """

    def __init__(self, api: Any) -> None:
        self.api = api
        self._served: dict[str, list[tuple[str, str, str]]] = {}
        self._signatures: dict[str, str] = {}

    def install(self) -> None:
        strategy = self.api.registry.get(*CRDS)
        for crd in self.api.store.list(self.api.storage_key(strategy)):
            self.sync(crd)
        self.api.write_hooks.insert(0, self._on_write)

    def _on_write(self, strategy: ResourceStrategy, old: Any, new: Any) -> None:
        if (strategy.group, strategy.version, strategy.plural) != CRDS:
            return
        if new is None:
            self.remove(old["metadata"]["name"])
        else:
            self.sync(new)

    def sync(self, crd: dict[str, Any]) -> None:
        name = crd["metadata"]["name"]
        signature = json.dumps(
            [
                spec_of(crd),
                (crd.get("status") or {}).get("acceptedNames"),
                is_terminating(crd),
                condition_true(crd, ESTABLISHED),
            ],
            sort_keys=True,
        )
        if self._signatures.get(name) == signature:
            return
        self.remove(name)
        self._signatures[name] = signature
        strategies = strategies_for(copy.deepcopy(crd))
        for strategy in strategies:
            self.api.registry.add(strategy)
        self._served[name] = [(s.group, s.version, s.plural) for s in strategies]

    def remove(self, name: str) -> None:
        self._signatures.pop(name, None)
        for group, version, plural in self._served.pop(name, []):
            self.api.registry.remove(group, version, plural)


def install(api: Any) -> CustomResourceRegistrar:
    """Serve the custom resources of the stored CRDs, and keep doing so as CRDs change."""
    registrar = CustomResourceRegistrar(api)
    registrar.install()
    return registrar
