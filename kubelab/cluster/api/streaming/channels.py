"""The ``channel.k8s.io`` WebSocket protocols: many byte streams over one WebSocket.

Every binary message starts with one byte naming its channel; the rest is that channel's data.
For ``exec`` and ``attach`` the channels are 0 stdin, 1 stdout, 2 stderr, 3 error (a JSON
``Status`` that ends the session) and 4 resize (``{"Width":80,"Height":24}``). Version 5 adds
channel 255: ``[255, n]`` says the sender has finished writing channel ``n``, which is how
``kubectl exec`` without a terminal passes on the end of its standard input. kubectl asks for
``v5.channel.k8s.io`` only; the Python client offers v5 and v4.

Pings are answered with pongs by the WebSocket layer itself; kubectl pings every 5 seconds and
gives up after a minute without a pong.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMessage, WSMsgType, web

from kubelab.cluster.runtime.streams import byte_decoder, to_bytes

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
REMOTE_COMMAND_PROTOCOLS = (V5, V4)

STDIN, STDOUT, STDERR, ERROR = 0, 1, 2, 3
#: Version 5's half-close signal.
CLOSE = 255
MAX_MESSAGE_BYTES = 32 * 1024 + 1024


def is_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def offered_protocols(request: web.Request) -> list[str]:
    header = ",".join(request.headers.getall("Sec-WebSocket-Protocol", []))
    return [p.strip() for p in header.split(",") if p.strip()]


async def accept(request: web.Request, supported: tuple[str, ...]) -> web.WebSocketResponse:
    """Complete the handshake with the first protocol, in the client's order, that we speak.

    A client offering none of them is refused with 403 and no body, as the WebSocket server
    of the API server does.
    """
    if not any(p in supported for p in offered_protocols(request)):
        raise web.HTTPForbidden(text="")
    socket = web.WebSocketResponse(
        protocols=supported, autoping=True, max_msg_size=4 * MAX_MESSAGE_BYTES
    )
    await socket.prepare(request)
    return socket


@dataclass
class ChannelSocket:
    """A negotiated channel WebSocket: send on a channel, read what arrives on stdin."""

    socket: web.WebSocketResponse
    stdin: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    _decoder: codecs.IncrementalDecoder = field(default_factory=byte_decoder)
    _stdin_closed: bool = False

    @property
    def protocol(self) -> str:
        return self.socket.ws_protocol or ""

    async def send(self, channel: int, data: bytes) -> None:
        """Send on a channel; a client that has gone away is not an error."""
        if not data or self.socket.closed:
            return
        with contextlib.suppress(ConnectionResetError):
            await self.socket.send_bytes(bytes([channel]) + data)

    async def send_text(self, channel: int, text: str) -> None:
        await self.send(channel, to_bytes(text))

    async def write_stdout(self, text: str) -> None:
        await self.send_text(STDOUT, text)

    async def write_stderr(self, text: str) -> None:
        await self.send_text(STDERR, text)

    async def send_status(self, status: dict[str, Any]) -> None:
        await self.send(ERROR, json.dumps(status, separators=(",", ":")).encode())

    async def close(self) -> None:
        with contextlib.suppress(ConnectionResetError):
            await self.socket.close()

    def _end_stdin(self) -> None:
        if not self._stdin_closed:
            self._stdin_closed = True
            tail = self._decoder.decode(b"", final=True)
            if tail:
                self.stdin.put_nowait(tail)
            self.stdin.put_nowait(None)

    async def read_input(self) -> None:
        """Receive until the client closes; stdin goes to :attr:`stdin`.

        Resize messages are accepted and dropped: a simulated terminal has no size.
        """
        try:
            async for message in self.socket:
                data = message_bytes(message)
                if not data:
                    continue
                channel, payload = data[0], data[1:]
                if channel == CLOSE and self.protocol == V5:
                    if payload[:1] == bytes([STDIN]):
                        self._end_stdin()
                elif channel == STDIN and not self._stdin_closed:
                    text = self._decoder.decode(payload)
                    if text:
                        self.stdin.put_nowait(text)
        finally:
            self._end_stdin()

    async def stdin_text(self) -> AsyncIterator[str]:
        """What the client types or pipes in, until it half-closes stdin or leaves."""
        while (chunk := await self.stdin.get()) is not None:
            yield chunk


def message_bytes(message: WSMessage) -> bytes:
    """A data message's bytes; the Python client sends text strings as text messages."""
    if message.type == WSMsgType.BINARY:
        return bytes(message.data)
    if message.type == WSMsgType.TEXT:
        return str(message.data).encode()
    return b""
