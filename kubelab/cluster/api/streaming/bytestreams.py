"""Connections that carry a raw byte stream: what a SPDY session runs over.

kubectl's port-forward reaches SPDY in one of two ways. Since Kubernetes 1.31 it opens a
WebSocket with the subprotocol ``SPDY/3.1+portforward.k8s.io`` and sends the SPDY bytes in
binary messages, cut wherever it likes. If that fails it falls back to the older way: an HTTP
request with ``Upgrade: SPDY/3.1``, answered with ``101 Switching Protocols``, after which the
TCP connection itself carries SPDY. Both look the same from here: read bytes, write bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from aiohttp import WSMsgType, web

READ_CHUNK_BYTES = 64 * 1024


def is_spdy_upgrade(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower().startswith("spdy/")


def offered_stream_protocols(request: web.Request) -> list[str]:
    return [
        p.strip()
        for header in request.headers.getall("X-Stream-Protocol-Version", [])
        for p in header.split(",")
        if p.strip()
    ]


def negotiate_stream_protocol(request: web.Request, supported: tuple[str, ...]) -> str | None:
    """The first protocol the client offers that we speak ("" if it offered none)."""
    offered = offered_stream_protocols(request)
    if not offered:
        return ""
    return next((p for p in offered if p in supported), None)


def refuse_stream_protocols(request: web.Request, supported: tuple[str, ...]) -> web.Response:
    offered = " ".join(offered_stream_protocols(request))
    return web.Response(
        status=403,
        text=(
            "unable to upgrade: unable to negotiate protocol: client supports "
            f"[{offered}], server supports [{' '.join(supported)}]"
        ),
    )


class ByteStream(Protocol):
    async def read(self) -> bytes:
        """The next bytes, or ``b""`` once the peer has gone."""
        ...

    async def write(self, data: bytes) -> None: ...

    async def close(self) -> None: ...


class WebSocketBytes:
    """A byte stream tunnelled through a WebSocket's binary messages."""

    def __init__(self, socket: web.WebSocketResponse) -> None:
        self.socket = socket

    async def read(self) -> bytes:
        while True:
            message = await self.socket.receive()
            if message.type == WSMsgType.BINARY:
                if message.data:
                    return bytes(message.data)
                continue
            if message.type in (WSMsgType.PING, WSMsgType.PONG):
                continue
            return b""

    async def write(self, data: bytes) -> None:
        if not self.socket.closed:
            with contextlib.suppress(ConnectionResetError):
                await self.socket.send_bytes(data)

    async def close(self) -> None:
        with contextlib.suppress(ConnectionResetError):
            await self.socket.close()


class _FeedParser:
    """Stands in for aiohttp's body parser: hands every byte that arrives to a reader."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self._reader.feed_data(data)
        return False, b""

    def feed_eof(self) -> None:
        self._reader.feed_eof()


class UpgradedConnection:
    """The TCP connection of an HTTP request after a ``101 Switching Protocols`` answer."""

    def __init__(self, reader: asyncio.StreamReader, response: web.StreamResponse) -> None:
        self._reader = reader
        self._response = response

    @classmethod
    async def take_over(cls, request: web.Request, headers: dict[str, str]) -> UpgradedConnection:
        """Answer 101 with ``headers`` and keep the connection's bytes for ourselves.

        aiohttp only switches protocols for WebSockets, so the request handler's body parser is
        replaced by one that passes everything on (as aiohttp's own WebSocket support does), and
        the connection is not reused for HTTP afterwards.
        """
        reader = asyncio.StreamReader(limit=READ_CHUNK_BYTES)
        if request.transport is not None:
            reader.set_transport(request.transport)
        request.protocol.set_parser(_FeedParser(reader))  # type: ignore[arg-type]
        request.protocol.keep_alive(False)
        response = web.StreamResponse(status=101, headers=headers)
        await response.prepare(request)
        return cls(reader, response)

    @property
    def response(self) -> web.StreamResponse:
        return self._response

    async def read(self) -> bytes:
        try:
            return await self._reader.read(READ_CHUNK_BYTES)
        except ConnectionError:
            return b""

    async def write(self, data: bytes) -> None:
        with contextlib.suppress(ConnectionError):
            await self._response.write(data)

    async def close(self) -> None:
        self._response.force_close()
