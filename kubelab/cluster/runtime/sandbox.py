"""What the processes of one container share: the kernel's view of a container.

A container is not a virtual machine; it is a group of ordinary processes that the kernel gives
their own filesystem (mount namespace), their own process ids (PID namespace, so the first
process is PID 1), their own hostname (UTS namespace), the pod's network (network namespace) and
a memory limit (cgroup). ``Sandbox`` holds exactly those things, and starts processes in them:
it finds the program for a command the way ``execve`` and ``$PATH`` do, reading the file from
the container's filesystem.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from kubelab.cluster.clock import Clock
from kubelab.cluster.runtime import dns
from kubelab.cluster.runtime.filesystem import ContainerFilesystem, normalize
from kubelab.cluster.runtime.network import (
    HttpRequest,
    HttpResponse,
    NetworkHook,
    NetworkNamespace,
    Streams,
)
from kubelab.cluster.runtime.process import SIGKILL, Process, Program
from kubelab.cluster.runtime.programs.registry import parse_executable, program_named
from kubelab.cluster.runtime.streams import Input, Output

#: containerd's default ``PATH`` for a container whose image sets none.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: How many cluster seconds of CPU work count towards the current usage figure.
CPU_WINDOW_SECONDS = 30.0


@dataclass(frozen=True)
class User:
    """Who the processes run as (``id`` prints it)."""

    uid: int = 0
    gid: int = 0
    name: str = "root"
    group: str = "root"
    groups: tuple[tuple[int, str], ...] = ((0, "root"),)
    home: str = "/root"


class ExecError(Exception):
    """A command that cannot be started; ``reason`` says why, as ``execve`` would."""

    NOT_IN_PATH = "executable file not found in $PATH"
    NO_SUCH_FILE = "no such file or directory"
    PERMISSION_DENIED = "permission denied"
    FORMAT = "exec format error"

    def __init__(self, command: str, reason: str) -> None:
        super().__init__(f"{command}: {reason}")
        self.command = command
        self.reason = reason

    @property
    def runc_message(self) -> str:
        """The wording runc uses, which kubectl shows for a container or exec that fails."""
        if self.reason == self.NO_SUCH_FILE:
            return f'exec: "{self.command}": stat {self.command}: {self.reason}'
        return f'exec: "{self.command}": {self.reason}'


class UnknownHost(LookupError):
    """A name that does not resolve (``bad address``, ``Could not resolve host``)."""


@dataclass(frozen=True)
class Executable:
    path: str
    program: Program
    flavor: str
    #: For a script: the interpreter and its arguments from the ``#!`` line.
    interpreter: tuple[str, ...] = ()


@dataclass
class _CpuWork:
    at: float
    seconds: float


@dataclass
class Sandbox:
    clock: Clock
    fs: ContainerFilesystem
    hostname: str = "localhost"
    user: User = field(default_factory=User)
    netns: NetworkNamespace = field(default_factory=NetworkNamespace)
    network: NetworkHook | None = None
    memory_limit: int | None = None
    #: Called once when memory use goes over the limit (the container then dies OOMKilled).
    on_oom: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.processes: dict[int, Process] = {}
        self.oom_killed = False
        self._next_pid = 1
        self._cpu_work: list[_CpuWork] = []

    # -- processes -------------------------------------------------------------------------

    def find_executable(self, command: str, env: dict[str, str], cwd: str) -> Executable:
        """Find what ``command`` runs, searching ``$PATH`` when it has no slash."""
        if "/" in command:
            return self._load(normalize(command, cwd), command)
        for directory in env.get("PATH", DEFAULT_PATH).split(":"):
            path = posixpath.join(normalize(directory or ".", cwd), command)
            entry = self.fs.stat(path)
            if entry is not None and entry.executable:
                return self._load(path, command)
        raise ExecError(command, ExecError.NOT_IN_PATH)

    def _load(self, path: str, command: str, depth: int = 0) -> Executable:
        entry = self.fs.stat(path)
        if entry is None:
            raise ExecError(command, ExecError.NO_SUCH_FILE)
        if entry.is_dir or (entry.permissions is not None and not entry.permissions & 0o111):
            raise ExecError(command, ExecError.PERMISSION_DENIED)
        head = self.fs.read_bytes(path)[:256]
        if (found := parse_executable(head)) is not None:
            return Executable(path, program_named(found[0]), found[1])
        if head.startswith(b"#!") and depth == 0:
            interpreter = tuple(head[2:].split(b"\n")[0].decode().split())
            if interpreter:
                loaded = self._load(interpreter[0], interpreter[0], depth + 1)
                return Executable(path, loaded.program, loaded.flavor, interpreter)
        raise ExecError(command, ExecError.FORMAT)

    def spawn(
        self,
        argv: list[str],
        *,
        env: dict[str, str],
        cwd: str,
        stdin: Input,
        stdout: Output,
        stderr: Output,
        ppid: int = 0,
        tty: bool = False,
    ) -> Process:
        """Start ``argv`` as a new process (``fork`` + ``execve``); raises ``ExecError``."""
        executable = self.find_executable(argv[0], env, cwd)
        if executable.interpreter:
            argv = [*executable.interpreter, executable.path, *argv[1:]]
        process = self.new_process(
            argv, env=env, cwd=cwd, stdin=stdin, stdout=stdout, stderr=stderr, ppid=ppid,
            flavor=executable.flavor, tty=tty,
        )  # fmt: skip
        process.start(executable.program)
        return process

    def new_process(
        self,
        argv: list[str],
        *,
        env: dict[str, str],
        cwd: str,
        stdin: Input,
        stdout: Output,
        stderr: Output,
        ppid: int = 0,
        flavor: str = "",
        tty: bool = False,
    ) -> Process:
        """Register a process under the next pid; ``Process.start`` then runs its program."""
        process = Process(
            self, argv, pid=self._next_pid, ppid=ppid, env=env, cwd=cwd, stdin=stdin,
            stdout=stdout, stderr=stderr, flavor=flavor, tty=tty,
        )  # fmt: skip
        self._next_pid += 1
        self.processes[process.pid] = process
        return process

    def reap(self, process: Process) -> None:
        """A process has ended: free its pid, ports and memory."""
        self.processes.pop(process.pid, None)
        self.netns.release(process)
        self.memory_changed()

    def kill_all(self, signal: int = SIGKILL) -> None:
        for process in list(self.processes.values()):
            process.signal(signal)

    # -- resources -------------------------------------------------------------------------

    @property
    def memory_bytes(self) -> int:
        return sum(process.memory_bytes for process in self.processes.values())

    def memory_changed(self) -> None:
        """Enforce the memory limit: going over it kills every process (the OOM killer)."""
        if self.memory_limit is None or self.oom_killed:
            return
        if self.memory_bytes > self.memory_limit:
            self.oom_killed = True
            if self.on_oom is not None:
                self.on_oom()
            self.kill_all(SIGKILL)

    def record_cpu(self, seconds: float) -> None:
        """Account ``seconds`` of CPU work (a request served) at the current time."""
        now = self.clock.now().timestamp()
        self._cpu_work = [w for w in self._cpu_work if now - w.at < CPU_WINDOW_SECONDS]
        self._cpu_work.append(_CpuWork(now, seconds))

    @property
    def cpu_millicores(self) -> float:
        """Baseline use of the running processes plus recent work averaged over a window."""
        now = self.clock.now().timestamp()
        recent = sum(w.seconds for w in self._cpu_work if now - w.at < CPU_WINDOW_SECONDS)
        baseline = sum(process.cpu_millicores for process in self.processes.values())
        return baseline + recent / CPU_WINDOW_SECONDS * 1000

    # -- the network as seen from inside -----------------------------------------------------

    async def resolve(self, host: str) -> str:
        """The first address of ``host``, or ``UnknownHost``."""
        found = await dns.resolve(host, self.fs, self.network)
        if found is None:
            raise UnknownHost(host)
        return found.addresses[0]

    async def http(self, host: str, port: int, request: HttpRequest) -> HttpResponse:
        """Send an HTTP request from this container (``wget``, ``curl``, nginx' proxy_pass)."""
        address = await self.resolve(host)
        request.client = self.netns.ip
        if self.netns.is_local(address):
            return await self.netns.http(port, request)
        if self.network is None:
            raise OSError(113, "No route to host")
        return await self.network.http(address, port, request)

    async def tcp_connect(self, host: str, port: int) -> Streams:
        address = await self.resolve(host)
        if self.netns.is_local(address):
            return await self.netns.tcp_connect(port, self.netns.ip)
        if self.network is None:
            raise OSError(113, "No route to host")
        return await self.network.tcp_connect(address, port)

    async def idle(self) -> None:
        """Wait forever (until a signal ends the process); what a server's main loop does."""
        await asyncio.get_running_loop().create_future()
