"""A versioned object store on SQLite, with a watch history: the teaching cluster's etcd.

Every write gets the next value of one cluster-wide counter, the *resourceVersion*, exactly as
etcd's revision numbers back Kubernetes resource versions. Writes are committed to SQLite (WAL
journal) before they are acknowledged, so an acknowledged write survives a ``kill -9`` of the
cluster: the committed transaction is in the write-ahead log, which the operating system keeps.
(``synchronous=NORMAL`` skips the per-commit disk flush that would only matter if the whole
machine lost power; see docs/fidelity.md.) Reads are served from an in-memory copy, like
kube-apiserver's watch cache, and a bounded history of recent changes lets watchers resume from
a resourceVersion; asking for one older than the history gives "too old resource version", as a
compacted etcd would.

Alongside the objects the store keeps indexes (see :mod:`~kubelab.cluster.store.indexes`): by
namespace, by uid, by owner uid, and any a component registers, such as pods by node name.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubelab.cluster.store.indexes import Identity, Index, IndexFunction, own_uid, owner_uids

#: How many recent changes a watch can resume from (etcd compaction keeps a window, too).
HISTORY_SIZE = 20_000
#: The one empty dict that every empty leaf of a stored ``fieldsV1`` tree is.
_EMPTY_LEAF: dict[str, Any] = {}
_MISSING = object()


class StoreError(Exception):
    """Base for the store's precondition failures; the API layer turns them into Status errors."""


class KeyExists(StoreError):
    pass


class KeyMissing(StoreError):
    pass


class VersionConflict(StoreError):
    pass


class TooOld(StoreError):
    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


@dataclass(frozen=True)
class Change:
    """One committed change, as a watcher receives it."""

    type: str  # ADDED, MODIFIED or DELETED
    key: str
    namespace: str
    name: str
    object: dict[str, Any]
    resource_version: int
    #: The object before this change (None for ADDED), so filtered watches can tell when an
    #: object starts or stops matching a selector.
    previous: dict[str, Any] | None = None


class Watcher:
    """A queue of changes for one prefix, fed by the store until it is closed."""

    def __init__(self, store: ObjectStore, key: str) -> None:
        self.key = key
        self.queue: asyncio.Queue[Change | None] = asyncio.Queue()
        self._store = store

    def close(self) -> None:
        self._store._watchers.discard(self)
        self.queue.put_nowait(None)


class ObjectStore:
    """Objects keyed by resource key (``apps/deployments``), namespace and name."""

    def __init__(self, path: Path | None = None) -> None:
        self._db = sqlite3.connect(str(path) if path else ":memory:", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS objects (key TEXT NOT NULL, namespace TEXT NOT NULL, "
            "name TEXT NOT NULL, rv INTEGER NOT NULL, body TEXT NOT NULL, "
            "PRIMARY KEY (key, namespace, name))"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"
        )
        row = self._db.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
        self._revision = row[0] if row else 1
        self._objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        #: The same objects by key, then namespace, then name: a namespace lists in one step.
        self._namespaces: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        self._uids = Index(own_uid)
        self._owners = Index(owner_uids)
        self._indexes: dict[tuple[str, str], Index] = {}
        for key, namespace, name, body in self._db.execute(
            "SELECT key, namespace, name, body FROM objects"
        ):
            self._place(key, namespace, name, _share_field_leaves(json.loads(body)))
        self._history: deque[Change] = deque(maxlen=HISTORY_SIZE)
        self._startup_revision = self._revision
        self._compacted = 0
        self._watchers: set[Watcher] = set()

    # --- reads ------------------------------------------------------------------------------

    @property
    def revision(self) -> int:
        """The resourceVersion of the most recent write."""
        return self._revision

    @property
    def compacted_revision(self) -> int:
        """The revision of the last compaction: a paginated list begun before it has expired."""
        return self._compacted

    def get(self, key: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The stored object, shared: callers must copy it before changing it."""
        return self._objects.get(key, {}).get((namespace, name))

    def list(self, key: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """Objects under a key (optionally one namespace), ordered by namespace then name.
        Shared, like :meth:`get`."""
        if namespace is not None:
            names = self._namespaces.get(key, {}).get(namespace, {})
            return [names[name] for name in sorted(names)]
        bucket = self._objects.get(key, {})
        return [bucket[identity] for identity in sorted(bucket)]

    def list_at(self, key: str, namespace: str | None, revision: int) -> list[dict[str, Any]]:
        """Objects under a key as they were at ``revision``, ordered as :meth:`list` orders
        them: the current ones with every later change undone, from the change history (as
        etcd reads at an old revision). Raises :class:`TooOld` when the history no longer
        reaches back that far."""
        if revision < self._watch_floor():
            raise TooOld(revision, self._watch_floor())
        objects = {_identity(o): o for o in self.list(key, namespace)}
        undone: set[tuple[str, str]] = set()
        for change in self._history:
            if change.resource_version <= revision or change.key != key:
                continue
            identity = (change.namespace, change.name)
            if identity in undone or (namespace is not None and change.namespace != namespace):
                continue
            undone.add(identity)  # the first later change knows the object as it was then
            if change.previous is None:
                objects.pop(identity, None)
            else:
                objects[identity] = change.previous
        return [objects[identity] for identity in sorted(objects)]

    def keys(self) -> Iterator[str]:
        return iter(list(self._objects))

    def namespace_is_empty(self, namespace: str) -> bool:
        return not any(namespace in spaces for spaces in self._namespaces.values())

    def by_uid(self, uid: str) -> tuple[str, dict[str, Any]] | None:
        """The key and object with this uid, if it exists."""
        for (key, _, _), obj in self._uids.items(uid):
            return key, obj
        return None

    def dependents(self, uid: str) -> list[tuple[str, dict[str, Any]]]:
        """Every object (with its key) that names ``uid`` among its ``ownerReferences``."""
        return [(key, obj) for (key, _, _), obj in self._owners.items(uid)]

    def add_index(self, key: str, name: str, function: IndexFunction) -> Index:
        """Index the objects under ``key`` by the values ``function`` yields; registering the
        same name again returns the existing index."""
        index = self._indexes.get((key, name))
        if index is None:
            index = self._indexes[(key, name)] = Index(function)
            for (namespace, object_name), obj in self._objects.get(key, {}).items():
                index.replace((key, namespace, object_name), None, obj)
        return index

    def _place(
        self, key: str, namespace: str, name: str, obj: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """Store (or, with None, drop) one object and update every index; returns the
        object it replaces."""
        bucket = self._objects.setdefault(key, {})
        previous = bucket.get((namespace, name))
        spaces = self._namespaces.setdefault(key, {})
        if obj is None:
            bucket.pop((namespace, name), None)
            names = spaces.get(namespace, {})
            names.pop(name, None)
            if not names:
                spaces.pop(namespace, None)
        else:
            bucket[(namespace, name)] = obj
            spaces.setdefault(namespace, {})[name] = obj
        identity: Identity = (key, namespace, name)
        self._uids.replace(identity, previous, obj)
        self._owners.replace(identity, previous, obj)
        for (index_key, _), index in self._indexes.items():
            if index_key == key:
                index.replace(identity, previous, obj)
        return previous

    # --- writes -----------------------------------------------------------------------------

    def create(self, key: str, obj: dict[str, Any]) -> dict[str, Any]:
        namespace, name = _identity(obj)
        if (namespace, name) in self._objects.get(key, {}):
            raise KeyExists(name)
        return self._commit("ADDED", key, namespace, name, obj)

    def update(self, key: str, obj: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
        namespace, name = _identity(obj)
        current = self.get(key, namespace, name)
        if current is None:
            raise KeyMissing(name)
        if expected_version is not None and _version(current) != expected_version:
            raise VersionConflict(name)
        return self._commit("MODIFIED", key, namespace, name, obj)

    def delete(
        self, key: str, namespace: str, name: str, expected_version: int | None = None
    ) -> dict[str, Any]:
        current = self.get(key, namespace, name)
        if current is None:
            raise KeyMissing(name)
        if expected_version is not None and _version(current) != expected_version:
            raise VersionConflict(name)
        # The deletion gets its own metadata: the stored object is also the last change's
        # object, which a watcher may not have sent yet, with its own resourceVersion.
        deleted = {**current, "metadata": dict(current["metadata"])}
        return self._commit("DELETED", key, namespace, name, deleted)

    def _commit(
        self, change_type: str, key: str, namespace: str, name: str, obj: dict[str, Any]
    ) -> dict[str, Any]:
        revision = self._revision + 1
        obj["metadata"]["resourceVersion"] = str(revision)
        replaced = self.get(key, namespace, name)
        if change_type == "MODIFIED" and replaced is not None:
            _reuse_unchanged(obj, replaced)
        _share_field_leaves(obj)
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            if change_type == "DELETED":
                self._db.execute(
                    "DELETE FROM objects WHERE key = ? AND namespace = ? AND name = ?",
                    (key, namespace, name),
                )
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?)",
                    (key, namespace, name, revision, json.dumps(obj, separators=(",", ":"))),
                )
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('revision', ?)", (revision,))
        self._revision = revision
        previous = self._place(key, namespace, name, None if change_type == "DELETED" else obj)
        change = Change(change_type, key, namespace, name, obj, revision, previous)
        self._history.append(change)
        for watcher in list(self._watchers):
            if watcher.key == key:
                watcher.queue.put_nowait(change)
        return obj

    # --- watch ------------------------------------------------------------------------------

    def watch(self, key: str, since: int) -> tuple[Watcher, list[Change]]:
        """Start watching ``key``: the changes after ``since`` so far, and a live queue.

        Raises :class:`TooOld` when ``since`` is older than the retained history.
        """
        if since < self._watch_floor():
            raise TooOld(since, self._watch_floor())
        backlog = [c for c in self._history if c.key == key and c.resource_version > since]
        watcher = Watcher(self, key)
        self._watchers.add(watcher)
        return watcher, backlog

    def _watch_floor(self) -> int:
        """The oldest resourceVersion a watch can start from."""
        if len(self._history) == self._history.maxlen:
            return max(self._history[0].resource_version - 1, self._compacted)
        return max(self._startup_revision, self._compacted)

    def compact(self) -> None:
        """Forget the history before the current revision, as kube-apiserver's periodic etcd
        compaction does; watches from older versions then get 410 Gone."""
        self._compacted = self._revision
        self._history.clear()

    def close(self) -> None:
        for watcher in list(self._watchers):
            watcher.close()
        self._db.close()

    def ping(self) -> None:
        """Run a trivial query, raising ``sqlite3.Error`` when the database cannot answer: the
        health check the API server makes of its storage (as of etcd)."""
        self._db.execute("SELECT 1").fetchone()

    def integrity_ok(self) -> bool:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _reuse_unchanged(new: Any, old: Any, depth: int = 4) -> None:
    """Make the parts of ``new`` that equal the same parts of ``old``, the version it replaces,
    the very same objects.

    A pod's status update leaves its spec, labels and most of its managedFields as they were;
    sharing them with the previous version (still held by the watch history) means each
    version costs only what changed. Stored objects are never changed in place, so sharing is
    safe. ``depth`` bounds how far into differing dicts and lists the comparison goes."""
    if isinstance(new, dict):
        slots = [(name, value, old.get(name, _MISSING)) for name, value in new.items()]
    else:
        slots = [(index, value, old[index]) for index, value in enumerate(new[: len(old)])]
    for slot, value, before in slots:
        if before is value or type(before) is not type(value):
            continue
        if before == value:
            new[slot] = before
        elif depth and isinstance(value, dict | list):
            _reuse_unchanged(value, before, depth - 1)


def _share_field_leaves(obj: dict[str, Any]) -> dict[str, Any]:
    """Make every empty leaf of the object's ``managedFields`` trees one shared dict.

    Most of the dicts in a pod are such leaves (``"f:image": {}``), in every version the watch
    history keeps. Stored objects are never changed in place (readers copy them first), so one
    shared leaf serves them all and a thousand pods take tens of megabytes less."""
    for entry in obj.get("metadata", {}).get("managedFields") or []:
        if isinstance(entry, dict) and isinstance(entry.get("fieldsV1"), dict):
            _share_leaves(entry["fieldsV1"])
    return obj


def _share_leaves(tree: dict[str, Any]) -> None:
    for name, child in tree.items():
        if isinstance(child, dict):
            if child:
                _share_leaves(child)
            else:
                tree[name] = _EMPTY_LEAF


def _identity(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj["metadata"]
    return meta.get("namespace", ""), meta["name"]


def _version(obj: dict[str, Any]) -> int:
    return int(obj["metadata"].get("resourceVersion", "0"))
