"""Watch: a long HTTP response with one JSON event per line, as kube-apiserver streams it.

A watch from resourceVersion "0" (or none) first replays the current objects as ADDED; from a
given version it resumes with every later change, or sends a 410 ERROR event when that version
is no longer in the history. Filtered watches turn "stopped matching" into DELETED and "started
matching" into ADDED, as the watch cache does.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from kubelab.cluster.api.errors import status_object
from kubelab.cluster.store.objects import Change, TooOld

#: How often a watch that asked for bookmarks gets one, in real seconds.
BOOKMARK_INTERVAL = 30.0
#: A watch without timeoutSeconds ends after this long; clients reconnect, as upstream.
DEFAULT_WATCH_TIMEOUT = 1800.0

Matcher = Callable[[dict[str, Any]], bool]
Render = Callable[[dict[str, Any], bool], dict[str, Any]]

#: How many encoded event lines one API server keeps for sharing between its watchers.
SHARED_LINES_KEPT = 4096


class SharedLines:
    """Event lines already encoded, shared by every watcher of one API server that shows a
    change the same way, so that a change reaching fifty watchers is rendered and encoded once.

    A stored change never changes, so within one store its resourceVersion, the event type and
    the view (resource, version, format) identify the line. Another store (a second cluster in
    the same process) numbers its own changes, hence one cache per API server."""

    def __init__(self, kept: int = SHARED_LINES_KEPT) -> None:
        self._lines: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._kept = kept

    def line(
        self, view: Hashable, event_type: str, change: Change, render: Render, first: bool
    ) -> bytes:
        key = (view, change.resource_version, event_type)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = _line(event_type, render(change.object, first))
            if len(self._lines) > self._kept:
                self._lines.popitem(last=False)
        return line


@dataclass(frozen=True)
class SharedView:
    """How one watch shares its lines: the API server's cache and the name of its view."""

    lines: SharedLines
    view: Hashable


def _change_line(
    event_type: str, change: Change, render: Render, first: bool, shared: SharedView | None
) -> bytes:
    """The line for one change; ``shared`` is None when the rendering is this watch's own."""
    if shared is None:
        return _line(event_type, render(change.object, first))
    return shared.lines.line(shared.view, event_type, change, render, first)


def _line(event_type: str, obj: dict[str, Any]) -> bytes:
    return (json.dumps({"type": event_type, "object": obj}, separators=(",", ":")) + "\n").encode()


def translate(change: Change, matches: Matcher) -> str | None:
    """The event type a filtered watcher sees for a change, or None to skip it."""
    now = change.type != "DELETED" and matches(change.object)
    before = change.previous is not None and matches(change.previous)
    if change.type == "ADDED":
        return "ADDED" if now else None
    if change.type == "DELETED":
        return "DELETED" if before else None
    if now and before:
        return "MODIFIED"
    if now:
        return "ADDED"
    if before:
        return "DELETED"
    return None


async def stream(
    request: web.Request,
    store: Any,
    key: str,
    initial: list[dict[str, Any]] | None,
    since: int,
    matches: Matcher,
    render: Render,
    bookmark_kind: dict[str, str],
    bookmarks: bool,
    initial_events_end: bool,
    timeout: float | None,
    shared: SharedView | None = None,
) -> web.StreamResponse:
    """Serve one watch request until it times out or the client goes away. ``shared`` says
    where to find lines other watchers of the same view have already encoded."""
    try:
        watcher, backlog = store.watch(key, since)
    except TooOld as exc:
        response = await _open(request)
        error = status_object(410, "Expired", str(exc))
        await response.write(_line("ERROR", error))
        await response.write_eof()
        return response
    response = await _open(request)
    first = True
    try:
        for obj in initial or []:
            await response.write(_line("ADDED", render(obj, first)))
            first = False
        if initial_events_end:
            await response.write(_line("BOOKMARK", _bookmark(bookmark_kind, since, True)))
        last_version = since
        for change in backlog:
            event_type = translate(change, matches)
            last_version = change.resource_version
            if event_type:
                await response.write(_change_line(event_type, change, render, first, shared))
                first = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout if timeout is not None else DEFAULT_WATCH_TIMEOUT)
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            wait = min(remaining, BOOKMARK_INTERVAL) if bookmarks else remaining
            try:
                # A queued change is taken at once; only an empty queue needs a timed wait.
                change = watcher.queue.get_nowait()
            except asyncio.QueueEmpty:
                try:
                    change = await asyncio.wait_for(watcher.queue.get(), wait)
                except TimeoutError:
                    if bookmarks and deadline - loop.time() > 0:
                        version = max(last_version, store.revision)
                        await response.write(_line("BOOKMARK", _bookmark(bookmark_kind, version)))
                    continue
            if change is None:
                break
            last_version = change.resource_version
            event_type = translate(change, matches)
            if event_type:
                await response.write(_change_line(event_type, change, render, first, shared))
                first = False
    except ConnectionResetError:
        watcher.close()  # the client went away: nothing more to send
        return response
    except asyncio.CancelledError:
        watcher.close()
        raise
    watcher.close()
    await response.write_eof()
    return response


async def _open(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(status=200)
    response.content_type = "application/json"
    response.headers["Cache-Control"] = "no-cache, private"
    response.enable_chunked_encoding()
    await response.prepare(request)
    return response


def _bookmark(kind: dict[str, str], version: int, initial_end: bool = False) -> dict[str, Any]:
    metadata: dict[str, Any] = {"resourceVersion": str(version)}
    if initial_end:
        metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {**kind, "metadata": metadata}
