"""Attaching to a container's main process: what stdin, stdinOnce and tty in the spec change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any


async def typed(*chunks: str) -> AsyncIterator[str]:
    """A client's input: the chunks, then end-of-input (a closed pipe, a closed connection)."""
    for chunk in chunks:
        await asyncio.sleep(0.01)
        yield chunk


class Screen:
    """What one attached client receives, per stream."""

    def __init__(self) -> None:
        self.stdout = ""
        self.stderr = ""

    async def out(self, text: str) -> None:
        self.stdout += text

    async def err(self, text: str) -> None:
        self.stderr += text


async def test_stdin_stays_open_for_the_next_client(start: Any) -> None:
    shell = await start("busybox", {"command": ["sh"], "stdin": True})
    first = Screen()
    async with asyncio.timeout(5):
        await shell.attach(stdin=typed("echo one\n", "echo oops >&2\n"), on_stdout=first.out,
                           on_stderr=first.err)  # fmt: skip
    assert (first.stdout, first.stderr) == ("one\n", "oops\n")
    assert shell.running
    second = Screen()
    async with asyncio.timeout(5):
        await shell.attach(stdin=typed("exit 6\n"), on_stdout=second.out, on_stderr=second.err)
    assert (await shell.wait()).exit_code == 6
    assert shell.logs.text() == "one\noops\n"


async def test_stdin_once_closes_stdin_after_the_first_client(start: Any) -> None:
    shell = await start("busybox", {"command": ["sh"], "stdin": True, "stdinOnce": True})
    screen = Screen()
    async with asyncio.timeout(5):
        await shell.attach(stdin=typed("echo bye\n"), on_stdout=screen.out, on_stderr=screen.err)
    status = await shell.wait()
    assert (status.exit_code, screen.stdout) == (0, "bye\n")


async def test_without_stdin_the_input_is_not_read(start: Any) -> None:
    cat = await start("busybox", {"command": ["cat"]})
    assert (await cat.wait()).exit_code == 0
    sleeper = await start("busybox", {"command": ["sh", "-c", "sleep 300; echo late"]})
    screen = Screen()
    async with asyncio.timeout(5):
        await sleeper.attach(stdin=typed("echo ignored\n"), on_stdout=screen.out,
                             on_stderr=screen.err)  # fmt: skip
    assert screen.stdout == "late\n"


async def test_a_terminal_echoes_cooks_lines_and_merges_stderr(start: Any) -> None:
    spec = {"command": ["sh"], "stdin": True, "tty": True}
    shell = await start("busybox", spec)
    screen = Screen()
    async with asyncio.timeout(5):
        await shell.attach(stdin=typed("\r", "echo x\x7fhi >&2\r", "exit\r"),
                           on_stdout=screen.out, on_stderr=screen.err)  # fmt: skip
    assert screen.stderr == ""
    assert screen.stdout == "\r\n/ # echo x\b \bhi >&2\r\nhi\r\n/ # exit\r\n"
    assert (await shell.wait()).exit_code == 0
    assert shell.logs.text() == "/ # / # hi\n/ # \n"
