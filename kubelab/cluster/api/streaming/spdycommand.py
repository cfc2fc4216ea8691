"""Remote commands over SPDY: ``exec`` and ``attach`` for clients without WebSockets.

Before WebSockets (and still with ``KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false``, or client-go's
``NewSPDYExecutor``), a client upgrades its HTTP request to SPDY/3.1 and opens one stream per
standard stream, each named by its ``streamType`` header: ``error`` always, then ``stdin``,
``stdout``, ``stderr`` (not with a terminal) and ``resize`` (only with one), as asked for in the
query. The node waits for all of them, runs the command, writes the outcome as a JSON ``Status``
on the error stream and closes every stream.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from kubelab.cluster.api.streaming.channels import V4, V5
from kubelab.cluster.api.streaming.spdysession import SpdyStream
from kubelab.cluster.runtime.streams import byte_decoder, to_bytes

#: Remote command protocols offered over SPDY; both behave alike here.
PROTOCOLS = (V5, V4)
#: How long the node waits for the client to open all the streams it asked for.
STREAM_WAIT_SECONDS = 30.0


def expected_streams(stdin: bool, stdout: bool, stderr: bool, tty: bool) -> set[str]:
    expected = {"error"}
    if stdin:
        expected.add("stdin")
    if stdout:
        expected.add("stdout")
    if stderr and not tty:
        expected.add("stderr")
    if tty:
        expected.add("resize")
    return expected


class SpdyCommandStreams:
    """The streams of one remote command, gathered as the client opens them."""

    def __init__(self, expected: set[str]) -> None:
        self.expected = expected
        self.streams: dict[str, SpdyStream] = {}
        self.ready = asyncio.Event()

    def on_stream(self, stream: SpdyStream) -> None:
        kind = stream.header("streamType")
        if kind in self.expected and kind not in self.streams:
            self.streams[kind] = stream
        if set(self.streams) == self.expected:
            self.ready.set()

    async def all_opened(self, timeout: float) -> bool:
        """Whether the client opened every stream it asked for in time (else the node gives up)."""
        try:
            async with asyncio.timeout(timeout):
                await self.ready.wait()
        except TimeoutError:
            return False
        return True

    async def _write(self, kind: str, text: str) -> None:
        stream = self.streams.get(kind)
        if stream is not None:
            await stream.write(to_bytes(text))

    async def write_stdout(self, text: str) -> None:
        await self._write("stdout", text)

    async def write_stderr(self, text: str) -> None:
        await self._write("stderr", text)

    async def stdin_text(self) -> AsyncIterator[str]:
        stream = self.streams.get("stdin")
        if stream is None:
            return
        decoder = byte_decoder()
        while data := await stream.read():
            if text := decoder.decode(data):
                yield text
        if tail := decoder.decode(b"", final=True):
            yield tail

    async def send_status(self, status: dict[str, Any]) -> None:
        await self._write("error", json.dumps(status, separators=(",", ":")))

    async def close(self) -> None:
        for stream in self.streams.values():
            await stream.close()
