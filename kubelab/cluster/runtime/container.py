"""A container: an image's program running in a sandbox, as the kubelet sees it.

The kubelet creates a ``Container`` from an image and the pod's container spec, ``start``s it,
``wait``s for it to end, ``stop``s it, ``exec``s commands in it, probes it with ``http`` and
``tcp_open``, and reads its ``logs``.

What runs is decided the Kubernetes way: ``command`` replaces the image's ENTRYPOINT, ``args``
replaces its CMD, and giving ``command`` alone drops the image's CMD too.

Stopping is the real two-step dance: the image's stop signal (SIGTERM unless the image says
otherwise; nginx uses SIGQUIT, httpd SIGWINCH) goes to PID 1; if the container is still running
when the grace period ends, everything in it gets SIGKILL and it exits with code 137. Programs
that handle the signal (nginx, httpd, redis, the demo app, pause) exit 0 quickly; ``sleep`` and
shells without a ``trap``, as PID 1, ignore it and are killed after the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubelab.cluster.clock import Clock
from kubelab.cluster.flag import Flag
from kubelab.cluster.runtime.console import Console
from kubelab.cluster.runtime.filesystem import ContainerFilesystem, Mount
from kubelab.cluster.runtime.images import Image
from kubelab.cluster.runtime.logs import ContainerLog, LogStream
from kubelab.cluster.runtime.network import (
    HttpRequest,
    HttpResponse,
    NetworkHook,
    NetworkNamespace,
    Streams,
)
from kubelab.cluster.runtime.process import SIGKILL, Process, signal_number
from kubelab.cluster.runtime.sandbox import ExecError, Sandbox, User
from kubelab.cluster.runtime.streams import (
    CallbackOutput,
    Collector,
    EmptyInput,
    Pipe,
)
from kubelab.cluster.runtime.terminal import LineDiscipline, TerminalOutput
from kubelab.cluster.runtime.volumes import MemoryVolume

DEFAULT_TERMINATION_MESSAGE_PATH = "/dev/termination-log"
#: The kubelet reads at most this much of the termination message file...
MAX_TERMINATION_MESSAGE_BYTES = 4096
#: ...and, with FallbackToLogsOnError, at most this many log lines and bytes.
FALLBACK_LOG_LINES = 80
FALLBACK_LOG_BYTES = 2048
#: Exit code a container gets when its process could not be started at all.
START_ERROR_EXIT_CODE = 128


@dataclass(frozen=True)
class ExitStatus:
    """How a container ended: what ``state.terminated`` of a container status reports."""

    exit_code: int
    reason: str  # "Completed", "Error", "OOMKilled" or "StartError"
    started_at: datetime | None
    finished_at: datetime
    signal: int | None = None
    message: str | None = None


class StartError(Exception):
    """The container's process could not be started (the kubelet's ``StartError``)."""

    def __init__(self, message: str, status: ExitStatus) -> None:
        super().__init__(message)
        self.status = status


class ExecFailed(Exception):
    """``kubectl exec`` could not start its command, or the container is not running."""


def command_line(image: Image, spec: Mapping[str, Any]) -> list[str]:
    """ENTRYPOINT + CMD with the spec's ``command``/``args`` applied as Kubernetes does."""
    command = spec.get("command")
    args = spec.get("args")
    if command:
        return [*command, *(args or [])]
    return [*image.entrypoint, *(args if args is not None else image.cmd)]


def _passwd_entries(fs: ContainerFilesystem, path: str) -> list[list[str]]:
    try:
        return [line.split(":") for line in fs.read_text(path).splitlines() if line]
    except OSError:
        return []


def resolve_user(image: Image, spec: Mapping[str, Any], fs: ContainerFilesystem) -> User:
    """Who PID 1 runs as: ``securityContext.runAsUser``/``runAsGroup`` over the image's USER."""
    passwd = _passwd_entries(fs, "/etc/passwd")
    groups = _passwd_entries(fs, "/etc/group")
    security = spec.get("securityContext") or {}
    user_part, _, group_part = image.user.partition(":")
    uid: int | None = security.get("runAsUser")
    name = ""
    if uid is None:
        entry = next((e for e in passwd if user_part and e[0] == user_part), None)
        uid = int(entry[2]) if entry else int(user_part) if user_part.isdigit() else 0
    entry = next((e for e in passwd if len(e) > 5 and e[2] == str(uid)), None)
    name = entry[0] if entry else str(uid)
    home = entry[5] if entry else "/"
    gid: int | None = security.get("runAsGroup")
    if gid is None:
        gid = int(group_part) if group_part.isdigit() else int(entry[3]) if entry else uid
    group = next((g[0] for g in groups if len(g) > 2 and g[2] == str(gid)), str(gid))
    members = [
        (int(g[2]), g[0]) for g in groups
        if len(g) > 3 and name in g[3].split(",") and g[2] != str(gid)
    ]  # fmt: skip
    return User(uid, gid, name, group, ((gid, group), *members), home)


class Container:
    """One container instance (a restart creates a new one with a fresh writable layer)."""

    def __init__(
        self,
        image: Image,
        spec: Mapping[str, Any],
        *,
        clock: Clock,
        env: Mapping[str, str] | None = None,
        mounts: Sequence[Mount] = (),
        hostname: str = "localhost",
        memory_limit: int | None = None,
        network: NetworkHook | None = None,
        netns: NetworkNamespace | None = None,
    ) -> None:
        self.image = image
        self.spec = spec
        self.name: str = spec.get("name", "")
        self.clock = clock
        self.argv = command_line(image, spec)
        # The runtime adds HOSTNAME, as containerd does for every container.
        self.env = {**image.env, "HOSTNAME": hostname, **(env or {})}
        self.working_dir = spec.get("workingDir") or image.working_dir or "/"
        security = spec.get("securityContext") or {}
        self.fs = ContainerFilesystem(
            image.root, clock, read_only_root=bool(security.get("readOnlyRootFilesystem"))
        )
        etc = MemoryVolume(clock.now())
        etc.write("hostname", f"{hostname}\n".encode(), False, clock.now())
        self.fs.mount(Mount("/etc/hostname", etc, sub_path="hostname"))
        #: Why the runtime could not mount a volume; starting the container then fails.
        self.mount_error = ""
        for mount in mounts:
            try:
                self.fs.mount(mount)
            except OSError as error:
                self.mount_error = mount.failure(error)
                break
        self.sandbox = Sandbox(
            clock=clock, fs=self.fs, hostname=hostname, user=resolve_user(image, spec, self.fs),
            netns=netns or NetworkNamespace(), network=network, memory_limit=memory_limit,
        )  # fmt: skip
        # runc sets HOME to the user's home directory (from /etc/passwd) when nothing else does.
        self.env.setdefault("HOME", self.sandbox.user.home)
        self.logs = ContainerLog()
        self._streams = (
            LogStream(self.logs, "stdout", clock),
            LogStream(self.logs, "stderr", clock),
        )
        self.console = Console(spec, *self._streams, interrupt=self._interrupt_main)
        self.started_at: datetime | None = None
        self.finished_at: datetime | None = None
        self._init: Process | None = None
        self._status: ExitStatus | None = None
        self._done = Flag()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._init is not None and self._status is None

    @property
    def status(self) -> ExitStatus | None:
        return self._status

    def start(self) -> None:
        """Start PID 1; raises ``StartError`` when its executable cannot be run."""
        if self._init is not None or self._status is not None:
            raise RuntimeError("a container instance is started only once")
        if self.mount_error:
            self._fail_start(self.mount_error)
        if not self.argv:
            self._fail_start("no command specified")
        with contextlib.suppress(OSError):
            self.fs.write(DEFAULT_TERMINATION_MESSAGE_PATH, "")
        try:
            self._init = self.sandbox.spawn(
                self.argv, env=dict(self.env), cwd=self.working_dir, stdin=self.console.stdin,
                stdout=self.console.stdout, stderr=self.console.stderr, tty=self.console.tty,
            )  # fmt: skip
        except ExecError as problem:
            self._fail_start(problem.runc_message)
        self.started_at = self.clock.now()
        asyncio.get_running_loop().create_task(self._watch(self._init))

    def _fail_start(self, reason: str) -> None:
        message = (
            "failed to create containerd task: failed to create shim task: OCI runtime create "
            f"failed: runc create failed: unable to start container process: {reason}: unknown"
        )
        self.finished_at = self.clock.now()
        self._status = ExitStatus(
            START_ERROR_EXIT_CODE, "StartError", None, self.finished_at, message=message
        )
        self.logs.close()
        self._done.set()
        raise StartError(message, self._status)

    async def _watch(self, init: Process) -> None:
        code = await init.wait()
        self.sandbox.kill_all(SIGKILL)  # the kernel kills the rest when PID 1 is gone
        for stream in self._streams:
            stream.flush()
        self.finished_at = self.clock.now()
        reason = "Completed" if code == 0 else "Error"
        if self.sandbox.oom_killed:
            reason = "OOMKilled"
        self._status = ExitStatus(
            code, reason, self.started_at, self.finished_at, init.killed_by,
            self._termination_message(code),
        )  # fmt: skip
        self.logs.close()
        self._done.set()

    def _termination_message(self, code: int) -> str | None:
        path = self.spec.get("terminationMessagePath") or DEFAULT_TERMINATION_MESSAGE_PATH
        try:
            message = self.fs.read_bytes(path)[:MAX_TERMINATION_MESSAGE_BYTES].decode(
                errors="replace"
            )
        except OSError:
            message = ""
        policy = self.spec.get("terminationMessagePolicy", "File")
        if not message and code != 0 and policy == "FallbackToLogsOnError":
            lines = [entry.line for entry in self.logs.entries[-FALLBACK_LOG_LINES:]]
            message = ("\n".join(lines) + "\n")[-FALLBACK_LOG_BYTES:] if lines else ""
        return message or None

    async def wait(self) -> ExitStatus:
        """Wait until the container has exited, and say how."""
        await self._done.wait()
        assert self._status is not None
        return self._status

    async def stop(self, grace_seconds: float = 30) -> ExitStatus:
        """Send the stop signal, then SIGKILL after ``grace_seconds`` of cluster time."""
        if self._status is not None or self._init is None:
            if self._status is None:
                raise RuntimeError("the container was never started")
            return self._status
        signal = signal_number(self.image.stop_signal) or signal_number("TERM")
        assert signal is not None
        self._init.signal(signal)
        try:
            await asyncio.wait_for(self._done.wait(), grace_seconds / self.clock.time_scale)
        except TimeoutError:
            self.kill()
        return await self.wait()

    def kill(self) -> None:
        """SIGKILL every process at once (a zero grace period, or the OOM killer)."""
        self.sandbox.kill_all(SIGKILL)

    async def kill_and_reap(self) -> None:
        """SIGKILL every process and wait until each one has ended.

        The node's shutdown uses this: a process is a task on the cluster's event loop, and a
        task still pending when the loop goes away is lost mid-step (Python then warns that it
        was destroyed while pending).
        """
        processes = list(self.sandbox.processes.values())
        self.kill()
        await asyncio.gather(*(process.wait() for process in processes))
        if self._init is not None:
            await self.wait()

    # -- attach ------------------------------------------------------------------------------

    async def attach(
        self,
        *,
        stdin: AsyncIterator[str] | None,
        on_stdout: Callable[[str], Awaitable[None]],
        on_stderr: Callable[[str], Awaitable[None]],
    ) -> None:
        """Connect to the main process' streams (``kubectl attach``) until it exits, or until
        the client's input ends (see :mod:`~kubelab.cluster.runtime.console`)."""
        if not self.running:
            raise ExecFailed(f'container "{self.name}" is not running')
        await self.console.attach(self.wait(), stdin, on_stdout, on_stderr)

    def _interrupt_main(self) -> None:
        """Ctrl-C typed on the container's own terminal."""
        if self._init is not None:
            self._interrupt(self._init)

    # -- resources ---------------------------------------------------------------------------

    @property
    def memory_bytes(self) -> int:
        return self.sandbox.memory_bytes

    @property
    def cpu_millicores(self) -> float:
        return self.sandbox.cpu_millicores

    # -- exec --------------------------------------------------------------------------------

    def _spawn_exec(
        self, argv: list[str], stdin: Pipe, stdout: Any, stderr: Any, tty: bool
    ) -> Process:
        if not self.running:
            raise ExecFailed(f'container "{self.name}" is not running')
        try:
            return self.sandbox.spawn(
                argv, env=dict(self.env), cwd=self.working_dir, stdin=stdin, stdout=stdout,
                stderr=stderr, tty=tty,
            )  # fmt: skip
        except ExecError as problem:
            raise ExecFailed(
                "OCI runtime exec failed: exec failed: unable to start container process: "
                f"{problem.runc_message}: unknown"
            ) from None

    async def exec(
        self, argv: list[str], stdin: str | None = None, tty: bool = False
    ) -> tuple[int, str, str]:
        """Run a command in the container and collect its output (``kubectl exec``)."""
        out, err = Collector(), Collector()
        stdout = TerminalOutput(out) if tty else out
        stderr = stdout if tty else err
        process = self._spawn_exec(argv, Pipe.of(stdin or ""), stdout, stderr, tty)
        return await process.wait(), out.text, err.text

    async def exec_stream(
        self,
        argv: list[str],
        *,
        stdin: AsyncIterator[str] | None,
        on_stdout: Callable[[str], Awaitable[None]],
        on_stderr: Callable[[str], Awaitable[None]],
        tty: bool = False,
    ) -> int:
        """Run a command with live input and output (``kubectl exec -it ... sh``).

        With ``tty`` the input is raw key presses, cooked into lines by a terminal line
        discipline, and stderr is merged into stdout as on a real terminal.
        """
        pipe = Pipe() if stdin is not None else EmptyInput()
        stdout: Any = CallbackOutput(on_stdout)
        stderr: Any = CallbackOutput(on_stderr)
        if tty:
            stdout = stderr = TerminalOutput(stdout)
        process = self._spawn_exec(argv, pipe, stdout, stderr, tty)
        pump = None
        if stdin is not None:
            line_discipline = LineDiscipline(
                pipe, stdout, lambda: self._interrupt(process)
            ) if tty else None  # fmt: skip
            pump = asyncio.ensure_future(self._pump(stdin, pipe, line_discipline))
        try:
            return await process.wait()
        finally:
            if pump is not None:
                pump.cancel()
                await asyncio.gather(pump, return_exceptions=True)

    @staticmethod
    async def _pump(source: AsyncIterator[str], pipe: Pipe, tty: LineDiscipline | None) -> None:
        async for chunk in source:
            if tty is not None:
                await tty.feed(chunk)
            else:
                await pipe.write(chunk)
        pipe.close_write()

    def _interrupt(self, session: Process) -> None:
        """Ctrl-C: SIGINT to the newest process of the exec session (its foreground job)."""
        descendants = {session.pid}
        for process in sorted(self.sandbox.processes.values(), key=lambda p: p.pid):
            if process.ppid in descendants:
                descendants.add(process.pid)
        target = self.sandbox.processes.get(max(descendants))
        if target is not None:
            target.signal(signal_number("INT") or 2)

    # -- network -----------------------------------------------------------------------------

    async def http(
        self,
        port: int,
        method: str = "GET",
        path: str = "/",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        client: str = "10.244.0.1",
    ) -> HttpResponse:
        """An HTTP request to ``port`` in this container's network namespace.

        Raises ``ConnectionRefusedError`` when nothing listens there (the probe then fails with
        ``connect: connection refused``). A hung server makes this wait: apply a timeout.
        """
        request = HttpRequest(method, path, dict(headers or {}), body, client)
        return await self.sandbox.netns.http(port, request)

    def tcp_open(self, port: int) -> bool:
        """Would a TCP connection to ``port`` succeed (a tcpSocket probe)?"""
        return self.sandbox.netns.listening(port)

    async def tcp_connect(self, port: int) -> Streams:
        """A byte stream to ``port`` (for port-forward); raises ``ConnectionRefusedError``."""
        return await self.sandbox.netns.tcp_connect(port)
