"""File tools: ``touch``, ``rm``, ``mkdir``, ``cp``, ``mv``, ``df``."""

from __future__ import annotations

import errno
import os
import posixpath

from kubelab.cluster.runtime.process import Process
from kubelab.cluster.runtime.programs.common import (
    busybox_style,
    cannot_open,
    parse_options,
    path_of,
)
from kubelab.cluster.runtime.programs.listing import busybox_human, gnu_human
from kubelab.cluster.runtime.programs.system import NODE_MEMORY_KIB

#: The size ``df`` reports for the node's disk, in 1K blocks.
DISK_BLOCKS = 61_202_244
DISK_USED = 12_401_980
DISK_DEVICE = "/dev/sda1"


async def touch(process: Process) -> int:
    parsed = await parse_options(process, "acm")
    if parsed is None:
        return 1
    _, names = parsed
    status = 0
    for name in names:
        try:
            process.sandbox.fs.write(path_of(process, name), "", append=True)
        except OSError as problem:
            if busybox_style(process):
                await process.write_err(f"touch: {name}: {problem.strerror}\n")
            else:
                await process.write_err(f"touch: cannot touch '{name}': {problem.strerror}\n")
            status = 1
    return status


async def rm(process: Process) -> int:
    parsed = await parse_options(process, "rRfiv")
    if parsed is None:
        return 1
    options, names = parsed
    recursive = "-r" in options or "-R" in options
    fs = process.sandbox.fs
    status = 0
    for name in names:
        path = path_of(process, name)
        entry = fs.lstat(path)
        try:
            if entry is None:
                if "-f" in options:
                    continue
                raise OSError(errno.ENOENT, os.strerror(errno.ENOENT))
            if entry.is_dir and not recursive:
                raise OSError(errno.EISDIR, os.strerror(errno.EISDIR))
            fs.remove(path, recursive=recursive)
        except OSError as problem:
            status = 1
            if busybox_style(process):
                if problem.errno == errno.EISDIR:
                    await process.write_err(f"rm: '{name}' is a directory\n")
                else:
                    await process.write_err(f"rm: can't remove '{name}': {problem.strerror}\n")
            else:
                await process.write_err(f"rm: cannot remove '{name}': {problem.strerror}\n")
    return status


async def mkdir(process: Process) -> int:
    parsed = await parse_options(process, "pm:v")
    if parsed is None:
        return 1
    options, names = parsed
    status = 0
    for name in names:
        try:
            process.sandbox.fs.mkdir(path_of(process, name), parents="-p" in options)
        except OSError as problem:
            verb = "can't" if busybox_style(process) else "cannot"
            await process.write_err(
                f"mkdir: {verb} create directory '{name}': {problem.strerror}\n"
            )
            status = 1
    return status


def _copy_tree(process: Process, source: str, target: str) -> None:
    fs = process.sandbox.fs
    if fs.is_dir(source):
        if not fs.exists(target):
            fs.mkdir(target)
        for name in fs.list(source):
            _copy_tree(process, posixpath.join(source, name), posixpath.join(target, name))
    else:
        fs.write(target, fs.read_bytes(source))


async def _copy_or_move(process: Process, move: bool) -> int:
    parsed = await parse_options(process, "rRpfav" if not move else "fv")
    if parsed is None:
        return 1
    options, names = parsed
    tool = "mv" if move else "cp"
    if len(names) < 2:
        await process.write_err(f"{tool}: missing file operand\n")
        return 1
    fs = process.sandbox.fs
    *sources, destination = names
    target_dir = fs.is_dir(path_of(process, destination))
    status = 0
    for name in sources:
        source = path_of(process, name)
        target = path_of(process, destination)
        if target_dir:
            target = posixpath.join(target, posixpath.basename(source))
        try:
            if not fs.exists(source):
                raise OSError(errno.ENOENT, os.strerror(errno.ENOENT))
            if fs.is_dir(source) and not move and not ({"-r", "-R", "-a"} & options.keys()):
                message = "omitting directory" if not busybox_style(process) else "is a directory"
                await process.write_err(f"{tool}: {message} '{name}'\n")
                status = 1
                continue
            _copy_tree(process, source, target)
            if move:
                fs.remove(source, recursive=True)
        except OSError as problem:
            if problem.errno == errno.ENOENT and not fs.exists(source):
                await cannot_open(process, name, problem)
            else:
                await process.write_err(
                    f"{tool}: cannot create '{destination}': {problem.strerror}\n"
                )
            status = 1
    return status


async def cp(process: Process) -> int:
    return await _copy_or_move(process, move=False)


async def mv(process: Process) -> int:
    return await _copy_or_move(process, move=True)


async def df(process: Process) -> int:
    parsed = await parse_options(process, "hkPTam:")
    if parsed is None:
        return 1
    options, names = parsed
    fs = process.sandbox.fs
    mounts = ["/", *sorted(path for path in fs.mount_points if path != "/")]
    status = 0
    if names:
        wanted = []
        for name in names:
            path = path_of(process, name)
            if not fs.exists(path):
                await process.write_err(f"df: {name}: No such file or directory\n")
                status = 1
                continue
            # The filesystem holding a path is the one mounted deepest above it.
            wanted.append(max((m for m in mounts if _below(path, m)), key=len))
        mounts = wanted
    rows = []
    for mount in mounts:
        if mount == "/":
            device, size, used = "overlay", DISK_BLOCKS, DISK_USED
        elif fs.in_memory(mount):
            device, size, used = "tmpfs", NODE_MEMORY_KIB, fs.used_blocks(mount)
        else:
            device, size, used = DISK_DEVICE, DISK_BLOCKS, DISK_USED
        rows.append((device, size, used, size - used, mount))
    human = "-h" in options
    if busybox_style(process):
        await process.write_out(_busybox_df(rows, human, "-P" in options))
    elif rows:  # GNU prints no header when no operand could be shown
        await process.write_out(_gnu_df(rows, human))
    return status


def _below(path: str, mount: str) -> bool:
    return mount == "/" or path == mount or path.startswith(mount + "/")


def _busybox_df(rows: list[tuple[str, int, int, int, str]], human: bool, posix: bool) -> str:
    """busybox's fixed columns: the device in 20, each number in 9."""
    units = "     Size" if human else ("1024-blocks" if posix else "1K-blocks")
    text = f"Filesystem           {units:<15}Used Available {'Capacity' if posix else 'Use%'}"
    lines = [text + " Mounted on"]
    for device, size, used, available, mount in rows:
        shown = [busybox_human(n * 1024) if human else str(n) for n in (size, used, available)]
        percent = (used * 100 + (used + available) // 2) // (used + available) if size else 0
        lines.append(
            f"{device:<20} {shown[0]:>9} {shown[1]:>9} {shown[2]:>9} {percent:>3}% {mount}"
        )
    return "".join(line + "\n" for line in lines)


def _gnu_df(rows: list[tuple[str, int, int, int, str]], human: bool) -> str:
    """GNU's columns, each as wide as its widest cell (at least 14 for the device)."""
    header = ["Filesystem", "Size" if human else "1K-blocks", "Used", "Avail" if human else
              "Available", "Use%", "Mounted on"]  # fmt: skip
    table = [header]
    for device, size, used, available, mount in rows:
        shown = [gnu_human(n * 1024) if human else str(n) for n in (size, used, available)]
        percent = -(-used * 100 // (used + available)) if used + available else 0
        table.append([device, *shown, f"{percent}%", mount])
    minimum = [14, 5, 5, 5, 4, 0]
    widths = [max(minimum[i], *(len(row[i]) for row in table)) for i in range(6)]
    lines = []
    for row in table:
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in range(1, 5)]
        lines.append(" ".join([*cells, row[5]]))
    return "".join(line + "\n" for line in lines)
