"""``ls`` in busybox and GNU images: options, the long format, symlinks in ConfigMap and Secret
volumes, and the error texts and exit codes a learner meets."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kubelab.cluster.clock import Clock
from kubelab.cluster.runtime import Container, MemoryVolume, Mount, ProjectedVolume
from kubelab.cluster.runtime.programs.listing import busybox_human, gnu_human

DATE = r"\w{3} [ \d]\d (\d\d:\d\d| \d{4})"


def _volumes(clock: Clock) -> list[Mount]:
    config = ProjectedVolume(
        {"settings.yaml": b"theme: dark\n", "PAGE_SIZE": b"20"},
        clock.now(),
        modes={"settings.yaml": 0o644, "PAGE_SIZE": 0o644},
    )
    secret = ProjectedVolume(
        {"password": b"Tr0ub4dor&3"}, clock.now(), modes={"password": 0o400}, in_memory=True
    )
    scratch = MemoryVolume(clock.now())
    scratch.write("big.log", b"x" * 12_345, False, clock.now())
    scratch.write("small.txt", b"hello\n", False, clock.now())
    scratch.mkdir("sub", clock.now())
    scratch.write("sub/deep.txt", b"deep\n", False, clock.now())
    scratch.write(".hidden", b"", False, clock.now())
    return [
        Mount("/config", config, read_only=True),
        Mount("/etc/db", secret, read_only=True),
        Mount("/scratch", scratch),
    ]


@pytest.fixture()
async def busybox(start: Any, clock: Clock) -> Container:
    return await start("busybox:1.36", {"command": ["sleep", "3600"]}, mounts=_volumes(clock))


@pytest.fixture()
async def ubuntu(start: Any, clock: Clock) -> Container:
    return await start("ubuntu:24.04", {"command": ["sleep", "3600"]}, mounts=_volumes(clock))


async def ls(container: Container, arguments: str, tty: bool = False) -> tuple[int, str, str]:
    return await container.exec(["sh", "-c", f"ls {arguments}"], tty=tty)


async def test_a_configmap_volume_lists_like_a_real_pod(busybox: Container) -> None:
    code, out, err = await ls(busybox, "-la /config")
    lines = out.splitlines()
    assert (code, err, lines[0]) == (0, "", "total 12")
    assert re.fullmatch(rf"drwxrwxrwx    3 root     root          4096 {DATE} \.", lines[1])
    assert re.fullmatch(rf"drwxr-xr-x    1 root     root          4096 {DATE} \.\.", lines[2])
    stamp = re.fullmatch(
        rf"drwxr-xr-x    2 root     root          4096 {DATE} (\.\.\d{{4}}(_\d\d){{5}}\.\d{{9}})",
        lines[3],
    )
    assert stamp is not None
    generation = stamp.group(2)
    assert re.fullmatch(
        rf"lrwxrwxrwx    1 root     root {len(generation):>13} {DATE} \.\.data -> {generation}",
        lines[4],
    )
    assert lines[5].endswith(" PAGE_SIZE -> ..data/PAGE_SIZE")
    assert lines[5].startswith("lrwxrwxrwx    1 root     root            16 ")
    assert lines[6].endswith(" settings.yaml -> ..data/settings.yaml")


async def test_dereferencing_shows_the_files_and_a_secrets_mode(busybox: Container) -> None:
    assert await ls(busybox, "-L /config") == (0, "PAGE_SIZE\nsettings.yaml\n", "")
    _, out, _ = await ls(busybox, "-lL /config")
    assert out.splitlines()[0] == "total 8"
    assert out.splitlines()[2].startswith("-rw-r--r--    1 root     root            12 ")
    _, out, _ = await ls(busybox, "-lL /etc/db")
    assert re.fullmatch(
        rf"-r--------    1 root     root            11 {DATE} password", out.split("\n")[1]
    )
    # The Secret volume is a tmpfs: sticky and world-writable, sized by its entries.
    _, out, _ = await ls(busybox, "-ld /etc/db")
    assert out.startswith("drwxrwxrwt    3 root     root           100 ")


async def test_symlinks_to_directories_follow_the_kernels_rules(busybox: Container) -> None:
    _, link, _ = await ls(busybox, "-l /config/..data")
    assert link.startswith("lrwxrwxrwx ") and link.rstrip().endswith(
        "/config/..data -> " + link.rsplit("-> ", 1)[1].strip()
    )
    assert link.count("\n") == 1
    _, slash, _ = await ls(busybox, "-l /config/..data/")
    assert slash.splitlines()[0] == "total 8"
    assert [line.split()[-1] for line in slash.splitlines()[1:]] == ["PAGE_SIZE", "settings.yaml"]
    # Without -l a link to a directory named on the command line is listed as the directory.
    assert await ls(busybox, "/config/..data") == (0, "PAGE_SIZE\nsettings.yaml\n", "")
    _, directory_itself, _ = await ls(busybox, "-d /config/..data")
    assert directory_itself == "/config/..data\n"


async def test_gnu_pads_columns_to_the_widest_entry(ubuntu: Container) -> None:
    _, out, _ = await ls(ubuntu, "-la /config")
    lines = out.splitlines()
    assert lines[0] == "total 12"
    assert re.fullmatch(rf"drwxrwxrwx 3 root root 4096 {DATE} \.", lines[1])
    assert re.fullmatch(
        rf"lrwxrwxrwx 1 root root   16 {DATE} PAGE_SIZE -> \.\.data/PAGE_SIZE", lines[5]
    )
    _, out, _ = await ls(ubuntu, "-lL /etc/db")
    assert re.fullmatch(rf"-r-------- 1 root root 11 {DATE} password", out.splitlines()[1])
    _, out, _ = await ls(ubuntu, "-ln /scratch")
    assert re.fullmatch(rf"-rw-r--r-- 1 0 0 12345 {DATE} big\.log", out.splitlines()[1])
    assert re.fullmatch(rf"-rw-r--r-- 1 0 0     6 {DATE} small\.txt", out.splitlines()[2])
    assert re.fullmatch(rf"drwxr-xr-x 2 0 0  4096 {DATE} sub", out.splitlines()[3])


@pytest.mark.parametrize(
    ("arguments", "busybox_output", "gnu_output"),
    [
        ("-1 /scratch", "big.log\nsmall.txt\nsub\n", "big.log\nsmall.txt\nsub\n"),
        ("-A /scratch", ".hidden\nbig.log\nsmall.txt\nsub\n", ".hidden\nbig.log\nsmall.txt\nsub\n"),
        ("-a /scratch", ".\n..\n.hidden\nbig.log\nsmall.txt\nsub\n", None),
        ("-r /scratch", "sub\nsmall.txt\nbig.log\n", None),
        ("-S /scratch", "big.log\nsub\nsmall.txt\n", None),
        ("-Sr /scratch", "small.txt\nsub\nbig.log\n", None),
        ("-p /scratch", "big.log\nsmall.txt\nsub/\n", None),
        ("-F /bin/sh /scratch/sub", "/bin/sh*\n\n/scratch/sub:\ndeep.txt\n", None),
        ("-R /scratch", "/scratch:\nbig.log\nsmall.txt\nsub\n\n/scratch/sub:\ndeep.txt\n", None),
        ("-d /scratch /scratch/sub", "/scratch\n/scratch/sub\n", None),
        (
            "/scratch/sub /scratch/small.txt",
            "/scratch/small.txt\n\n/scratch/sub:\ndeep.txt\n",
            None,
        ),
        (
            "/scratch /scratch/sub --",
            "/scratch:\nbig.log\nsmall.txt\nsub\n\n/scratch/sub:\ndeep.txt\n",
            None,
        ),
    ],
)
async def test_listing_options(
    busybox: Container,
    ubuntu: Container,
    arguments: str,
    busybox_output: str,
    gnu_output: str | None,
) -> None:
    assert await ls(busybox, arguments) == (0, busybox_output, "")
    assert await ls(ubuntu, arguments) == (0, gnu_output or busybox_output, "")


async def test_time_order_inode_numbers_and_sizes(busybox: Container, ubuntu: Container) -> None:
    await busybox.exec(["sh", "-c", "sleep 2; echo new > /scratch/newest"])
    assert (await ls(busybox, "-t /scratch"))[1].splitlines()[0] == "newest"
    assert (await ls(busybox, "-tr /scratch"))[1].splitlines()[-1] == "newest"
    _, out, _ = await ls(
        busybox, "-id /scratch/small.txt /config/PAGE_SIZE /config/..data/PAGE_SIZE"
    )
    numbers = {line.split()[1]: line.split()[0] for line in out.splitlines()}
    assert numbers["/config/PAGE_SIZE"] != numbers["/config/..data/PAGE_SIZE"]  # link vs file
    _, followed, _ = await ls(busybox, "-iL /config/PAGE_SIZE /config/..data/PAGE_SIZE")
    assert len({line.split()[0] for line in followed.splitlines()}) == 1
    assert re.fullmatch(r" {0,6}\d{6,7} /scratch/small.txt", out.splitlines()[-1])
    _, human, _ = await ls(busybox, "-lh /scratch/big.log")
    assert human.split()[4] == "12.1K"
    _, human, _ = await ls(ubuntu, "-lh /scratch/big.log")
    assert human.split()[4] == "13K"
    _, blocks, _ = await ls(ubuntu, "-s /scratch")
    assert blocks.splitlines()[:2] == ["total 24", "16 big.log"]


def test_human_readable_sizes_round_as_each_implementation_does() -> None:
    sizes = [0, 340, 1024, 1025, 1536, 4096, 10_240, 10_241, 12_345, 1_048_576, 1_572_864]
    assert [busybox_human(size) for size in sizes] == [
        "0", "340", "1.0K", "1.0K", "1.5K", "4.0K", "10.0K", "10.0K", "12.1K", "1.0M", "1.5M",
    ]  # fmt: skip
    assert [gnu_human(size) for size in sizes] == [
        "0", "340", "1.0K", "1.1K", "1.5K", "4.0K", "10K", "11K", "13K", "1.0M", "1.5M",
    ]  # fmt: skip


async def test_missing_files_and_bad_options(
    busybox: Container, ubuntu: Container, start: Any
) -> None:
    assert await ls(busybox, "/nope /scratch/sub") == (
        1, "/scratch/sub:\ndeep.txt\n", "ls: /nope: No such file or directory\n",
    )  # fmt: skip
    assert await ls(ubuntu, "/nope /scratch/sub") == (
        2, "/scratch/sub:\ndeep.txt\n", "ls: cannot access '/nope': No such file or directory\n",
    )  # fmt: skip
    assert await ls(busybox, "-y") == (1, "", "ls: invalid option -- 'y'\n")
    assert await ls(ubuntu, "/etc/passwd/") == (
        2, "", "ls: cannot access '/etc/passwd/': Not a directory\n",
    )  # fmt: skip
    assert await ls(ubuntu, "-y") == (
        2, "", "ls: invalid option -- 'y'\nTry 'ls --help' for more information.\n",
    )  # fmt: skip
    assert await ls(ubuntu, "--bogus") == (
        2, "", "ls: unrecognized option '--bogus'\nTry 'ls --help' for more information.\n",
    )  # fmt: skip
    alpine = await start("alpine:3.20", {"command": ["sleep", "3600"]})
    assert await ls(alpine, "-y") == (1, "", "ls: unrecognized option: y\n")
    assert await ls(alpine, "-L /etc/apk") == (0, "world\n", "")


async def test_a_terminal_gets_columns_and_busybox_colours(
    busybox: Container, ubuntu: Container
) -> None:
    _, out, _ = await ls(busybox, "/scratch", tty=True)
    assert out == "big.log    small.txt  \x1b[1;34msub\x1b[m\r\n".replace(
        "big.log", "\x1b[0;0mbig.log\x1b[m"
    ).replace("small.txt", "\x1b[0;0msmall.txt\x1b[m")
    _, out, _ = await ls(ubuntu, "/scratch", tty=True)
    assert out == "big.log  small.txt  sub\r\n"
    _, out, _ = await ls(ubuntu, "--color=never -C /scratch")
    assert out == "big.log  small.txt  sub\n"
