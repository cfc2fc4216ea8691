"""Network clients: ``wget`` (busybox), ``curl`` and ``nslookup``.

They resolve names with the container's ``/etc/resolv.conf`` and reach other pods and Services
through the kubelet's network hook, so ``wget -qO- http://web`` inside a pod calls the ``web``
Service. Failures print what the real tools print, because those lines are what a learner
pastes into a search engine: ``wget: bad address 'web'`` is DNS, ``Connection refused`` is
"nothing listens on that port", a timeout is often a NetworkPolicy or a pod that is not ready.
"""

from __future__ import annotations

import asyncio
import posixpath
from urllib.parse import urlsplit

from kubelab.cluster.runtime import dns
from kubelab.cluster.runtime.network import HttpRequest, HttpResponse
from kubelab.cluster.runtime.process import Process
from kubelab.cluster.runtime.programs.common import parse_options, path_of
from kubelab.cluster.runtime.sandbox import UnknownHost

WGET_USER_AGENT = "Wget"
CURL_USER_AGENT = "curl/8.5.0"
DEFAULT_TIMEOUT_SECONDS = 900.0


class Url:
    def __init__(self, text: str) -> None:
        parts = urlsplit(text if "://" in text else f"http://{text}")
        self.scheme = parts.scheme
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.path = parts.path or "/"


async def fetch(process: Process, url: Url, request: HttpRequest, timeout: float) -> HttpResponse:
    """One request from inside the container, with a timeout in cluster seconds."""
    request.headers.setdefault(
        "Host", url.host if url.port in (80, 443) else f"{url.host}:{url.port}"
    )
    seconds = timeout / process.sandbox.clock.time_scale
    return await asyncio.wait_for(process.sandbox.http(url.host, url.port, request), seconds)


async def wget(process: Process) -> int:
    parsed = await parse_options(process, "qO:T:SY:U:", ("spider", "timeout=", "header="))
    if parsed is None:
        return 1
    options, arguments = parsed
    if not arguments:
        await process.write_err("BusyBox v1.36.1 multi-call binary.\n\nUsage: wget [-cqS] URL\n")
        return 1
    url = Url(arguments[0])
    quiet = "-q" in options
    timeout = float(options.get("-T") or options.get("--timeout") or DEFAULT_TIMEOUT_SECONDS)
    output = options.get("-O") or posixpath.basename(url.path.rstrip("/")) or "index.html"
    method = "HEAD" if "--spider" in options else "GET"
    headers = {"User-Agent": options.get("-U", WGET_USER_AGENT), "Connection": "close"}
    if "--header" in options:
        name, _, value = options["--header"].partition(":")
        headers[name.strip()] = value.strip()
    try:
        address = await process.sandbox.resolve(url.host)
        if not quiet:
            await process.write_err(f"Connecting to {url.host} ({address}:{url.port})\n")
        response = await fetch(process, url, HttpRequest(method, url.target, headers), timeout)
    except UnknownHost:
        await process.write_err(f"wget: bad address '{url.host}'\n")
        return 1
    except TimeoutError:
        await process.write_err("wget: download timed out\n")
        return 1
    except OSError as problem:
        host = dns.is_ip(url.host) and url.host or await _address_or_host(process, url.host)
        await process.write_err(
            f"wget: can't connect to remote host ({host}): {problem.strerror}\n"
        )
        return 1
    if "-S" in options:
        await process.write_err(
            f"  HTTP/1.1 {response.status} {response.reason}\n"
            + "".join(f"  {name}: {value}\n" for name, value in response.headers.items())
        )
    if response.status >= 400:
        await process.write_err(
            f"wget: server returned error: HTTP/1.1 {response.status} {response.reason}\n"
        )
        return 1
    if method == "HEAD":
        if not quiet:
            await process.write_err("remote file exists\n")
        return 0
    body = response.body.decode(errors="replace")
    if output == "-":
        await process.write_out(body)
        return 0
    if not quiet:
        await process.write_err(f"saving to '{output}'\n")
    try:
        process.sandbox.fs.write(path_of(process, output), response.body)
    except OSError as problem:
        await process.write_err(f"wget: can't open '{output}': {problem.strerror}\n")
        return 1
    if not quiet:
        await process.write_err(f"'{output}' saved\n")
    return 0


async def _address_or_host(process: Process, host: str) -> str:
    try:
        return await process.sandbox.resolve(host)
    except UnknownHost:
        return host


async def curl(process: Process) -> int:
    parsed = await parse_options(
        process, "sSfiIvLo:X:H:d:m:w:A:",
        ("silent", "show-error", "fail", "include", "head", "output=", "request=", "header=",
         "data=", "max-time=", "connect-timeout=", "write-out=", "user-agent="),
    )  # fmt: skip
    if parsed is None:
        return 2
    options, arguments = parsed

    def option(short: str, long: str) -> str | None:
        return options.get(short, options.get(long))

    if not arguments:
        await process.write_err("curl: try 'curl --help' for more information\n")
        return 2
    silent = ("-s" in options or "--silent" in options) and not (
        "-S" in options or "--show-error" in options
    )
    url = Url(arguments[0])
    head = "-I" in options or "--head" in options
    data = option("-d", "--data")
    method = option("-X", "--request") or ("HEAD" if head else "POST" if data else "GET")
    headers = {"User-Agent": option("-A", "--user-agent") or CURL_USER_AGENT, "Accept": "*/*"}
    if (header := option("-H", "--header")) is not None:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    body = (data or "").encode()
    if data:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    timeout = float(option("-m", "--max-time") or options.get("--connect-timeout") or 300)
    started = process.sandbox.clock.now()

    async def fail(code: int, message: str) -> int:
        if not silent:
            await process.write_err(f"curl: ({code}) {message}\n")
        return code

    try:
        response = await fetch(
            process, url, HttpRequest(method, url.target, headers, body), timeout
        )
    except UnknownHost:
        return await fail(6, f"Could not resolve host: {url.host}")
    except TimeoutError:
        elapsed = int((process.sandbox.clock.now() - started).total_seconds() * 1000)
        return await fail(28, f"Connection timed out after {elapsed} milliseconds")
    except OSError:
        elapsed = int((process.sandbox.clock.now() - started).total_seconds() * 1000)
        return await fail(
            7,
            f"Failed to connect to {url.host} port {url.port} after {elapsed} ms: "
            "Couldn't connect to server",
        )
    if ("-f" in options or "--fail" in options) and response.status >= 400:
        return await fail(22, f"The requested URL returned error: {response.status}")
    text = ""
    if head or "-i" in options or "--include" in options:
        text += (
            f"HTTP/1.1 {response.status} {response.reason}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in response.headers.items())
            + "\r\n"
        )
    if not head:
        text += response.body.decode(errors="replace")
    if (target := option("-o", "--output")) is not None and target != "-":
        process.sandbox.fs.write(path_of(process, target), text)
    else:
        await process.write_out(text)
    if (write_out := option("-w", "--write-out")) is not None:
        await process.write_out(
            write_out.replace("%{http_code}", str(response.status)).replace("\\n", "\n")
        )
    return 0


async def nslookup(process: Process) -> int:
    names = [arg for arg in process.argv[1:] if not arg.startswith("-")]
    if not names:
        await process.write_err("Usage: nslookup [HOST] [SERVER]\n")
        return 1
    config = dns.read_resolv_conf(process.sandbox.fs)
    server = config.nameserver or "127.0.0.11"
    await process.write_out(f"Server:\t\t{server}\nAddress:\t{server}:53\n\n")
    found = await dns.resolve(names[0], process.sandbox.fs, process.sandbox.network)
    if found is None:
        await process.write_out(f"** server can't find {names[0]}: NXDOMAIN\n\n")
        return 1
    for address in found.addresses:
        await process.write_out(f"Name:\t{found.name}\nAddress: {address}\n")
    await process.write_out("\n")
    return 0
