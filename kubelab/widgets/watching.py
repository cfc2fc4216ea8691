"""Keeping an up-to-date copy of some kinds of objects, the way every Kubernetes controller does.

For each kind: list once, then watch from the list's resourceVersion, applying ADDED, MODIFIED
and DELETED events to a local copy; when a watch ends (its timeout, a dropped connection) it is
resumed from the last resourceVersion seen, and when the server says that version is too old
(an ERROR event, 410 Gone) the kind is listed again. Each change calls ``on_change``, so a
picture can be redrawn as soon as the cluster moves. Only the Kubernetes API is used, through
:class:`~kubelab.checks.kubeapi.KubeAPI`, so the same pictures work on any cluster.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubelab.checks.kubeapi import AccessDenied, APIRequestError, ClusterUnreachable, KubeAPI

#: How long one watch request lasts before it is renewed (the server ends it then). Short,
#: because a thread blocked reading a watch only notices :meth:`WatchedObjects.stop` when its
#: request ends.
WATCH_SECONDS = 5
#: How long to wait before trying again after the cluster did not answer.
RETRY_SECONDS = 1.0
#: How long to wait before asking again for a kind the cluster refused to show.
REFUSED_RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class Kind:
    """One kind to keep a copy of; ``namespaced=False`` watches it across the whole cluster."""

    api_version: str
    kind: str
    namespaced: bool = True


def _key(obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    return str(metadata.get("uid") or f"{metadata.get('namespace')}/{metadata.get('name')}")


def named(
    objects: Mapping[str, Sequence[dict[str, Any]]], kind: str, name: str
) -> dict[str, Any] | None:
    """The object of ``kind`` called ``name`` in a snapshot, or None while there is none."""
    return next(
        (obj for obj in objects.get(kind) or [] if (obj.get("metadata") or {}).get("name") == name),
        None,
    )


class WatchedObjects:
    """The current objects of several kinds, kept by one list-and-watch thread per kind."""

    def __init__(
        self,
        api: KubeAPI,
        kinds: Sequence[Kind],
        namespace: str | None,
        on_change: Callable[[], None],
    ) -> None:
        self._api = api
        self._kinds = list(kinds)
        self._namespace = namespace
        self._on_change = on_change
        self._objects: dict[str, dict[str, dict[str, Any]]] = {kind.kind: {} for kind in kinds}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._synced: set[str] = set()
        self._problems: dict[str, str] = {}

    def start(self) -> WatchedObjects:
        for kind in self._kinds:
            thread = threading.Thread(
                target=self._run, args=(kind,), name=f"kubelab-watch-{kind.kind}", daemon=True
            )
            thread.start()
        return self

    def stop(self) -> None:
        """Stop at once; each thread ends when its current watch request does.

        The watch connections are not closed from here: closing a response another thread is
        reading waits for that read anyway, and breaks it in ways urllib3 does not promise.
        """
        self._stopped.set()

    @property
    def problem(self) -> str | None:
        """What keeps some kind from being watched, shown under the picture; None when all is
        well."""
        with self._lock:
            return "; ".join(dict.fromkeys(self._problems.values())) or None

    def _report(self, kind: Kind, problem: str | None) -> None:
        with self._lock:
            if problem is None:
                self._problems.pop(kind.kind, None)
            else:
                self._problems[kind.kind] = problem

    @property
    def synced(self) -> bool:
        """Whether every kind has been listed at least once (the copy is complete)."""
        with self._lock:
            return len(self._synced) == len(self._kinds)

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """The objects as they are now, by kind (a copy that later events do not change)."""
        with self._lock:
            return {kind: list(objects.values()) for kind, objects in self._objects.items()}

    def _run(self, kind: Kind) -> None:
        while not self._stopped.is_set():
            try:
                self._list_and_watch(kind)
            except ClusterUnreachable as error:
                self._report(kind, str(error))
                self._on_change()
                self._stopped.wait(RETRY_SECONDS)
            except (AccessDenied, APIRequestError) as error:
                # This kind cannot be seen (a student's account, a missing resource type):
                # draw the others without it and look again now and then.
                with self._lock:
                    self._synced.add(kind.kind)
                self._report(kind, f"{kind.kind}: {error}")
                self._on_change()
                self._stopped.wait(REFUSED_RETRY_SECONDS)

    def _list_and_watch(self, kind: Kind) -> None:
        rtype = self._api.resource(kind.api_version, kind.kind)
        namespace = self._namespace if kind.namespaced else None
        items, version = self._api.list_with_version(rtype, namespace)
        with self._lock:
            self._objects[kind.kind] = {_key(item): item for item in items}
            self._synced.add(kind.kind)
        self._report(kind, None)
        self._on_change()
        while not self._stopped.is_set():
            stream = self._api.watch(rtype, namespace, version, WATCH_SECONDS)
            try:
                for event, obj in stream:
                    if self._stopped.is_set():
                        return
                    if event == "ERROR":
                        return  # the version is too old: list again
                    version = (obj.get("metadata") or {}).get("resourceVersion") or version
                    if event == "BOOKMARK":
                        continue
                    with self._lock:
                        if event == "DELETED":
                            self._objects[kind.kind].pop(_key(obj), None)
                        else:
                            self._objects[kind.kind][_key(obj)] = obj
                    self._on_change()
            finally:
                stream.close()
