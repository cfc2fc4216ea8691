"""The server side of a SPDY/3.1 connection: streams opened by the client, answered by us.

The client (kubectl) opens every stream with ``SYN_STREAM`` and waits for our ``SYN_REPLY``
before it writes. Each direction of a stream ends on its own: a frame with ``FIN`` closes the
sender's side, ``RST_STREAM`` drops the stream at once. Client pings (odd ids) are echoed
back; kubectl sends one every few seconds and gives up on a connection that stops answering.
Flow control (``WINDOW_UPDATE``) and ``SETTINGS`` are not enforced by kubectl's SPDY library and
are ignored here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from kubelab.cluster.api.streaming import spdy
from kubelab.cluster.api.streaming.bytestreams import ByteStream

log = logging.getLogger("kubelab.cluster.api.spdy")

#: Bytes per DATA frame we send.
DATA_CHUNK_BYTES = 32 * 1024


class SpdyStream:
    """One stream: its headers, what the client sends on it, and a way to answer."""

    def __init__(self, session: SpdySession, stream_id: int, headers: dict[str, str]) -> None:
        self.session = session
        self.id = stream_id
        self.headers = headers
        self._incoming: asyncio.Queue[bytes] = asyncio.Queue()
        self.remote_closed = False
        self.local_closed = False
        self.reset = False

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    async def read(self) -> bytes:
        """What the client sent next; ``b""`` once it has finished or the stream is reset."""
        if self.reset or (self.remote_closed and self._incoming.empty()):
            return b""
        return await self._incoming.get()

    async def write(self, data: bytes) -> None:
        if self.local_closed or self.reset:
            return
        for start in range(0, len(data), DATA_CHUNK_BYTES):
            await self.session.send(
                spdy.data_frame(self.id, data[start : start + DATA_CHUNK_BYTES])
            )

    async def close(self) -> None:
        """Finish our side (an empty DATA frame with FIN)."""
        if self.local_closed or self.reset:
            return
        self.local_closed = True
        await self.session.send(spdy.data_frame(self.id, b"", fin=True))
        self.session.forget_if_done(self)

    def received(self, data: bytes, fin: bool) -> None:
        if self.remote_closed or self.reset:
            return
        if data:
            self._incoming.put_nowait(data)
        if fin:
            self.finish_remote()

    def finish_remote(self) -> None:
        if not self.remote_closed:
            self.remote_closed = True
            self._incoming.put_nowait(b"")
            self.session.forget_if_done(self)

    def drop(self) -> None:
        """The stream was reset (by the client, or because the connection ended)."""
        self.reset = True
        self.local_closed = True
        self._incoming.put_nowait(b"")


class SpdySession:
    """Reads frames from a byte stream, keeps the streams, and writes frames in order."""

    def __init__(self, transport: ByteStream, on_stream: Callable[[SpdyStream], None]) -> None:
        self.transport = transport
        self.on_stream = on_stream
        self.streams: dict[int, SpdyStream] = {}
        self._compression = spdy.HeaderCompression()
        self._write_lock = asyncio.Lock()
        self._last_stream_id = 0
        self.closed = asyncio.Event()

    async def send(self, frame: bytes) -> None:
        async with self._write_lock:
            await self.transport.write(frame)

    def forget_if_done(self, stream: SpdyStream) -> None:
        if stream.local_closed and stream.remote_closed:
            self.streams.pop(stream.id, None)

    async def run(self) -> None:
        """Serve until the client hangs up or says GOAWAY; then every stream ends."""
        frames = spdy.FrameReader()
        try:
            while data := await self.transport.read():
                for frame in frames.feed(data):
                    if not await self._handle(frame):
                        return
        except spdy.ProtocolError as problem:
            log.info("closing SPDY connection: %s", problem)
            await self.send(spdy.goaway(self._last_stream_id, spdy.GOAWAY_PROTOCOL_ERROR))
        finally:
            for stream in list(self.streams.values()):
                stream.drop()
            self.streams.clear()
            self.closed.set()

    async def _handle(self, frame: spdy.Frame) -> bool:
        """Act on one frame; False when the connection should end."""
        if isinstance(frame, spdy.DataFrame):
            stream = self.streams.get(frame.stream_id)
            if stream is not None:
                stream.received(frame.data, bool(frame.flags & spdy.FLAG_FIN))
            return True
        if frame.kind == spdy.SYN_STREAM:
            await self._open(spdy.parse_syn_stream(frame, self._compression))
        elif frame.kind == spdy.RST_STREAM:
            stream = self.streams.pop(spdy.stream_id_of(frame), None)
            if stream is not None:
                stream.drop()
        elif frame.kind == spdy.PING:
            if spdy.ping_id(frame) % 2 == 1:
                await self.send(spdy.control_frame(spdy.PING, 0, frame.payload))
        elif frame.kind == spdy.GOAWAY:
            return False
        elif frame.kind == spdy.HEADERS:
            # Keep the receiving compression context in step; the headers add nothing here.
            self._compression.decompress(frame.payload[4:])
        return True

    async def _open(self, syn: spdy.SynStream) -> None:
        if syn.stream_id % 2 == 0 or syn.stream_id <= self._last_stream_id:
            await self.send(spdy.rst_stream(syn.stream_id, spdy.PROTOCOL_ERROR))
            return
        self._last_stream_id = syn.stream_id
        stream = SpdyStream(self, syn.stream_id, syn.headers)
        self.streams[syn.stream_id] = stream
        async with self._write_lock:
            await self.transport.write(spdy.syn_reply(syn.stream_id, self._compression))
        if syn.flags & spdy.FLAG_FIN:
            stream.finish_remote()
        self.on_stream(stream)

    async def close(self) -> None:
        """Say GOAWAY and hang up."""
        with contextlib.suppress(ConnectionError):
            await self.send(spdy.goaway(self._last_stream_id))
        await self.transport.close()
