"""``df`` in busybox and GNU images: each prints the container's mounts in its own columns, and
a Secret volume shows up as the tmpfs it is."""

from __future__ import annotations

import re
from typing import Any

from kubelab.cluster.clock import Clock
from kubelab.cluster.runtime import MemoryVolume, Mount, ProjectedVolume


def _mounts(clock: Clock) -> list[Mount]:
    secret = ProjectedVolume({"password": b"x" * 5000}, clock.now(), in_memory=True)
    return [Mount("/etc/db", secret, read_only=True), Mount("/cache", MemoryVolume(clock.now()))]


async def test_df_columns_in_busybox_and_gnu(start: Any, clock: Clock) -> None:
    spec = {"command": ["sleep", "3600"]}
    busybox = await start("busybox:1.36", spec, mounts=_mounts(clock))
    code, out, _ = await busybox.exec(["df"])
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "Filesystem           1K-blocks      Used Available Use% Mounted on"
    assert re.fullmatch(r"overlay {6,}\d{8} {2}\d{8} {2}\d{8}  \d\d% /", lines[1])
    assert [line.split()[0] for line in lines[1:]] == ["overlay", "/dev/sda1", "tmpfs", "/dev/sda1"]
    tmpfs = next(line for line in lines if line.startswith("tmpfs"))
    assert tmpfs.split()[2:] == ["8", tmpfs.split()[3], "0%", "/etc/db"]
    _, human, _ = await busybox.exec(["df", "-h", "/"])
    assert human.splitlines()[0].startswith("Filesystem                Size      Used Available")
    assert re.fullmatch(r"overlay +\d+\.\dG +\d+\.\dG +\d+\.\dG +\d+% /", human.splitlines()[1])
    assert len(human.splitlines()) == 2
    _, one, _ = await busybox.exec(["df", "/etc/db/password"])
    assert one.splitlines()[1].startswith("tmpfs ")
    assert await busybox.exec(["df", "/nope"]) == (
        1, lines[0] + "\n", "df: /nope: No such file or directory\n",
    )  # fmt: skip

    ubuntu = await start("ubuntu:24.04", spec, mounts=_mounts(clock))
    _, out, _ = await ubuntu.exec(["df", "-h"])
    lines = out.splitlines()
    assert lines[0] == "Filesystem      Size  Used Avail Use% Mounted on"
    assert re.fullmatch(r"overlay {10}\d\dG +\d+G +\d+G +\d+% /", lines[1])
    assert re.fullmatch(r"tmpfs +\d\.\dG  8\.0K +\d\.\dG   1% /etc/db", lines[3])
