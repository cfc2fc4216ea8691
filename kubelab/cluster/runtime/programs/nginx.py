"""nginx and the official image's ``/docker-entrypoint.sh``.

The entrypoint prints what its start-up scripts do, then ``exec``s nginx, which becomes PID 1.
nginx serves files from the document root of ``/etc/nginx/conf.d/*.conf`` (by default
``/usr/share/nginx/html``), writes one access-log line per request to stdout and its notices to
stderr (the image links its log files to ``/dev/stdout`` and ``/dev/stderr``).

The image's stop signal is SIGQUIT, nginx' "graceful shutdown", so ``kubectl delete`` stops it
at once with exit code 0.
"""

from __future__ import annotations

from datetime import datetime

from kubelab.cluster.runtime.filesystem import ContainerFilesystem
from kubelab.cluster.runtime.network import HttpListener, HttpRequest, HttpResponse
from kubelab.cluster.runtime.process import (
    SIGINT,
    SIGNAL_NAMES,
    SIGNALS,
    SIGQUIT,
    SIGTERM,
    Process,
)
from kubelab.cluster.runtime.programs import nginx_config
from kubelab.cluster.runtime.programs.nginx_config import ConfigError, Server
from kubelab.cluster.runtime.programs.serving import (
    access_log_time,
    count_request,
    file_response,
    find_file,
    http_date,
    wait_for_signal,
)

DEFAULT_CONF = "/etc/nginx/conf.d/default.conf"
ENTRYPOINT_DIR = "/docker-entrypoint.d"
MASTER_MEMORY = 3 * 1024 * 1024
WORKER_MEMORY = 2 * 1024 * 1024
WORKERS = 2
SIGHUP = SIGNALS["HUP"]


async def entrypoint(process: Process) -> int:
    """``/docker-entrypoint.sh``: the image's start-up steps, then ``exec "$@"``."""
    arguments = process.argv[1:]
    if arguments[:1] in (["nginx"], ["nginx-debug"]) and not process.env.get(
        "NGINX_ENTRYPOINT_QUIET_LOGS"
    ):
        for line in _entrypoint_lines(process.sandbox.fs, process.argv[0]):
            await process.write_out(line + "\n")
    if not arguments:
        return 0
    return await process.exec(arguments)


def _entrypoint_lines(fs: ContainerFilesystem, name: str) -> list[str]:
    scripts = sorted(fs.list(ENTRYPOINT_DIR)) if fs.is_dir(ENTRYPOINT_DIR) else []
    if not scripts:
        return [f"{name}: No files found in {ENTRYPOINT_DIR}/, skipping configuration"]
    lines = [
        f"{name}: {ENTRYPOINT_DIR}/ is not empty, will attempt to perform configuration",
        f"{name}: Looking for shell scripts in {ENTRYPOINT_DIR}/",
    ]
    for script in scripts:
        verb = "Sourcing" if script.endswith(".envsh") else "Launching"
        lines.append(f"{name}: {verb} {ENTRYPOINT_DIR}/{script}")
        if script.startswith("10-listen-on-ipv6"):
            lines.extend(f"{script}: info: {note}" for note in _ipv6_notes(fs))
    lines.append(f"{name}: Configuration complete; ready for start up")
    return lines


def _ipv6_notes(fs: ContainerFilesystem) -> list[str]:
    from kubelab.cluster.runtime.library.sites import NGINX_DEFAULT_CONF

    if not fs.is_file(DEFAULT_CONF):
        return [f"{DEFAULT_CONF} is not a file or does not exist"]
    if not fs.writable(DEFAULT_CONF):
        return [f"can not modify {DEFAULT_CONF} (read-only file system?)"]
    if fs.read_text(DEFAULT_CONF) != NGINX_DEFAULT_CONF:
        return [f"{DEFAULT_CONF} differs from the packaged version"]
    return [f"Getting the checksum of {DEFAULT_CONF}", f"Enabled listen on IPv6 in {DEFAULT_CONF}"]


def error_page(status: int, reason: str, version: str) -> bytes:
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n"
        f"<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n"
    ).encode()


class Nginx:
    def __init__(self, process: Process) -> None:
        self.process = process
        self.fs = process.sandbox.fs
        self.version = process.flavor or "1.27.3"
        self.servers: list[Server] = []

    def _stamp(self) -> str:
        return self.process.sandbox.clock.now().strftime("%Y/%m/%d %H:%M:%S")

    async def notice(self, message: str) -> None:
        await self.process.write_err(f"{self._stamp()} [notice] 1#1: {message}\n")

    def _server_for(self, port: int) -> Server:
        return next(server for server in self.servers if port in server.ports)

    async def handle(self, port: int, request: HttpRequest) -> HttpResponse:
        count_request(self.process)
        response = self._respond(self._server_for(port), port, request)
        response.headers = {
            "Server": f"nginx/{self.version}",
            "Date": http_date(self.process.sandbox.clock.now()),
            **response.headers,
        }
        await self._log(request, response)
        return response

    def _respond(self, server: Server, port: int, request: HttpRequest) -> HttpResponse:
        location = server.match(request.path)
        if location is not None and location.returns is not None:
            code, text = location.returns
            if code in (301, 302, 303, 307, 308):
                page = error_page(code, HttpResponse(code).reason, self.version)
                return HttpResponse(code, {"Location": text, "Content-Type": "text/html"}, page)
            return HttpResponse(code, {"Content-Type": "application/octet-stream"}, text.encode())
        root = (location.root if location and location.root else None) or server.root
        indexes = (location.index if location and location.index else None) or server.index
        found = find_file(self.fs, root, request.path, indexes)
        if found.status == 200 and request.method not in ("GET", "HEAD"):
            return self._error(405)
        if found.status == 200:
            return file_response(self.fs, found.path, {"Accept-Ranges": "bytes"})
        if found.status == 301:
            host = request.header("Host", f"localhost:{port}")
            return HttpResponse(
                301, {"Location": f"http://{host}{found.location}", "Content-Type": "text/html"},
                error_page(301, "Moved Permanently", self.version),
            )  # fmt: skip
        return self._error(found.status)

    def _error(self, status: int) -> HttpResponse:
        reason = "Not Allowed" if status == 405 else HttpResponse(status).reason
        return HttpResponse(
            status, {"Content-Type": "text/html"}, error_page(status, reason, self.version)
        )

    async def _log(self, request: HttpRequest, response: HttpResponse) -> None:
        def quoted(name: str) -> str:
            return request.header(name) or "-"

        moment: datetime = self.process.sandbox.clock.now()
        size = 0 if request.method == "HEAD" else len(response.body)
        await self.process.write_out(
            f"{request.client} - - [{access_log_time(moment)}] "
            f'"{request.method} {request.target} {request.version}" {response.status} {size} '
            f'"{quoted("Referer")}" "{quoted("User-Agent")}" "{quoted("X-Forwarded-For")}"\n'
        )

    def listen(self) -> None:
        for port in sorted({port for server in self.servers for port in server.ports}):

            async def handler(request: HttpRequest, port: int = port) -> HttpResponse:
                return await self.handle(port, request)

            self.process.sandbox.netns.bind(port, HttpListener(handler), self.process)


async def main(process: Process) -> int:
    arguments = process.argv[1:]
    server = Nginx(process)
    if "-v" in arguments or "-V" in arguments:
        await process.write_err(f"nginx version: nginx/{server.version}\n")
        return 0
    try:
        server.servers = nginx_config.load_servers(process.sandbox.fs)
    except ConfigError as problem:
        await process.write_err(f"nginx: [emerg] {problem}\n")
        return 1
    if "-t" in arguments:
        await process.write_err(
            "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
            "nginx: configuration file /etc/nginx/nginx.conf test is successful\n"
        )
        return 0
    if "-s" in arguments:
        return await _send_signal(process, arguments[arguments.index("-s") + 1 :])
    try:
        server.listen()
    except OSError as problem:
        port = problem.filename
        await process.write_err(
            f"nginx: [emerg] bind() to 0.0.0.0:{port} failed (98: Address already in use)\n"
        )
        return 1
    process.argv = ["nginx: master process", *process.argv]
    process.memory_bytes = MASTER_MEMORY
    process.cpu_millicores = 1
    gcc = "built by gcc 12.2.0 (Debian 12.2.0-14)"
    if process.sandbox.fs.exists("/etc/alpine-release"):
        gcc = "built by gcc 13.2.1 20240309 (Alpine 13.2.1_git20240309)"
    for message in ('using the "epoll" event method', f"nginx/{server.version}", gcc,
                    "OS: Linux 6.8.0-kubelab", "getrlimit(RLIMIT_NOFILE): 1048576:1048576",
                    "start worker processes"):  # fmt: skip
        await server.notice(message)
    workers = []
    for _ in range(WORKERS):
        worker = process.sandbox.new_process(
            ["nginx: worker process"], env=process.env, cwd="/", stdin=process.stdin,
            stdout=process.stdout, stderr=process.stderr, ppid=process.pid,
        )  # fmt: skip
        worker.start(_worker)
        workers.append(worker)
        await server.notice(f"start worker process {worker.pid}")
    while True:
        signal = await wait_for_signal(process, SIGQUIT, SIGTERM, SIGINT, SIGHUP)
        name = SIGNAL_NAMES[signal]
        if signal == SIGHUP:
            await server.notice(f"signal {signal} (SIG{name}) received, reconfiguring")
            try:
                server.servers = nginx_config.load_servers(process.sandbox.fs)
            except ConfigError as problem:
                await process.write_err(f"{server._stamp()} [emerg] 1#1: {problem}\n")
            continue
        if signal == SIGQUIT:
            await server.notice(f"signal {signal} (SIG{name}) received, shutting down")
            await server.notice("gracefully shutting down")
        else:
            await server.notice(f"signal {signal} (SIG{name}) received, exiting")
        for worker in workers:
            worker.exit_soon(0)
        await server.notice("exit")
        return 0


async def _worker(process: Process) -> int:
    process.memory_bytes = WORKER_MEMORY
    await process.sandbox.idle()
    return 0


async def _send_signal(process: Process, arguments: list[str]) -> int:
    signals = {"reload": SIGHUP, "quit": SIGQUIT, "stop": SIGTERM}
    signal = signals.get(arguments[0] if arguments else "")
    master = process.sandbox.processes.get(1)
    if signal is None or master is None:
        await process.write_err('nginx: [error] invalid PID number "" in "/run/nginx.pid"\n')
        return 1
    master.signal(signal)
    return 0
