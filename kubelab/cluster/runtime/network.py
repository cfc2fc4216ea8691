"""Networking inside the teaching cluster: ports that programs listen on, and requests to them.

Containers of one pod share a network namespace: one ``localhost`` and one set of ports, so
two containers of a pod cannot both listen on port 80, and a sidecar reaches the main container
at ``localhost:8080``. The kubelet gives every container of a pod the same ``NetworkNamespace``.

A program that serves HTTP binds an ``HttpListener``; anything else (redis' own protocol) binds a
``StreamListener`` that talks over a byte stream. Probes and Services call ``http``; port-forward
and ``redis-cli`` get a real byte stream from ``tcp_connect``.

Traffic that leaves the pod (another pod's IP, a Service name) goes through a ``NetworkHook``
that the kubelet provides: it knows the cluster's DNS names, Service IPs and pods.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from kubelab.cluster.runtime import httpwire

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


@dataclass
class HttpRequest:
    method: str = "GET"
    target: str = "/"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: The address the request came from (shown in access logs).
    client: str = "127.0.0.1"
    version: str = "HTTP/1.1"

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def query(self) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(urlsplit(self.target).query).items()}

    def header(self, name: str, default: str = "") -> str:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return default


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def reason(self) -> str:
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return "Unknown"

    def header(self, name: str, default: str = "") -> str:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return default


HttpHandler = Callable[[HttpRequest], Awaitable[HttpResponse]]
StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Listener(ABC):
    """Something bound to a port that accepts connections."""

    @abstractmethod
    async def serve_stream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client: str
    ) -> None:
        """Talk to one connected client until it or we hang up."""


class HttpListener(Listener):
    """An HTTP server: requests in, responses out."""

    def __init__(self, handler: HttpHandler) -> None:
        self.handle = handler

    async def serve_stream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client: str
    ) -> None:
        try:
            while (request := await httpwire.read_request(reader)) is not None:
                request.client = client
                response = await self.handle(request)
                writer.write(httpwire.encode_response(response, request.method == "HEAD"))
                await writer.drain()
                if request.header("Connection").lower() == "close":
                    break
        except (ConnectionError, ValueError):
            pass
        finally:
            writer.close()


class StreamListener(Listener):
    """A server speaking its own protocol over the byte stream (redis, a raw TCP echo)."""

    def __init__(self, handler: StreamHandler) -> None:
        self._handler = handler

    async def serve_stream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client: str
    ) -> None:
        try:
            await self._handler(reader, writer)
        except ConnectionError:
            pass
        finally:
            writer.close()


class NetworkHook(Protocol):
    """How a container reaches beyond its pod; the kubelet implements it."""

    async def lookup(self, name: str) -> list[str]:
        """The addresses of a fully qualified DNS name (``[]`` means NXDOMAIN)."""
        ...

    async def http(self, address: str, port: int, request: HttpRequest) -> HttpResponse:
        """Send a request; raise ``ConnectionRefusedError``, ``TimeoutError`` or ``OSError``."""
        ...

    async def tcp_connect(self, address: str, port: int) -> Streams:
        """Open a byte stream, raising like ``http`` when that is impossible."""
        ...


def refused(port: int) -> ConnectionRefusedError:
    return ConnectionRefusedError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED), port)


class NetworkNamespace:
    """One pod's ports and loopback, shared by its containers."""

    def __init__(self, ip: str = "10.244.0.2") -> None:
        self.ip = ip
        self._listeners: dict[int, tuple[Listener, object]] = {}
        self._connections: dict[int, set[asyncio.Task[None]]] = {}

    def bind(self, port: int, listener: Listener, owner: object) -> None:
        """Listen on ``port``; ``EADDRINUSE`` if someone in the pod already does."""
        if port in self._listeners:
            raise OSError(errno.EADDRINUSE, os.strerror(errno.EADDRINUSE), port)
        self._listeners[port] = (listener, owner)

    def release(self, owner: object) -> None:
        """Close every port ``owner`` listens on and reset their open connections."""
        for port in [port for port, (_, who) in self._listeners.items() if who is owner]:
            del self._listeners[port]
            for task in self._connections.pop(port, set()):
                task.cancel()

    def listening(self, port: int) -> bool:
        """Would a TCP connection to ``port`` be accepted (a tcpSocket probe)?"""
        return port in self._listeners

    @property
    def ports(self) -> list[int]:
        return sorted(self._listeners)

    def is_local(self, address: str) -> bool:
        return address in LOOPBACK_NAMES or address == self.ip or address.startswith("127.")

    async def http(self, port: int, request: HttpRequest) -> HttpResponse:
        """Send one HTTP request to whatever listens on ``port`` in this pod."""
        entry = self._listeners.get(port)
        if entry is None:
            raise refused(port)
        listener = entry[0]
        if isinstance(listener, HttpListener):
            return await listener.handle(request)
        reader, writer = await self.tcp_connect(port, request.client)
        try:
            writer.write(httpwire.encode_request(request, f"localhost:{port}"))
            await writer.drain()
            return await httpwire.read_response(reader)
        except ValueError as error:
            raise ConnectionResetError(
                errno.ECONNRESET, f"malformed HTTP response: {error}"
            ) from None
        finally:
            writer.close()

    async def tcp_connect(self, port: int, client: str = "127.0.0.1") -> Streams:
        """A connected byte stream to the listener on ``port`` (real sockets, in process)."""
        entry = self._listeners.get(port)
        if entry is None:
            raise refused(port)
        server_side, client_side = socket.socketpair()
        server_reader, server_writer = await asyncio.open_connection(sock=server_side)
        task = asyncio.get_running_loop().create_task(
            entry[0].serve_stream(server_reader, server_writer, client)
        )
        connections = self._connections.setdefault(port, set())
        connections.add(task)
        task.add_done_callback(connections.discard)
        return await asyncio.open_connection(sock=client_side)
