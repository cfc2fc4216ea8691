"""Small helpers shared by the command-line tools: options, files, and error wording.

Busybox (busybox, alpine) and GNU coreutils (debian, ubuntu and the images built on them) phrase
errors differently, e.g. ``cat: can't open 'x': No such file or directory`` against
``cat: x: No such file or directory``; ``busybox_style`` tells which one a process is.
"""

from __future__ import annotations

import getopt

from kubelab.cluster.runtime.filesystem import normalize
from kubelab.cluster.runtime.process import Process
from kubelab.cluster.runtime.streams import from_bytes


def busybox_style(process: Process) -> bool:
    """True for busybox tools and for builtins of busybox' shell (ash)."""
    return process.flavor in ("busybox", "ash", "")


def tool_name(process: Process) -> str:
    return process.argv[0].rsplit("/", 1)[-1]


async def parse_options(
    process: Process, short: str, long: tuple[str, ...] = ()
) -> tuple[dict[str, str], list[str]] | None:
    """``getopt`` for a tool; on a bad option print the usual complaint and return None."""
    try:
        pairs, arguments = getopt.gnu_getopt(process.argv[1:], short, list(long))
    except getopt.GetoptError as problem:
        name = tool_name(process)
        if busybox_style(process):
            await process.write_err(f"{name}: unrecognized option: {problem.opt}\n")
        else:
            await process.write_err(
                f"{name}: invalid option -- '{problem.opt}'\n"
                f"Try '{name} --help' for more information.\n"
            )
        return None
    options: dict[str, str] = {}
    for flag, value in pairs:
        options[flag] = value
    return options, arguments


def path_of(process: Process, name: str) -> str:
    return normalize(name, process.cwd)


async def cannot_open(process: Process, name: str, problem: OSError) -> None:
    tool = tool_name(process)
    if busybox_style(process):
        await process.write_err(f"{tool}: can't open '{name}': {problem.strerror}\n")
    else:
        await process.write_err(f"{tool}: {name}: {problem.strerror}\n")


async def read_input(process: Process, name: str) -> str:
    """The whole of file ``name``, or of standard input for ``-``; raises ``OSError``.

    Bytes that are not UTF-8 are kept (as stream text), so ``cat`` copies any file exactly.
    """
    if name == "-":
        return await process.stdin.read()
    return from_bytes(process.sandbox.fs.read_bytes(path_of(process, name)))


def human_size(value: float) -> str:
    for unit in ("", "K", "M", "G", "T"):
        if value < 1024 or unit == "T":
            return f"{value:.1f}{unit}" if unit and value < 10 else f"{value:.0f}{unit}"
        value /= 1024
    return str(value)
