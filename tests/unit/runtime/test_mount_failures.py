"""A volume the runtime cannot mount fails the container's start, as runc does, instead of
raising out of the kubelet; and the filesystem helpers behind ``ls -l`` and ``ls -i``."""

from __future__ import annotations

from typing import Any

import pytest

from kubelab.cluster.clock import Clock
from kubelab.cluster.runtime import Container, MemoryVolume, Mount, ProjectedVolume, StartError


@pytest.mark.parametrize(
    "mount_path",
    ["/etc/passwd", "/etc/passwd/inside"],  # a directory over a file; a path below a file
)
async def test_a_failed_bind_mount_is_a_start_error(
    catalog: Any, clock: Clock, mount_path: str
) -> None:
    scratch = MemoryVolume(clock.now())
    source = "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~empty-dir/scratch"
    container = Container(
        catalog.resolve("busybox:1.36"),
        {"name": "c", "command": ["sleep", "3600"]},
        clock=clock,
        mounts=[Mount(mount_path, scratch, source=source)],
    )
    with pytest.raises(StartError) as failure:
        container.start()
    assert str(failure.value) == (
        "failed to create containerd task: failed to create shim task: OCI runtime create "
        "failed: runc create failed: unable to start container process: error during container "
        f'init: error mounting "{source}" to rootfs at "{mount_path}": mount {source}:'
        f"{mount_path} (via /proc/self/fd/6), flags: 0x5000: not a directory: unknown"
    )
    status = await container.wait()
    assert (status.exit_code, status.reason) == (128, "StartError")


async def test_file_information_follows_links_and_counts_like_the_kernel(
    start: Any, clock: Clock
) -> None:
    config = ProjectedVolume({"key": b"value"}, clock.now(), modes={"key": 0o440})
    container = await start(
        "busybox:1.36", {"command": ["sleep", "3600"]}, mounts=[Mount("/config", config)]
    )
    fs = container.fs
    assert fs.realpath("/config/key") == f"/config/{config.generation}/key"
    link, target = fs.info("/config/key"), fs.info("/config/key", follow=True)
    assert link is not None and target is not None
    assert (link.entry.mode, link.size, link.blocks) == ("lrwxrwxrwx", len("..data/key"), 0)
    assert (target.entry.mode, target.size, target.blocks) == ("-r--r-----", 5, 4)
    assert target.inode == fs.info(f"/config/{config.generation}/key").inode  # type: ignore[union-attr]
    root = fs.info("/config")
    assert root is not None and (root.entry.mode, root.links) == ("drwxrwxrwx", 3)
    assert fs.info("/nope") is None


async def test_file_modes_decide_what_may_run_even_through_a_sub_path(
    start: Any, clock: Clock
) -> None:
    scripts = ProjectedVolume(
        {"run.sh": b"#!/bin/sh\necho ran\n", "plain.sh": b"#!/bin/sh\necho ran\n"},
        clock.now(),
        modes={"run.sh": 0o755, "plain.sh": 0o644},
    )
    container = await start(
        "busybox:1.36",
        {"command": ["sleep", "3600"]},
        mounts=[
            Mount("/scripts", scripts, read_only=True),
            Mount("/only/run.sh", scripts, read_only=True, sub_path="run.sh"),
        ],
    )
    assert await container.exec(["/scripts/run.sh"]) == (0, "ran\n", "")
    assert await container.exec(["/only/run.sh"]) == (0, "ran\n", "")
    assert await container.exec(["sh", "-c", "/scripts/plain.sh"]) == (
        126, "", "sh: /scripts/plain.sh: Permission denied\n",
    )  # fmt: skip
    _, listing, _ = await container.exec(["ls", "-lL", "/scripts", "/only/run.sh"])
    modes = [line.split()[0] for line in listing.splitlines() if line.startswith("-")]
    assert modes == ["-rwxr-xr-x", "-rw-r--r--", "-rwxr-xr-x"]
