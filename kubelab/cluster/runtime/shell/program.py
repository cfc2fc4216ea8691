"""``sh``, ``bash``, ``ash``, ``dash`` as programs: ``sh -c '...'``, ``sh script.sh``, or a prompt.

Without a script and without a terminal the commands come from standard input, and each one
runs as soon as its line has arrived: ``kubectl attach -i`` to ``sh`` works line by line.

With a terminal (``kubectl exec -it pod -- sh``) the shell is interactive: it prints a prompt
(``/ # `` on busybox and alpine, ``# `` for dash, ``root@pod:/# `` for bash), reads one line at a
time, asks for more with ``> `` while a command is incomplete, and survives Ctrl-C.
"""

from __future__ import annotations

from kubelab.cluster.runtime.filesystem import normalize
from kubelab.cluster.runtime.process import SIGINT, SIGTERM, Process, ProgramExit
from kubelab.cluster.runtime.shell.dialects import Dialect
from kubelab.cluster.runtime.shell.interpreter import Shell
from kubelab.cluster.runtime.shell.syntax import IncompleteInput, ShellSyntaxError, parse

OPTION_FLAGS = frozenset("cexilsu")


async def main(process: Process) -> int:
    dialect = Dialect(process.flavor if process.flavor in ("ash", "dash", "bash") else "ash")
    arguments = process.argv[1:]
    flags: set[str] = set()
    while arguments and arguments[0].startswith("-") and len(arguments[0]) > 1:
        option = arguments.pop(0)
        if option == "--":
            break
        if option.startswith("--"):
            continue
        flags.update(flag for flag in option[1:] if flag in OPTION_FLAGS)
    name = process.argv[0]
    if "c" in flags:
        if not arguments:
            await process.write_err(f"{name}: -c: option requires an argument\n")
            return 2
        text = arguments[0]
        shell = Shell(
            process,
            dialect,
            name=arguments[1] if len(arguments) > 1 else name,
            positional=arguments[2:],
            mode="c",
        )
    elif arguments and "s" not in flags:
        path = arguments[0]
        try:
            text = process.sandbox.fs.read_text(normalize(path, process.cwd))
        except OSError as problem:
            await process.write_err(_cannot_open_script(dialect, name, path, problem))
            return 127 if dialect.name != "dash" else 2
        shell = Shell(process, dialect, name=path, positional=arguments[1:], mode="script")
    else:
        mode = "interactive" if ("i" in flags or process.tty) else "c"
        shell = Shell(process, dialect, name=name, positional=arguments, mode=mode)
        text = None
    shell.errexit = "e" in flags
    shell.xtrace = "x" in flags
    try:
        if shell.mode == "interactive":
            code = await interact(shell)
        elif text is None:  # commands come from standard input, e.g. a pipe
            code = await run_input(shell)
        else:
            code = await shell.run_source(text)
    except ProgramExit as exit_request:
        code = exit_request.code
    return await shell.finish(code)


def _cannot_open_script(dialect: Dialect, name: str, path: str, problem: OSError) -> str:
    if dialect.name == "bash":
        return f"{name}: {path}: {problem.strerror}\n"
    if dialect.name == "dash":
        return f"{name}: 0: cannot open {path}: No such file\n"
    return f"{name}: can't open '{path}': {problem.strerror}\n"


async def run_input(shell: Shell) -> int:
    """Run commands from standard input as their lines arrive (``kubectl attach -i``, a pipe).

    Each complete command runs before the next line is read, so a shell fed by a person (or by
    ``read`` in the same script) behaves as it does on Linux, without prompts or echo.
    """
    pending = ""
    while line := await shell.process.stdin.readline():
        pending += line
        try:
            tree = parse(pending)
        except IncompleteInput:
            continue
        except ShellSyntaxError:
            return await shell.run_source(pending)
        pending = ""
        await shell.run_tree(tree)
    if pending.strip():
        return await shell.run_source(pending)
    return shell.status


async def interact(shell: Shell) -> int:
    """Read, parse and run one line at a time, with prompts when there is a terminal."""
    process = shell.process
    for signal in (SIGINT, SIGTERM):
        process.on_signal(signal, lambda _: None)
    user = process.sandbox.user
    hostname = process.sandbox.hostname.split(".")[0]
    pending = ""
    while True:
        await shell.run_pending_traps(shell.io)
        if process.tty:
            prompt = (
                "> "
                if pending
                else shell.dialect.prompt(
                    user=user.name, uid=user.uid, hostname=hostname, cwd=shell.cwd, home=user.home
                )
            )
            await process.write_err(prompt)
        line = await process.stdin.readline()
        if not line:
            if process.tty and shell.dialect.name == "bash":
                await process.write_err("exit\n")
            return shell.status
        pending += line
        try:
            tree = parse(pending)
        except IncompleteInput as problem:
            if not problem.unterminated and not pending.strip():
                pending = ""
            continue
        except ShellSyntaxError as problem:
            pending = ""
            await shell.syntax_error(problem)
            shell.status = 2
            continue
        pending = ""
        await shell.run_tree(tree)
