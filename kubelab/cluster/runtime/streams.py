"""Byte streams between processes, modelled as text.

A real process reads and writes file descriptors; here a program gets an ``Input`` to read and
``Output`` objects to write. A ``Pipe`` connects a writer to a reader (the ``|`` of a shell):
closing the write end is how the reader learns about end-of-file, and writing into a pipe whose
reader has gone away raises ``BrokenPipeError``, which is what kills ``yes | head -1``'s ``yes``.

The text is binary-safe: bytes that are not UTF-8 travel as the lone surrogates of Python's
``surrogateescape`` error handler (PEP 383), so ``from_bytes`` and ``to_bytes`` give back exactly
the bytes that went in. That is how a tar archive crosses ``kubectl cp``'s exec streams intact.
"""

from __future__ import annotations

import asyncio
import codecs
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from kubelab.cluster.flag import Flag


def from_bytes(data: bytes) -> str:
    """Bytes as stream text; every byte survives the round trip through ``to_bytes``."""
    return data.decode("utf-8", "surrogateescape")


def to_bytes(text: str) -> bytes:
    """Stream text as the bytes it stands for."""
    return text.encode("utf-8", "surrogateescape")


def byte_decoder() -> codecs.IncrementalDecoder:
    """Decodes a byte stream piece by piece without losing a character split between pieces."""
    return codecs.getincrementaldecoder("utf-8")("surrogateescape")


class Output(Protocol):
    """Somewhere a program can write text (stdout, stderr, a file, a pipe)."""

    async def write(self, text: str) -> None: ...


class Input(Protocol):
    """Somewhere a program can read text from (stdin)."""

    async def read_chunk(self) -> str:
        """The next piece of input, or ``""`` at end-of-file."""
        ...

    async def readline(self) -> str:
        """The next line with its newline, or ``""`` at end-of-file."""
        ...

    async def read(self) -> str:
        """Everything up to end-of-file."""
        ...

    def close(self) -> None:
        """The reader will read no more (a writer then gets ``BrokenPipeError``)."""
        ...


class Pipe:
    """A one-way channel: ``write`` at one end, ``read_chunk``/``readline`` at the other."""

    def __init__(self, initial: str = "", *, closed: bool = False) -> None:
        self._chunks: deque[str] = deque([initial] if initial else [])
        self._buffer = ""
        self._write_closed = closed
        self._read_closed = False
        self._changed = Flag()

    @classmethod
    def of(cls, text: str) -> Pipe:
        """A pipe already holding ``text`` and closed for writing, like a file given as stdin."""
        return cls(text, closed=True)

    async def write(self, text: str) -> None:
        if self._read_closed:
            raise BrokenPipeError(32, "Broken pipe")
        if text:
            self._chunks.append(text)
            self._changed.set()
        await asyncio.sleep(0)

    def close_write(self) -> None:
        self._write_closed = True
        self._changed.set()

    def close(self) -> None:
        self._read_closed = True
        self._chunks.clear()

    @property
    def write_closed(self) -> bool:
        """Whether the writer has closed its end (nothing more will arrive)."""
        return self._write_closed

    @property
    def at_eof(self) -> bool:
        return self._write_closed and not self._chunks and not self._buffer

    async def _fill(self) -> bool:
        """Wait for more data; False once the writer has closed and everything was read."""
        while not self._chunks:
            if self._write_closed:
                return False
            self._changed.clear()
            await self._changed.wait()
        self._buffer += self._chunks.popleft()
        return True

    async def read_chunk(self) -> str:
        if not self._buffer and not await self._fill():
            return ""
        chunk, self._buffer = self._buffer, ""
        return chunk

    async def readline(self) -> str:
        while "\n" not in self._buffer:
            if not await self._fill():
                line, self._buffer = self._buffer, ""
                return line
        line, _, self._buffer = self._buffer.partition("\n")
        return line + "\n"

    async def read(self) -> str:
        parts = []
        while chunk := await self.read_chunk():
            parts.append(chunk)
        return "".join(parts)


class EmptyInput(Pipe):
    """Standard input connected to nothing: reads see end-of-file at once (``/dev/null``)."""

    def __init__(self) -> None:
        super().__init__(closed=True)


class Collector:
    """Keeps everything written, for ``exec`` without streaming and for tests."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    async def write(self, text: str) -> None:
        self._parts.append(text)

    @property
    def text(self) -> str:
        return "".join(self._parts)


class Discard:
    """Throws writes away: ``/dev/null``."""

    async def write(self, text: str) -> None:
        return None


class CallbackOutput:
    """Hands each write to a coroutine function, e.g. the kubelet's exec stream."""

    def __init__(self, send: Callable[[str], Awaitable[None]]) -> None:
        self._send = send

    async def write(self, text: str) -> None:
        if text:
            await self._send(text)
