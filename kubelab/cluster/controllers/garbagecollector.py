"""The garbage collector: deletes objects whose owners are gone, and runs cascading deletes.

Ownership is recorded on the dependent (``metadata.ownerReferences``), never on the owner. So
after any change the collector looks at the ownership graph:

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
from collections import defaultdict
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.rest import FOREGROUND_FINALIZER, ORPHAN_FINALIZER
from kubelab.cluster.client import LocalClient, Resource

log = logging.getLogger("kubelab.cluster.controllers.garbagecollector")

Node = tuple[Resource, dict[str, Any]]


class GarbageCollector:
    name = "garbage-collector-controller"

    def __init__(self, client: LocalClient) -> None:
        self.client = client
        self._dirty = asyncio.Event()
        client.api.write_hooks.append(lambda strategy, old, new: self._dirty.set())

    def _graph(self) -> tuple[dict[str, Node], dict[str, list[Node]]]:
        """Every object by uid, and the dependents of every owner uid."""
        by_uid: dict[str, Node] = {}
        dependents: dict[str, list[Node]] = defaultdict(list)
        seen_keys: set[str] = set()
        for resource, strategy in self.client.resources():
            key = self.client.api.storage_key(strategy)
            if key in seen_keys or getattr(strategy, "storage_key", None):
                continue
            seen_keys.add(key)
            for obj in self.client.api.store.list(key):
                meta = obj["metadata"]
                by_uid[meta.get("uid", "")] = (resource, obj)
                for owner in meta.get("ownerReferences") or []:
                    dependents[owner.get("uid", "")].append((resource, obj))
        return by_uid, dependents

    def collect(self) -> None:
        """One pass over the ownership graph."""
        by_uid, dependents = self._graph()
        for uid, (resource, obj) in by_uid.items():
            meta = obj["metadata"]
            finalizers = meta.get("finalizers") or []
            if meta.get("deletionTimestamp"):
                if ORPHAN_FINALIZER in finalizers:
                    self._orphan(uid, resource, obj, dependents.get(uid, []))
                elif FOREGROUND_FINALIZER in finalizers:
                    self._delete_foreground(resource, obj, dependents.get(uid, []))
            owners = meta.get("ownerReferences") or []
            if owners and not any(o.get("uid") in by_uid for o in owners):
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
        try:
            self.client.update(resource, obj)
        except APIError as error:
            if error.code not in (404, 409):
                log.warning("garbage collector: %s", error.message)
            self._dirty.set()

    def _delete(self, resource: Resource, obj: dict[str, Any], policy: str) -> None:
        meta = obj["metadata"]
        try:
            self.client.delete(
                resource, meta.get("namespace", ""), meta["name"], policy, uid=meta.get("uid")
            )
        except APIError as error:
            if error.code != 409:
                log.warning("garbage collector: %s", error.message)

    async def run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            try:
                self.collect()
            except Exception:  # noqa: BLE001 - keep collecting after one bad pass
                log.exception("garbage collection pass failed")
            await asyncio.sleep(0.02)
