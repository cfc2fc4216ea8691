"""System tools: ``sleep``, ``true``, ``env``, ``date``, ``id``, ``kill``, ``ps``, ``test``…

``sleep`` is the classic main process of a demo container. Note what it does *not* do: it
installs no SIGTERM handler, and as PID 1 an unhandled SIGTERM is ignored, so deleting a pod
whose main process is ``sleep`` waits for the whole grace period (30 s by default).
"""

from __future__ import annotations

import math
import re

from kubelab.cluster.runtime.process import SIGNAL_NAMES, SIGTERM, Process, signal_number
from kubelab.cluster.runtime.programs.common import (
    busybox_style,
    human_size,
    path_of,
    tool_name,
)

SLEEP_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: Resident memory of a tiny tool such as ``sleep``.
SMALL_TOOL_BYTES = 400 * 1024
#: The node's memory as ``free`` shows it: the whole machine, not the container's limit.
NODE_MEMORY_KIB = 8_131_452
KERNEL_RELEASE = "6.8.0-kubelab"
ALPINE_RELEASE = "/etc/alpine-release"


def parse_duration(text: str) -> float | None:
    match = re.fullmatch(r"(\d*\.?\d+|inf|infinity)([smhd]?)", text.strip().lower())
    if match is None:
        return None
    number = math.inf if match.group(1).startswith("inf") else float(match.group(1))
    return number * SLEEP_UNITS[match.group(2) or "s"]


async def sleep(process: Process) -> int:
    process.memory_bytes = SMALL_TOOL_BYTES
    arguments = process.argv[1:]
    if not arguments:
        await process.write_err("sleep: missing operand\n")
        return 1
    total = 0.0
    for argument in arguments:
        seconds = parse_duration(argument)
        if seconds is None:
            if busybox_style(process):
                await process.write_err(f"sleep: invalid number '{argument}'\n")
            else:
                await process.write_err(
                    f"sleep: invalid time interval '{argument}'\n"
                    "Try 'sleep --help' for more information.\n"
                )
            return 1
        total += seconds
    if math.isinf(total):
        await process.sandbox.idle()
    await process.sandbox.clock.sleep(total)
    return 0


async def true(process: Process) -> int:
    return 0


async def false(process: Process) -> int:
    return 1


async def env(process: Process) -> int:
    arguments = process.argv[1:]
    environment = dict(process.env)
    if arguments[:1] in (["-i"], ["-"]):
        environment = {}
        arguments = arguments[1:]
    while arguments and "=" in arguments[0] and not arguments[0].startswith("="):
        name, _, value = arguments.pop(0).partition("=")
        environment[name] = value
    if not arguments:
        await process.write_out("".join(f"{k}={v}\n" for k, v in environment.items()))
        return 0
    process.env = environment
    from kubelab.cluster.runtime.sandbox import ExecError

    try:
        return await process.exec(arguments)
    except ExecError:
        if busybox_style(process):
            await process.write_err(
                f"env: can't execute '{arguments[0]}': No such file or directory\n"
            )
        else:
            await process.write_err(f"env: '{arguments[0]}': No such file or directory\n")
        return 127


async def printenv(process: Process) -> int:
    names = process.argv[1:]
    if not names:
        await process.write_out("".join(f"{k}={v}\n" for k, v in process.env.items()))
        return 0
    status = 0
    for name in names:
        if name in process.env:
            await process.write_out(process.env[name] + "\n")
        else:
            status = 1
    return status


async def date(process: Process) -> int:
    now = process.sandbox.clock.now()
    arguments = [arg for arg in process.argv[1:] if arg not in ("-u", "--utc")]
    form = "%a %b %e %H:%M:%S UTC %Y"
    for argument in arguments:
        if argument.startswith("+"):
            form = argument[1:].replace("%N", f"{now.microsecond * 1000:09d}")
        elif argument.startswith(("-I", "--iso-8601")):
            form = "%Y-%m-%d" if argument in ("-I", "--iso-8601") else "%Y-%m-%dT%H:%M:%S+00:00"
        elif argument == "-R":
            form = "%a, %d %b %Y %H:%M:%S +0000"
        else:
            await process.write_err(f"date: invalid date '{argument}'\n")
            return 1
    await process.write_out(now.strftime(form.replace("%s", str(int(now.timestamp())))) + "\n")
    return 0


async def hostname(process: Process) -> int:
    if "-i" in process.argv[1:]:
        await process.write_out(process.sandbox.netns.ip + "\n")
    else:
        await process.write_out(process.sandbox.hostname + "\n")
    return 0


async def whoami(process: Process) -> int:
    user = process.sandbox.user
    if user.name.isdigit():
        await process.write_err(f"whoami: cannot find name for user ID {user.uid}\n")
        return 1
    await process.write_out(user.name + "\n")
    return 0


def _named(number: int, name: str) -> str:
    return str(number) if name.isdigit() else f"{number}({name})"


async def id(process: Process) -> int:  # noqa: A001 - the command is called id
    user = process.sandbox.user
    flags = set("".join(arg[1:] for arg in process.argv[1:] if arg.startswith("-")))
    if "u" in flags:
        await process.write_out((user.name if "n" in flags else str(user.uid)) + "\n")
    elif "g" in flags:
        await process.write_out((user.group if "n" in flags else str(user.gid)) + "\n")
    else:
        groups = ",".join(_named(number, name) for number, name in user.groups)
        await process.write_out(
            f"uid={_named(user.uid, user.name)} gid={_named(user.gid, user.group)} "
            f"groups={groups}\n"
        )
    return 0


async def pwd(process: Process) -> int:
    await process.write_out(process.cwd + "\n")
    return 0


async def kill(process: Process) -> int:
    arguments = process.argv[1:]
    if arguments[:1] == ["-l"]:
        await process.write_out(" ".join(SIGNAL_NAMES[n] for n in sorted(SIGNAL_NAMES)) + "\n")
        return 0
    signal = SIGTERM
    if arguments[:1] == ["-s"] and len(arguments) > 1:
        arguments = ["-" + arguments[1], *arguments[2:]]
    if arguments and arguments[0].startswith("-") and len(arguments) > 1:
        number = signal_number(arguments.pop(0)[1:])
        if number is None:
            await process.write_err(f"{tool_name(process)}: bad signal name\n")
            return 1
        signal = number
    if not arguments:
        await process.write_err("kill: usage: kill [-s sigspec | -signum] pid\n")
        return 1
    status = 0
    for argument in arguments:
        target = process.sandbox.processes.get(int(argument)) if argument.isdigit() else None
        if target is None:
            if busybox_style(process):
                await process.write_err(f"kill: can't kill pid {argument}: No such process\n")
            else:
                await process.write_err(f"kill: ({argument}) - No such process\n")
            status = 1
            continue
        target.signal(signal)
    return status


def _cpu_time(process: Process, target: Process) -> str:
    seconds = int(
        target.cpu_millicores
        / 1000
        * (process.sandbox.clock.now() - target.started_at).total_seconds()
    )
    return f"{seconds // 60}:{seconds % 60:02d}"


async def ps(process: Process) -> int:
    processes = sorted(process.sandbox.processes.values(), key=lambda p: p.pid)
    user = process.sandbox.user.name[:8]
    flags = "".join(process.argv[1:]).replace("-", "")
    if busybox_style(process):
        await process.write_out("PID   USER     TIME  COMMAND\n")
        for target in processes:
            line = f"{target.pid:>5} {user:<8} {_cpu_time(process, target):>5} "
            await process.write_out(line + target.command_line + "\n")
        return 0
    if "e" in flags or "f" in flags:
        await process.write_out("UID          PID    PPID  C STIME TTY          TIME CMD\n")
        for target in processes:
            start = target.started_at.strftime("%H:%M")
            tty = "pts/0" if target.tty else "?"
            await process.write_out(
                f"{user:<8} {target.pid:>7} {target.ppid:>7}  0 {start} {tty:<8} 00:00:00 "
                f"{target.command_line}\n"
            )
        return 0
    if "a" in flags or "u" in flags or "x" in flags:
        await process.write_out(
            "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n"
        )
        for target in processes:
            rss = target.memory_bytes // 1024
            memory = rss * 100 / NODE_MEMORY_KIB
            start = target.started_at.strftime("%H:%M")
            tty = "pts/0" if target.tty else "?"
            await process.write_out(
                f"{user:<8} {target.pid:>7} {target.cpu_millicores / 10:4.1f} {memory:4.1f} "
                f"{rss * 2:>6} {rss:>5} {tty:<8} {'Ss' if target.pid == 1 else 'S':<4} "
                f"{start}   {_cpu_time(process, target)} {target.command_line}\n"
            )
        return 0
    await process.write_out("    PID TTY          TIME CMD\n")
    for target in processes:
        tty = "pts/0" if target.tty else "?"
        name = target.argv[0].rsplit("/", 1)[-1]
        await process.write_out(f"{target.pid:>7} {tty:<8} 00:00:00 {name}\n")
    return 0


async def free(process: Process) -> int:
    total = NODE_MEMORY_KIB
    used, cache = total * 31 // 100, total * 42 // 100
    rows = [(total, used, total - used - cache, 2_048, cache, total - used)]
    divisor, show = 1, str
    if "-m" in process.argv:
        divisor = 1024
    elif "-h" in process.argv:
        show = lambda value: human_size(value * 1024)  # noqa: E731
    header = "shared  buff/cache   available"
    await process.write_out(f"{'':15}total        used        free      {header}\n")
    for values in rows:
        cells = "".join(f"{show(v // divisor):>12}" for v in values)
        await process.write_out(f"Mem:   {cells}\n")
    await process.write_out(f"Swap:  {show(0):>12}{show(0):>12}{show(0):>12}\n")
    return 0


async def uname(process: Process) -> int:
    hostname_ = process.sandbox.hostname
    # busybox reports the OS name it was configured with: "GNU/Linux" by default, "Linux" in
    # alpine's build; GNU coreutils always say "GNU/Linux".
    os_name = "Linux" if process.sandbox.fs.exists(ALPINE_RELEASE) else "GNU/Linux"
    fields = {
        "s": "Linux", "n": hostname_, "r": KERNEL_RELEASE,
        "v": "#1 SMP PREEMPT_DYNAMIC", "m": "x86_64", "o": os_name,
    }  # fmt: skip
    flags = "".join(arg[1:] for arg in process.argv[1:] if arg.startswith("-")) or "s"
    if "a" in flags:
        flags = "snrvmo"
    await process.write_out(" ".join(fields[f] for f in "snrvmo" if f in flags) + "\n")
    return 0


class _TestError(Exception):
    pass


class _Test:
    """``test`` / ``[``: a small recursive evaluator (``!``, ``-a``, ``-o``, unary, binary)."""

    UNARY = frozenset({"-e", "-f", "-d", "-s", "-r", "-w", "-x", "-z", "-n", "-L", "-h"})
    BINARY = frozenset({"=", "==", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge"})

    def __init__(self, process: Process, arguments: list[str]) -> None:
        self.process = process
        self.arguments = arguments
        self.position = 0

    def evaluate(self) -> bool:
        if not self.arguments:
            return False
        result = self._or()
        if self.position != len(self.arguments):
            raise _TestError(f"{self.arguments[self.position]}: unexpected operator")
        return result

    def _peek(self, offset: int = 0) -> str | None:
        index = self.position + offset
        return self.arguments[index] if index < len(self.arguments) else None

    def _or(self) -> bool:
        result = self._and()
        while self._peek() == "-o":
            self.position += 1
            result = self._and() or result
        return result

    def _and(self) -> bool:
        result = self._not()
        while self._peek() == "-a":
            self.position += 1
            result = self._not() and result
        return result

    def _not(self) -> bool:
        if self._peek() == "!" and self._peek(1) is not None:
            self.position += 1
            return not self._not()
        return self._primary()

    def _primary(self) -> bool:
        first = self._peek()
        if first is None:
            raise _TestError("argument expected")
        if first == "(" and self._peek(2) == ")":
            self.position += 1
            result = self._or()
            self.position += 1
            return result
        if self._peek(1) in self.BINARY and self._peek(2) is not None:
            operator, second = self.arguments[self.position + 1], self.arguments[self.position + 2]
            self.position += 3
            return self._binary(first, operator, second)
        if first in self.UNARY and self._peek(1) is not None:
            operand = self.arguments[self.position + 1]
            self.position += 2
            return self._unary(first, operand)
        self.position += 1
        return first != ""

    def _integer(self, text: str) -> int:
        if re.fullmatch(r"\s*-?\d+\s*", text):
            return int(text)
        if self.process.flavor == "bash":
            raise _TestError(f"{text}: integer expression expected")
        if self.process.flavor == "dash":
            raise _TestError(f"Illegal number: {text}")
        raise _TestError(f"invalid number '{text}'")

    def _binary(self, left: str, operator: str, right: str) -> bool:
        if operator in ("=", "=="):
            return left == right
        if operator == "!=":
            return left != right
        a, b = self._integer(left), self._integer(right)
        return {
            "-eq": a == b, "-ne": a != b, "-lt": a < b, "-le": a <= b, "-gt": a > b, "-ge": a >= b,
        }[operator]  # fmt: skip

    def _unary(self, operator: str, operand: str) -> bool:
        if operator == "-z":
            return operand == ""
        if operator == "-n":
            return operand != ""
        fs = self.process.sandbox.fs
        path = path_of(self.process, operand)
        entry = fs.lstat(path) if operator in ("-L", "-h") else fs.stat(path)
        if entry is None:
            return False
        return {
            "-e": True, "-f": entry.kind == "file", "-d": entry.is_dir, "-s": entry.size > 0,
            "-r": True, "-w": True, "-x": entry.executable or entry.is_dir,
            "-L": entry.kind == "link", "-h": entry.kind == "link",
        }[operator]  # fmt: skip


async def test(process: Process) -> int:
    arguments = process.argv[1:]
    name = tool_name(process)
    if name == "[":
        if arguments[-1:] != ["]"]:
            await process.write_err(f"{name}: missing ]\n")
            return 2
        arguments = arguments[:-1]
    try:
        return 0 if _Test(process, arguments).evaluate() else 1
    except _TestError as problem:
        await process.write_err(f"{name}: {problem}\n")
        return 2
