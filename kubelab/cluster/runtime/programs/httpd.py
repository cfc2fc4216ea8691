"""Apache httpd (``httpd -DFOREGROUND``, started by the image's ``httpd-foreground`` script).

It serves ``/usr/local/apache2/htdocs`` ("It works!"), logs requests in the common log format
to stdout and notices to stderr, and stops gracefully on SIGWINCH, the image's stop signal.
"""

from __future__ import annotations

import re

from kubelab.cluster.runtime.network import HttpListener, HttpRequest, HttpResponse
from kubelab.cluster.runtime.process import SIGINT, SIGTERM, SIGWINCH, Process
from kubelab.cluster.runtime.programs.serving import (
    access_log_time,
    count_request,
    file_response,
    find_file,
    http_date,
    wait_for_signal,
)

CONF = "/usr/local/apache2/conf/httpd.conf"
MEMORY = 8 * 1024 * 1024


def _setting(text: str, name: str, default: str) -> str:
    match = re.search(rf"^\s*{name}\s+\"?([^\"\s]+)", text, re.MULTILINE)
    return match.group(1) if match else default


def error_page(status: int, reason: str, message: str) -> bytes:
    return (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
        f"<title>{status} {reason}</title>\n</head><body>\n<h1>{reason}</h1>\n"
        f"<p>{message}</p>\n</body></html>\n"
    ).encode()


async def main(process: Process) -> int:
    fs, clock = process.sandbox.fs, process.sandbox.clock
    version = process.flavor or "2.4.62"
    config = fs.read_text(CONF) if fs.is_file(CONF) else ""
    port = int(_setting(config, "Listen", "80").rsplit(":", 1)[-1])
    root = _setting(config, "DocumentRoot", "/usr/local/apache2/htdocs")

    def stamp() -> str:
        return clock.now().strftime("%a %b %d %H:%M:%S.%f %Y")

    async def handle(request: HttpRequest) -> HttpResponse:
        count_request(process)
        found = find_file(fs, root, request.path, ("index.html",))
        headers = {"Date": http_date(clock.now()), "Server": f"Apache/{version} (Unix)"}
        if found.status == 200:
            response = file_response(fs, found.path, {**headers, "Accept-Ranges": "bytes"})
        elif found.status == 301:
            host = request.header("Host", f"localhost:{port}")
            response = HttpResponse(
                301,
                {**headers, "Location": f"http://{host}{found.location}"},
                error_page(301, "Moved Permanently", "The document has moved."),
            )
        else:
            response = HttpResponse(
                found.status,
                {**headers, "Content-Type": "text/html"},
                error_page(404, "Not Found", "The requested URL was not found on this server."),
            )
        size = "-" if not response.body or request.method == "HEAD" else str(len(response.body))
        await process.write_out(
            f"{request.client} - - [{access_log_time(clock.now())}] "
            f'"{request.method} {request.target} {request.version}" {response.status} {size}\n'
        )
        return response

    try:
        process.sandbox.netns.bind(port, HttpListener(handle), process)
    except OSError:
        await process.write_err(
            f"(98)Address already in use: AH00072: make_sock: could not bind to address "
            f"0.0.0.0:{port}\nno listening sockets available, shutting down\n"
        )
        return 1
    process.memory_bytes = MEMORY
    process.cpu_millicores = 1
    address = process.sandbox.netns.ip
    fqdn_warning = (
        "AH00558: httpd: Could not reliably determine the server's fully qualified domain name, "
        f"using {address}. Set the 'ServerName' directive globally to suppress this message\n"
    )
    await process.write_err(fqdn_warning * 2)
    await process.write_err(
        f"[{stamp()}] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/{version} (Unix) "
        "configured -- resuming normal operations\n"
        f"[{stamp()}] [core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'\n"
    )
    signal = await wait_for_signal(process, SIGWINCH, SIGTERM, SIGINT)
    if signal == SIGWINCH:
        message = "AH00492: caught SIGWINCH, shutting down gracefully"
    else:
        message = "AH00491: caught SIGTERM, shutting down"
    await process.write_err(f"[{stamp()}] [mpm_event:notice] [pid 1:tid 1] {message}\n")
    return 0
