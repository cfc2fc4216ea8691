"""The server side of a SPDY session, driven frame by frame as kubectl would drive it."""

from __future__ import annotations

import asyncio
import struct

import pytest

from kubelab.cluster.api.streaming import spdy
from kubelab.cluster.api.streaming.spdysession import SpdySession, SpdyStream


class WireEnd:
    """The session's transport: the test writes the client's bytes and reads the server's."""

    def __init__(self) -> None:
        self.inbound: asyncio.Queue[bytes] = asyncio.Queue()
        self.outbound = spdy.FrameReader()
        self.frames: list[spdy.Frame] = []
        self.closed = False

    async def read(self) -> bytes:
        return await self.inbound.get()

    async def write(self, data: bytes) -> None:
        self.frames.extend(self.outbound.feed(data))

    async def close(self) -> None:
        self.closed = True


class Client:
    """kubectl's side: its header compression, and helpers to send frames."""

    def __init__(self) -> None:
        self.wire = WireEnd()
        self.compression = spdy.HeaderCompression()
        self.opened: list[SpdyStream] = []
        self.session = SpdySession(self.wire, self.opened.append)
        self.task = asyncio.ensure_future(self.session.run())

    def send(self, data: bytes) -> None:
        self.wire.inbound.put_nowait(data)

    def open(self, stream_id: int, headers: dict[str, str], fin: bool = False) -> None:
        payload = struct.pack(">IIBB", stream_id, 0, 0, 0) + self.compression.compress(headers)
        flags = spdy.FLAG_FIN if fin else 0
        self.send(spdy.control_frame(spdy.SYN_STREAM, flags, payload))

    async def settle(self) -> None:
        for _ in range(5):
            await asyncio.sleep(0)

    def control(self, kind: int) -> list[spdy.ControlFrame]:
        return [f for f in self.wire.frames if isinstance(f, spdy.ControlFrame) and f.kind == kind]

    def data(self, stream_id: int) -> list[spdy.DataFrame]:
        return [
            f
            for f in self.wire.frames
            if isinstance(f, spdy.DataFrame) and f.stream_id == stream_id
        ]

    async def finish(self) -> None:
        self.send(b"")
        await asyncio.wait_for(self.task, 5)


@pytest.fixture()
async def client() -> Client:
    return Client()


async def test_a_new_stream_is_answered_and_handed_over(client):
    client.open(1, {"streamtype": "error", "port": "80", "requestid": "0"})
    await client.settle()
    (reply,) = client.control(spdy.SYN_REPLY)
    assert struct.unpack(">I", reply.payload[:4])[0] == 1
    assert client.compression.decompress(reply.payload[4:]) == {}
    (stream,) = client.opened
    assert (stream.id, stream.header("streamType"), stream.header("requestID")) == (1, "error", "0")
    await client.finish()


async def test_data_flows_both_ways_and_fin_ends_each_side(client):
    client.open(1, {"streamtype": "data"})
    await client.settle()
    (stream,) = client.opened
    client.send(spdy.data_frame(1, b"GET / HTTP/1.1\r\n"))
    client.send(spdy.data_frame(1, b"", fin=True))
    assert await stream.read() == b"GET / HTTP/1.1\r\n"
    assert await stream.read() == b""
    await stream.write(b"x" * 40000)
    await stream.close()
    frames = client.data(1)
    assert b"".join(f.data for f in frames) == b"x" * 40000
    assert len(frames) == 3 and frames[-1].flags == spdy.FLAG_FIN and frames[-1].data == b""
    assert 1 not in client.session.streams, "closed both ways, the stream is forgotten"
    await client.finish()


async def test_reset_ends_the_stream_at_once(client):
    client.open(3, {"streamtype": "data"})
    await client.settle()
    (stream,) = client.opened
    client.send(spdy.rst_stream(3, spdy.CANCEL))
    assert await stream.read() == b""
    await stream.write(b"dropped")
    assert client.data(3) == []
    await client.finish()


async def test_pings_from_the_client_are_echoed(client):
    client.send(spdy.control_frame(spdy.PING, 0, struct.pack(">I", 1)))
    client.send(spdy.control_frame(spdy.PING, 0, struct.pack(">I", 2)))
    await client.settle()
    assert [f.payload for f in client.control(spdy.PING)] == [struct.pack(">I", 1)]
    await client.finish()


async def test_streams_must_use_new_odd_ids(client):
    client.open(2, {"streamtype": "data"})
    client.open(5, {"streamtype": "data"})
    client.open(3, {"streamtype": "data"})
    await client.settle()
    resets = [struct.unpack(">II", f.payload) for f in client.control(spdy.RST_STREAM)]
    assert resets == [(2, spdy.PROTOCOL_ERROR), (3, spdy.PROTOCOL_ERROR)]
    assert [s.id for s in client.opened] == [5]
    await client.finish()


async def test_a_stream_opened_with_fin_has_nothing_to_read(client):
    client.open(1, {"streamtype": "error"}, fin=True)
    await client.settle()
    assert await client.opened[0].read() == b""
    await client.finish()


async def test_goaway_or_hanging_up_ends_every_stream(client):
    client.open(1, {"streamtype": "data"})
    await client.settle()
    client.send(spdy.goaway(1))
    await asyncio.wait_for(client.task, 5)
    assert await client.opened[0].read() == b""
    assert client.session.closed.is_set()


async def test_garbage_ends_the_connection_with_goaway(client):
    client.send(b"\x80\x07\x00\x01\x00\x00\x00\x00")
    await asyncio.wait_for(client.task, 5)
    (goaway,) = client.control(spdy.GOAWAY)
    assert struct.unpack(">II", goaway.payload) == (0, spdy.GOAWAY_PROTOCOL_ERROR)
