"""Field ownership: who set which field of an object (``metadata.managedFields``).

Every write names a *field manager*: ``kubectl-client-side-apply``, ``kubectl``, ``helm``, a
controller. kube-apiserver remembers, per manager, the set of fields that manager last set, so
that server-side apply can tell when two managers disagree about a field (a conflict) and can
remove a field a manager stopped applying. Learners see these sets with
``kubectl get -o yaml --show-managed-fields``.

This module is the model behind that, following structured-merge-diff, the library kube-apiserver
uses:

* a :class:`PathElement` names one step into an object: a field (``f:replicas``), a list item by
  its list-map keys (``k:{"name":"web"}``), a set member by value (``v:"x"``) or, for lists
  kept by position, an index (``i:0``);
* a :class:`FieldSet` is a set of paths, serialised as the ``fieldsV1`` JSON tree, where ``.``
  inside a node means "this node itself" (a list item, a map key, a map that appeared);
* a :class:`Shape` is what a kind's OpenAPI schema says about structure: which lists are keyed
  by which fields (``x-kubernetes-list-type: map``), which are sets or atomic, which maps are
  atomic. Objects are walked with it to list their fields (:func:`field_set`) and to diff two
  versions of an object (:func:`compare`);
* :class:`FieldTracker` is installed as ``ObjectAPI.field_tracker``. On every write that is not
  an apply it records an ``operation: Update`` entry for the request's manager holding the
  fields the write changed, and takes those fields away from every other manager.

Server-side apply itself lives in :mod:`kubelab.cluster.api.apply`.
"""

from __future__ import annotations

import calendar
import functools
import json
import sys
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kubelab.cluster import schemas
from kubelab.cluster.api.rest import ObjectAPI, WriteOptions
from kubelab.cluster.clock import Clock
from kubelab.cluster.resources.base import ResourceStrategy

APPLY = "Apply"
UPDATE = "Update"
FIELDS_TYPE = "FieldsV1"

#: The manager name kube-apiserver records when a request names none and sends no User-Agent.
UNKNOWN_MANAGER = "unknown"
#: The longest fieldManager kube-apiserver accepts, in bytes.
FIELD_MANAGER_MAX_BYTES = 128
#: How many ``Update`` entries an object keeps before the oldest are merged into one bucket.
MAX_UPDATE_MANAGERS = 10
#: The manager whose bucket receives the oldest ``Update`` entries beyond the cap.
ANCIENT_CHANGES_MANAGER = "ancient-changes"
#: The manager that takes the fields of an untracked object when it is first applied.
BEFORE_FIRST_APPLY_MANAGER = "before-first-apply"

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def default_field_manager(user_agent: str) -> str:
    """The manager kube-apiserver derives from a User-Agent when a request names none.

    It is the product part before the first ``/`` (``kubectl/v1.37.0 (linux/amd64)`` gives
    ``kubectl``, the Python client's ``OpenAPI-Generator/37.0.2/python`` gives
    ``OpenAPI-Generator``), without unprintable characters, cut at 128 bytes.
    """
    product = "".join(ch for ch in user_agent.split("/", 1)[0] if ch.isprintable())
    while len(product.encode()) > FIELD_MANAGER_MAX_BYTES:
        product = product[:-1]
    return product


# --- path elements -----------------------------------------------------------------------------

FIELD, KEY, VALUE, INDEX = "f", "k", "v", "i"
_KIND_RANK = {FIELD: 0, KEY: 1, VALUE: 2, INDEX: 3}
_GO_HTML_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def go_json(value: Any) -> str:
    """Compact JSON with sorted keys, escaped like Go's ``encoding/json``.

    Key elements, value elements and the last-applied annotation are compared and shown as
    text, so they must be byte-for-byte what kube-apiserver writes.
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return text.translate(_GO_HTML_ESCAPES)


def _go_text(value: Any) -> str:
    """A value as structured-merge-diff prints it inside a path (strings quoted)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_go_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "".join(f"{key}={_go_text(item)}" for key, item in value.items())
    return str(value)


@dataclass(frozen=True, slots=True)
class PathElement:
    """One step into an object: ``kind`` is f/k/v/i, ``text`` what follows the colon."""

    kind: str
    text: str

    @classmethod
    def of_field(cls, name: str) -> PathElement:
        return cls(FIELD, name)

    @classmethod
    def of_key(cls, keys: dict[str, Any]) -> PathElement:
        return cls(KEY, go_json(keys))

    @classmethod
    def of_value(cls, value: Any) -> PathElement:
        return cls(VALUE, go_json(value))

    @classmethod
    def of_index(cls, index: int) -> PathElement:
        return cls(INDEX, str(index))

    @staticmethod
    def parse(serialized: str) -> PathElement | None:
        """Read a ``fieldsV1`` key; None for an element kind this version does not know.

        Raises ValueError for text that is not a path element at all.
        """
        return _parse_element(serialized)

    def serialize(self) -> str:
        """The ``fieldsV1`` key, interned: every stored object's managedFields repeat the same
        few keys, and one shared string each keeps a thousand pods' worth small."""
        return sys.intern(f"{self.kind}:{self.text}")

    def __str__(self) -> str:
        """The element in conflict messages: ``.image``, ``[name="web"]``, ``[=80]``, ``[0]``."""
        if self.kind == FIELD:
            return "." + self.text
        if self.kind == KEY:
            keys = json.loads(self.text)
            return "[" + ",".join(f"{name}={_go_text(keys[name])}" for name in keys) + "]"
        if self.kind == VALUE:
            return f"[={_go_text(json.loads(self.text))}]"
        return f"[{self.text}]"


Path = tuple[PathElement, ...]


@functools.lru_cache(maxsize=8192)
def _parse_element(serialized: str) -> PathElement | None:
    """Parse (and canonicalise) an element; the same keys recur on every write of an object."""
    if len(serialized) < 2 or serialized[1] != ":":
        raise ValueError(f"missing colon: {serialized}")
    kind, text = serialized[0], serialized[2:]
    if kind == FIELD:
        return PathElement(FIELD, text)
    if kind == KEY:
        keys = json.loads(text)
        if not isinstance(keys, dict):
            raise ValueError(f"key element is not an object: {serialized}")
        return PathElement.of_key(keys)
    if kind == VALUE:
        return PathElement.of_value(json.loads(text))
    if kind == INDEX:
        return PathElement.of_index(int(text))
    return None


def path_text(path: Sequence[PathElement]) -> str:
    """A path as kube-apiserver prints it: ``.spec.template.spec.containers[name="web"].image``."""
    return "".join(str(element) for element in path)


def _value_order(value: Any) -> tuple[Any, ...]:
    """structured-merge-diff's total order on values: numbers, strings, bools, lists, maps, null."""
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, list):
        return (3, tuple(_value_order(item) for item in value))
    if isinstance(value, dict):
        return (4, tuple((key, _value_order(value[key])) for key in sorted(value)))
    return (5,)


@functools.lru_cache(maxsize=8192)
def _order(element: PathElement) -> tuple[Any, ...]:
    """Sort key of an element: fields, then keys, then values, then indexes."""
    rank = _KIND_RANK[element.kind]
    if element.kind == FIELD:
        return (rank, element.text)
    if element.kind == INDEX:
        return (rank, int(element.text))
    parsed = json.loads(element.text)
    if element.kind == KEY:
        return (rank, tuple((name, _value_order(parsed[name])) for name in sorted(parsed)))
    return (rank, _value_order(parsed))


# --- field sets --------------------------------------------------------------------------------


class FieldSet:
    """A set of paths, stored as a tree: members at this level and subtrees below.

    A path is in the set only if it was inserted itself; ``{spec.replicas}`` does not contain
    ``spec``. The operations are the non-recursive ones of structured-merge-diff: removing
    ``spec`` from a set leaves ``spec.replicas`` in it. Their results may share subtrees with
    their operands, so only sets being built (by :meth:`insert`) are changed in place.
    """

    __slots__ = ("children", "members")

    def __init__(
        self,
        members: set[PathElement] | None = None,
        children: dict[PathElement, FieldSet] | None = None,
    ) -> None:
        self.members: set[PathElement] = members if members is not None else set()
        self.children: dict[PathElement, FieldSet] = children if children is not None else {}

    @classmethod
    def of(cls, *paths: Sequence[PathElement]) -> FieldSet:
        result = cls()
        for path in paths:
            result.insert(path)
        return result

    @classmethod
    def of_field_paths(cls, *dotted: str) -> FieldSet:
        """A set of field paths written ``metadata.name``, for constants and tests."""
        return cls.of(*(tuple(PathElement.of_field(n) for n in d.split(".")) for d in dotted))

    def insert(self, path: Sequence[PathElement]) -> None:
        node = self
        for element in path[:-1]:
            child = node.children.get(element)
            if child is None:
                child = node.children[element] = FieldSet()
            node = child
        node.members.add(path[-1])

    def has(self, path: Sequence[PathElement]) -> bool:
        node: FieldSet | None = self
        for element in path[:-1]:
            node = node.children.get(element) if node is not None else None
        return node is not None and path[-1] in node.members

    def child(self, element: PathElement) -> FieldSet:
        """The paths below ``element``, relative to it (empty when there are none)."""
        return self.children.get(element) or FieldSet()

    def is_empty(self) -> bool:
        return not self.members and not self.children

    def copy(self) -> FieldSet:
        return FieldSet(set(self.members), {pe: c.copy() for pe, c in self.children.items()})

    def union(self, other: FieldSet) -> FieldSet:
        result = self.copy()
        result._absorb(other)
        return result

    def _absorb(self, other: FieldSet) -> None:
        self.members |= other.members
        for element, subtree in other.children.items():
            mine = self.children.get(element)
            if mine is None:
                self.children[element] = subtree.copy()
            else:
                mine._absorb(subtree)

    def difference(self, other: FieldSet) -> FieldSet:
        if other.is_empty():
            return self
        children = {}
        for element, subtree in self.children.items():
            theirs = other.children.get(element)
            rest = subtree.difference(theirs) if theirs is not None else subtree
            if not rest.is_empty():
                children[element] = rest
        return FieldSet(self.members - other.members, children)

    def intersection(self, other: FieldSet) -> FieldSet:
        children = {}
        for element, subtree in self.children.items():
            theirs = other.children.get(element)
            if theirs is not None:
                common = subtree.intersection(theirs)
                if not common.is_empty():
                    children[element] = common
        return FieldSet(self.members & other.members, children)

    def paths(self, prefix: Path = ()) -> Iterator[Path]:
        """Every path, in upstream's order: this level's members, then each subtree."""
        for element in sorted(self.members, key=_order):
            yield (*prefix, element)
        for element in sorted(self.children, key=_order):
            yield from self.children[element].paths((*prefix, element))

    def to_fields_v1(self) -> dict[str, Any]:
        """The ``fieldsV1`` JSON tree of this set."""
        tree: dict[str, Any] = {}
        for element in sorted(self.members | self.children.keys(), key=_order):
            subtree = self.children.get(element)
            if subtree is None:
                tree[element.serialize()] = {}
            elif element in self.members:
                tree[element.serialize()] = {".": {}, **subtree.to_fields_v1()}
            else:
                tree[element.serialize()] = subtree.to_fields_v1()
        return tree

    @classmethod
    def from_fields_v1(cls, tree: Any) -> FieldSet:
        """Read a ``fieldsV1`` tree; ValueError when it is malformed.

        Elements of a kind this version does not know are dropped, as upstream does.
        """
        if not isinstance(tree, dict):
            raise ValueError("fieldsV1 nodes must be objects")
        result = cls()
        for name, body in tree.items():
            if name == ".":
                continue
            element = PathElement.parse(name)
            if not isinstance(body, dict):
                raise ValueError(f"fieldsV1 node {name!r} must be an object")
            if element is None:
                continue
            if not body or "." in body:
                result.members.add(element)
            subtree = cls.from_fields_v1(body)
            if not subtree.is_empty():
                result.children[element] = subtree
        return result

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSet):
            return NotImplemented
        return self.members == other.members and self.children == other.children

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FieldSet({[path_text(p) for p in self.paths()]})"


#: Fields nobody owns: identity and bookkeeping the server sets (upstream's strip set).
UNOWNED_FIELDS = FieldSet.of_field_paths(
    "apiVersion",
    "kind",
    "metadata",
    "metadata.name",
    "metadata.namespace",
    "metadata.creationTimestamp",
    "metadata.selfLink",
    "metadata.uid",
    "metadata.clusterName",
    "metadata.generation",
    "metadata.managedFields",
    "metadata.resourceVersion",
)


# --- shapes: what a schema says about structure ------------------------------------------------

STRUCT, MAP, LIST, SCALAR, UNTYPED = "struct", "map", "list", "scalar", "untyped"

#: Struct fields that are values, not pointers, in the Go API types: kube-apiserver compares
#: typed objects, in which these always exist (as ``{}`` at least), as do required fields.
#: This decides whether a field a write sets is recorded as a new node (with ``.``) or as a
#: change inside an existing one: ``f:spec`` never has ``.``, a new label map has.
VALUE_STRUCT_FIELDS = frozenset({"metadata", "spec", "status", "strategy", "updateStrategy"})

#: Defaults of list-map key fields that upstream's published schemas declare and the packaged
#: schemas lack. Without them a port written without ``protocol`` would not be the same list
#: item as that port after defaulting added ``protocol: TCP``.
_KEY_FIELD_DEFAULTS: dict[tuple[str, str], Any] = {
    ("io.k8s.api.core.v1.ContainerPort", "protocol"): "TCP",
    ("io.k8s.api.core.v1.ServicePort", "protocol"): "TCP",
}


def _definition_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _resolve(raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Follow ``$ref`` and one-element ``allOf``; return the schema and its definition name.

    Extensions written next to a reference (``x-kubernetes-map-type``...) win over the target's.
    """
    extensions = {k: v for k, v in raw.items() if k.startswith("x-kubernetes-")}
    name = ""
    for _ in range(50):
        if "$ref" in raw:
            name = _definition_name(raw["$ref"])
            raw = schemas.definitions().get(name, {})
        elif len(raw.get("allOf", [])) == 1 and "properties" not in raw:
            raw = raw["allOf"][0]
        else:
            break
    return ({**raw, **extensions} if extensions else raw), name


def _types(raw: dict[str, Any]) -> set[str]:
    declared = raw.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {t for t in declared if isinstance(t, str)}
    return set()


class Shape:
    """One node of a schema, reduced to what structured merge needs.

    ``form`` is struct (named fields), map (any keys), list, scalar or untyped (a schema that
    says nothing: maps inside are granular by key, lists atomic). Structs and maps may be
    ``atomic``; lists have a ``list_type`` of ``map`` (items keyed by ``keys``), ``set`` or
    ``atomic`` (the default, as upstream). ``typed`` shapes describe built-in kinds, which
    kube-apiserver handles as Go structs; custom resources are not typed. Child shapes are
    built on first use.
    """

    def __init__(self, raw: dict[str, Any], typed: bool = True) -> None:
        resolved, _ = _resolve(raw)
        self.typed = typed
        self.atomic = resolved.get("x-kubernetes-map-type") == "atomic"
        self.required = frozenset(resolved.get("required", ()))
        self.list_type = ""
        self.keys: tuple[str, ...] = ()
        self.key_defaults: dict[str, Any] = {}
        self._fields: dict[str, dict[str, Any]] = {}
        self._element_raw: dict[str, Any] | None = None
        self._open = bool(resolved.get("x-kubernetes-preserve-unknown-fields"))
        self._children: dict[str, Shape] = {}
        self._element: Shape | None = None
        properties = resolved.get("properties")
        extra = resolved.get("additionalProperties")
        types = _types(resolved)
        if isinstance(properties, dict) and properties:
            self.form = STRUCT
            self._fields = properties
            self._element_raw = extra if isinstance(extra, dict) else None
        elif isinstance(extra, dict):
            self.form = MAP
            self._element_raw = extra
        elif "items" in resolved or "array" in types:
            self.form = LIST
            items = resolved.get("items")
            self._element_raw = items if isinstance(items, dict) else {}
            self.list_type, self.keys = _list_relationship(resolved)
            self.key_defaults = self._key_defaults()
        elif not resolved or "object" in types or self._open:
            self.form = UNTYPED
        else:
            self.form = SCALAR

    def _key_defaults(self) -> dict[str, Any]:
        if not self.keys or self._element_raw is None:
            return {}
        item, item_name = _resolve(self._element_raw)
        defaults = {}
        for key in self.keys:
            declared = (item.get("properties") or {}).get(key) or {}
            if "default" in declared:
                defaults[key] = declared["default"]
            elif (item_name, key) in _KEY_FIELD_DEFAULTS:
                defaults[key] = _KEY_FIELD_DEFAULTS[(item_name, key)]
        return defaults

    def is_named(self, name: str) -> bool:
        """Whether ``name`` is a declared field of this struct (not a key of a map)."""
        return self.form == STRUCT and name in self._fields

    def declares(self, name: str) -> bool:
        """Whether this node accepts a field ``name`` (strict decoding of applied objects)."""
        if self.form == STRUCT:
            return name in self._fields or self._element_raw is not None or self._open
        return self.form in (MAP, UNTYPED)

    def child(self, name: str) -> Shape:
        """The shape of a field or map value (untyped when the schema does not say)."""
        shape = self._children.get(name)
        if shape is None:
            raw = self._fields.get(name)
            shape = _shape_of(raw, self.typed) if raw is not None else self.element()
            self._children[name] = shape
        return shape

    def element(self) -> Shape:
        """The shape of list items or map values."""
        if self._element is None:
            raw = self._element_raw
            self._element = _shape_of(raw, self.typed) if raw else UNTYPED_SHAPE
        return self._element

    @functools.cached_property
    def always_present(self) -> dict[str, Any]:
        """The fields a typed object of this struct has even when nobody set them.

        Value struct fields are ``{}`` and other required (non-omitempty) fields ``null``, as
        Go's zero value serialises. Untyped shapes have none.
        """
        if not self.typed or self.form != STRUCT:
            return {}
        present: dict[str, Any] = {}
        for name in self._fields:
            shape = self.child(name)
            if shape.form == STRUCT and (name in VALUE_STRUCT_FIELDS or name in self.required):
                present[name] = {}
            elif name in self.required:
                present[name] = None
        return present

    def with_object_meta(self) -> Shape:
        """This shape as the top of an object: ``apiVersion``, ``kind`` and ``metadata`` as
        ObjectMeta, whatever a custom resource's schema declares for them."""
        if self.form != STRUCT:
            self.form, self._open = STRUCT, True
        self._fields = {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            **self._fields,
            "metadata": {"$ref": OBJECT_META},
        }
        self._children["metadata"] = _definition_shape(OBJECT_META, self.typed)
        return self


def _list_relationship(raw: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """A list's type and keys, from ``x-kubernetes-list-type`` or, failing that, the patch
    strategy (a merge key makes a list map, merge without one a set), else atomic."""
    list_type = raw.get("x-kubernetes-list-type")
    if list_type == "map":
        return "map", tuple(raw.get("x-kubernetes-list-map-keys") or ())
    if list_type in ("set", "atomic"):
        return list_type, ()
    if raw.get("x-kubernetes-patch-strategy") in ("merge", "merge,retainKeys"):
        key = raw.get("x-kubernetes-patch-merge-key")
        return ("map", (key,)) if isinstance(key, str) else ("set", ())
    return "atomic", ()


@functools.cache
def _definition_shape(name: str, typed: bool) -> Shape:
    return Shape({"$ref": name}, typed)


def _shape_of(raw: dict[str, Any], typed: bool) -> Shape:
    """Shapes of plain references are shared; anything else gets its own."""
    if set(raw) <= {"$ref", "description", "default"} and "$ref" in raw:
        return _definition_shape(_definition_name(raw["$ref"]), typed)
    return Shape(raw, typed)


UNTYPED_SHAPE = Shape({}, typed=False)


@functools.cache
def _builtin_shape(group: str, version: str, kind: str) -> Shape:
    name = schemas.definition_name(group, version, kind)
    return Shape({"$ref": name}) if name else Shape({}, typed=False).with_object_meta()


#: Shapes of custom resources, per served version (a changed CRD brings new strategies).
_custom_shapes: weakref.WeakKeyDictionary[ResourceStrategy, Shape] = weakref.WeakKeyDictionary()


def kind_shape(strategy: ResourceStrategy) -> Shape:
    """The shape of a served kind: its upstream schema, or a custom resource's own schema."""
    custom = getattr(strategy, "openapi_schema", None)
    if custom is None:
        return _builtin_shape(strategy.group, strategy.version, strategy.kind)
    shape = _custom_shapes.get(strategy)
    if shape is None:
        shape = _custom_shapes[strategy] = Shape(custom(), typed=False).with_object_meta()
    return shape


# --- walking objects ---------------------------------------------------------------------------


class _Absent:
    """Marks a side of a comparison or merge where the field does not exist."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()

#: How a node is treated: a leaf (compared whole), a map by key, or a list by item.
LEAF, MAPPING, SEQUENCE = "leaf", "mapping", "sequence"


class FieldPathError(ValueError):
    """An object that cannot be walked with its schema (a list item without its keys...)."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path_text(path)}: {message}")
        self.path = path
        self.message = message


def same(left: Any, right: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1."""
    if left is right:
        return True
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same(v, right[k]) for k, v in left.items())
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and left == right


def node_form(shape: Shape, value: Any) -> str:
    """How one present value is walked with its shape (a value of the wrong type is a leaf)."""
    if isinstance(value, dict):
        if shape.form in (STRUCT, MAP):
            return LEAF if shape.atomic else MAPPING
        return MAPPING if shape.form == UNTYPED else LEAF
    if isinstance(value, list):
        return SEQUENCE if shape.form == LIST and shape.list_type != "atomic" else LEAF
    if value is None:
        if shape.form in (STRUCT, MAP) and not shape.atomic:
            return MAPPING
        if shape.form == LIST and shape.list_type != "atomic":
            return SEQUENCE
    return LEAF


def _is_empty(value: Any) -> bool:
    return value is ABSENT or value is None or value == {} or value == []


def pair_form(shape: Shape, left: Any, right: Any) -> str:
    """How two versions of a node are walked together. Two empty sides form a leaf, which keeps
    ``{}`` and ``null`` apart, as upstream does."""
    if _is_empty(left) and _is_empty(right):
        return LEAF
    forms = {node_form(shape, v) for v in (left, right) if v is not ABSENT}
    return forms.pop() if len(forms) == 1 else LEAF


def item_element(shape: Shape, item: Any, path: Path) -> PathElement:
    """The element naming a list item: its keys in a list map, its value in a set."""
    if shape.list_type == "map":
        if not isinstance(item, dict):
            raise FieldPathError(path, "associative list with keys may not have non-map elements")
        keys = {}
        for key in shape.keys:
            if key in item:
                keys[key] = item[key]
            elif key in shape.key_defaults:
                keys[key] = shape.key_defaults[key]
        if not keys:
            raise FieldPathError(
                path,
                "associative list with keys has an element that omits all key fields "
                f"{json.dumps(list(shape.keys))} (and doesn't have default values for any key "
                "fields)",
            )
        return PathElement.of_key(keys)
    if isinstance(item, dict | list) or item is None:
        raise FieldPathError(
            path, "associative list without keys has an element that's not a scalar"
        )
    return PathElement.of_value(item)


def index_items(
    shape: Shape, items: Any, path: Path
) -> tuple[list[PathElement], dict[PathElement, list[Any]]]:
    """A list's items by element, in first-seen order; duplicates share an element."""
    order: list[PathElement] = []
    found: dict[PathElement, list[Any]] = {}
    for item in items if isinstance(items, list) else ():
        element = item_element(shape, item, path)
        if element in found:
            found[element].append(item)
        else:
            found[element] = [item]
            order.append(element)
    return order, found


def field_set(obj: dict[str, Any], shape: Shape, strict: bool = False) -> FieldSet:
    """Every field an object sets: the set an applier owns after applying ``obj``.

    Leaves are listed, and so are list items, map keys and maps set to ``{}`` or ``null``,
    but not struct fields that merely contain others. ``strict`` refuses what an applied
    configuration may not contain (undeclared fields, duplicate list items).
    """
    result = FieldSet()
    _collect_map((), obj, shape, result, strict)
    return result


def _collect(path: Path, value: Any, shape: Shape, out: FieldSet, strict: bool) -> None:
    form = node_form(shape, value)
    if form == LEAF:
        out.insert(path)
    elif form == MAPPING:
        _collect_map(path, value, shape, out, strict)
    else:
        _collect_list(path, value, shape, out, strict)


def _collect_map(path: Path, value: Any, shape: Shape, out: FieldSet, strict: bool) -> None:
    for name, child in (value or {}).items():
        child_path = (*path, PathElement.of_field(name))
        if strict and not shape.declares(name):
            raise FieldPathError(child_path, "field not declared in schema")
        _collect(child_path, child, shape.child(name), out, strict)
        if child is None or child == {} or not shape.is_named(name):
            out.insert(child_path)


def _collect_list(path: Path, value: Any, shape: Shape, out: FieldSet, strict: bool) -> None:
    order, found = index_items(shape, value, path)
    element_shape = shape.element()
    for element in order:
        items = found[element]
        if len(items) > 1 and strict:
            raise FieldPathError(path, f"duplicate entries for key {element}")
        if len(items) == 1:
            _collect((*path, element), items[0], element_shape, out, strict)
        out.insert((*path, element))


@dataclass
class Comparison:
    """What changed between two versions of an object, as three disjoint field sets."""

    removed: FieldSet = field(default_factory=FieldSet)
    modified: FieldSet = field(default_factory=FieldSet)
    added: FieldSet = field(default_factory=FieldSet)

    @property
    def changed(self) -> FieldSet:
        """Fields that now have a value they did not have: the ones a writer takes over."""
        return self.modified.union(self.added)

    def filtered(self, keep: Callable[[FieldSet], FieldSet]) -> Comparison:
        return Comparison(keep(self.removed), keep(self.modified), keep(self.added))


def compare(old: dict[str, Any], new: dict[str, Any], shape: Shape) -> Comparison:
    """The fields ``new`` removed, modified and added relative to ``old``.

    A node present on one side only is listed with everything below it, so a new list item
    or label map appears as the node itself plus its fields. A create compares with ``{}``:
    for built-in kinds that stands for Go's zero value, with its always-present fields.
    """
    result = Comparison()
    _compare((), old, new, shape, result)
    return result


def _compare(path: Path, left: Any, right: Any, shape: Shape, out: Comparison) -> None:
    if left is right:
        return  # the very same value: status writes share everything but status
    form = pair_form(shape, left, right)
    if form == LEAF:
        if left is ABSENT:
            out.added.insert(path)
        elif right is ABSENT:
            out.removed.insert(path)
        elif not same(left, right):
            out.modified.insert(path)
        return
    if form == MAPPING:
        _compare_maps(path, left, right, shape, out)
    else:
        _compare_lists(path, left, right, shape, out)
    if path and left is ABSENT:
        out.added.insert(path)
    elif path and right is ABSENT:
        out.removed.insert(path)


def _compare_maps(path: Path, left: Any, right: Any, shape: Shape, out: Comparison) -> None:
    present = shape.always_present
    lmap = {**present, **left} if isinstance(left, dict) else {}
    rmap = {**present, **right} if isinstance(right, dict) else {}
    for name in {**lmap, **rmap}:
        _compare(
            (*path, PathElement.of_field(name)),
            lmap.get(name, ABSENT),
            rmap.get(name, ABSENT),
            shape.child(name),
            out,
        )


def _compare_lists(path: Path, left: Any, right: Any, shape: Shape, out: Comparison) -> None:
    left_order, left_items = index_items(shape, left, path)
    right_order, right_items = index_items(shape, right, path)
    element_shape = shape.element()
    for element in dict.fromkeys(left_order + right_order):
        before, after = left_items.get(element, []), right_items.get(element, [])
        item_path = (*path, element)
        if len(before) <= 1 and len(after) <= 1:
            _compare(
                item_path,
                before[0] if before else ABSENT,
                after[0] if after else ABSENT,
                element_shape,
                out,
            )
        elif len(before) > 1 and len(after) > 1:
            if not same(before, after):
                out.modified.insert(item_path)
        elif len(before) > 1:
            if after:
                _compare(item_path, ABSENT, after[0], element_shape, out)
            out.removed.insert(item_path)
        else:
            if before:
                _compare(item_path, before[0], ABSENT, element_shape, out)
            out.added.insert(item_path)


def with_named_fields(fields: FieldSet, shape: Shape) -> FieldSet:
    """The set plus every struct field on the way to its members.

    Pruning compares what an applier owned with what everyone owns; a struct such as
    ``spec.strategy`` then counts as owned exactly when something inside it is.
    """
    members = set(fields.members)
    children = {}
    for element, subtree in fields.children.items():
        if element.kind == FIELD:
            if shape.is_named(element.text):
                members.add(element)
            child_shape = shape.child(element.text)
        elif element.kind == KEY:
            child_shape = shape.element()
        else:
            child_shape = UNTYPED_SHAPE
        children[element] = with_named_fields(subtree, child_shape)
    return FieldSet(members, children)


def without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """A shallow copy of ``obj`` whose metadata lacks ``managedFields`` (for comparing)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def ownership_scope(strategy: ResourceStrategy, subresource: str) -> Callable[[FieldSet], FieldSet]:
    """Which fields a write may own (upstream's reset fields).

    A kind with a status subresource keeps status out of writes to the object itself, and
    writes to ``/status`` own nothing but status.
    """
    status = PathElement.of_field("status")
    if subresource == "status":
        return lambda s: FieldSet(
            s.members & {status}, {e: c for e, c in s.children.items() if e == status}
        )
    if not subresource and "status" in strategy.subresources:
        return lambda s: FieldSet(
            s.members - {status}, {e: c for e, c in s.children.items() if e != status}
        )
    return lambda s: s


# --- managedFields entries ---------------------------------------------------------------------


@dataclass
class ManagedEntry:
    """One ``metadata.managedFields`` entry: a manager's operation and the fields it owns."""

    manager: str
    operation: str
    api_version: str
    fields: FieldSet
    time: str | None = None
    subresource: str = ""

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """Entries are per manager, operation and subresource, and for updates per version:
        an applier keeps one entry whatever version it applies with."""
        version = "" if self.operation == APPLY else self.api_version
        return (self.manager, self.operation, version, self.subresource)

    def identity_text(self) -> str:
        """The identity as upstream spells it, which orders managers in conflict messages."""
        manager, operation, version, subresource = self.identity
        parts = {"manager": manager, "operation": operation}
        if version:
            parts["apiVersion"] = version
        if subresource:
            parts["subresource"] = subresource
        return json.dumps(parts, separators=(",", ":"), ensure_ascii=False)

    def describe(self) -> str:
        """The manager in a conflict message: ``"kubectl-edit" using apps/v1``."""
        text = json.dumps(self.manager, ensure_ascii=False)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource, ensure_ascii=False)}"
        if self.operation == UPDATE:
            text += f" using {self.api_version}"
        return text

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
        }
        if self.time is not None:
            entry["time"] = self.time
        entry["fieldsType"] = FIELDS_TYPE
        entry["fieldsV1"] = self.fields.to_fields_v1()
        if self.subresource:
            entry["subresource"] = self.subresource
        return entry


def _entry_from_dict(raw: Any) -> ManagedEntry:
    if not isinstance(raw, dict):
        raise ValueError("entries must be objects")
    operation, version = raw.get("operation"), raw.get("apiVersion")
    if operation not in (APPLY, UPDATE):
        raise ValueError("operation must be `Apply` or `Update`")
    if not isinstance(version, str) or not version:
        raise ValueError("apiVersion must not be empty")
    if raw.get("fieldsType") != FIELDS_TYPE:
        raise ValueError("fieldsType must be FieldsV1")
    fields_v1 = raw.get("fieldsV1")
    time_text, manager, subresource = (
        raw.get("time"),
        raw.get("manager", ""),
        raw.get("subresource", ""),
    )
    if not all(isinstance(v, str) for v in (manager, subresource)) or not (
        time_text is None or isinstance(time_text, str)
    ):
        raise ValueError("manager, subresource and time must be strings")
    fields = FieldSet.from_fields_v1(fields_v1) if fields_v1 is not None else FieldSet()
    return ManagedEntry(manager, operation, version, fields, time_text, subresource)


def decode_entries(raw: Any) -> list[ManagedEntry] | None:
    """Read ``metadata.managedFields``; None when any entry is invalid.

    Two entries with the same identity are one entry: the later wins.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        return None
    entries: dict[tuple[str, str, str, str], ManagedEntry] = {}
    try:
        for item in raw:
            entry = _entry_from_dict(item)
            entries[entry.identity] = entry
    except (ValueError, TypeError):
        return None
    return list(entries.values())


def _seconds(time_text: str | None) -> int:
    if not time_text:
        return 0
    try:
        return calendar.timegm(time.strptime(time_text, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return 0


def encode_entries(entries: Sequence[ManagedEntry]) -> list[dict[str, Any]]:
    """Entries in upstream's order: applies first, then by time, manager, version, subresource."""
    ordered = sorted(
        entries,
        key=lambda e: (e.operation, _seconds(e.time), e.manager, e.api_version, e.subresource),
    )
    return [entry.to_dict() for entry in ordered]


def entries_of(obj: dict[str, Any] | None) -> list[ManagedEntry]:
    """The entries stored on an object (none when absent or unreadable)."""
    if obj is None:
        return []
    return decode_entries((obj.get("metadata") or {}).get("managedFields")) or []


def set_managed_fields(obj: dict[str, Any], entries: Sequence[ManagedEntry]) -> None:
    """Write entries into ``metadata.managedFields``; an object nobody manages has none."""
    meta = obj.setdefault("metadata", {})
    encoded = encode_entries(entries)
    if encoded:
        meta["managedFields"] = encoded
    else:
        meta.pop("managedFields", None)


def record_update(
    entries: Sequence[ManagedEntry],
    manager: str,
    api_version: str,
    subresource: str,
    changes: Comparison,
    now: str,
) -> list[ManagedEntry]:
    """Ownership after a non-apply write by ``manager`` that made ``changes``.

    Every manager loses the fields the write changed or removed; the writer gains the fields
    it changed (not the server's bookkeeping fields), and its entry's time moves on only if it
    gained something. Update entries beyond the cap are merged, oldest first.
    """
    changed = changes.changed
    kept = []
    for entry in entries:
        remaining = entry.fields.difference(changed).difference(changes.removed)
        if not remaining.is_empty():
            kept.append(replace(entry, fields=remaining))
    gained = changed.difference(UNOWNED_FIELDS)
    if not gained.is_empty():
        mine = ManagedEntry(
            manager or UNKNOWN_MANAGER, UPDATE, api_version, gained, now, subresource
        )
        for index, entry in enumerate(kept):
            if entry.identity == mine.identity:
                kept[index] = replace(mine, fields=entry.fields.union(gained))
                break
        else:
            kept.append(mine)
    return cap_update_entries(kept)


def cap_update_entries(entries: list[ManagedEntry]) -> list[ManagedEntry]:
    """Keep at most :data:`MAX_UPDATE_MANAGERS` Update entries.

    The oldest are folded, per API version, into an ``ancient-changes`` entry, so an object
    that many tools touched does not carry an ever longer list.
    """
    updates = [e for e in entries if e.operation == UPDATE]
    if len(updates) <= MAX_UPDATE_MANAGERS:
        return entries
    updates.sort(key=lambda e: (_seconds(e.time), e.identity_text()))
    by_identity = {e.identity: e for e in entries}
    first_of_version: dict[str, ManagedEntry] = {}
    count = len(updates)
    for entry in updates:
        if count <= MAX_UPDATE_MANAGERS:
            break
        first = first_of_version.get(entry.api_version)
        if entry.manager == ANCIENT_CHANGES_MANAGER:
            continue
        if first is None:
            first_of_version[entry.api_version] = entry
            continue
        bucket = ManagedEntry(ANCIENT_CHANGES_MANAGER, UPDATE, entry.api_version, FieldSet())
        existing = by_identity.get(bucket.identity)
        if existing is None:
            existing = replace(bucket, fields=first.fields, time=first.time)
            del by_identity[first.identity]
        by_identity[bucket.identity] = replace(
            existing, fields=entry.fields.union(existing.fields), time=entry.time
        )
        del by_identity[entry.identity]
        count -= 1
    return list(by_identity.values())


# --- the tracker -------------------------------------------------------------------------------


@dataclass
class AppliedWriteOptions(WriteOptions):
    """Options of the write that stores a server-side apply's result.

    The apply has already worked out ownership; the tracker stores ``managed_fields`` as they
    are instead of recording the write as an Update.
    """

    managed_fields: list[ManagedEntry] = field(default_factory=list)


def _is_reset(requested: Any) -> bool:
    """``managedFields: []`` (or one empty entry) in a request clears the stored entries."""
    return requested == [] or requested == [{}]


class FieldTracker:
    """Keeps ``metadata.managedFields`` on every write (``ObjectAPI.field_tracker``)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def __call__(
        self,
        strategy: ResourceStrategy,
        obj: dict[str, Any],
        old: dict[str, Any] | None,
        options: WriteOptions,
        subresource: str = "",
    ) -> None:
        if isinstance(options, AppliedWriteOptions):
            set_managed_fields(obj, options.managed_fields)
            return
        # The metadata may be the old object's own dict (a status write copies it over), so
        # change a copy.
        meta = obj["metadata"] = dict(obj.get("metadata") or {})
        stored = entries_of(old)
        requested = meta.pop("managedFields", None)
        base = stored if subresource else self._requested_or_stored(requested, stored)
        if not base and old is not None:
            # An object whose entries were cleared stays untracked until it is next applied.
            return
        shape = kind_shape(strategy)
        before = without_managed_fields(old) if old is not None else {}
        try:
            changes = compare(before, obj, shape)
        except FieldPathError:
            set_managed_fields(obj, stored)
            return
        changes = changes.filtered(ownership_scope(strategy, subresource))
        entries = record_update(
            base,
            options.field_manager,
            strategy.api_version,
            subresource,
            changes,
            self.clock.timestamp(),
        )
        set_managed_fields(obj, entries)

    @staticmethod
    def _requested_or_stored(requested: Any, stored: list[ManagedEntry]) -> list[ManagedEntry]:
        """Entries a client sends replace the stored ones when they are valid and not empty,
        so a client that knows nothing of them cannot wipe them by accident."""
        if _is_reset(requested):
            return []
        decoded = decode_entries(requested)
        return decoded if decoded else stored


def install(api: ObjectAPI) -> None:
    """Track field ownership on every write through ``api``."""
    api.field_tracker = FieldTracker(api.clock)
