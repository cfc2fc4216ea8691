"""A process: one program running inside a container, with its pid, argv, environment and signals.

Signals are where containers surprise people, so they are modelled carefully. A process may
install a handler for a signal (nginx handles SIGQUIT, redis SIGTERM). Without a handler the
kernel's default applies: most signals terminate the process and its exit code becomes
128 + the signal number (SIGTERM → 143, SIGKILL → 137). One exception matters in containers:
**PID 1 is not terminated by signals it does not handle**. That is why ``sleep 3600`` as a
container's main process ignores ``kubectl delete``'s SIGTERM and is killed with SIGKILL only
when the grace period ends. SIGKILL can never be handled or ignored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from kubelab.cluster.flag import Flag
from kubelab.cluster.runtime.streams import Input, Output

if TYPE_CHECKING:
    from kubelab.cluster.runtime.sandbox import Sandbox

SIGNALS = {
    "HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13,
    "ALRM": 14, "TERM": 15, "CHLD": 17, "CONT": 18, "STOP": 19, "WINCH": 28,
}  # fmt: skip
SIGNAL_NAMES = {number: name for name, number in SIGNALS.items()}
SIGINT, SIGQUIT, SIGKILL, SIGPIPE, SIGTERM, SIGWINCH = 2, 3, 9, 13, 15, 28
#: Signals whose default action is to do nothing.
IGNORED_BY_DEFAULT = frozenset({SIGNALS["CHLD"], SIGNALS["CONT"], SIGWINCH})

Program = Callable[["Process"], Awaitable[int]]
SignalHandler = Callable[[int], None]


def signal_number(name_or_number: str) -> int | None:
    """``TERM``, ``SIGTERM``, ``15`` → 15; None for anything else."""
    text = name_or_number.upper().removeprefix("SIG")
    if text.isdigit():
        return int(text) if int(text) in SIGNAL_NAMES else None
    return SIGNALS.get(text)


class ProgramExit(Exception):  # noqa: N818 - it is a request to exit, not an error
    """Raised by a program (or the shell's ``exit``) to end its process with ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code & 0xFF


class Process:
    """One running program. Create them with ``Sandbox.spawn``; programs receive one to use."""

    def __init__(
        self,
        sandbox: Sandbox,
        argv: list[str],
        *,
        pid: int,
        ppid: int,
        env: dict[str, str],
        cwd: str,
        stdin: Input,
        stdout: Output,
        stderr: Output,
        flavor: str = "",
        tty: bool = False,
    ) -> None:
        self.sandbox = sandbox
        self.argv = argv
        self.pid = pid
        self.ppid = ppid
        self.env = env
        self.cwd = cwd
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        #: Which implementation of the program this is: "busybox" or "gnu" tools, the
        #: "ash", "dash" or "bash" shell. Messages differ between them, as in real images.
        self.flavor = flavor
        self.tty = tty
        self.started_at = sandbox.clock.now()
        self.exit_code: int | None = None
        #: The signal that terminated the process, if one did.
        self.killed_by: int | None = None
        self._memory_bytes = 0
        self.cpu_millicores = 0.0
        self._handlers: dict[int, SignalHandler] = {}
        self._task: asyncio.Task[int] | None = None
        self._forced_exit: int | None = None
        self._begun = False
        self._exited = Flag()

    @property
    def command_line(self) -> str:
        return " ".join(self.argv)

    @property
    def memory_bytes(self) -> int:
        """Resident memory; setting it lets the container's memory limit act (OOM kill)."""
        return self._memory_bytes

    @memory_bytes.setter
    def memory_bytes(self, value: int) -> None:
        self._memory_bytes = max(value, 0)
        self.sandbox.memory_changed()

    @property
    def running(self) -> bool:
        return self.exit_code is None

    def write_out(self, text: str) -> Awaitable[None]:
        return self.stdout.write(text)

    def write_err(self, text: str) -> Awaitable[None]:
        return self.stderr.write(text)

    def on_signal(self, signal: int, handler: SignalHandler) -> None:
        """Install a handler (like ``signal(2)``); SIGKILL cannot be caught."""
        if signal == SIGKILL:
            raise ValueError("SIGKILL cannot be handled")
        self._handlers[signal] = handler

    def signal(self, signal: int) -> None:
        """Deliver ``signal`` the way the kernel would."""
        if not self.running:
            return
        if signal == SIGKILL:
            self._terminate_by(signal)
        elif signal in self._handlers:
            self._handlers[signal](signal)
        elif self.pid == 1 or signal in IGNORED_BY_DEFAULT:
            return
        else:
            self._terminate_by(signal)

    def _terminate_by(self, signal: int) -> None:
        self.killed_by = signal
        self.exit_soon(128 + signal)

    def exit_soon(self, code: int) -> None:
        """End the process with ``code`` from outside its main task (a handler, a timer)."""
        if self._forced_exit is None and self.running:
            self._forced_exit = code
            if not self._begun:
                return  # ``run`` has not started yet and will end at once
            if self._task is not asyncio.current_task():
                self._task.cancel()  # type: ignore[union-attr]
            else:
                raise ProgramExit(code)

    async def run(self, program: Program) -> int:
        """Run ``program`` in the current task until it ends; returns the exit code."""
        self._task = asyncio.current_task()
        self._begun = True
        try:
            if self._forced_exit is not None:
                raise ProgramExit(self._forced_exit)
            code = await program(self)
        except ProgramExit as exit_request:
            code = exit_request.code
        except BrokenPipeError:
            self.killed_by = SIGPIPE
            code = 128 + SIGPIPE
        except asyncio.CancelledError:
            if self._forced_exit is None:
                self._finish(128 + SIGKILL)
                raise
            if self._task is not None:
                self._task.uncancel()
            code = self._forced_exit
        if self._forced_exit is not None:
            code = self._forced_exit
        self._finish(code)
        return code

    async def exec(self, argv: list[str]) -> int:
        """Replace this process' program by ``argv`` (``execve``): same pid, new program.

        Entrypoint scripts end with ``exec "$@"`` for this reason: the server they start then
        *is* PID 1 and receives the container's stop signal itself.
        """
        executable = self.sandbox.find_executable(argv[0], self.env, self.cwd)
        if executable.interpreter:
            argv = [*executable.interpreter, executable.path, *argv[1:]]
        self.argv, self.flavor = argv, executable.flavor
        self._handlers.clear()
        return await executable.program(self)

    def start(self, program: Program) -> None:
        """Run ``program`` in a task of its own (what ``fork``+``exec`` does for real)."""
        self._task = asyncio.get_running_loop().create_task(
            self.run(program), name=f"pid {self.pid}: {self.command_line}"
        )

    def _finish(self, code: int) -> None:
        if self.exit_code is None:
            self.exit_code = code & 0xFF
            self._memory_bytes = 0
            self.sandbox.reap(self)
            self._exited.set()

    async def wait(self) -> int:
        """The exit code, once the process has ended (waiting does not tie us to its fate)."""
        await self._exited.wait()
        assert self.exit_code is not None
        return self.exit_code
