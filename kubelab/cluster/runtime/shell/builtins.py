"""Commands the shell runs itself, because they change the shell (``cd``, ``export``, ``exit``)
or because shells build them in for speed (``echo``, ``printf``, ``test``, ``kill``)."""

from __future__ import annotations

import errno
import os
from collections.abc import Awaitable, Callable

from kubelab.cluster.runtime.filesystem import normalize
from kubelab.cluster.runtime.process import SIGNAL_NAMES, Process, ProgramExit, signal_number
from kubelab.cluster.runtime.programs.registry import program_named
from kubelab.cluster.runtime.sandbox import ExecError
from kubelab.cluster.runtime.shell.interpreter import EXIT_TRAP, IO, Shell
from kubelab.cluster.runtime.shell.syntax import is_name

Builtin = Callable[[Shell, list[str], IO], Awaitable[int]]


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


async def run_as_program(shell: Shell, argv: list[str], io: IO, program: str) -> int:
    """Run one of the shared tool programs inside the shell process (no new pid)."""
    inline = Process(
        shell.sandbox, argv, pid=shell.process.pid, ppid=shell.process.ppid,
        env=shell.environment(), cwd=shell.cwd, stdin=io.stdin, stdout=io.stdout,
        stderr=io.stderr, flavor=shell.dialect.name, tty=shell.process.tty,
    )  # fmt: skip
    try:
        return await program_named(program)(inline)
    except ProgramExit as exit_request:
        return exit_request.code


def tool(program: str) -> Builtin:
    async def builtin(shell: Shell, argv: list[str], io: IO) -> int:
        return await run_as_program(shell, argv, io, program)

    return builtin


async def colon(shell: Shell, argv: list[str], io: IO) -> int:
    return 0


async def cd(shell: Shell, argv: list[str], io: IO) -> int:
    target = argv[1] if len(argv) > 1 else shell.get("HOME", "/")
    if target == "-":
        target = shell.get("OLDPWD", shell.cwd)
        await io.stdout.write(target + "\n")
    path = normalize(target, shell.cwd)
    entry = shell.sandbox.fs.stat(path)
    if entry is None or not entry.is_dir:
        code = errno.ENOENT if entry is None else errno.ENOTDIR
        await shell.error(io, shell.dialect.cannot_cd(target, OSError(code, os.strerror(code))))
        return 2 if shell.dialect.name == "dash" else 1
    shell.set("OLDPWD", shell.cwd)
    shell.cwd = path
    shell.set("PWD", path)
    return 0


async def export(shell: Shell, argv: list[str], io: IO) -> int:
    names = [arg for arg in argv[1:] if arg != "-p"]
    if not names:
        for name in sorted(shell.exported):
            if name in shell.variables:
                value = shell.variables[name]
                if shell.dialect.name == "bash":
                    await io.stdout.write(f'declare -x {name}="{value}"\n')
                else:
                    await io.stdout.write(f"export {name}={_quote(value)}\n")
        return 0
    for argument in names:
        name, equals, value = argument.partition("=")
        if not is_name(name):
            await shell.error(io, f"export: {argument}: bad variable name")
            return 1
        if equals:
            shell.set(name, value)
        shell.exported.add(name)
    return 0


async def unset(shell: Shell, argv: list[str], io: IO) -> int:
    for name in argv[1:]:
        if not name.startswith("-"):
            shell.variables.pop(name, None)
            shell.exported.discard(name)
    return 0


async def exit_(shell: Shell, argv: list[str], io: IO) -> int:
    code = shell.status
    if len(argv) > 1:
        if not argv[1].lstrip("-").isdigit():
            await shell.error(io, f"exit: Illegal number: {argv[1]}")
            raise ProgramExit(2)
        code = int(argv[1])
    if shell.mode == "interactive" and shell.dialect.name == "bash":
        await io.stderr.write("exit\n")
    raise ProgramExit(code)


async def set_(shell: Shell, argv: list[str], io: IO) -> int:
    if len(argv) == 1:
        for name, value in sorted(shell.variables.items()):
            await io.stdout.write(f"{name}={_quote(value)}\n")
        return 0
    arguments = argv[1:]
    while arguments:
        argument = arguments.pop(0)
        if argument == "--":
            shell.positional = arguments
            return 0
        if argument in ("-o", "+o") and arguments:
            option = arguments.pop(0)
            argument = argument[0] + {"errexit": "e", "xtrace": "x"}.get(option, "")
        if argument[:1] not in ("-", "+"):
            shell.positional = [argument, *arguments]
            return 0
        enable = argument[0] == "-"
        for flag in argument[1:]:
            if flag == "e":
                shell.errexit = enable
            elif flag == "x":
                shell.xtrace = enable
    return 0


async def shift(shell: Shell, argv: list[str], io: IO) -> int:
    count = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 1
    if count > len(shell.positional):
        await shell.error(io, "shift: can't shift that many")
        return 1
    shell.positional = shell.positional[count:]
    return 0


async def read(shell: Shell, argv: list[str], io: IO) -> int:
    raw = "-r" in argv
    names = [arg for arg in argv[1:] if not arg.startswith("-")] or ["REPLY"]
    line = await io.stdin.readline()
    if not line:
        for name in names:
            shell.set(name, "")
        return 1
    text = line.rstrip("\n")
    if not raw:
        text = text.replace("\\", "")
    fields = text.split(maxsplit=len(names) - 1) if names[-1] != "REPLY" else [text]
    for index, name in enumerate(names):
        shell.set(name, fields[index] if index < len(fields) else "")
    return 0


async def trap(shell: Shell, argv: list[str], io: IO) -> int:
    arguments = argv[1:]
    if not arguments:
        for signal, action in sorted(shell.traps.items()):
            name = "EXIT" if signal == EXIT_TRAP else SIGNAL_NAMES[signal]
            await io.stdout.write(f"trap -- {_quote(action)} {name}\n")
        return 0
    if arguments[0] == "--":
        arguments = arguments[1:]
    action: str | None = arguments[0]
    if action == "-":
        action = None
    status = 0
    for name in arguments[1:]:
        number = EXIT_TRAP if name.upper() in ("EXIT", "0") else signal_number(name)
        if number is None:
            await shell.error(io, f"trap: {name}: bad trap")
            status = 1
            continue
        shell.trap(number, action)
    return status


async def exec_(shell: Shell, argv: list[str], io: IO) -> int:
    if len(argv) == 1:
        shell.io = io
        return 0
    process = shell.process
    process.stdin, process.stdout, process.stderr = io.stdin, io.stdout, io.stderr
    process.env = shell.environment()
    process.cwd = shell.cwd
    try:
        code = await process.exec(argv[1:])
    except ExecError as problem:
        await shell.error(io, shell.dialect.not_found(problem.command))
        code = 127
    raise ProgramExit(code)


async def eval_(shell: Shell, argv: list[str], io: IO) -> int:
    saved, shell.io = shell.io, io
    try:
        return await shell.run_source(" ".join(argv[1:]))
    finally:
        shell.io = saved


async def source(shell: Shell, argv: list[str], io: IO) -> int:
    if len(argv) < 2:
        return 0
    try:
        text = shell.sandbox.fs.read_text(normalize(argv[1], shell.cwd))
    except OSError as problem:
        await shell.error(io, f"{argv[0]}: " + shell.dialect.cannot_open(argv[1], problem))
        return 1 if shell.dialect.name == "bash" else 2
    saved, shell.io = shell.io, io
    try:
        return await shell.run_source(text)
    finally:
        shell.io = saved


async def wait(shell: Shell, argv: list[str], io: IO) -> int:
    return await shell.wait_for_jobs([int(arg) for arg in argv[1:] if arg.isdigit()])


BUILTINS: dict[str, Builtin] = {
    ":": colon, "cd": cd, "export": export, "unset": unset, "exit": exit_, "set": set_,
    "shift": shift, "read": read, "trap": trap, "exec": exec_, "eval": eval_, ".": source,
    "source": source, "wait": wait,
    "echo": tool("echo"), "printf": tool("printf"), "test": tool("test"), "[": tool("test"),
    "true": tool("true"), "false": tool("false"), "kill": tool("kill"), "pwd": tool("pwd"),
}  # fmt: skip
