"""The shell's interpreter: runs the command tree that ``syntax`` builds.

A shell is itself a process. It keeps variables (some *exported*, which become the environment
of the commands it starts), a current directory, the exit status of the last command (``$?``)
and signal traps. Built-in commands (``cd``, ``export``, ``exit``, ``echo``…) run inside the shell;
anything else is looked up in ``$PATH`` and started as a child process that the shell waits for.
Pipelines run their commands concurrently, joined by pipes.

Signals follow the real rules: a trap set with ``trap '...' TERM`` runs only once the command in
the foreground has finished, so ``trap 'exit 0' TERM; sleep 3600`` still waits for ``sleep``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from kubelab.cluster.flag import Flag
from kubelab.cluster.runtime.filesystem import DEV_NULL, FileOutput, normalize
from kubelab.cluster.runtime.process import Process, ProgramExit
from kubelab.cluster.runtime.sandbox import ExecError
from kubelab.cluster.runtime.shell.dialects import Dialect
from kubelab.cluster.runtime.shell.expansion import Expander, ExpansionError
from kubelab.cluster.runtime.shell.syntax import (
    AndOr,
    Command,
    CommandList,
    For,
    Group,
    If,
    Loop,
    Pipeline,
    Redirect,
    ShellSyntaxError,
    SimpleCommand,
    parse,
)
from kubelab.cluster.runtime.streams import Collector, Discard, EmptyInput, Input, Output, Pipe

EXIT_TRAP = 0


@dataclass(frozen=True)
class IO:
    """The standard streams of the command being run (redirections replace them)."""

    stdin: Input
    stdout: Output
    stderr: Output

    def fd(self, number: int) -> Input | Output | None:
        return {0: self.stdin, 1: self.stdout, 2: self.stderr}.get(number)

    def with_fd(self, number: int, stream: Input | Output) -> IO:
        field = {0: "stdin", 1: "stdout", 2: "stderr"}[number]
        return replace(self, **{field: stream})


class Shell:
    """One shell: its variables, directory, traps and status, and the code to run commands."""

    def __init__(
        self,
        process: Process,
        dialect: Dialect,
        *,
        name: str,
        positional: list[str],
        mode: str,
    ) -> None:
        self.process = process
        self.sandbox = process.sandbox
        self.dialect = dialect
        self.name = name
        self.positional = positional
        #: "c" for ``sh -c``, "script" for a file, "interactive" for a prompt.
        self.mode = mode
        self.variables: dict[str, str] = dict(process.env)
        self.exported: set[str] = set(process.env)
        self.variables.setdefault("PWD", process.cwd)
        self.variables.setdefault("IFS", " \t\n")
        self.cwd = process.cwd
        self.status = 0
        self.line = 1
        self.errexit = False
        self.xtrace = False
        self.traps: dict[int, str] = {}
        self.pending_signals: list[int] = []
        self.jobs: list[Process] = []
        self.last_job_pid: int | None = None
        self.foreground: Process | None = None
        self.io = IO(process.stdin, process.stdout, process.stderr)
        self.expander = Expander(self)
        self._condition_depth = 0
        self._substitution_status: int | None = None
        self._signal_arrived = Flag()

    # -- variables ---------------------------------------------------------------------------

    def get(self, name: str, default: str = "") -> str:
        return self.variables.get(name, default)

    def set(self, name: str, value: str) -> None:
        self.variables[name] = value
        if name == "PWD":
            self.exported.add(name)

    def parameter(self, name: str) -> str | None:
        """The value of ``$name``, including the special parameters; None when unset."""
        if name.isdigit():
            index = int(name)
            if index == 0:
                return self.name
            return self.positional[index - 1] if index <= len(self.positional) else None
        special = {
            "?": str(self.status),
            "$": str(self.process.pid),
            "#": str(len(self.positional)),
            "@": " ".join(self.positional),
            "*": " ".join(self.positional),
            "!": str(self.last_job_pid) if self.last_job_pid is not None else "",
            "-": ("e" if self.errexit else "") + ("x" if self.xtrace else ""),
        }
        return special[name] if name in special else self.variables.get(name)

    def environment(self) -> dict[str, str]:
        """What a child process inherits: the exported variables."""
        return {name: self.variables[name] for name in self.exported if name in self.variables}

    def subshell(self, process: Process | None = None) -> Shell:
        """A copy that can change its variables and directory without affecting this shell."""
        child = Shell(
            process or self.process, self.dialect, name=self.name,
            positional=list(self.positional), mode=self.mode,
        )  # fmt: skip
        child.variables = dict(self.variables)
        child.exported = set(self.exported)
        child.cwd, child.status, child.line = self.cwd, self.status, self.line
        child.errexit, child.xtrace = self.errexit, self.xtrace
        child.io = self.io
        return child

    # -- messages ----------------------------------------------------------------------------

    async def error(self, io: IO, message: str) -> None:
        await io.stderr.write(self.dialect.prefix(self.name, self.line, self.mode) + message + "\n")

    # -- running -----------------------------------------------------------------------------

    async def run_source(self, text: str) -> int:
        """Parse and run a whole script (the text of ``sh -c`` or a script file)."""
        try:
            tree = parse(text)
        except ShellSyntaxError as problem:
            self.line = problem.line
            await self.syntax_error(problem)
            return 2
        return await self.run_tree(tree)

    async def syntax_error(self, problem: ShellSyntaxError) -> None:
        message = self.dialect.syntax_error(problem.token, problem.expecting, problem.unterminated)
        await self.error(self.io, message)

    async def run_tree(self, tree: CommandList) -> int:
        self.status = await self.run_list(tree, self.io)
        return self.status

    async def finish(self, code: int) -> int:
        """Run the EXIT trap, if any, and return the shell's exit code."""
        action = self.traps.pop(EXIT_TRAP, None)
        if action:
            self.status = code
            try:
                await self.run_source(action)
            except ProgramExit as exit_request:
                return exit_request.code
        return code

    async def run_list(self, node: CommandList, io: IO) -> int:
        status = self.status
        for item in node.items:
            if item.background:
                self.start_job(item, io)
                status = 0
            else:
                status = await self.run_and_or(item, io)
            self.status = status
            await self.run_pending_traps(io)
        return status

    def start_job(self, node: AndOr, io: IO) -> None:
        """``command &``: a child process runs it while this shell goes on."""
        job = self.sandbox.new_process(
            [self.name], env=self.environment(), cwd=self.cwd, stdin=EmptyInput(),
            stdout=io.stdout, stderr=io.stderr, ppid=self.process.pid,
            flavor=self.process.flavor,
        )  # fmt: skip
        copy = self.subshell(job)

        async def run_job(_: Process) -> int:
            return await copy.run_and_or(node, io)

        job.start(run_job)
        self.jobs.append(job)
        self.last_job_pid = job.pid

    async def run_and_or(self, node: AndOr, io: IO) -> int:
        """``a && b || c``: every pipeline but the last counts as a condition for ``set -e``."""
        status = await self._run_guarded(node.first, io, condition=bool(node.rest))
        for index, (operator, pipeline) in enumerate(node.rest):
            if (operator == "&&") == (status == 0):
                status = await self._run_guarded(pipeline, io, index < len(node.rest) - 1)
        return status

    async def _run_guarded(self, node: Pipeline, io: IO, condition: bool) -> int:
        self._condition_depth += condition
        try:
            return await self.run_pipeline(node, io)
        finally:
            self._condition_depth -= condition

    async def run_pipeline(self, node: Pipeline, io: IO) -> int:
        if node.negate:
            self._condition_depth += 1
        try:
            if len(node.commands) == 1:
                status = await self.run_command(node.commands[0], io)
            else:
                status = await self._run_connected(node.commands, io)
        finally:
            if node.negate:
                self._condition_depth -= 1
        if node.negate:
            status = int(status == 0)
        self.status = status
        if status and self.errexit and self._condition_depth == 0:
            raise ProgramExit(status)
        return status

    async def _run_connected(self, commands: list[Command], io: IO) -> int:
        pipes = [Pipe() for _ in commands[1:]]

        async def run_one(index: int, command: Command) -> int:
            stdin = pipes[index - 1] if index else io.stdin
            stdout = pipes[index] if index < len(pipes) else io.stdout
            part = replace(io, stdin=stdin, stdout=stdout)
            try:
                return await self.subshell().run_command(command, part)
            except ProgramExit as exit_request:
                return exit_request.code
            except BrokenPipeError:
                return 141
            finally:
                if index < len(pipes):
                    pipes[index].close_write()
                if index:
                    pipes[index - 1].close()

        statuses = await asyncio.gather(*(run_one(i, c) for i, c in enumerate(commands)))
        return statuses[-1]

    async def run_command(self, command: Command, io: IO) -> int:
        if isinstance(command, SimpleCommand):
            return await self.run_simple(command, io)
        redirected = await self.redirect(io, command.redirects)
        if redirected is None:
            return 1
        if isinstance(command, If):
            for condition, body in command.branches:
                if await self._condition(condition, redirected) == 0:
                    return await self.run_list(body, redirected)
            return await self.run_list(command.otherwise, redirected) if command.otherwise else 0
        if isinstance(command, Loop):
            return await self._loop(command, redirected)
        if isinstance(command, For):
            return await self._for(command, redirected)
        assert isinstance(command, Group)
        if command.subshell:
            try:
                return await self.subshell().run_list(command.body, redirected)
            except ProgramExit as exit_request:
                return exit_request.code
        return await self.run_list(command.body, redirected)

    async def _condition(self, condition: CommandList, io: IO) -> int:
        self._condition_depth += 1
        try:
            return await self.run_list(condition, io)
        finally:
            self._condition_depth -= 1

    async def _loop(self, loop: Loop, io: IO) -> int:
        status = 0
        while True:
            await asyncio.sleep(0)  # let other tasks (and signals) in on every round
            if (await self._condition(loop.condition, io) == 0) == loop.until:
                return status
            status = await self.run_list(loop.body, io)

    async def _for(self, loop: For, io: IO) -> int:
        if loop.items is None:
            values = list(self.positional)
        else:
            values = []
            for word in loop.items:
                values.extend(await self.expander.fields(word))
        status = 0
        for value in values:
            await asyncio.sleep(0)
            self.set(loop.variable, value)
            status = await self.run_list(loop.body, io)
        return status

    async def run_simple(self, command: SimpleCommand, io: IO) -> int:
        from kubelab.cluster.runtime.shell.builtins import BUILTINS

        self.line = command.line
        self._substitution_status = None
        try:
            argv: list[str] = []
            for word in command.words:
                argv.extend(await self.expander.fields(word))
            values = {a.name: await self.expander.string(a.value) for a in command.assignments}
        except ExpansionError as problem:
            await self.error(io, str(problem))
            if self.mode != "interactive":
                raise ProgramExit(2) from None
            return 1
        redirected = await self.redirect(io, command.redirects)
        if redirected is None:
            return 1
        if not argv:
            for name, value in values.items():
                self.set(name, value)
            return self._substitution_status or 0
        if self.xtrace:
            await io.stderr.write("+ " + " ".join(argv) + "\n")
        builtin = BUILTINS.get(argv[0])
        if builtin is not None:
            return await builtin(self, argv, redirected)
        return await self.run_external(argv, values, redirected)

    async def run_external(self, argv: list[str], extra_env: dict[str, str], io: IO) -> int:
        """Start ``argv`` as a child process and wait for it."""
        try:
            child = self.sandbox.spawn(
                argv, env={**self.environment(), **extra_env}, cwd=self.cwd, stdin=io.stdin,
                stdout=io.stdout, stderr=io.stderr, ppid=self.process.pid, tty=self.process.tty,
            )  # fmt: skip
        except ExecError as problem:
            return await self._cannot_run(argv, problem, io)
        self.foreground = child
        try:
            return await child.wait()
        finally:
            self.foreground = None

    async def _cannot_run(self, argv: list[str], problem: ExecError, io: IO) -> int:
        if problem.reason == ExecError.FORMAT:
            # A file without "#!" is run by the shell itself, as POSIX shells do.
            script = self.sandbox.fs.read_text(normalize(argv[0], self.cwd))
            child = self.subshell()
            child.name, child.positional, child.mode = argv[0], argv[1:], "script"
            try:
                return await child.run_source(script)
            except ProgramExit as exit_request:
                return exit_request.code
        if problem.reason == ExecError.PERMISSION_DENIED:
            await self.error(io, self.dialect.cannot_execute(argv[0]))
            return 126
        if "/" in argv[0] and self.dialect.name == "bash":
            await self.error(io, f"{argv[0]}: No such file or directory")
        else:
            await self.error(io, self.dialect.not_found(argv[0]))
        return 127

    async def substitute(self, source: str) -> str:
        """``$(source)``: run it in a subshell and return what it printed."""
        captured = Collector()
        child = self.subshell()
        child.io = replace(self.io, stdout=captured)
        try:
            status = await child.run_source(source)
        except ProgramExit as exit_request:
            status = exit_request.code
        self._substitution_status = status
        self.status = status
        return captured.text

    async def redirect(self, io: IO, redirects: list[Redirect]) -> IO | None:
        """Apply ``>``, ``>>``, ``<``, ``2>&1``…; None (after a message) when one fails."""
        for redirect in redirects:
            try:
                target = await self.expander.string(redirect.target)
            except ExpansionError as problem:
                await self.error(io, str(problem))
                return None
            if redirect.operator in (">&", "<&"):
                if target == "-":
                    io = io.with_fd(redirect.fd, Discard() if redirect.fd else EmptyInput())
                elif target.isdigit() and io.fd(int(target)) is not None:
                    io = io.with_fd(redirect.fd, io.fd(int(target)))  # type: ignore[arg-type]
                else:
                    await self.error(io, f"{target}: Bad file descriptor")
                    return None
                continue
            path = normalize(target, self.cwd)
            try:
                io = io.with_fd(redirect.fd, self._open(path, redirect.operator, io))
            except OSError as problem:
                if redirect.operator == "<":
                    await self.error(io, self.dialect.cannot_open(target, problem))
                else:
                    await self.error(io, self.dialect.cannot_create(target, problem))
                return None
        return io

    def _open(self, path: str, operator: str, io: IO) -> Input | Output:
        fs = self.sandbox.fs
        if path in ("/dev/stdout", "/dev/stderr") and operator != "<":
            return io.stdout if path == "/dev/stdout" else io.stderr
        if path == DEV_NULL:
            return EmptyInput() if operator == "<" else Discard()
        if operator == "<":
            return Pipe.of(fs.read_text(path))
        fs.write(path, "", append=operator == ">>")
        return FileOutput(fs, path)

    # -- signals -----------------------------------------------------------------------------

    def trap(self, signal: int, action: str | None) -> None:
        """``trap action SIG``; ``""`` ignores the signal, None restores the default."""
        if action is None:
            self.traps.pop(signal, None)
            if signal != EXIT_TRAP:
                self.process.on_signal(signal, self._default_disposition)
            return
        self.traps[signal] = action
        if signal != EXIT_TRAP:
            self.process.on_signal(signal, self._note_signal)

    def _note_signal(self, signal: int) -> None:
        if self.traps.get(signal):
            self.pending_signals.append(signal)
            self._signal_arrived.set()

    def _default_disposition(self, signal: int) -> None:
        if self.process.pid != 1:
            self.process.exit_soon(128 + signal)

    async def run_pending_traps(self, io: IO) -> None:
        while self.pending_signals:
            signal = self.pending_signals.pop(0)
            action = self.traps.get(signal)
            if action:
                saved = self.status
                await self.run_source(action)
                self.status = saved

    async def wait_for_jobs(self, pids: list[int]) -> int:
        """``wait``: until the background jobs end, or a trapped signal arrives."""
        status = 0
        for job in [job for job in self.jobs if not pids or job.pid in pids]:
            waiting = asyncio.ensure_future(job.wait())
            interrupted = asyncio.ensure_future(self._signal_arrived.wait())
            try:
                await asyncio.wait({waiting, interrupted}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                interrupted.cancel()
            if not waiting.done():
                waiting.cancel()
                self._signal_arrived.clear()
                return 128 + self.pending_signals[0]
            status = waiting.result()
        self.jobs = [job for job in self.jobs if job.running]
        return status
