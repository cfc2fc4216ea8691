"""The container filesystem: image layer, copy-on-write, mounts and volume kinds."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from kubelab.cluster.clock import Clock
from kubelab.cluster.runtime import (
    ContainerFilesystem,
    DiskVolume,
    MemoryVolume,
    Mount,
    ProjectedVolume,
)

IMAGE_FILES = {
    "/etc/os-release": "ID=test\n",
    "/usr/share/nginx/html/index.html": "image page\n",
    "/var/log/": b"",
}


@pytest.fixture()
def image_root(clock: Clock) -> MemoryVolume:
    return MemoryVolume.from_files(IMAGE_FILES, clock.now(), read_only=True)


def test_reads_come_from_the_image_and_writes_stay_in_the_container(
    image_root: MemoryVolume, clock: Clock
) -> None:
    first = ContainerFilesystem(image_root, clock)
    second = ContainerFilesystem(image_root, clock)
    assert first.read_text("/etc/os-release") == "ID=test\n"
    first.write("/etc/os-release", "ID=changed\n")
    first.write("/var/log/app.log", "one\n")
    first.write("/var/log/app.log", "two\n", append=True)
    assert first.read_text("/etc/os-release") == "ID=changed\n"
    assert first.read_text("/var/log/app.log") == "one\ntwo\n"
    assert second.read_text("/etc/os-release") == "ID=test\n"
    assert not second.exists("/var/log/app.log")
    assert image_root.read("etc/os-release") == b"ID=test\n"


def test_deleting_an_image_file_hides_it_and_directories_work(
    image_root: MemoryVolume, clock: Clock
) -> None:
    fs = ContainerFilesystem(image_root, clock)
    fs.remove("/usr/share/nginx/html", recursive=True)
    assert not fs.exists("/usr/share/nginx/html/index.html")
    assert fs.list("/usr/share/nginx") == []
    fs.mkdir("/usr/share/nginx/html")
    assert fs.list("/usr/share/nginx/html") == []
    fs.mkdir("/a/b/c", parents=True)
    assert fs.is_dir("/a/b/c") and fs.list("/a") == ["b"]
    with pytest.raises(FileExistsError):
        fs.mkdir("/a/b")
    with pytest.raises(FileNotFoundError):
        fs.read_text("/nope")
    with pytest.raises(OSError) as raised:
        fs.remove("/a")
    assert raised.value.errno == errno.ENOTEMPTY
    assert fs.size("/etc/os-release") == len("ID=test\n")


def test_an_empty_dir_is_shared_between_containers(image_root: MemoryVolume, clock: Clock) -> None:
    shared = MemoryVolume(clock.now())
    writer = ContainerFilesystem(image_root, clock, [Mount("/data", shared)])
    reader = ContainerFilesystem(image_root, clock, [Mount("/usr/share/nginx/html", shared)])
    writer.write("/data/index.html", "from the sidecar\n")
    assert reader.read_text("/usr/share/nginx/html/index.html") == "from the sidecar\n"
    assert "data" in writer.list("/")


def test_read_only_mounts_and_roots_refuse_writes(image_root: MemoryVolume, clock: Clock) -> None:
    fs = ContainerFilesystem(
        image_root, clock, [Mount("/data", MemoryVolume(), read_only=True)], read_only_root=True
    )
    for path in ("/data/x", "/etc/os-release", "/tmp/x"):
        with pytest.raises(OSError) as raised:
            fs.write(path, "x")
        assert raised.value.strerror == "Read-only file system"


def test_projected_volumes_update_atomically_through_the_data_link(
    image_root: MemoryVolume, clock: Clock
) -> None:
    config = ProjectedVolume({"app.conf": "v1\n", "mode": "dev"}, clock.now())
    fs = ContainerFilesystem(image_root, clock, [
        Mount("/etc/config", config, read_only=True),
        Mount("/etc/app.conf", config, sub_path="app.conf"),
    ])  # fmt: skip
    assert fs.list("/etc/config") == sorted(["..data", config.generation, "app.conf", "mode"])
    link = fs.lstat("/etc/config/app.conf")
    assert link is not None and link.kind == "link" and link.target == "..data/app.conf"
    assert fs.read_text("/etc/config/app.conf") == "v1\n"
    with pytest.raises(OSError, match="Read-only file system"):
        fs.write("/etc/config/new", "x")
    config.update({"app.conf": "v2\n"}, clock.now())
    assert fs.read_text("/etc/config/app.conf") == "v2\n"
    assert not fs.exists("/etc/config/mode")
    assert fs.read_text("/etc/app.conf") == "v1\n"  # a subPath mount never sees updates


def test_disk_volumes_keep_data_on_disk(
    image_root: MemoryVolume, clock: Clock, tmp_path: Path
) -> None:
    fs = ContainerFilesystem(image_root, clock, [Mount("/data", DiskVolume(tmp_path / "pvc"))])
    fs.mkdir("/data/dir")
    fs.write("/data/dir/file.txt", "kept\n")
    assert (tmp_path / "pvc" / "dir" / "file.txt").read_text() == "kept\n"
    later = ContainerFilesystem(image_root, clock, [Mount("/data", DiskVolume(tmp_path / "pvc"))])
    assert later.read_text("/data/dir/file.txt") == "kept\n"


def test_sub_path_of_a_writable_volume_is_created(image_root: MemoryVolume, clock: Clock) -> None:
    shared = MemoryVolume()
    fs = ContainerFilesystem(image_root, clock, [Mount("/var/lib/app", shared, sub_path="app")])
    fs.write("/var/lib/app/state", "1")
    assert shared.read("app/state") == b"1"
