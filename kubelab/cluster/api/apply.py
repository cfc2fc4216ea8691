"""Server-side apply: ``PATCH`` with ``Content-Type: application/apply-patch+yaml``.

With client-side apply (``kubectl apply``) kubectl computes a patch from the file, the live
object and the ``last-applied-configuration`` annotation. With server-side apply
(``kubectl apply --server-side``, helm 4, controllers) the client sends the whole configuration
it wants and the API server works out the rest, using field ownership
(:mod:`kubelab.cluster.api.managedfields`):

1. the configuration is merged into the live object, list items matched by their list-map keys
   (containers by ``name``, ports by ``containerPort`` and ``protocol``);
2. fields this manager applied last time but leaves out now are removed, unless another manager
   still owns them;
3. if a field now gets a different value and another manager owns it, the apply fails with a
   409 *conflict* naming the manager and field, unless ``force=true`` takes the field over;
4. the manager's ``operation: Apply`` entry becomes exactly the fields it applied.

The merged object then goes through the ordinary write pipeline (defaulting, validation,
admission, generation), created when it did not exist yet (201).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from kubelab.cluster.api import errors
from kubelab.cluster.api.errors import APIError, FieldError
from kubelab.cluster.api.managedfields import (
    ABSENT,
    APPLY,
    BEFORE_FIRST_APPLY_MANAGER,
    LEAF,
    MAPPING,
    SEQUENCE,
    UNOWNED_FIELDS,
    AppliedWriteOptions,
    FieldPathError,
    FieldSet,
    ManagedEntry,
    Path,
    PathElement,
    Shape,
    compare,
    entries_of,
    field_set,
    go_json,
    item_element,
    kind_shape,
    node_form,
    ownership_scope,
    pair_form,
    path_text,
    record_update,
    same,
    with_named_fields,
    without_managed_fields,
)
from kubelab.cluster.api.rest import ObjectAPI, WriteOptions
from kubelab.cluster.api.writeoptions import field_manager_errors
from kubelab.cluster.resources.base import ResourceStrategy

LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
#: The manager ``kubectl apply --server-side`` uses unless told otherwise. It alone inherits
#: what client-side apply set, and it keeps the last-applied annotation up to date.
KUBECTL_MANAGER = "kubectl"
#: kube-apiserver's limit on the total size of an object's annotations.
MAX_ANNOTATIONS_BYTES = 256 * 1024

_GO_JSON_TYPES = {list: "array", str: "string", bool: "bool", int: "number", float: "number"}


def server_side_apply(
    api: ObjectAPI,
    strategy: ResourceStrategy,
    namespace: str,
    name: str,
    body: Any,
    options: WriteOptions,
    force: bool,
    subresource: str = "",
) -> tuple[dict[str, Any], int]:
    """Apply a configuration to an object; return the result and 201 (created) or 200."""
    _check_options(options)
    config = _check_config(strategy, body, name)
    stored = api.store.get(api.storage_key(strategy), namespace, name)
    if stored is None and subresource:
        raise errors.not_found(strategy.group, strategy.plural, name)
    live = api.present(strategy, stored) if stored is not None else None
    shape = kind_shape(strategy)
    try:
        applied = ownership_scope(strategy, subresource)(field_set(config, shape, strict=True))
    except FieldPathError as problem:
        raise _unreadable(strategy, config, "patch", problem) from None
    request = ApplyRequest(strategy, shape, config, options.field_manager, force, subresource)
    if live is None:
        merged, entries = request.create(applied, api.clock.timestamp())
    else:
        try:
            merged, entries = request.merge_into(live, applied, api.clock.timestamp())
        except FieldPathError as problem:
            raise _unreadable(strategy, live, "live", problem) from None
    if options.field_manager == KUBECTL_MANAGER:
        _refresh_last_applied(merged, body)
    write_options = AppliedWriteOptions(
        dry_run=options.dry_run,
        field_manager=options.field_manager,
        field_validation=options.field_validation,
        warnings=options.warnings,
        managed_fields=entries,
    )
    if live is None:
        return api.create(strategy, namespace, merged, write_options), 201
    return api.update(strategy, namespace, name, merged, write_options, subresource), 200


def install(api: ObjectAPI) -> None:
    """Serve ``application/apply-patch+yaml`` PATCHes on ``api``."""
    api.server_side_apply = functools.partial(server_side_apply, api)  # type: ignore[attr-defined]


# --- request checks ----------------------------------------------------------------------------


def _check_options(options: WriteOptions) -> None:
    """PatchOptions rules: an apply must name its manager, in printable text of 128 bytes."""
    manager = options.field_manager
    problems: list[FieldError] = []
    if not manager:
        problems.append(errors.required("fieldManager", "is required for apply patch"))
    problems.extend(field_manager_errors(manager))
    if problems:
        raise errors.invalid_object("meta.k8s.io", "PatchOptions", "", problems)


def _check_config(strategy: ResourceStrategy, body: Any, name: str) -> dict[str, Any]:
    """The applied configuration, checked as upstream does before merging it."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        go_type = _GO_JSON_TYPES.get(type(body), "value")
        raise errors.bad_request(
            "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot "
            f"unmarshal {go_type} into Go value of type map[string]interface {{}}"
        )
    api_version, kind = str(body.get("apiVersion") or ""), str(body.get("kind") or "")
    if (api_version, kind) != (strategy.api_version, strategy.kind):
        group, _, version = api_version.rpartition("/")
        raise errors.bad_request(f"invalid object type: {group}/{version}, Kind={kind}")
    config = copy.deepcopy(body)
    meta = config.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise errors.bad_request(
            f'{kind} in version "{strategy.version}" cannot be handled as a {kind}: metadata '
            "must be an object"
        )
    if meta.get("managedFields") is not None:
        raise errors.bad_request("metadata.managedFields must be nil")
    if meta.get("name") and meta["name"] != name:
        raise errors.bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
        )
    meta["name"] = name
    return config


def _unreadable(
    strategy: ResourceStrategy, obj: dict[str, Any], which: str, problem: FieldPathError
) -> APIError:
    """kube-apiserver answers an object its schema cannot read (an undeclared field, a list
    item without its keys) with a plain 500 naming the ``patch`` or ``live`` object."""
    meta = obj["metadata"]
    group_version = f"{strategy.group}/{strategy.version}"
    where = f"{meta.get('namespace', '')}/{meta['name']}; {group_version}, Kind={strategy.kind}"
    return APIError(500, "", f"failed to create typed {which} object ({where}): {problem}")


# --- the apply ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """A field another manager owns and this apply would change."""

    owner: ManagedEntry
    path: Path


@dataclass(frozen=True)
class ApplyRequest:
    """One apply: who applies what to which kind, and whether conflicts may be overridden."""

    strategy: ResourceStrategy
    shape: Shape
    config: dict[str, Any]
    manager: str
    force: bool
    subresource: str

    def _entry(self, fields: FieldSet, time: str | None) -> ManagedEntry:
        version = self.strategy.api_version
        return ManagedEntry(self.manager, APPLY, version, fields, time, self.subresource)

    def create(self, applied: FieldSet, now: str) -> tuple[dict[str, Any], list[ManagedEntry]]:
        """A first apply creates the object from the configuration alone."""
        owned = applied.difference(UNOWNED_FIELDS)
        entries = [] if owned.is_empty() else [self._entry(owned, now)]
        return _without_nulls(self.config), entries

    def merge_into(
        self, live: dict[str, Any], applied: FieldSet, now: str
    ) -> tuple[dict[str, Any], list[ManagedEntry]]:
        """Merge the configuration into a live object and work out who owns what after it."""
        scope = ownership_scope(self.strategy, self.subresource)
        before = without_managed_fields(live)
        entries = entries_of(live) or self._claim_untracked(before, now)
        mine = self._entry(applied, None)
        previous = next((e for e in entries if e.identity == mine.identity), None)
        others = [e for e in entries if e.identity != mine.identity]
        merged = merge(before, self.config, self.shape)
        if previous is not None:
            owned = functools.reduce(FieldSet.union, (e.fields for e in others), applied)
            merged = prune(merged, previous.fields, owned, self.shape)
        changes = compare(before, merged, self.shape).filtered(scope)
        conflicts = find_conflicts(others, changes.changed)
        if conflicts and not self.force:
            conflicts = self._not_forgiven(conflicts, before)
            if conflicts:
                raise conflict_error(conflicts)
        kept = []
        for entry in others:
            remaining = entry.fields.difference(changes.changed).difference(changes.removed)
            if not remaining.is_empty():
                kept.append(replace(entry, fields=remaining))
        owned_now = applied.difference(UNOWNED_FIELDS)
        if not owned_now.is_empty():
            changed = not same(before, merged)
            time = now if changed else (previous.time if previous is not None else None)
            kept.append(self._entry(owned_now, time))
        return merged, kept

    def _claim_untracked(self, live: dict[str, Any], now: str) -> list[ManagedEntry]:
        """An object without entries (they were cleared) is first given to a placeholder
        manager, so that the fields it already has can conflict like anyone else's."""
        scope = ownership_scope(self.strategy, self.subresource)
        try:
            changes = compare({}, live, self.shape)
        except FieldPathError:
            return []
        return record_update(
            [],
            BEFORE_FIRST_APPLY_MANAGER,
            self.strategy.api_version,
            self.subresource,
            changes.filtered(scope),
            now,
        )

    def _not_forgiven(self, conflicts: list[Conflict], live: dict[str, Any]) -> list[Conflict]:
        """Conflicts that remain after client-side apply's history is taken into account.

        ``kubectl apply --server-side`` (manager ``kubectl``) may take over, without a conflict,
        every field the last-applied annotation lists with the value the object still has:
        that is how an object moves from client-side to server-side apply.
        """
        if self.manager != KUBECTL_MANAGER:
            return conflicts
        inherited = self._fields_from_last_applied(live)
        if inherited is None:
            return conflicts
        return [c for c in conflicts if not inherited.has(c.path)]

    def _fields_from_last_applied(self, live: dict[str, Any]) -> FieldSet | None:
        annotations = (live.get("metadata") or {}).get("annotations") or {}
        try:
            last = json.loads(annotations.get(LAST_APPLIED_ANNOTATION) or "")
        except ValueError:
            return None
        if not isinstance(last, dict) or last.get("apiVersion") != self.strategy.api_version:
            return None
        try:
            fields = field_set(last, self.shape, strict=True)
            drift = compare(last, live, self.shape)
        except FieldPathError:
            return None
        return fields.difference(drift.modified).difference(drift.added).difference(drift.removed)


def find_conflicts(others: Sequence[ManagedEntry], changed: FieldSet) -> list[Conflict]:
    """Fields that other managers own and that now change, by manager then path."""
    found = []
    for owner in sorted(others, key=ManagedEntry.identity_text):
        for path in owner.fields.intersection(changed).paths():
            found.append(Conflict(owner, path))
    return found


def conflict_error(conflicts: Sequence[Conflict]) -> APIError:
    """The 409 kube-apiserver answers a conflicting apply with, one cause per field."""
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f"conflict with {c.owner.describe()}",
            "field": path_text(c.path),
        }
        for c in conflicts
    ]
    if len(conflicts) == 1:
        only = conflicts[0]
        message = (
            f"Apply failed with 1 conflict: conflict with {only.owner.describe()}: "
            f"{path_text(only.path)}"
        )
    else:
        lines: list[str] = []
        owner_text = ""
        for conflict in conflicts:
            if conflict.owner.identity_text() != owner_text:
                owner_text = conflict.owner.identity_text()
                lines.append(f"conflicts with {conflict.owner.describe()}:")
            lines.append(f"- {path_text(conflict.path)}")
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return APIError(409, "Conflict", message, {"causes": causes})


def _refresh_last_applied(merged: dict[str, Any], body: dict[str, Any]) -> None:
    """Keep an existing last-applied annotation equal to what ``kubectl`` applied last, so
    that a later client-side ``kubectl apply`` computes its patch from the right base."""
    annotations = (merged.get("metadata") or {}).get("annotations")
    if not isinstance(annotations, dict) or not annotations.get(LAST_APPLIED_ANNOTATION):
        return
    applied = copy.deepcopy(body)
    applied_annotations = (applied.get("metadata") or {}).get("annotations")
    if isinstance(applied_annotations, dict):
        applied_annotations.pop(LAST_APPLIED_ANNOTATION, None)
    annotations[LAST_APPLIED_ANNOTATION] = go_json(applied) + "\n"
    size = sum(len(k.encode()) + len(str(v).encode()) for k, v in annotations.items())
    if size > MAX_ANNOTATIONS_BYTES:
        del annotations[LAST_APPLIED_ANNOTATION]


# --- merging and pruning -----------------------------------------------------------------------


def merge(live: Any, config: Any, shape: Shape) -> Any:
    """The live object with the configuration laid over it.

    Maps merge by key and list maps and sets by item; leaves, atomic lists and atomic maps
    take the configured value whole. An item the configuration adds goes after the live item
    it follows in the configuration, and items both have take the configuration's order.
    A ``null`` in the configuration leaves the field unset.
    """
    return _merge((), live, config, shape)


def _merge(path: Path, left: Any, right: Any, shape: Shape) -> Any:
    if right is ABSENT:
        return left
    if left is ABSENT:
        return _without_nulls(right)
    form = pair_form(shape, left, right)
    if form == LEAF:
        return _without_nulls(right)
    if form == MAPPING:
        return _merge_maps(path, left, right, shape)
    return _merge_lists(path, left, right, shape)


def _merge_maps(path: Path, left: Any, right: Any, shape: Shape) -> dict[str, Any]:
    left_map = left if isinstance(left, dict) else {}
    right_map = right if isinstance(right, dict) else {}
    merged = {}
    for name in {**left_map, **right_map}:
        child_path = (*path, PathElement.of_field(name))
        value = _merge(
            child_path, left_map.get(name, ABSENT), right_map.get(name, ABSENT), shape.child(name)
        )
        if value is not None or right_map.get(name, ABSENT) is ABSENT:
            merged[name] = value
    return merged


def _merge_lists(path: Path, left: Any, right: Any, shape: Shape) -> list[Any]:
    """Merge two keyed lists, keeping live-only items where they were (upstream's order)."""
    left_items = left if isinstance(left, list) else []
    right_items = right if isinstance(right, list) else []
    left_keys = [item_element(shape, item, path) for item in left_items]
    right_keys = [item_element(shape, item, path) for item in right_items]
    duplicated = object()
    left_by_key: dict[PathElement, Any] = {}
    for key, item in zip(left_keys, left_items, strict=True):
        left_by_key[key] = duplicated if key in left_by_key else item
    right_by_key = dict(zip(right_keys, right_items, strict=True))
    shared = [key for key in right_keys if key in left_by_key]
    next_shared = shared.pop(0) if shared else None
    element_shape = shape.element()
    emitted: set[PathElement] = set()
    merged: list[Any] = []

    def merge_item(key: PathElement) -> Any:
        emitted.add(key)
        live_item = left_by_key.get(key, ABSENT)
        live_item = None if live_item is duplicated else live_item
        return _merge((*path, key), live_item, right_by_key[key], element_shape)

    li = ri = 0
    while li < len(left_keys) or ri < len(right_keys):
        if li < len(left_keys) and ri < len(right_keys):
            key = left_keys[li]
            if key == right_keys[ri]:
                merged.append(merge_item(key))
                li, ri = li + 1, ri + 1
                next_shared = shared.pop(0) if shared else None
                continue
            if key in right_by_key and next_shared is not None and next_shared != key:
                li += 1
                continue
        if li < len(left_keys):
            key = left_keys[li]
            if key not in right_by_key:
                merged.append(left_items[li])
                li += 1
                continue
            if key in emitted:
                li += 1
        if ri < len(right_keys):
            key = right_keys[ri]
            merged.append(merge_item(key))
            ri += 1
            if next_shared == key:
                next_shared = shared.pop(0) if shared else None
    return merged


def _without_nulls(value: Any) -> Any:
    """A configured value with its ``null`` fields left out."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def prune(merged: dict[str, Any], last: FieldSet, owned: FieldSet, shape: Shape) -> dict[str, Any]:
    """Remove what a manager applied last time, no longer applies and nobody else owns.

    ``owned`` is everything every manager owns after this apply, the applier's new set
    included. A struct counts as owned when anything in it is, so dropping
    ``strategy.rollingUpdate.maxSurge`` removes ``rollingUpdate`` only if nothing else in it
    has an owner.
    """
    doomed = with_named_fields(last, shape).difference(with_named_fields(owned, shape))
    if doomed.is_empty():
        return merged
    return remove_fields((), merged, doomed, shape)


def remove_fields(path: Path, value: Any, doomed: FieldSet, shape: Shape) -> Any:
    """``value`` without the fields and list items in ``doomed``; a map or list that loses
    all its entries is dropped too."""
    form = node_form(shape, value)
    if form == MAPPING and isinstance(value, dict):
        kept_map = {}
        for name, child in value.items():
            element = PathElement.of_field(name)
            if element in doomed.members:
                continue
            below = doomed.children.get(element)
            if below is None:
                kept_map[name] = child
                continue
            pruned = remove_fields((*path, element), child, below, shape.child(name))
            if pruned in ({}, []) and child not in ({}, []):
                continue
            kept_map[name] = pruned
        return kept_map
    if form == SEQUENCE and isinstance(value, list):
        kept_items = []
        for item in value:
            element = item_element(shape, item, path)
            if element in doomed.members:
                continue
            below = doomed.children.get(element)
            if below is not None:
                item = remove_fields((*path, element), item, below, shape.element())
            kept_items.append(item)
        return kept_items
    return value
