"""File tools: ``touch``, ``rm``, ``mkdir``, ``cp``, ``mv``, ``df``."""

from __future__ import annotations

import errno
import os
import posixpath

from kubelab.cluster.runtime.process import Process
from kubelab.cluster.runtime.programs.common import (
    busybox_style,
    cannot_open,
    human_size,
    parse_options,
    path_of,
)

#: The size ``df`` reports for the node's disk, in 1K blocks.
DISK_BLOCKS = 61_202_244
DISK_USED = 12_401_980


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
    parsed = await parse_options(process, "hkPT")
    if parsed is None:
        return 1
    options, _ = parsed
    human = "-h" in options
    free = DISK_BLOCKS - DISK_USED
    rows = [("overlay", "/")] + [("/dev/sda1", path) for path in process.sandbox.fs.mount_points]
    size_title = "Size" if human else "1K-blocks"
    await process.write_out(
        f"{'Filesystem':<20} {size_title:>10} {'Used':>10} {'Available':>10} Use% Mounted on\n"
    )
    for device, mount in rows:
        numbers = (DISK_BLOCKS, DISK_USED, free)
        shown = [human_size(n * 1024) if human else str(n) for n in numbers]
        percent = round(DISK_USED * 100 / DISK_BLOCKS)
        await process.write_out(
            f"{device:<20} {shown[0]:>10} {shown[1]:>10} {shown[2]:>10} {percent:>3}% {mount}\n"
        )
    return 0
