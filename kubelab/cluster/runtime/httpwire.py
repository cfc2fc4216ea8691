"""HTTP/1.1 as bytes on a stream: just enough to serve and send simple requests.

Probes and Services call HTTP servers directly, but port-forward and in-container clients talk
over a byte stream, so requests and responses must also exist as the text a real client sends.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubelab.cluster.runtime.network import HttpRequest, HttpResponse

MAX_HEADER_LINES = 100


async def _read_headers(reader: asyncio.StreamReader) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
        if not line:
            return headers
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"bad header line {line!r}")
        headers[name.strip()] = value.strip()
    raise ValueError("too many header lines")


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    length = next((v for k, v in headers.items() if k.lower() == "content-length"), "0")
    return await reader.readexactly(int(length)) if int(length) > 0 else b""


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """The next request on the stream, or None when the client has closed it."""
    from kubelab.cluster.runtime.network import HttpRequest

    line = (await reader.readline()).decode("latin-1").strip()
    if not line:
        return None
    parts = line.split()
    if len(parts) != 3:
        raise ValueError(f"bad request line {line!r}")
    method, target, version = parts
    headers = await _read_headers(reader)
    return HttpRequest(method, target, headers, await _read_body(reader, headers), version=version)


async def read_response(reader: asyncio.StreamReader) -> HttpResponse:
    from kubelab.cluster.runtime.network import HttpResponse

    line = (await reader.readline()).decode("latin-1").strip()
    parts = line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError(repr(line))
    headers = await _read_headers(reader)
    return HttpResponse(int(parts[1]), headers, await _read_body(reader, headers))


def encode_response(response: HttpResponse, head_only: bool = False) -> bytes:
    headers = {"Content-Length": str(len(response.body)), **response.headers}
    head = f"HTTP/1.1 {response.status} {response.reason}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    return (head + "\r\n").encode("latin-1") + (b"" if head_only else response.body)


def encode_request(request: HttpRequest, host: str) -> bytes:
    headers = {"Host": host, **request.headers}
    if request.body:
        headers["Content-Length"] = str(len(request.body))
    head = f"{request.method} {request.target} HTTP/1.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    return (head + "\r\n").encode("latin-1") + request.body
