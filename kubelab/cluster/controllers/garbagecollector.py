"""The garbage collector: deletes objects whose owners are gone, and runs cascading deletes.

Ownership is recorded on the dependent (``metadata.ownerReferences``), never on the owner. The
store indexes those references (dependents by owner uid), which is the collector's ownership
graph. Every write marks the objects it may concern: the object itself, its owners (one being
deleted in the foreground waits for it) and, once it is gone, its dependents. The collector
then looks at just those objects:

* **Background** (kubectl's default): the owner is removed at once; a dependent none of whose
  owners exist any more is deleted by the collector afterwards.
* **Foreground**: the owner keeps a ``foregroundDeletion`` finalizer while the collector
  deletes its dependents; when none are left, the finalizer goes and the owner with it.
* **Orphan**: the owner keeps an ``orphan`` finalizer while the collector removes the owner
  reference from every dependent; then the finalizer goes and the dependents live on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.rest import FOREGROUND_FINALIZER, ORPHAN_FINALIZER
from kubelab.cluster.client import LocalClient, Resource

log = logging.getLogger("kubelab.cluster.controllers.garbagecollector")

Node = tuple[Resource, dict[str, Any]]

#: How long (real seconds) an object whose handling failed waits before it is tried again.
RETRY_SECONDS = 1.0


class GarbageCollector:
    name = "garbage-collector-controller"

    def __init__(self, client: LocalClient) -> None:
        self.client = client
        self.store = client.api.store
        #: uids of the objects to look at on the next pass.
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._resources: dict[str, Resource] = {}
        client.api.write_hooks.append(self._on_write)

    def _on_write(
        self, strategy: Any, old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> None:
        for obj in (old, new):
            if obj is not None:
                self._mark(obj)
        if new is None and old is not None:
            for _, dependent in self.store.dependents(old["metadata"].get("uid", "")):
                self._mark(dependent)
        self._wake.set()

    def _mark(self, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self._dirty.add(meta.get("uid", ""))
        self._dirty.update(o.get("uid", "") for o in meta.get("ownerReferences") or [])

    def _node(self, key: str, obj: dict[str, Any]) -> Node | None:
        """The object with the API resource it is served as (None for keys no resource
        serves, such as a custom resource whose definition is gone)."""
        if key not in self._resources:
            for resource, strategy in self.client.resources():
                if not getattr(strategy, "storage_key", None):
                    self._resources.setdefault(self.client.api.storage_key(strategy), resource)
        resource = self._resources.get(key)
        return (resource, obj) if resource is not None else None

    def _dependents(self, uid: str) -> list[Node]:
        nodes = (self._node(key, obj) for key, obj in self.store.dependents(uid))
        return [node for node in nodes if node is not None]

    def collect(self, uids: set[str]) -> set[str]:
        """One pass over the given objects of the ownership graph; returns the uids whose
        handling failed unexpectedly, to be tried again later (as the workqueue of
        kube-controller-manager's collector requeues an item), while the rest go ahead."""
        failed = set()
        for uid in uids:
            try:
                self._collect_one(uid)
            except Exception:  # noqa: BLE001 - one bad object must not stall the others
                log.exception("garbage collector: handling object %s failed", uid)
                failed.add(uid)
        return failed

    def _collect_one(self, uid: str) -> None:
        found = self.store.by_uid(uid) if uid else None
        node = self._node(*found) if found else None
        if node is None:
            return
        resource, obj = node
        meta = obj["metadata"]
        finalizers = meta.get("finalizers") or []
        if meta.get("deletionTimestamp"):
            if ORPHAN_FINALIZER in finalizers:
                self._orphan(uid, resource, obj, self._dependents(uid))
            elif FOREGROUND_FINALIZER in finalizers:
                self._delete_foreground(resource, obj, self._dependents(uid))
        owners = meta.get("ownerReferences") or []
        if owners and not any(self.store.by_uid(o.get("uid", "")) for o in owners):
            self._delete(resource, obj, "Background")

    def _orphan(
        self, uid: str, resource: Resource, owner: dict[str, Any], dependents: list[Node]
    ) -> None:
        for dep_resource, dependent in dependents:
            updated = self.client.get(
                dep_resource,
                dependent["metadata"].get("namespace", ""),
                dependent["metadata"]["name"],
            )
            if updated is None:
                continue
            updated["metadata"]["ownerReferences"] = [
                o for o in updated["metadata"].get("ownerReferences") or [] if o.get("uid") != uid
            ] or None
            if updated["metadata"]["ownerReferences"] is None:
                del updated["metadata"]["ownerReferences"]
            self._write(dep_resource, updated)
        self._remove_finalizer(resource, owner, ORPHAN_FINALIZER)

    def _delete_foreground(
        self, resource: Resource, owner: dict[str, Any], dependents: list[Node]
    ) -> None:
        blocking = False
        for dep_resource, dependent in dependents:
            if not dependent["metadata"].get("deletionTimestamp"):
                self._delete(dep_resource, dependent, "Foreground")
            refs = [
                o
                for o in dependent["metadata"].get("ownerReferences") or []
                if o.get("uid") == owner["metadata"].get("uid")
            ]
            if any(o.get("blockOwnerDeletion") for o in refs):
                blocking = True
        if not blocking:
            self._remove_finalizer(resource, owner, FOREGROUND_FINALIZER)

    def _remove_finalizer(self, resource: Resource, obj: dict[str, Any], finalizer: str) -> None:
        current = self.client.get(
            resource, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
        )
        if current is None:
            return
        remaining = [f for f in current["metadata"].get("finalizers") or [] if f != finalizer]
        current["metadata"]["finalizers"] = remaining
        if not remaining:
            del current["metadata"]["finalizers"]
        self._write(resource, current)

    def _write(self, resource: Resource, obj: dict[str, Any]) -> None:
        """Write a change; a conflict or a vanished object needs no retry here, because the
        write that caused it marked the objects concerned again."""
        try:
            self.client.update(resource, obj)
        except APIError as error:
            if error.code not in (404, 409):
                log.warning("garbage collector: %s", error.message)

    def _delete(self, resource: Resource, obj: dict[str, Any], policy: str) -> None:
        meta = obj["metadata"]
        try:
            self.client.delete(
                resource, meta.get("namespace", ""), meta["name"], policy, uid=meta.get("uid")
            )
        except APIError as error:
            if error.code != 409:
                log.warning("garbage collector: %s", error.message)

    def _retry(self, uids: set[str]) -> None:
        self._dirty.update(uids)
        self._wake.set()

    async def run(self) -> None:
        keys = self.store.keys()
        for key in keys:
            for obj in self.store.list(key):
                self._mark(obj)
        self._wake.set()
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            uids, self._dirty = self._dirty, set()
            failed = self.collect(uids)
            if failed:
                loop.call_later(RETRY_SECONDS, self._retry, failed)
            await asyncio.sleep(0.02)
