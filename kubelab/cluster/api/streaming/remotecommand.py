"""``pods/exec`` and ``pods/attach``: a command's or a container's standard streams.

kube-apiserver checks the pod and the container name and answers those problems with plain
HTTP errors. What happens next depends on how the client connects:

* over a WebSocket (kubectl 1.30+, the Python client), the API server upgrades the client
  *before* it reaches the kubelet, so whatever the kubelet or the runtime says afterwards
  arrives as a ``Status`` on the error channel, wrapped once more as an internal error, such as
  ``unable to upgrade connection: container not found ("web")`` for a container that is not
  running;
* over SPDY, the API server passes the kubelet's answer through, so those problems are HTTP
  errors of the upgrade itself, and the final ``Status`` is the kubelet's own.

Either way a command's exit code comes back as ``NonZeroExitCode`` with an ``ExitCode`` cause,
which kubectl turns into ``command terminated with exit code 3`` and its own exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from multidict import MultiMapping

from kubelab.cluster.api import errors
from kubelab.cluster.api.handlers import Target
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.api.streaming import bytestreams, channels, pods, spdycommand
from kubelab.cluster.api.streaming.bytestreams import UpgradedConnection
from kubelab.cluster.api.streaming.channels import ChannelSocket
from kubelab.cluster.api.streaming.params import parse_bool
from kubelab.cluster.api.streaming.spdysession import SpdySession
from kubelab.cluster.runtime.container import Container, ExecFailed

NO_STREAMS = "you must specify at least 1 of stdin, stdout, stderr"
#: The verbs the API server routes to a connect subresource (WebSockets use GET, SPDY POST).
CONNECT_METHODS = ("GET", "POST")


@dataclass(frozen=True)
class StreamOptions:
    """``PodExecOptions`` / ``PodAttachOptions`` from the query."""

    container: str
    command: tuple[str, ...]
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool

    @classmethod
    def from_query(cls, query: MultiMapping[str]) -> StreamOptions:
        return cls(
            container=query.get("container", ""),
            command=tuple(query.getall("command", [])),
            stdin=parse_bool(query.get("stdin")),
            stdout=parse_bool(query.get("stdout")),
            stderr=parse_bool(query.get("stderr")),
            tty=parse_bool(query.get("tty")),
        )

    @property
    def any_stream(self) -> bool:
        return self.stdin or self.stdout or self.stderr


class CommandIO(Protocol):
    """The client's end of a command's streams, whatever carries them."""

    async def write_stdout(self, text: str) -> None: ...

    async def write_stderr(self, text: str) -> None: ...

    def stdin_text(self) -> AsyncIterator[str]: ...

    async def send_status(self, status: dict[str, Any]) -> None: ...


def status_success() -> dict[str, Any]:
    return {"metadata": {}, "status": "Success"}


def status_exit_code(code: int, detail: str) -> dict[str, Any]:
    """What kubectl turns into ``command terminated with exit code N`` (it reads the cause)."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: {detail}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def status_internal_error(cause: str) -> dict[str, Any]:
    """``apierrors.NewInternalError`` as JSON on the error channel."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"Internal error occurred: {cause}",
        "reason": "InternalError",
        "details": {"causes": [{"message": cause}]},
        "code": 500,
    }


@dataclass(frozen=True)
class Outcome:
    """How a session ended: an exit code, or the runtime's reason for not running it."""

    exit_code: int = 0
    failure: str | None = None


Session = Callable[[CommandIO, StreamOptions, Container], Awaitable[Outcome]]
#: Where a process's output goes, one piece of text at a time.
Writer = Callable[[str], Awaitable[None]]


def kubelet_status(outcome: Outcome, command: tuple[str, ...]) -> dict[str, Any]:
    """The Status the kubelet writes on the error stream."""
    if outcome.failure is not None:
        return status_internal_error(outcome.failure)
    if outcome.exit_code:
        detail = f"error executing command [{' '.join(command)}], exit code {outcome.exit_code}"
        return status_exit_code(outcome.exit_code, detail)
    return status_success()


def relayed_status(outcome: Outcome) -> dict[str, Any]:
    """The same outcome after the API server's WebSocket translation re-wrapped it."""
    if outcome.failure is not None:
        return status_internal_error(f"Internal error occurred: {outcome.failure}")
    if outcome.exit_code:
        detail = f"command terminated with exit code {outcome.exit_code}"
        return status_exit_code(outcome.exit_code, detail)
    return status_success()


async def _serve(
    request: web.Request, api: ObjectAPI, target: Target, session: Session
) -> web.StreamResponse:
    if request.method not in CONNECT_METHODS:
        raise web.HTTPMethodNotAllowed(request.method, CONNECT_METHODS)
    pod = pods.get_pod(api, target)
    options = StreamOptions.from_query(request.query)
    name = pods.validate_container(pod, options.container)
    located = pods.require_node(request, api, pod)
    if channels.is_websocket(request):
        return await _over_websocket(
            request, options, located.running_container(name), name, session
        )
    if bytestreams.is_spdy_upgrade(request):
        return await _over_spdy(request, options, located.running_container(name), name, session)
    raise errors.bad_request("Upgrade request required")


async def _over_websocket(
    request: web.Request,
    options: StreamOptions,
    container: Container | None,
    name: str,
    session: Session,
) -> web.StreamResponse:
    channel = ChannelSocket(await channels.accept(request, channels.REMOTE_COMMAND_PROTOCOLS))
    reader = asyncio.create_task(channel.read_input())
    try:
        if not options.any_stream:
            status = status_internal_error(f"unable to upgrade connection: {NO_STREAMS}")
        elif container is None:
            status = status_internal_error(
                f'unable to upgrade connection: container not found ("{name}")'
            )
        else:
            status = relayed_status(await session(channel, options, container))
        await channel.send_status(status)
    finally:
        await channel.close()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return channel.socket


async def _over_spdy(
    request: web.Request,
    options: StreamOptions,
    container: Container | None,
    name: str,
    session: Session,
) -> web.StreamResponse:
    if not options.any_stream:
        return web.Response(status=400, text=NO_STREAMS)
    if container is None:
        return web.Response(status=500, text=f'container not found ("{name}")')
    protocol = bytestreams.negotiate_stream_protocol(request, spdycommand.PROTOCOLS)
    if protocol is None:
        return bytestreams.refuse_stream_protocols(request, spdycommand.PROTOCOLS)
    headers = {"Connection": "Upgrade", "Upgrade": "SPDY/3.1"}
    if protocol:
        headers["X-Stream-Protocol-Version"] = protocol
    connection = await UpgradedConnection.take_over(request, headers)
    streams = spdycommand.SpdyCommandStreams(
        spdycommand.expected_streams(options.stdin, options.stdout, options.stderr, options.tty)
    )
    spdy_session = SpdySession(connection, streams.on_stream)
    serving = asyncio.create_task(spdy_session.run())
    try:
        if await streams.all_opened(spdycommand.STREAM_WAIT_SECONDS):
            outcome = await session(streams, options, container)
            await streams.send_status(kubelet_status(outcome, options.command))
            await streams.close()
    finally:
        await spdy_session.close()
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
    return connection.response


def _output_writers(io: CommandIO, options: StreamOptions) -> tuple[Writer, Writer]:
    """What the process writes to stdout and stderr, passed on to the streams the client opened
    and dropped for those it did not."""

    async def stdout(text: str) -> None:
        if options.stdout:
            await io.write_stdout(text)

    async def stderr(text: str) -> None:
        if options.stderr:
            await io.write_stderr(text)

    return stdout, stderr


# --- exec ------------------------------------------------------------------------------------


async def _exec_session(io: CommandIO, options: StreamOptions, container: Container) -> Outcome:
    stdout, stderr = _output_writers(io, options)
    try:
        code = await container.exec_stream(
            list(options.command),
            stdin=io.stdin_text() if options.stdin else None,
            on_stdout=stdout,
            on_stderr=stderr,
            tty=options.tty,
        )
    except ExecFailed as problem:
        exec_id = secrets.token_hex(32)
        return Outcome(
            failure=(
                "error executing command in container: failed to exec in container: "
                f'failed to start exec "{exec_id}": {problem}'
            )
        )
    return Outcome(exit_code=code)


async def handle_exec(request: web.Request, api: ObjectAPI, target: Target) -> web.StreamResponse:
    return await _serve(request, api, target, _exec_session)


# --- attach ----------------------------------------------------------------------------------


async def _attach_session(io: CommandIO, options: StreamOptions, container: Container) -> Outcome:
    """Connect the client to the container's main process until it exits.

    Like a real attach, output written before the client arrived is not replayed (kubectl
    fetches it from the log first). What the client types reaches the main process when the
    container spec has ``stdin: true``; the runtime's console decides the rest.
    """
    stdout, stderr = _output_writers(io, options)
    try:
        await container.attach(
            stdin=io.stdin_text() if options.stdin else None, on_stdout=stdout, on_stderr=stderr
        )
    except ExecFailed as problem:
        return Outcome(failure=str(problem))
    return Outcome()


async def handle_attach(request: web.Request, api: ObjectAPI, target: Target) -> web.StreamResponse:
    return await _serve(request, api, target, _attach_session)
