"""``pods/portforward``: TCP connections from the learner's machine into a pod.

Each connection that ``kubectl port-forward`` accepts locally becomes a pair of streams: a
*data* stream carrying the bytes both ways and an *error* stream on which the node reports why
the pod's port could not be reached. Both carry the headers ``streamType``, ``port`` and
``requestID``; the two of a pair share the request id. The node connects to the port on the
pod's own loopback, so the program in the pod sees the connection come from ``127.0.0.1``.

Three wire formats reach this handler:

* kubectl 1.31+: a WebSocket with subprotocol ``SPDY/3.1+portforward.k8s.io``, SPDY inside;
* older kubectl, or when that fails: ``Upgrade: SPDY/3.1`` on a plain HTTP request;
* the Python client: a WebSocket with ``v4.channel.k8s.io`` and ``?ports=80,443``, where port
  number ``i`` has data channel ``2i`` and error channel ``2i+1``, and the first message on each
  channel is the port number as two little-endian bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from kubelab.cluster.api import errors
from kubelab.cluster.api.handlers import Target
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.api.streaming import bytestreams, channels, pods
from kubelab.cluster.api.streaming.bytestreams import (
    ByteStream,
    UpgradedConnection,
    WebSocketBytes,
)
from kubelab.cluster.api.streaming.remotecommand import CONNECT_METHODS
from kubelab.cluster.api.streaming.spdysession import SpdySession, SpdyStream
from kubelab.cluster.runtime.network import NetworkNamespace

PROTOCOL = "portforward.k8s.io"
TUNNEL_PROTOCOL = "SPDY/3.1+" + PROTOCOL
SPDY_UPGRADE = "SPDY/3.1"
#: After one direction of a forwarded connection ends, how long the other may still drain.
DRAIN_SECONDS = 1.0
COPY_CHUNK_BYTES = 32 * 1024


class Duplex(Protocol):
    """The client's side of one forwarded connection."""

    async def read(self) -> bytes: ...

    async def write(self, data: bytes) -> None: ...


@dataclass(frozen=True)
class PodSandbox:
    """The pod as the container runtime names it in its port-forward errors."""

    netns: NetworkNamespace | None
    sandbox_id: str
    netns_path: str

    @classmethod
    def of(cls, located: pods.PodOnNode) -> PodSandbox:
        uid = located.pod["metadata"].get("uid", "")
        digest = hashlib.sha256(uid.encode()).digest()
        worker = located.worker
        return cls(
            worker.netns if worker is not None else None,
            digest.hex(),
            f"/var/run/netns/cni-{uuid.UUID(bytes=digest[:16])}",
        )

    def failure(self, port: int, problem: str) -> str:
        return f"error forwarding port {port} to pod {self.sandbox_id}, uid : {problem}"

    def refused(self, port: int) -> str:
        return self.failure(
            port,
            f'failed to execute portforward in network namespace "{self.netns_path}": failed to '
            f'connect to localhost:{port} inside namespace "{self.sandbox_id}", IPv4: dial tcp4 '
            f"127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: "
            "connect: connection refused",
        )


async def _copy_to_pod(client: Duplex, writer: asyncio.StreamWriter) -> None:
    while data := await client.read():
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()


async def _copy_to_client(reader: asyncio.StreamReader, client: Duplex) -> None:
    while data := await reader.read(COPY_CHUNK_BYTES):
        await client.write(data)


async def forward(
    sandbox: PodSandbox, port: int, client: Duplex, report: Callable[[str], Awaitable[None]]
) -> None:
    """Connect to ``port`` inside the pod and copy both ways until one side is done."""
    if sandbox.netns is None:
        await report(
            sandbox.failure(
                port, f'failed to find sandbox "{sandbox.sandbox_id}" in store: not found'
            )
        )
        return
    try:
        reader, writer = await sandbox.netns.tcp_connect(port)
    except OSError:
        await report(sandbox.refused(port))
        return
    directions = {
        asyncio.ensure_future(_copy_to_pod(client, writer)),
        asyncio.ensure_future(_copy_to_client(reader, client)),
    }
    try:
        _, pending = await asyncio.wait(directions, return_when=asyncio.FIRST_COMPLETED)
        if pending:
            await asyncio.wait(pending, timeout=DRAIN_SECONDS)
    finally:
        for task in directions:
            task.cancel()
        with contextlib.suppress(ConnectionError):
            writer.close()


def _port_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


# --- SPDY: kubectl -------------------------------------------------------------------------------


@dataclass
class _StreamPair:
    data: SpdyStream | None = None
    error: SpdyStream | None = None


@dataclass
class SpdyPortForwarder:
    """Pairs each connection's data and error streams and forwards the pair."""

    sandbox: PodSandbox
    pairs: dict[str, _StreamPair] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @staticmethod
    def request_id(stream: SpdyStream) -> str:
        """The pair's id; clients too old to send one get it derived from the stream id."""
        given = stream.header("requestID")
        if given:
            return given
        offset = 2 if stream.header("streamType") == "data" else 0
        return str(stream.id - offset)

    def on_stream(self, stream: SpdyStream) -> None:
        kind = stream.header("streamType")
        if kind not in ("data", "error"):
            task = asyncio.ensure_future(stream.close())
        else:
            pair = self.pairs.setdefault(self.request_id(stream), _StreamPair())
            setattr(pair, kind, stream)
            if pair.data is None or pair.error is None:
                return
            del self.pairs[self.request_id(stream)]
            task = asyncio.ensure_future(self._serve(pair.data, pair.error))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _serve(self, data: SpdyStream, error: SpdyStream) -> None:
        port = _port_number(data.header("port"))
        try:
            await forward(self.sandbox, port, data, lambda text: error.write(text.encode()))
        finally:
            await error.close()
            await data.close()

    def stop(self) -> None:
        for task in self.tasks:
            task.cancel()


async def _serve_spdy(transport: ByteStream, sandbox: PodSandbox) -> None:
    """Serve one SPDY connection until kubectl hangs up; then stop every forwarded connection."""
    forwarder = SpdyPortForwarder(sandbox)
    session = SpdySession(transport, forwarder.on_stream)
    try:
        await session.run()
    finally:
        forwarder.stop()
        await session.close()


async def _spdy_upgrade(request: web.Request, sandbox: PodSandbox) -> web.StreamResponse:
    protocol = bytestreams.negotiate_stream_protocol(request, (PROTOCOL,))
    if protocol is None:
        return bytestreams.refuse_stream_protocols(request, (PROTOCOL,))
    headers = {"Connection": "Upgrade", "Upgrade": SPDY_UPGRADE}
    if protocol:
        headers["X-Stream-Protocol-Version"] = protocol
    connection = await UpgradedConnection.take_over(request, headers)
    await _serve_spdy(connection, sandbox)
    return connection.response


# --- WebSocket channels: the Python client -------------------------------------------------------


def requested_ports(request: web.Request) -> list[int]:
    """``?ports=80,443`` (or the parameter repeated), with the kubelet's 400s."""
    values = request.query.getall("ports", [])
    if not values:
        raise web.HTTPBadRequest(text='query parameter "ports" is required')
    ports = []
    for value in values:
        if not value:
            raise web.HTTPBadRequest(text='query parameter "ports" cannot be empty')
        for part in value.split(","):
            if not part.isdigit() or int(part) > 65535:
                raise web.HTTPBadRequest(
                    text=f'unable to parse "{value}" as a port: strconv.ParseUint: parsing '
                    f'"{part}": invalid syntax'
                )
            if int(part) < 1:
                raise web.HTTPBadRequest(text=f'port "{value}" must be > 0')
            ports.append(int(part))
    return ports


class _ChannelDuplex:
    """One port's data channel: what arrives on it, and writes prefixed with its number."""

    def __init__(self, socket: web.WebSocketResponse, channel: int) -> None:
        self.socket = socket
        self.channel = channel
        self.incoming: asyncio.Queue[bytes] = asyncio.Queue()

    async def read(self) -> bytes:
        return await self.incoming.get()

    async def write(self, data: bytes) -> None:
        if data and not self.socket.closed:
            with contextlib.suppress(ConnectionResetError):
                await self.socket.send_bytes(bytes([self.channel]) + data)


async def _dispatch_channels(socket: web.WebSocketResponse, ports: list[_ChannelDuplex]) -> None:
    """Hand each data message to its port; when the client leaves, every port sees the end."""
    try:
        async for message in socket:
            data = channels.message_bytes(message)
            if len(data) > 1 and data[0] % 2 == 0 and data[0] // 2 < len(ports):
                ports[data[0] // 2].incoming.put_nowait(data[1:])
    finally:
        for port in ports:
            port.incoming.put_nowait(b"")


async def _channel_portforward(request: web.Request, sandbox: PodSandbox) -> web.StreamResponse:
    numbers = requested_ports(request)
    offered = channels.offered_protocols(request)
    if offered and channels.V4 not in offered:
        raise web.HTTPForbidden(text="")
    socket = web.WebSocketResponse(protocols=(channels.V4,), autoping=True)
    await socket.prepare(request)
    duplexes = [_ChannelDuplex(socket, 2 * index) for index in range(len(numbers))]
    errors_out = [_ChannelDuplex(socket, 2 * index + 1) for index in range(len(numbers))]
    for number, data, error in zip(numbers, duplexes, errors_out, strict=True):
        prefix = number.to_bytes(2, "little")
        await data.write(prefix)
        await error.write(prefix)
    reader = asyncio.ensure_future(_dispatch_channels(socket, duplexes))
    try:
        await asyncio.gather(
            *(
                forward(sandbox, number, data, lambda text, e=error: e.write(text.encode()))
                for number, data, error in zip(numbers, duplexes, errors_out, strict=True)
            )
        )
    finally:
        with contextlib.suppress(ConnectionResetError):
            await socket.close()
        reader.cancel()
    return socket


# --- the handler ---------------------------------------------------------------------------------


async def handle_portforward(
    request: web.Request, api: ObjectAPI, target: Target
) -> web.StreamResponse:
    if request.method not in CONNECT_METHODS:
        raise web.HTTPMethodNotAllowed(request.method, CONNECT_METHODS)
    pod = pods.get_pod(api, target)
    sandbox = PodSandbox.of(pods.require_node(request, api, pod))
    if channels.is_websocket(request):
        if TUNNEL_PROTOCOL in channels.offered_protocols(request):
            socket = await channels.accept(request, (TUNNEL_PROTOCOL,))
            await _serve_spdy(WebSocketBytes(socket), sandbox)
            return socket
        return await _channel_portforward(request, sandbox)
    if bytestreams.is_spdy_upgrade(request):
        return await _spdy_upgrade(request, sandbox)
    raise errors.bad_request("Upgrade request required")
