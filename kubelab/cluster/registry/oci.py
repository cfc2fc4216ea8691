"""The OCI image format: media types, digests, and layers as gzip'd tar files with whiteouts.

An image is a manifest naming one config blob and an ordered list of layer blobs, each named by
the SHA-256 of its bytes. A layer is a tar of the files one build step added or changed; a file
it deleted is recorded as an empty ``.wh.NAME`` entry beside it (a *whiteout*), and a directory
whose earlier contents are all replaced holds ``.wh..wh..opq`` (an *opaque* whiteout). Stacking
the layers in order gives the container's root filesystem, as overlayfs does on a real node.

Layers are written reproducibly: entries sorted, fixed owner and time, gzip without a time
stamp, so the same files always give the same digest.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import posixpath
import re
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

MEDIA_TYPE_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_TYPE_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_TYPE_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_TYPE_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_TYPE_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
LAYER_MEDIA_TYPES = frozenset({MEDIA_TYPE_LAYER, MEDIA_TYPE_LAYER_TAR, DOCKER_LAYER})
MANIFEST_MEDIA_TYPES = frozenset({MEDIA_TYPE_MANIFEST, DOCKER_MANIFEST})

WHITEOUT_PREFIX = ".wh."
OPAQUE_WHITEOUT = ".wh..wh..opq"
DIGEST_PATTERN = re.compile(r"^sha256:[a-f0-9]{64}$")
#: 1 January 2000, the time every entry of a reproducible layer carries.
LAYER_MTIME = 946_684_800
EXECUTABLE_MAGIC = (b"\x7fELF", b"#!")

#: A root filesystem: absolute path -> contents; a path ending in ``/`` is a directory.
Tree = dict[str, bytes]


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def valid_digest(digest: str) -> bool:
    return bool(DIGEST_PATTERN.match(digest))


def blob_path(root: Path, digest: str) -> Path:
    """Where a blob store under ``root`` keeps the blob ``digest``: ``blobs/sha256/<hex>``, the
    OCI image layout's place for it, which the registry's own storage follows too."""
    return root / "blobs" / "sha256" / digest.removeprefix("sha256:")


def write_blob_file(path: Path, data: bytes) -> None:
    """Store a blob at its content address, whole or not at all: the bytes go to a ``.partial``
    file renamed into place, so no reader sees half a blob; one already there (the same bytes,
    since its name is their digest) is left as it is."""
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.write_bytes(data)
        os.replace(partial, path)


@dataclass(frozen=True)
class Change:
    """One entry of a layer: a file or directory added or changed, or a path deleted."""

    path: str  # absolute; directories end in "/"
    kind: str  # "file", "dir", "whiteout" or "opaque"
    data: bytes = b""

    @property
    def size(self) -> int:
        return len(self.data)


def _mode(change: Change) -> int:
    if change.kind == "dir":
        return 0o755
    return 0o755 if change.data.startswith(EXECUTABLE_MAGIC) else 0o644


def _entry_name(change: Change) -> str:
    path = change.path.rstrip("/").lstrip("/")
    if change.kind == "whiteout":
        parent, name = posixpath.split(path)
        return posixpath.join(parent, WHITEOUT_PREFIX + name)
    if change.kind == "opaque":
        return posixpath.join(path, OPAQUE_WHITEOUT)
    return path


def layer_tar(changes: Iterable[Change]) -> bytes:
    """The uncompressed tar of ``changes`` (its digest is the layer's ``diff_id``)."""
    buffer = io.BytesIO()
    ordered = sorted(changes, key=_entry_name)
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for change in ordered:
            info = tarfile.TarInfo(_entry_name(change))
            info.mtime, info.uid, info.gid, info.uname, info.gname = LAYER_MTIME, 0, 0, "", ""
            info.mode = _mode(change)
            if change.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = change.size
                tar.addfile(info, io.BytesIO(change.data))
    return buffer.getvalue()


def compress(tar: bytes) -> bytes:
    """gzip without a name or time stamp, so equal input gives equal bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=6) as stream:
        stream.write(tar)
    return buffer.getvalue()


def decompress(blob: bytes) -> bytes:
    return gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob


def read_layer(blob: bytes) -> list[Change]:
    """The changes a layer blob (gzip'd or plain tar) records, in archive order."""
    changes = []
    with tarfile.open(fileobj=io.BytesIO(decompress(blob)), mode="r:") as tar:
        for member in tar:
            name = "/" + member.name.strip("/").removeprefix("./")
            parent, base = posixpath.split(name)
            if base == OPAQUE_WHITEOUT:
                changes.append(Change(parent.rstrip("/") + "/", "opaque"))
            elif base.startswith(WHITEOUT_PREFIX):
                changes.append(
                    Change(posixpath.join(parent, base[len(WHITEOUT_PREFIX) :]), "whiteout")
                )
            elif member.isdir():
                changes.append(Change(name.rstrip("/") + "/", "dir"))
            elif member.isfile():
                handle = tar.extractfile(member)
                changes.append(Change(name, "file", handle.read() if handle else b""))
            elif member.issym() or member.islnk():
                changes.append(Change(name, "file", b""))  # links are not modelled
    return changes


def _under(path: str, directory: str) -> bool:
    return path.startswith(directory.rstrip("/") + "/")


def apply_layer(tree: Tree, changes: Iterable[Change]) -> Tree:
    """The filesystem after stacking a layer's ``changes`` on ``tree`` (which is not changed)."""
    merged = dict(tree)
    for change in changes:
        if change.kind in ("whiteout", "opaque"):
            target = change.path.rstrip("/")
            for path in [p for p in merged if _under(p, target)]:
                del merged[path]
            if change.kind == "whiteout":
                merged.pop(target, None)
                merged.pop(target + "/", None)
        elif change.kind == "dir":
            merged.pop(change.path.rstrip("/"), None)
            merged[change.path] = b""
        else:
            merged.pop(change.path + "/", None)
            merged[change.path] = change.data
    return merged


def tree_changes(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> list[Change]:
    """The layer that turns ``before`` into ``after``: new and changed entries, and whiteouts."""
    changes = [
        Change(path, "dir" if path.endswith("/") else "file", data)
        for path, data in after.items()
        if before.get(path) != data or path not in before
    ]
    removed = sorted(path for path in before if path not in after)
    covered: list[str] = []
    for path in removed:
        if any(_under(path, gone) for gone in covered):
            continue
        changes.append(Change(path.rstrip("/"), "whiteout"))
        if path.endswith("/"):
            covered.append(path)
    return changes


def explicit_tree(files: Mapping[str, bytes | str]) -> Tree:
    """``files`` with every parent directory listed, the way a tar lists them."""
    tree: Tree = {}
    for path, data in files.items():
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            tree.setdefault("/" + "/".join(parts[:depth]) + "/", b"")
        if path.endswith("/"):
            tree["/" + path.strip("/") + "/"] = b""
        else:
            tree["/" + path.strip("/")] = data.encode() if isinstance(data, str) else data
    tree.pop("//", None)
    return tree
