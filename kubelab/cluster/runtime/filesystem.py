"""A container's filesystem: the image's files underneath, the container's changes on top, and
volumes mounted over chosen directories.

The image is never changed by a container. Like overlayfs, reads look in the container's own
writable layer first and then in the image; a write copies the file up into the writable layer;
a deletion leaves a "whiteout" that hides the image's file. That is why a restarted container
starts from the image again (it gets a fresh writable layer) while files in volumes survive.

Mounts cover a directory (or, with ``subPath``, a single file) with a volume. A mount marked
``read_only`` refuses writes with the kernel's ``Read-only file system`` error, and so does the
root when the pod asks for ``readOnlyRootFilesystem``.
"""

from __future__ import annotations

import errno
import posixpath
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kubelab.cluster.clock import Clock
from kubelab.cluster.runtime.volumes import (
    DiskVolume,
    MemoryVolume,
    Stat,
    Volume,
    as_bytes,
    fs_error,
    join,
    parent_of,
)


def normalize(path: str, cwd: str = "/") -> str:
    """An absolute, clean path: ``normalize("../b", "/a/c")`` is ``/a/b``."""
    full = posixpath.normpath(posixpath.join(cwd, path))
    return "/" + full.lstrip("/")


class OverlayVolume(Volume):
    """The image's files (read-only, shared) under the container's own writable layer."""

    def __init__(self, lower: Volume, now: datetime, *, read_only: bool = False) -> None:
        self._lower = lower
        self._upper = MemoryVolume(now)
        self._whiteouts: set[str] = set()
        self.read_only = read_only

    def _hidden(self, rel: str) -> bool:
        parts = rel.split("/")
        return any("/".join(parts[:depth]) in self._whiteouts for depth in range(1, len(parts) + 1))

    def stat(self, rel: str, follow: bool = True) -> Stat | None:
        upper = self._upper.stat(rel)
        if upper is not None or self._hidden(rel):
            return upper
        return self._lower.stat(rel, follow)

    def read(self, rel: str) -> bytes:
        if self._upper.stat(rel) is not None or self._hidden(rel):
            return self._upper.read(rel)
        return self._lower.read(rel)

    def list(self, rel: str) -> list[str]:
        entry = self.stat(rel)
        if entry is None:
            raise fs_error(errno.ENOENT, rel)
        if not entry.is_dir:
            raise fs_error(errno.ENOTDIR, rel)
        names = set(self._upper.list(rel)) if self._upper.stat(rel) else set()
        if not self._hidden(rel) and (lower := self._lower.stat(rel)) and lower.is_dir:
            names.update(
                name for name in self._lower.list(rel) if not self._hidden(join(rel, name))
            )
        return sorted(names)

    def _copy_up_parents(self, rel: str, now: datetime) -> None:
        """Make sure the directories leading to ``rel`` exist in the writable layer."""
        parent = parent_of(rel)
        entry = self.stat(parent)
        if entry is None:
            raise fs_error(errno.ENOENT, rel)
        if not entry.is_dir:
            raise fs_error(errno.ENOTDIR, rel)
        parts = parent.split("/") if parent else []
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            if self._upper.stat(path) is None:
                self._upper.mkdir(path, now)

    def write(self, rel: str, data: bytes, append: bool, now: datetime) -> None:
        self._refuse_if_read_only(rel)
        entry = self.stat(rel)
        if entry is not None and entry.is_dir:
            raise fs_error(errno.EISDIR, rel)
        self._copy_up_parents(rel, now)
        old = self.read(rel) if append and entry is not None else b""
        self._upper.write(rel, old + data, False, now)
        self._whiteouts.discard(rel)

    def mkdir(self, rel: str, now: datetime) -> None:
        self._refuse_if_read_only(rel)
        if self.stat(rel) is not None:
            raise fs_error(errno.EEXIST, rel)
        self._copy_up_parents(rel, now)
        self._upper.mkdir(rel, now)
        if rel in self._whiteouts:
            # A directory made again after deletion must not show the image's old contents.
            self._whiteouts.discard(rel)
            lower = self._lower.stat(rel)
            if lower is not None and lower.is_dir:
                self._whiteouts.update(join(rel, name) for name in self._lower.list(rel))

    def remove(self, rel: str) -> None:
        self._refuse_if_read_only(rel)
        entry = self.stat(rel)
        if entry is None:
            raise fs_error(errno.ENOENT, rel)
        if entry.is_dir and self.list(rel):
            raise fs_error(errno.ENOTEMPTY, rel)
        if self._upper.stat(rel) is not None:
            self._upper.remove(rel)
        if self._lower.stat(rel) is not None:
            self._whiteouts.add(rel)

    def merged(self, rel: str) -> bool:
        """True for a directory present in both layers, which overlayfs shows with one link."""
        upper, lower = self._upper.stat(rel), self._lower.stat(rel)
        return upper is not None and upper.is_dir and lower is not None and lower.is_dir

    def ensure_mount_point(self, rel: str, is_dir: bool, now: datetime) -> None:
        """Create a missing mount point, as the runtime does even on a read-only root."""
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            if self.stat(path) is not None:
                continue
            self._copy_up_parents(path, now)
            if depth == len(parts) and not is_dir:
                self._upper.write(path, b"", False, now)
            else:
                self._upper.mkdir(path, now)
            self._whiteouts.discard(path)


#: ``MS_BIND | MS_REC`` and ``MS_RDONLY``, as runc reports a failed bind mount's flags.
BIND_MOUNT_FLAGS = 0x5000
READ_ONLY_FLAG = 0x1


@dataclass(frozen=True)
class Mount:
    """A volume mounted at ``path``; ``sub_path`` mounts only part of the volume.

    ``source`` is where the volume lives on the node (the kubelet's directory for it), which
    the runtime names when the mount fails.
    """

    path: str
    volume: Volume
    read_only: bool = False
    sub_path: str = ""
    source: str = ""

    def failure(self, error: OSError) -> str:
        """The runtime's reason for a mount that failed, as the container's start error says."""
        source = posixpath.join(self.source or "/", self.sub_path) if self.sub_path else self.source
        reason = (error.strerror or "input/output error").lower()
        flags = BIND_MOUNT_FLAGS | (READ_ONLY_FLAG if self.read_only else 0)
        return (
            f'error during container init: error mounting "{source}" to rootfs at "{self.path}": '
            f"mount {source}:{self.path} (via /proc/self/fd/6), flags: {flags:#x}: {reason}"
        )


DEV_NULL = "/dev/null"
#: How many symlinks one path lookup may follow before the kernel gives up (``ELOOP``).
MAX_SYMLINK_HOPS = 40
#: Directory sizes: a block on a disk filesystem; on tmpfs, 20 bytes per entry with . and ..
DISK_DIRECTORY_SIZE = 4096
TMPFS_ENTRY_SIZE = 20
BLOCK_SIZE = 4096


@dataclass(frozen=True)
class FileInfo:
    """Everything ``stat(2)`` tells about a path that ``ls -l`` and ``ls -i`` print."""

    entry: Stat
    inode: int
    links: int
    size: int
    #: Space allocated, in 1 KiB units (what ``ls -s`` and the ``total`` line count).
    blocks: int
    uid: int = 0
    gid: int = 0


class ContainerFilesystem:
    """What the processes of one container see at ``/``."""

    def __init__(
        self,
        image_root: Volume,
        clock: Clock,
        mounts: Sequence[Mount] = (),
        *,
        read_only_root: bool = False,
    ) -> None:
        self.clock = clock
        self.root = OverlayVolume(image_root, clock.now(), read_only=read_only_root)
        self._mounts: list[tuple[str, Volume, bool]] = []
        for mount in mounts:
            self.mount(mount)

    def mount(self, mount: Mount) -> None:
        """Mount a volume; the mount point is created if the image lacks it."""
        path = normalize(mount.path)
        volume = mount.volume
        if mount.sub_path:
            sub = mount.sub_path.strip("/")
            if volume.stat(sub) is None and not volume.read_only:
                self._make_dirs(volume, sub)
            volume = volume.sub_path(sub)
        target = volume.stat("")
        is_dir = target is None or target.is_dir
        existing = self.stat(path)
        if existing is not None and existing.is_dir != is_dir:
            # A directory cannot be bind-mounted over a file, nor a file over a directory.
            raise fs_error(errno.ENOTDIR, path)
        backend, rel, _ = self._locate(path)
        if isinstance(backend, OverlayVolume):
            backend.ensure_mount_point(rel, is_dir, self.clock.now())
        self._mounts.append((path, volume, mount.read_only))
        self._mounts.sort(key=lambda item: len(item[0]), reverse=True)

    def _make_dirs(self, volume: Volume, rel: str) -> None:
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            if volume.stat(path) is None:
                volume.mkdir(path, self.clock.now())

    @property
    def mount_points(self) -> list[str]:
        return [path for path, _, _ in self._mounts]

    def _locate(self, path: str) -> tuple[Volume, str, bool]:
        """The volume holding ``path``, the path inside it, and whether the mount is read-only."""
        path = normalize(path)
        for mount_path, volume, read_only in self._mounts:
            if path == mount_path or path.startswith(mount_path.rstrip("/") + "/"):
                return volume, path[len(mount_path) :].strip("/"), read_only
        return self.root, path.strip("/"), False

    def _writable(self, path: str) -> tuple[Volume, str]:
        volume, rel, read_only = self._locate(path)
        if read_only or volume.read_only:
            raise fs_error(errno.EROFS, path)
        return volume, rel

    def writable(self, path: str) -> bool:
        """False where writes fail with ``Read-only file system``."""
        volume, _, read_only = self._locate(path)
        return not (read_only or volume.read_only)

    def stat(self, path: str) -> Stat | None:
        volume, rel, _ = self._locate(path)
        return volume.stat(rel)

    def lstat(self, path: str) -> Stat | None:
        """Like ``stat`` but a symlink is described, not followed (for ``ls -l``)."""
        volume, rel, _ = self._locate(path)
        return volume.stat(rel, follow=False)

    def realpath(self, path: str) -> str:
        """``path`` with every symlink in it replaced by what it points to."""
        pending = normalize(path).strip("/").split("/")
        resolved, hops = "/", 0
        while pending:
            name = pending.pop(0)
            if not name:
                continue
            candidate = posixpath.join(resolved, name)
            entry = self.lstat(candidate)
            if entry is not None and entry.kind == "link" and hops < MAX_SYMLINK_HOPS:
                hops += 1
                pending = normalize(entry.target, resolved).strip("/").split("/") + pending
                resolved = "/"
                continue
            resolved = candidate
        return resolved

    def info(self, path: str, *, follow: bool = False) -> FileInfo | None:
        """What ``stat`` (``follow``) or ``lstat`` says about ``path``; None if it is missing."""
        path = normalize(path)
        entry = self.stat(path) if follow else self.lstat(path)
        if entry is None:
            return None
        real = self.realpath(path) if follow or entry.kind != "link" else path
        volume, rel, _ = self._locate(real)
        inode = 100_000 + zlib.crc32(f"{id(volume)}:{rel}".encode()) % 9_900_000
        if entry.kind == "link":
            return FileInfo(entry, inode, 1, entry.size, 0)
        if not entry.is_dir:
            return FileInfo(entry, inode, 1, entry.size, -(-entry.size // BLOCK_SIZE) * 4)
        try:
            names = self.list(real)
        except OSError:
            names = []
        subdirectories = sum(
            1 for name in names if (sub := self.lstat(posixpath.join(real, name))) and sub.is_dir
        )
        links = (
            1 if isinstance(volume, OverlayVolume) and volume.merged(rel) else 2 + subdirectories
        )
        if getattr(volume, "in_memory", False):
            return FileInfo(entry, inode, links, TMPFS_ENTRY_SIZE * (len(names) + 2), 0)
        size = entry.size if isinstance(volume, DiskVolume) and entry.size else DISK_DIRECTORY_SIZE
        return FileInfo(entry, inode, links, size, 4)

    def in_memory(self, path: str) -> bool:
        """True where ``path`` lies on a tmpfs (a Secret or projected volume)."""
        volume, _, _ = self._locate(path)
        return bool(getattr(volume, "in_memory", False))

    def used_blocks(self, path: str) -> int:
        """The 1 KiB blocks the files below ``path`` take (``du -s``), links not followed."""
        info = self.info(path)
        if info is None:
            return 0
        total = info.blocks if info.entry.kind == "file" else 0
        if info.entry.is_dir:
            for name in self.list(path):
                total += self.used_blocks(posixpath.join(normalize(path), name))
        return total

    def exists(self, path: str) -> bool:
        return self.stat(path) is not None

    def is_dir(self, path: str) -> bool:
        entry = self.stat(path)
        return entry is not None and entry.is_dir

    def is_file(self, path: str) -> bool:
        entry = self.stat(path)
        return entry is not None and not entry.is_dir

    def size(self, path: str) -> int:
        entry = self.stat(path)
        if entry is None:
            raise fs_error(errno.ENOENT, path)
        return entry.size

    def read_bytes(self, path: str) -> bytes:
        if normalize(path) == DEV_NULL:
            return b""
        volume, rel, _ = self._locate(path)
        try:
            return volume.read(rel)
        except OSError as error:
            raise fs_error(error.errno or errno.EIO, path) from None

    def read_text(self, path: str) -> str:
        return self.read_bytes(path).decode(errors="replace")

    def write(self, path: str, data: bytes | str, *, append: bool = False) -> None:
        if normalize(path) == DEV_NULL:
            return
        volume, rel = self._writable(path)
        try:
            volume.write(rel, as_bytes(data), append, self.clock.now())
        except OSError as error:
            raise fs_error(error.errno or errno.EIO, path) from None

    def list(self, path: str) -> list[str]:
        """The names in a directory, sorted, with mount points included."""
        volume, rel, _ = self._locate(path)
        try:
            names = set(volume.list(rel))
        except OSError as error:
            raise fs_error(error.errno or errno.EIO, path) from None
        prefix = normalize(path).rstrip("/") + "/"
        for mount_path in self.mount_points:
            if mount_path.startswith(prefix) and "/" not in mount_path[len(prefix) :]:
                names.add(mount_path[len(prefix) :])
        return sorted(names)

    def mkdir(self, path: str, *, parents: bool = False) -> None:
        """``mkdir`` (or ``mkdir -p`` with ``parents``)."""
        path = normalize(path)
        if parents:
            if self.is_dir(path):
                return
            parent = posixpath.dirname(path)
            if parent != path and not self.exists(parent):
                self.mkdir(parent, parents=True)
        volume, rel = self._writable(path)
        try:
            volume.mkdir(rel, self.clock.now())
        except OSError as error:
            raise fs_error(error.errno or errno.EIO, path) from None

    def remove(self, path: str, *, recursive: bool = False) -> None:
        """``rm`` a file, ``rmdir`` an empty directory, or ``rm -r`` a whole tree."""
        path = normalize(path)
        if path in self.mount_points or path == "/":
            raise fs_error(errno.EBUSY, path)
        entry = self.lstat(path)
        if entry is None:
            raise fs_error(errno.ENOENT, path)
        if entry.is_dir and recursive:
            for name in self.list(path):
                self.remove(posixpath.join(path, name), recursive=True)
        volume, rel = self._writable(path)
        try:
            volume.remove(rel)
        except OSError as error:
            raise fs_error(error.errno or errno.EIO, path) from None


class FileOutput:
    """A file opened for writing (``>>``): every write is appended to it."""

    def __init__(self, fs: ContainerFilesystem, path: str) -> None:
        self._fs = fs
        self._path = path

    async def write(self, text: str) -> None:
        self._fs.write(self._path, text, append=True)
