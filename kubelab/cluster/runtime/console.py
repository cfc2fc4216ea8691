"""The main process' standard streams, which ``kubectl attach`` and ``kubectl run -it`` reach.

The runtime keeps PID 1's streams for the life of the container. Its output always goes to the
container log; clients attached at the moment also receive it as it is written (nothing written
earlier is replayed: kubectl shows the log for that). Its input depends on the container spec:

* ``stdin: false`` (the default): standard input is empty, reads see end-of-file at once;
* ``stdin: true``: an open pipe that attached clients write into; it stays open when a client
  leaves, so the next ``kubectl attach -i`` can go on typing;
* ``stdinOnce: true`` as well: the pipe is closed when the first attached client's input ends,
  so a shell reading it sees end-of-file and exits, and the pod completes;
* ``tty: true``: the streams are a terminal. Key presses are cooked into lines (with echo,
  backspace and Ctrl-C) by a line discipline, stderr is merged into stdout, and clients get
  ``\\r\\n`` line endings. A terminal without ``stdin`` is never written to, so a shell on it
  waits at its prompt as it would under ``docker run -t``.

A client that asks to send input to a container without ``stdin: true`` is not refused (the
container runtime attaches its output and leaves its input unread), as with containerd.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kubelab.cluster.flag import Flag
from kubelab.cluster.runtime.streams import EmptyInput, Output, Pipe
from kubelab.cluster.runtime.terminal import LineDiscipline

log = logging.getLogger("kubelab.cluster.runtime")

Send = Callable[[str], Awaitable[None]]


@dataclass(eq=False)
class AttachedClient:
    """One ``attach`` session's output callbacks."""

    on_stdout: Send
    on_stderr: Send


class ConsoleOutput:
    """PID 1's stdout or stderr: into the log, and out to every attached client."""

    def __init__(self, console: Console, log_stream: Output, stream: str) -> None:
        self._console = console
        self._log = log_stream
        self._stream = stream

    async def write(self, text: str) -> None:
        await self._log.write(text)
        await self._console.broadcast(self._stream, text)


class _Echo:
    """Where the terminal echoes typed characters: to the clients only, already cooked."""

    def __init__(self, console: Console) -> None:
        self._console = console

    async def write(self, text: str) -> None:
        await self._console.broadcast("stdout", text, cooked=True)


class Console:
    """The streams of one container's main process, as the spec's stdin/stdinOnce/tty ask."""

    def __init__(
        self,
        spec: Mapping[str, Any],
        log_out: Output,
        log_err: Output,
        interrupt: Callable[[], None],
    ) -> None:
        self.open_stdin = bool(spec.get("stdin"))
        self.stdin_once = bool(spec.get("stdinOnce"))
        self.tty = bool(spec.get("tty"))
        self.stdin: Pipe = Pipe() if self.open_stdin or self.tty else EmptyInput()
        self.stdout = ConsoleOutput(self, log_out, "stdout")
        self.stderr = ConsoleOutput(self, log_out, "stdout") if self.tty else (
            ConsoleOutput(self, log_err, "stderr")
        )  # fmt: skip
        self._terminal = LineDiscipline(self.stdin, _Echo(self), interrupt) if self.tty else None
        self._clients: list[AttachedClient] = []

    async def broadcast(self, stream: str, text: str, *, cooked: bool = False) -> None:
        """Send output to every attached client; one that fails is dropped, not the process."""
        if not text or not self._clients:
            return
        if self.tty and not cooked:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        for client in list(self._clients):
            send = client.on_stdout if stream == "stdout" else client.on_stderr
            try:
                await send(text)
            except Exception:  # noqa: BLE001 - a broken client must not kill the process
                log.debug("dropping an attached client", exc_info=True)
                with contextlib.suppress(ValueError):
                    self._clients.remove(client)

    async def _type(self, chunk: str) -> None:
        if self._terminal is not None:
            await self._terminal.feed(chunk)
        else:
            await self.stdin.write(chunk)

    async def _pump(self, source: AsyncIterator[str], detached: Flag) -> None:
        """Copy a client's input into PID 1's stdin; when it ends, stdinOnce closes stdin."""
        async for chunk in source:
            if self.stdin.write_closed:
                continue
            with contextlib.suppress(BrokenPipeError):
                await self._type(chunk)
        if self.stdin_once:
            self.stdin.close_write()
        else:
            detached.set()

    async def attach(
        self, exited: Awaitable[Any], stdin: AsyncIterator[str] | None, on_stdout: Send,
        on_stderr: Send,
    ) -> None:  # fmt: skip
        """Relay output until PID 1 exits (``exited``), or until the client's input ends when
        the container keeps its stdin open for the next client."""
        client = AttachedClient(on_stdout, on_stderr)
        self._clients.append(client)
        detached = Flag()
        tasks = [asyncio.ensure_future(exited), asyncio.ensure_future(detached.wait())]
        if stdin is not None and self.open_stdin:
            tasks.append(asyncio.ensure_future(self._pump(stdin, detached)))
        try:
            await asyncio.wait(tasks[:2], return_when=asyncio.FIRST_COMPLETED)
        finally:
            with contextlib.suppress(ValueError):
                self._clients.remove(client)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
