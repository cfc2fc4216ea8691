"""The shape every controller shares: watch, queue keys, reconcile until settled.

A Kubernetes controller does not react to events one by one; it notes *which* object needs
attention (a key), and later compares that object's desired state with the world and acts.
Keys are de-duplicated while queued, so a burst of changes causes one reconcile. A reconcile may
ask to be called again after some (cluster) time, for example to enforce a deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import LocalClient, Resource
from kubelab.cluster.store.objects import Change

log = logging.getLogger("kubelab.cluster.controllers")

Key = tuple[str, str]  # (namespace, name)


class Controller:
    """Base class: subclasses set :attr:`watches` and implement :meth:`reconcile`."""

    #: The controller's name, used as its field manager and event source.
    name: str = "controller"
    #: The resource whose objects are the keys, followed by resources it reacts to.
    watches: tuple[Resource, ...] = ()

    def __init__(self, client: LocalClient) -> None:
        self.client = client
        self._queue: asyncio.Queue[Key] = asyncio.Queue()
        self._queued: set[Key] = set()
        self._timers: dict[Key, asyncio.TimerHandle] = {}

    # --- what subclasses provide --------------------------------------------------------------

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> Iterable[Key]:
        """Which keys a change to ``obj`` affects. By default: the object itself if it is of
        the primary resource, else its controlling owner."""
        meta = obj["metadata"]
        if resource == self.watches[0]:
            yield meta.get("namespace", ""), meta["name"]
            return
        primary = self.client.strategy(self.watches[0])
        for owner in meta.get("ownerReferences") or []:
            if owner.get("controller") and owner.get("kind") == primary.kind:
                yield meta.get("namespace", ""), owner["name"]

    async def reconcile(self, namespace: str, name: str) -> float | None:
        """Bring one object towards its desired state. Return seconds (cluster time) after
        which to look again, or None."""
        raise NotImplementedError

    # --- machinery ------------------------------------------------------------------------------

    def enqueue(self, key: Key) -> None:
        if key not in self._queued:
            self._queued.add(key)
            self._queue.put_nowait(key)

    def enqueue_after(self, key: Key, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        existing = self._timers.get(key)
        delay = max(seconds, 0) / self.client.clock.time_scale
        if existing is not None:
            if existing.when() <= loop.time() + delay:
                return
            existing.cancel()
        self._timers[key] = loop.call_later(delay, self._fire, key)

    def _fire(self, key: Key) -> None:
        self._timers.pop(key, None)
        self.enqueue(key)

    def _on_change(self, resource: Resource, change: Change) -> None:
        for obj in (change.object, change.previous):
            if obj is None:
                continue
            try:
                for key in self.keys_for(resource, obj):
                    self.enqueue(key)
            except Exception:  # noqa: BLE001 - one odd object must not stop the controller
                log.exception("%s: mapping a change to keys failed", self.name)

    async def _follow(self, resource: Resource) -> None:
        store = self.client.api.store
        key = self.client.api.storage_key(self.client.strategy(resource))
        watcher, _ = store.watch(key, store.revision)
        for obj in store.list(key):
            self._on_change(resource, Change("ADDED", key, "", "", obj, store.revision))
        try:
            while True:
                change = await watcher.queue.get()
                if change is None:
                    return
                self._on_change(resource, change)
        finally:
            watcher.close()

    async def run(self) -> None:
        followers = [asyncio.create_task(self._follow(r)) for r in self.watches]
        try:
            while True:
                key = await self._queue.get()
                self._queued.discard(key)
                try:
                    again = await self.reconcile(*key)
                except APIError as error:
                    if error.code != 409:
                        log.warning("%s: reconcile %s/%s: %s", self.name, *key, error.message)
                    self.enqueue_after(key, 1.0 if error.code != 409 else 0.0)
                    continue
                except Exception:  # noqa: BLE001 - keep the control loop alive, as upstream
                    log.exception("%s: reconcile %s/%s failed", self.name, *key)
                    self.enqueue_after(key, 5.0)
                    continue
                if again is not None:
                    self.enqueue_after(key, again)
        finally:
            for task in followers:
                task.cancel()
            for timer in self._timers.values():
                timer.cancel()
