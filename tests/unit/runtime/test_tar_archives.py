"""``tar`` in a container: archives that any tar reads, and archives from anywhere unpacked.

Archives travel through ``Container.exec`` exactly as ``kubectl cp`` sends them through the exec
streams, as stream text that stands for bytes; ``from_bytes``/``to_bytes`` convert at the edge.
"""

from __future__ import annotations

import io
import tarfile
from typing import Any

from kubelab.cluster.runtime.streams import from_bytes, to_bytes

#: Every byte value, twice: not valid UTF-8, so it must not be "repaired" on the way.
BINARY = bytes(range(256)) * 2


def archive_of(files: dict[str, bytes], directories: tuple[str, ...] = ()) -> bytes:
    """A tar archive made on "the learner's machine" (Python's tarfile)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name in directories:
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def members(data: bytes) -> dict[str, bytes | None]:
    """Name → content (None for a directory) of an archive, read with Python's tarfile."""
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {
            info.name: (archive.extractfile(info).read() if info.isfile() else None)  # type: ignore[union-attr]
            for info in archive
        }


async def test_create_writes_a_real_archive_of_a_tree(start: Any) -> None:
    container = await start("busybox", {"command": ["sleep", "3600"]})
    container.fs.mkdir("/data/sub", parents=True)
    container.fs.write("/data/a.txt", "hello\n")
    container.fs.write("/data/sub/blob.bin", BINARY)
    code, out, err = await container.exec(["tar", "cf", "-", "/data"])
    assert code == 0
    assert err == "tar: removing leading '/' from member names\n"
    assert members(to_bytes(out)) == {
        "data": None, "data/a.txt": b"hello\n", "data/sub": None, "data/sub/blob.bin": BINARY,
    }  # fmt: skip


async def test_gnu_tar_words_its_messages_like_gnu(start: Any) -> None:
    container = await start("nginx")
    code, _, err = await container.exec(["tar", "cf", "-", "/nope"])
    assert code == 2
    assert err == (
        "tar: Removing leading `/' from member names\n"
        "tar: /nope: Cannot stat: No such file or directory\n"
        "tar: Exiting with failure status due to previous errors\n"
    )


async def test_extract_unpacks_binary_files_and_makes_parents(start: Any) -> None:
    container = await start("busybox", {"command": ["sleep", "3600"]})
    container.fs.mkdir("/dest")
    archive = archive_of({"deep/dir/blob.bin": BINARY, "note.txt": b"hi\n"}, ("empty",))
    command = ["tar", "--no-same-permissions", "--no-same-owner", "-xmf", "-", "-C", "/dest"]
    code, out, err = await container.exec(command, stdin=from_bytes(archive))
    assert (code, out, err) == (0, "", "")
    assert container.fs.read_bytes("/dest/deep/dir/blob.bin") == BINARY
    assert container.fs.read_text("/dest/note.txt") == "hi\n"
    assert container.fs.is_dir("/dest/empty")


async def test_extract_into_a_missing_directory_fails(start: Any) -> None:
    container = await start("busybox", {"command": ["sleep", "3600"]})
    archive = from_bytes(archive_of({"x": b"1"}))
    code, _, err = await container.exec(["tar", "-xmf", "-", "-C", "/nope"], stdin=archive)
    assert (code, err) == (1, "tar: can't change directory to '/nope': No such file or directory\n")


async def test_round_trip_through_a_file_and_listing(start: Any) -> None:
    container = await start("busybox", {"command": ["sleep", "3600"]})
    container.fs.mkdir("/src")
    container.fs.write("/src/one", "1\n")
    code, _, _ = await container.exec(["sh", "-c", "cd / && tar -czf /tmp/a.tgz src"])
    assert code == 0
    code, listing, _ = await container.exec(["tar", "tzf", "/tmp/a.tgz"])
    assert (code, listing) == (0, "src/\nsrc/one\n")
    code, content, _ = await container.exec(["tar", "-xOf", "/tmp/a.tgz", "src/one"])
    assert (code, content) == (0, "1\n")


async def test_garbage_is_not_an_archive(start: Any) -> None:
    container = await start("nginx")
    code, _, err = await container.exec(["tar", "xf", "-"], stdin="not a tar file\n" * 100)
    assert code == 2
    assert err == (
        "tar: This does not look like a tar archive\n"
        "tar: Exiting with failure status due to previous errors\n"
    )


async def test_a_mode_is_required(start: Any) -> None:
    container = await start("busybox", {"command": ["sleep", "3600"]})
    code, _, err = await container.exec(["tar", "f", "-"])
    assert (code, err) == (1, "tar: need at least one of -c, -x, -t\n")
