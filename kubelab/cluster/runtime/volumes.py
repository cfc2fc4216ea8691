"""Volumes: directories that live outside a container's own filesystem and are mounted into it.

Each kind of Kubernetes volume maps onto one class here; the kubelet creates them and decides
who shares them:

* ``MemoryVolume`` – an emptyDir. The kubelet makes one per pod volume and gives the same object
  to every container that mounts it, so a file written by one container is seen by the others.
  It outlives container restarts and is thrown away with the pod. A node's own disk, which
  ``hostPath`` volumes mount, is a ``MemoryVolume`` too, mounted with a ``sub_path``.
* ``DiskVolume`` – a real directory on the machine running the cluster, which is how a
  PersistentVolumeClaim's data survives the pod (and the cluster process).
* ``ProjectedVolume`` – configMap, secret and downwardAPI files. They are read-only and are
  updated atomically the way the kubelet does it: the files live in a timestamped directory,
  ``..data`` is a symlink to it, and each key is a symlink into ``..data``. An update writes a
  new directory and swaps the ``..data`` link in one step, so a reader never sees half an update.

All paths given to a volume are relative to its root, without a leading slash ("" is the root).
"""

from __future__ import annotations

import errno
import os
import random
import shutil
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

EXECUTABLE_MAGIC = (b"\x7fELF", b"#!")


def fs_error(code: int, path: str) -> OSError:
    """An ``OSError`` with the C library's message for ``code``, e.g. "Read-only file system"."""
    return OSError(code, os.strerror(code), path)


def as_bytes(data: bytes | str) -> bytes:
    """Text as the bytes it stands for (stream text may carry bytes that are not UTF-8)."""
    return data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data


@dataclass(frozen=True)
class Stat:
    """What ``stat``/``lstat`` tell about a path: its kind, size and modification time."""

    kind: str  # "file", "dir" or "link"
    size: int
    mtime: datetime
    target: str = ""
    executable: bool = False
    #: Permission bits when they are not the usual ones (0755 directories and programs,
    #: 0644 files): a Secret's ``defaultMode``, a tmpfs root's 01777.
    permissions: int | None = None

    @property
    def is_dir(self) -> bool:
        return self.kind == "dir"

    @property
    def mode(self) -> str:
        """The permission string ``ls -l`` prints."""
        if self.kind == "link":
            return "lrwxrwxrwx"
        bits = self.permissions
        if bits is None:
            bits = 0o755 if self.kind == "dir" or self.executable else 0o644
        text = "".join(
            flag if bits & (1 << (8 - index)) else "-" for index, flag in enumerate("rwxrwxrwx")
        )
        if bits & 0o1000:
            text = text[:8] + ("t" if bits & 1 else "T")
        return ("d" if self.kind == "dir" else "-") + text


def join(base: str, rel: str) -> str:
    return f"{base}/{rel}" if base and rel else base or rel


def parent_of(rel: str) -> str:
    return rel.rpartition("/")[0]


class Volume(ABC):
    """A tree of files and directories that can be mounted into containers."""

    read_only = False

    @abstractmethod
    def stat(self, rel: str, follow: bool = True) -> Stat | None:
        """The entry at ``rel``, or None if there is none."""

    @abstractmethod
    def read(self, rel: str) -> bytes: ...

    @abstractmethod
    def list(self, rel: str) -> list[str]:
        """The names in directory ``rel``, sorted."""

    @abstractmethod
    def write(self, rel: str, data: bytes, append: bool, now: datetime) -> None: ...

    @abstractmethod
    def mkdir(self, rel: str, now: datetime) -> None:
        """Create one directory; its parent must exist."""

    @abstractmethod
    def remove(self, rel: str) -> None:
        """Remove a file or an empty directory."""

    def sub_path(self, rel: str) -> Volume:
        """The part of this volume below ``rel``, for a ``subPath`` mount."""
        return SubPathVolume(self, rel)

    def _refuse_if_read_only(self, rel: str) -> None:
        if self.read_only:
            raise fs_error(errno.EROFS, rel)


@dataclass
class _Node:
    kind: str
    data: bytes = b""
    mtime: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    permissions: int | None = None


class MemoryVolume(Volume):
    """A directory tree held in memory: an emptyDir, a node's disk, a container's own layer."""

    def __init__(
        self,
        now: datetime | None = None,
        *,
        read_only: bool = False,
        root_mode: int | None = None,
        in_memory: bool = False,
    ) -> None:
        root = _Node("dir", mtime=now or _Node.mtime, permissions=root_mode)
        self._nodes: dict[str, _Node] = {"": root}
        self.read_only = read_only
        #: On tmpfs (an emptyDir with ``medium: Memory``) rather than the node's disk.
        self.in_memory = in_memory

    @classmethod
    def from_files(
        cls,
        files: Mapping[str, bytes | str],
        mtime: datetime,
        *,
        read_only: bool = False,
        modes: Mapping[str, int] | None = None,
    ) -> MemoryVolume:
        """A tree from ``{"etc/hostname": b"..."}``; a name ending in ``/`` is a directory.
        ``modes`` gives files permission bits other than the usual ones."""
        volume = cls(mtime)
        for path in sorted(files):
            rel = path.strip("/")
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                volume._nodes.setdefault("/".join(parts[:depth]), _Node("dir", mtime=mtime))
            if path.endswith("/"):
                volume._nodes[rel] = _Node("dir", mtime=mtime)
            else:
                bits = (modes or {}).get(path)
                permissions = None if bits is None else bits & 0o7777
                volume._nodes[rel] = _Node("file", as_bytes(files[path]), mtime, permissions)
        volume.read_only = read_only
        return volume

    def _node(self, rel: str) -> _Node | None:
        return self._nodes.get(rel)

    def stat(self, rel: str, follow: bool = True) -> Stat | None:
        node = self._nodes.get(rel)
        if node is None:
            return None
        executable = node.kind == "file" and node.data.startswith(EXECUTABLE_MAGIC)
        if node.permissions is not None:
            executable = executable and bool(node.permissions & 0o111)
        return Stat(
            node.kind, len(node.data), node.mtime, executable=executable,
            permissions=node.permissions,
        )  # fmt: skip

    def read(self, rel: str) -> bytes:
        node = self._nodes.get(rel)
        if node is None:
            raise fs_error(errno.ENOENT, rel)
        if node.kind == "dir":
            raise fs_error(errno.EISDIR, rel)
        return node.data

    def list(self, rel: str) -> list[str]:
        node = self._nodes.get(rel)
        if node is None:
            raise fs_error(errno.ENOENT, rel)
        if node.kind != "dir":
            raise fs_error(errno.ENOTDIR, rel)
        prefix = f"{rel}/" if rel else ""
        return sorted(
            path[len(prefix) :]
            for path in self._nodes
            if path and path.startswith(prefix) and "/" not in path[len(prefix) :]
        )

    def _require_parent_dir(self, rel: str) -> None:
        parent = self._nodes.get(parent_of(rel))
        if parent is None:
            raise fs_error(errno.ENOENT, rel)
        if parent.kind != "dir":
            raise fs_error(errno.ENOTDIR, rel)

    def write(self, rel: str, data: bytes, append: bool, now: datetime) -> None:
        self._refuse_if_read_only(rel)
        node = self._nodes.get(rel)
        if node is not None and node.kind == "dir":
            raise fs_error(errno.EISDIR, rel)
        self._require_parent_dir(rel)
        old = node.data if node is not None and append else b""
        permissions = node.permissions if node is not None else None
        self._nodes[rel] = _Node("file", old + data, now, permissions)

    def mkdir(self, rel: str, now: datetime) -> None:
        self._refuse_if_read_only(rel)
        if rel in self._nodes:
            raise fs_error(errno.EEXIST, rel)
        self._require_parent_dir(rel)
        self._nodes[rel] = _Node("dir", mtime=now)

    def remove(self, rel: str) -> None:
        self._refuse_if_read_only(rel)
        node = self._nodes.get(rel)
        if node is None:
            raise fs_error(errno.ENOENT, rel)
        if rel == "":
            raise fs_error(errno.EBUSY, rel)
        if node.kind == "dir" and self.list(rel):
            raise fs_error(errno.ENOTEMPTY, rel)
        del self._nodes[rel]


class SubPathVolume(Volume):
    """A view of the part of another volume below ``prefix`` (``subPath``, ``hostPath``)."""

    def __init__(self, base: Volume, prefix: str) -> None:
        self._base = base
        self._prefix = prefix.strip("/")
        self.read_only = base.read_only

    def stat(self, rel: str, follow: bool = True) -> Stat | None:
        return self._base.stat(join(self._prefix, rel), follow)

    def read(self, rel: str) -> bytes:
        return self._base.read(join(self._prefix, rel))

    def list(self, rel: str) -> list[str]:
        return self._base.list(join(self._prefix, rel))

    def write(self, rel: str, data: bytes, append: bool, now: datetime) -> None:
        self._base.write(join(self._prefix, rel), data, append, now)

    def mkdir(self, rel: str, now: datetime) -> None:
        self._base.mkdir(join(self._prefix, rel), now)

    def remove(self, rel: str) -> None:
        self._base.remove(join(self._prefix, rel))

    def sub_path(self, rel: str) -> Volume:
        return self._base.sub_path(join(self._prefix, rel))


class DiskVolume(Volume):
    """A real directory on disk (PersistentVolumeClaim data); paths cannot escape ``root``."""

    def __init__(self, root: Path, *, read_only: bool = False) -> None:
        self.root = root
        self.read_only = read_only
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, rel: str) -> Path:
        path = (self.root / rel).resolve()
        if path != self.root.resolve() and self.root.resolve() not in path.parents:
            raise fs_error(errno.EACCES, rel)
        return path

    def stat(self, rel: str, follow: bool = True) -> Stat | None:
        path = self._path(rel)
        if not path.exists():
            return None
        info = path.stat()
        mtime = datetime.fromtimestamp(info.st_mtime, UTC)
        if path.is_dir():
            return Stat("dir", info.st_size, mtime)
        with path.open("rb") as handle:
            executable = handle.read(4).startswith(EXECUTABLE_MAGIC)
        return Stat("file", info.st_size, mtime, executable=executable)

    def read(self, rel: str) -> bytes:
        try:
            return self._path(rel).read_bytes()
        except OSError as error:
            raise fs_error(error.errno or errno.EIO, rel) from None

    def list(self, rel: str) -> list[str]:
        try:
            return sorted(entry.name for entry in self._path(rel).iterdir())
        except OSError as error:
            raise fs_error(error.errno or errno.EIO, rel) from None

    def write(self, rel: str, data: bytes, append: bool, now: datetime) -> None:
        self._refuse_if_read_only(rel)
        path = self._path(rel)
        try:
            with path.open("ab" if append else "wb") as handle:
                handle.write(data)
            os.utime(path, (now.timestamp(), now.timestamp()))
        except OSError as error:
            raise fs_error(error.errno or errno.EIO, rel) from None

    def mkdir(self, rel: str, now: datetime) -> None:
        self._refuse_if_read_only(rel)
        try:
            self._path(rel).mkdir()
        except OSError as error:
            raise fs_error(error.errno or errno.EIO, rel) from None

    def remove(self, rel: str) -> None:
        self._refuse_if_read_only(rel)
        path = self._path(rel)
        try:
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
        except OSError as error:
            raise fs_error(error.errno or errno.EIO, rel) from None

    def clear(self) -> None:
        """Delete everything inside (a ``Delete`` reclaim policy)."""
        for entry in self.root.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()


class ProjectedVolume(Volume):
    """Read-only files from ConfigMaps, Secrets or the downward API, updated atomically."""

    read_only = True
    DATA_LINK = "..data"

    def __init__(
        self,
        files: Mapping[str, bytes | str],
        now: datetime,
        *,
        modes: Mapping[str, int] | None = None,
        in_memory: bool = False,
    ) -> None:
        self._generation = ""
        self._tree = MemoryVolume()
        #: Each file's permission bits (``defaultMode``, or an item's ``mode``).
        self.modes = dict(modes or {})
        #: Secret and projected volumes live on tmpfs (root ``drwxrwxrwt``), configMap and
        #: downwardAPI volumes on the node's disk (root ``drwxrwxrwx``).
        self.in_memory = in_memory
        self.update(files, now)

    @property
    def generation(self) -> str:
        """The name of the timestamped directory ``..data`` points to now."""
        return self._generation

    def update(
        self,
        files: Mapping[str, bytes | str],
        now: datetime,
        modes: Mapping[str, int] | None = None,
    ) -> None:
        """Publish a new set of files in one step (write a new directory, swap ``..data``)."""
        if modes is not None:
            self.modes = dict(modes)
        suffix = random.randrange(10**9)
        self._tree = MemoryVolume.from_files(files, now, read_only=True, modes=self.modes)
        self._keys = sorted({key.strip("/").split("/")[0] for key in files})
        self._generation = now.strftime("..%Y_%m_%d_%H_%M_%S.") + f"{suffix:09d}"
        self._mtime = now

    def _target(self, rel: str) -> tuple[str, Stat | None]:
        """Where ``rel`` leads in the current generation's tree, or a symlink's own stat."""
        head, _, rest = rel.partition("/")
        if head == self.DATA_LINK or head == self._generation:
            if not rest and head == self.DATA_LINK:
                return "", Stat("link", len(self._generation), self._mtime, self._generation)
            return rest, None
        if head in self._keys:
            if not rest:
                target = f"{self.DATA_LINK}/{head}"
                return head, Stat("link", len(target), self._mtime, target)
            return rel, None
        return "\0", None

    def stat(self, rel: str, follow: bool = True) -> Stat | None:
        if rel == "":
            return Stat("dir", 0, self._mtime, permissions=0o1777 if self.in_memory else 0o777)
        tree_rel, link = self._target(rel)
        if link is not None and not follow:
            return link
        return self._tree.stat(tree_rel) if tree_rel != "\0" else None

    def read(self, rel: str) -> bytes:
        tree_rel, _ = self._target(rel)
        if rel == "" or tree_rel == "":
            raise fs_error(errno.EISDIR, rel)
        return self._tree.read(tree_rel)

    def list(self, rel: str) -> list[str]:
        if rel == "":
            return sorted([*self._keys, self.DATA_LINK, self._generation])
        tree_rel, _ = self._target(rel)
        if tree_rel == "\0":
            raise fs_error(errno.ENOENT, rel)
        return self._tree.list(tree_rel)

    def write(self, rel: str, data: bytes, append: bool, now: datetime) -> None:
        raise fs_error(errno.EROFS, rel)

    def mkdir(self, rel: str, now: datetime) -> None:
        raise fs_error(errno.EROFS, rel)

    def remove(self, rel: str) -> None:
        raise fs_error(errno.EROFS, rel)

    def sub_path(self, rel: str) -> Volume:
        """A subPath mount pins the files as they are now: later updates do not reach it.

        That is real Kubernetes behaviour (the bind mount holds on to the old file), and a
        classic surprise when a ConfigMap is mounted with ``subPath``.
        """
        tree_rel, _ = self._target(rel.strip("/"))
        return SubPathVolume(self._tree, "" if tree_rel == "\0" else tree_rel)
