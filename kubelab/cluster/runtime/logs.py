"""A container's log: what its main process wrote to stdout and stderr, line by line.

The container runtime, not the application, writes the log: it reads the two streams of the
container's main process and stores each complete line with a timestamp and the stream's name
(the CRI log format). ``kubectl logs`` reads these entries, ``--timestamps`` shows the times,
and ``-f`` waits for new lines, which is what ``ContainerLog.follow`` offers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from datetime import datetime
from typing import NamedTuple

from kubelab.cluster.clock import Clock
from kubelab.cluster.flag import Flag

#: Lines kept per container; older lines are dropped, as log rotation would drop them.
MAX_LOG_LINES = 50_000


class LogEntry(NamedTuple):
    timestamp: datetime
    stream: str
    line: str


class ContainerLog:
    """The lines of one container instance, appendable and followable."""

    def __init__(self, max_lines: int = MAX_LOG_LINES) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=max_lines)
        self._dropped = 0
        self._closed = False
        self._changed = Flag()

    @property
    def entries(self) -> list[LogEntry]:
        return list(self._entries)

    @property
    def closed(self) -> bool:
        return self._closed

    def append(self, timestamp: datetime, stream: str, line: str) -> None:
        if len(self._entries) == self._entries.maxlen:
            self._dropped += 1
        self._entries.append(LogEntry(timestamp, stream, line))
        self._changed.set()

    def close(self) -> None:
        """The container has exited: followers stop after the last line."""
        self._closed = True
        self._changed.set()

    def text(self, stream: str | None = None) -> str:
        """The log as ``kubectl logs`` prints it (optionally one stream only)."""
        return "".join(
            entry.line + "\n" for entry in self._entries if stream in (None, entry.stream)
        )

    async def follow(self, start: int = 0) -> AsyncIterator[LogEntry]:
        """Yield entries from position ``start`` on, waiting for new ones until the log closes."""
        position = start
        while True:
            first = self._dropped
            while position < first + len(self._entries):
                yield self._entries[max(position, first) - first]
                position = max(position, first) + 1
            if self._closed:
                return
            self._changed.clear()
            await self._changed.wait()


class LogStream:
    """An ``Output`` that turns a stream of text into log lines of one stream."""

    def __init__(self, log: ContainerLog, stream: str, clock: Clock) -> None:
        self._log = log
        self._stream = stream
        self._clock = clock
        self._partial = ""

    async def write(self, text: str) -> None:
        if not text.isascii():
            # Bytes that are not UTF-8 are stored as U+FFFD, as a log reader shows them.
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        *lines, self._partial = (self._partial + text).split("\n")
        now = self._clock.now()
        for line in lines:
            self._log.append(now, self._stream, line)

    def flush(self) -> None:
        """Store a last line that had no newline (the runtime does this when a process ends)."""
        if self._partial:
            self._log.append(self._clock.now(), self._stream, self._partial)
            self._partial = ""
