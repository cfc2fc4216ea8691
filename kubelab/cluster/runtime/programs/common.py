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

MUSL_LOADER = "/lib/ld-musl-x86_64.so.1"
BUSYBOX_RELEASE = "/etc/busybox-release"


def busybox_style(process: Process) -> bool:
    """True for busybox tools and for builtins of busybox' shell (ash)."""
    return process.flavor in ("busybox", "ash", "")


def tool_name(process: Process) -> str:
    return process.argv[0].rsplit("/", 1)[-1]


def uses_musl(process: Process) -> bool:
    """True in images built on musl (alpine, busybox:musl), whose ``getopt`` words its
    complaints differently from glibc's."""
    fs = process.sandbox.fs
    if fs.exists(MUSL_LOADER):
        return True
    try:
        return "(musl)" in fs.read_text(BUSYBOX_RELEASE)
    except OSError:
        return False


def _option_complaint(process: Process, problem: getopt.GetoptError) -> str:
    name, option = tool_name(process), problem.opt
    long = problem.msg.startswith("option --")
    missing = "requires argument" in problem.msg
    if busybox_style(process) and uses_musl(process):
        if missing:
            return f"{name}: option requires an argument: {option}\n"
        return f"{name}: unrecognized option: {option}\n"
    if long:
        text = (
            f"{name}: option '--{option}' requires an argument"
            if missing
            else f"{name}: unrecognized option '--{option}'"
        )
    elif missing:
        text = f"{name}: option requires an argument -- '{option}'"
    else:
        text = f"{name}: invalid option -- '{option}'"
    if busybox_style(process):
        return text + "\n"
    return text + f"\nTry '{name} --help' for more information.\n"


async def parse_option_list(
    process: Process, short: str, long: tuple[str, ...] = ()
) -> tuple[list[tuple[str, str]], list[str]] | None:
    """``getopt`` for a tool, options in the order given (they may follow operands); on a bad
    option print the usual complaint and return None."""
    try:
        return getopt.gnu_getopt(process.argv[1:], short, list(long))
    except getopt.GetoptError as problem:
        await process.write_err(_option_complaint(process, problem))
        return None


async def parse_options(
    process: Process, short: str, long: tuple[str, ...] = ()
) -> tuple[dict[str, str], list[str]] | None:
    """Like :func:`parse_option_list`, with the options as a dict (the last value wins)."""
    parsed = await parse_option_list(process, short, long)
    if parsed is None:
        return None
    pairs, arguments = parsed
    return dict(pairs), arguments


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
