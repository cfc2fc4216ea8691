"""What the web servers share: serving files from the container's filesystem, and log times.

Because files are read from the container's filesystem at request time, mounting a ConfigMap or
an emptyDir over the document root changes what the server answers, as it does for real.
"""

from __future__ import annotations

import asyncio
import mimetypes
import posixpath
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import unquote

from kubelab.cluster.runtime.filesystem import ContainerFilesystem
from kubelab.cluster.runtime.network import HttpResponse
from kubelab.cluster.runtime.process import Process

#: CPU work accounted for serving one request.
REQUEST_CPU_SECONDS = 0.002


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def access_log_time(moment: datetime) -> str:
    """``01/May/2024:12:00:00 +0000``, the ``$time_local`` of nginx and ``%t`` of Apache."""
    return moment.strftime("%d/%b/%Y:%H:%M:%S +0000")


def content_type(path: str) -> str:
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


@dataclass
class FileLookup:
    """The outcome of mapping a URL path onto a document root."""

    status: int  # 200, 301 (directory without slash), 403 (directory, no index), 404
    path: str = ""
    location: str = ""


def find_file(
    fs: ContainerFilesystem, root: str, url_path: str, indexes: tuple[str, ...]
) -> FileLookup:
    path = posixpath.normpath(unquote(url_path))
    full = posixpath.join(root, path.lstrip("/"))
    entry = fs.stat(full)
    if entry is None:
        return FileLookup(404)
    if not entry.is_dir:
        return FileLookup(200, full)
    if not url_path.endswith("/"):
        return FileLookup(301, location=url_path + "/")
    for index in indexes:
        candidate = posixpath.join(full, index)
        if fs.is_file(candidate):
            return FileLookup(200, candidate)
    return FileLookup(403, full)


def file_response(fs: ContainerFilesystem, path: str, headers: dict[str, str]) -> HttpResponse:
    body = fs.read_bytes(path)
    entry = fs.stat(path)
    headers = {**headers, "Content-Type": content_type(path), "Content-Length": str(len(body))}
    if entry is not None:
        headers["Last-Modified"] = http_date(entry.mtime)
    return HttpResponse(200, headers, body)


def count_request(process: Process) -> None:
    process.sandbox.record_cpu(REQUEST_CPU_SECONDS)


async def wait_for_signal(process: Process, *signals: int) -> int:
    """Install handlers for ``signals`` and return the first one that arrives."""
    arrived: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def first(signal: int) -> None:
        if not arrived.done():
            arrived.set_result(signal)

    for signal in signals:
        process.on_signal(signal, first)
    return await arrived
