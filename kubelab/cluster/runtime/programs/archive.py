"""``tar``: real POSIX tar archives of the container's files, on files or standard streams.

``kubectl cp`` depends on it: copying out of a pod runs ``tar cf - PATH`` in the container and
unpacks what arrives on stdout; copying in runs ``tar -xmf - -C DIR`` (with
``--no-same-permissions --no-same-owner`` under ``--no-preserve``) and feeds it an archive on
stdin. The archives are ordinary tar streams written and read with :mod:`tarfile`, so they
cross the exec streams byte for byte and any tar on the learner's machine can read them.

Like the real tools, member names lose a leading ``/`` (with a note on stderr), missing parent
directories are created on extraction, and the messages follow busybox or GNU tar.
"""

from __future__ import annotations

import errno
import io
import posixpath
import tarfile
from dataclasses import dataclass, field

from kubelab.cluster.runtime.filesystem import normalize
from kubelab.cluster.runtime.process import Process
from kubelab.cluster.runtime.programs.common import busybox_style
from kubelab.cluster.runtime.streams import from_bytes, to_bytes

#: Bytes handed to stdout per write, so a large archive streams in pieces.
CHUNK_BYTES = 32 * 1024
#: Short options that take the next argument as their value.
WITH_VALUE = frozenset("fCT")
LONG_FLAGS = {
    "--create": "c", "--extract": "x", "--get": "x", "--list": "t", "--verbose": "v",
    "--gzip": "z", "--gunzip": "z", "--touch": "m", "--to-stdout": "O",
    "--no-same-permissions": "", "--no-same-owner": "", "--same-owner": "",
    "--same-permissions": "p", "--preserve-permissions": "p",
}  # fmt: skip
LONG_VALUES = {"--file": "f", "--directory": "C"}


class UsageError(Exception):
    """The command line makes no sense to tar."""


@dataclass
class TarCommand:
    """What a ``tar`` command line asks for."""

    flags: set[str] = field(default_factory=set)
    archive: str | None = None
    directory: str | None = None
    names: list[str] = field(default_factory=list)

    @property
    def mode(self) -> str:
        modes = self.flags & {"c", "x", "t"}
        if len(modes) != 1:
            raise UsageError("mode")
        return modes.pop()


def parse_command(arguments: list[str]) -> TarCommand:
    """Options as GNU and busybox tar read them, old-style bundles (``tar xf -``) included."""
    command = TarCommand()
    pending: list[str] = []
    rest = list(arguments)
    old_style = bool(rest) and not rest[0].startswith("-")
    if old_style:
        rest[0] = "-" + rest[0]
    while rest:
        argument = rest.pop(0)
        bundle_takes_next = old_style
        old_style = False
        if argument == "--":
            command.names.extend(rest)
            break
        if argument.startswith("--"):
            name, has_value, value = argument.partition("=")
            if name in LONG_FLAGS:
                command.flags.update(LONG_FLAGS[name])
            elif name in LONG_VALUES:
                if not has_value:
                    if not rest:
                        raise UsageError(name)
                    value = rest.pop(0)
                _set_value(command, LONG_VALUES[name], value)
            else:
                raise UsageError(name)
        elif argument.startswith("-") and len(argument) > 1:
            letters = argument[1:]
            for index, letter in enumerate(letters):
                if letter in WITH_VALUE:
                    tail = letters[index + 1 :]
                    if tail and not pending and not bundle_takes_next:
                        _set_value(command, letter, tail)
                        break
                    pending.append(letter)
                else:
                    command.flags.add(letter)
        elif pending:
            _set_value(command, pending.pop(0), argument)
        else:
            command.names.append(argument)
    if pending:
        raise UsageError(pending[0])
    return command


def _set_value(command: TarCommand, letter: str, value: str) -> None:
    if letter == "f":
        command.archive = value
    elif letter == "C":
        command.directory = value


class Tar:
    """One run of tar: its messages, its exit status, and the archive work itself."""

    def __init__(self, process: Process, command: TarCommand) -> None:
        self.process = process
        self.command = command
        self.fs = process.sandbox.fs
        self.busybox = busybox_style(process)
        self.failed = False
        self.base = normalize(command.directory or ".", process.cwd)

    async def complain(self, message: str) -> None:
        self.failed = True
        await self.process.write_err(f"tar: {message}\n")

    async def finish(self) -> int:
        if not self.failed:
            return 0
        if self.busybox:
            return 1
        await self.process.write_err("tar: Exiting with failure status due to previous errors\n")
        return 2

    async def give_up(self, busybox_message: str, gnu_message: str) -> int:
        """An error after which tar cannot go on, worded as this tar words it."""
        if self.busybox:
            await self.process.write_err(f"tar: {busybox_message}\n")
            return 1
        await self.process.write_err(
            f"tar: {gnu_message}\ntar: Error is not recoverable: exiting now\n"
        )
        return 2

    async def list_name(self, text: str) -> None:
        """A verbose listing line; it goes to stderr when the archive is written to stdout."""
        to_stdout = self.command.mode == "c" and self.command.archive in (None, "-")
        await (self.process.write_err if to_stdout else self.process.write_out)(text + "\n")

    # -- create ------------------------------------------------------------------------------

    async def create(self) -> int:
        if not self.command.names:
            if self.busybox:
                await self.process.write_err("tar: empty archive\n")
                return 1
            await self.process.write_err(
                "tar: Cowardly refusing to create an empty archive\n"
                "Try 'tar --help' or 'tar --usage' for more information.\n"
            )
            return 2
        buffer = io.BytesIO()
        mode = "w:gz" if "z" in self.command.flags else "w"
        archive_format = tarfile.USTAR_FORMAT if self.busybox else tarfile.GNU_FORMAT
        stripped = False
        with tarfile.open(fileobj=buffer, mode=mode, format=archive_format) as archive:
            for name in self.command.names:
                member = name.lstrip("/")
                if member != name and not stripped:
                    stripped = True
                    note = (
                        "removing leading '/' from member names"
                        if self.busybox
                        else "Removing leading `/' from member names"
                    )
                    await self.process.write_err(f"tar: {note}\n")
                await self._add(archive, normalize(name, self.base), member or ".", name)
        return await self._emit(buffer.getvalue())

    async def _add(self, archive: tarfile.TarFile, path: str, member: str, shown: str) -> None:
        """Add ``path`` as ``member``; problems name it as the command line did (``shown``)."""
        entry = self.fs.lstat(path)
        if entry is None:
            if self.busybox:
                await self.complain(f"{shown}: No such file or directory")
            else:
                await self.complain(f"{shown}: Cannot stat: No such file or directory")
            return
        info = tarfile.TarInfo(member)
        info.mtime = int(entry.mtime.timestamp())
        info.uname = info.gname = "root"
        if "v" in self.command.flags:
            await self.list_name(member + ("/" if entry.is_dir else ""))
        if entry.kind == "link":
            info.type, info.linkname, info.mode = tarfile.SYMTYPE, entry.target, 0o777
            archive.addfile(info)
        elif entry.is_dir:
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            archive.addfile(info)
            for child in self.fs.list(path):
                await self._add(
                    archive, posixpath.join(path, child), f"{member}/{child}", f"{shown}/{child}"
                )
        else:
            data = self.fs.read_bytes(path)
            info.size, info.mode = len(data), 0o755 if entry.executable else 0o644
            archive.addfile(info, io.BytesIO(data))

    async def _emit(self, data: bytes) -> int:
        target = self.command.archive
        if target in (None, "-"):
            for start in range(0, len(data), CHUNK_BYTES):
                await self.process.write_out(from_bytes(data[start : start + CHUNK_BYTES]))
        else:
            try:
                self.fs.write(normalize(target, self.process.cwd), data)
            except OSError as problem:
                return await self.give_up(
                    f"can't open '{target}': {problem.strerror}",
                    f"{target}: Cannot open: {problem.strerror}",
                )
        return await self.finish()

    # -- extract and list --------------------------------------------------------------------

    async def _read_archive(self) -> bytes | None:
        source = self.command.archive
        if source in (None, "-"):
            return to_bytes(await self.process.stdin.read())
        try:
            return self.fs.read_bytes(normalize(source, self.process.cwd))
        except OSError as problem:
            await self.give_up(
                f"can't open '{source}': {problem.strerror}",
                f"{source}: Cannot open: {problem.strerror}",
            )
            return None

    def _wanted(self, member: str) -> bool:
        if not self.command.names:
            return True
        return any(
            member == name.strip("/") or member.startswith(name.strip("/") + "/")
            for name in self.command.names
        )

    async def extract(self, list_only: bool) -> int:
        if not list_only and not self.fs.is_dir(self.base):
            shown = self.command.directory or "."
            return await self.give_up(
                f"can't change directory to '{shown}': No such file or directory",
                f"{shown}: Cannot open: No such file or directory",
            )
        data = await self._read_archive()
        if data is None:
            return 1 if self.busybox else 2
        if not data:
            if self.busybox:
                await self.process.write_err("tar: short read\n")
                return 1
            return 0
        try:
            archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115
        except tarfile.TarError:
            if self.busybox:
                await self.process.write_err("tar: invalid tar magic\n")
                return 1
            await self.complain("This does not look like a tar archive")
            return await self.finish()
        with archive:
            for info in archive:
                member = info.name.lstrip("/")
                if not member or not self._wanted(member):
                    continue
                if list_only or "v" in self.command.flags:
                    await self.list_name(member + ("/" if info.isdir() else ""))
                if not list_only:
                    await self._unpack(archive, info, member)
        return await self.finish()

    async def _unpack(self, archive: tarfile.TarFile, info: tarfile.TarInfo, member: str) -> None:
        path = normalize(member, self.base)
        try:
            if "O" in self.command.flags:
                if info.isfile():
                    await self._emit_member(archive, info)
                return
            self.fs.mkdir(posixpath.dirname(path), parents=True)
            if info.isdir():
                self.fs.mkdir(path, parents=True)
            elif info.issym():
                raise OSError(errno.EOPNOTSUPP, "Operation not supported")
            else:
                source = archive.extractfile(info)
                data = source.read() if source is not None else b""
                if self.fs.is_dir(path):
                    raise OSError(errno.EISDIR, "Is a directory")
                self.fs.write(path, data)
        except OSError as problem:
            reason = problem.strerror or "Input/output error"
            if self.busybox:
                await self.complain(f"can't create '{member}': {reason}")
            elif info.issym():
                await self.complain(
                    f"{member}: Cannot create symlink to '{info.linkname}': {reason}"
                )
            else:
                await self.complain(f"{member}: Cannot open: {reason}")

    async def _emit_member(self, archive: tarfile.TarFile, info: tarfile.TarInfo) -> None:
        source = archive.extractfile(info)
        if source is not None:
            await self.process.write_out(from_bytes(source.read()))


async def tar(process: Process) -> int:
    try:
        command = parse_command(process.argv[1:])
        mode = command.mode
    except UsageError as problem:
        return await _usage(process, str(problem))
    run = Tar(process, command)
    if mode == "c":
        return await run.create()
    return await run.extract(list_only=mode == "t")


async def _usage(process: Process, problem: str) -> int:
    if busybox_style(process):
        if problem == "mode":
            await process.write_err("tar: need at least one of -c, -x, -t\n")
        else:
            await process.write_err(f"tar: unrecognized option '{problem}'\n")
        return 1
    if problem == "mode":
        message = "You must specify one of the '-Acdtrux', '--delete' or '--test-label' options"
    elif problem.startswith("--"):
        message = f"unrecognized option '{problem}'"
    else:
        message = f"option requires an argument -- '{problem}'"
    await process.write_err(
        f"tar: {message}\nTry 'tar --help' or 'tar --usage' for more information.\n"
    )
    return 2
