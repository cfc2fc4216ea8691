"""``kubelab/demo-app``: the course's demo web application, built to show pod behaviour.

HTTP on port 8080 (``PORT``):

* ``/`` – a page naming the pod (its hostname) and the version; 2.0 looks different.
* ``/version`` – the version; ``/env`` – the environment; ``/config`` – the files under
  ``/config`` (mount a ConfigMap there).
* ``/health?code=N`` – answers with status N (default 200): for liveness probes.
* ``/ready`` – 200 when ready, else 503; ``/ready?set=false`` and ``/ready?set=true`` switch it.
* ``/crash`` – the process exits with code 1; ``/hang`` – from now on no request is answered.
* ``/alloc?mb=N`` – allocate N more MiB; past the memory limit the container is OOMKilled.

Environment variables make the same things happen without a click: ``STARTUP_SECONDS`` (wait
before listening), ``READY_AFTER_SECONDS``, ``FAIL_HEALTH_AFTER_SECONDS``, ``CRASH_AFTER_SECONDS``,
and ``MESSAGE`` (shown on the page). SIGTERM makes it log and exit 0 at once.
"""

from __future__ import annotations

import asyncio
import html
import posixpath

from kubelab.cluster.runtime.network import HttpListener, HttpRequest, HttpResponse
from kubelab.cluster.runtime.process import SIGTERM, Process
from kubelab.cluster.runtime.programs.serving import count_request, http_date

MIB = 1024 * 1024
BASE_MEMORY = 12 * MIB
CONFIG_DIR = "/config"
COLORS = {"1.0": "#1f6feb", "2.0": "#2da44e"}


class DemoApp:
    def __init__(self, process: Process, version: str) -> None:
        self.process = process
        self.version = version
        self.clock = process.sandbox.clock
        self.started = self.clock.now()
        self.ready_switch: bool | None = None
        self.hung = False
        self.allocated_mb = 0

    def _setting(self, name: str) -> float | None:
        value = self.process.env.get(name, "")
        try:
            return float(value) if value else None
        except ValueError:
            return None

    def _elapsed(self) -> float:
        return (self.clock.now() - self.started).total_seconds()

    async def log(self, message: str) -> None:
        stamp = self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        await self.process.write_out(f"{stamp} {message}\n")

    async def handle(self, request: HttpRequest) -> HttpResponse:
        count_request(self.process)
        if self.hung:
            await self.process.sandbox.idle()
        status, body, content_type = await self._route(request)
        await self.log(f"{request.method} {request.target} {status} ({request.client})")
        headers = {
            "Content-Type": content_type,
            "Date": http_date(self.clock.now()),
            "X-Served-By": self.process.sandbox.hostname,
        }
        return HttpResponse(status, headers, body.encode())

    async def _route(self, request: HttpRequest) -> tuple[int, str, str]:
        path, query = request.path.rstrip("/") or "/", request.query
        text = "text/plain; charset=utf-8"
        if path == "/":
            return 200, self._page(), "text/html; charset=utf-8"
        if path == "/version":
            return 200, self.version + "\n", text
        if path in ("/health", "/healthz"):
            limit = self._setting("FAIL_HEALTH_AFTER_SECONDS")
            if limit is not None and self._elapsed() >= limit:
                return 500, "unhealthy\n", text
            code = int(query.get("code", "200")) if query.get("code", "").isdigit() else 200
            return code, "ok\n" if code < 400 else f"status {code}\n", text
        if path == "/ready":
            if "set" in query:
                self.ready_switch = query["set"].lower() in ("true", "1", "yes", "on")
            ready = self._is_ready()
            return (200, "ready\n", text) if ready else (503, "not ready\n", text)
        if path == "/crash":
            await self.log("crash requested: exiting with code 1")
            asyncio.get_running_loop().call_soon(self.process.exit_soon, 1)
            return 500, "crashing\n", text
        if path == "/hang":
            self.hung = True
            await self.log("hang requested: no more requests will be answered")
            return 200, "hanging from now on\n", text
        if path == "/alloc":
            megabytes = int(query.get("mb", "0")) if query.get("mb", "").isdigit() else 0
            self.allocated_mb += megabytes
            self.process.memory_bytes = BASE_MEMORY + self.allocated_mb * MIB
            if not self.process.running:
                raise ConnectionResetError("the process was killed")
            return 200, f"allocated {megabytes} MiB, {self.allocated_mb} MiB in total\n", text
        if path == "/env":
            lines = sorted(f"{key}={value}" for key, value in self.process.env.items())
            return 200, "\n".join(lines) + "\n", text
        if path == "/config":
            return 200, self._config(), text
        return 404, "not found\n", text

    def _is_ready(self) -> bool:
        if self.ready_switch is not None:
            return self.ready_switch
        delay = self._setting("READY_AFTER_SECONDS")
        return delay is None or self._elapsed() >= delay

    def _config(self) -> str:
        fs = self.process.sandbox.fs
        if not fs.is_dir(CONFIG_DIR):
            return f"{CONFIG_DIR} does not exist\n"
        parts = []
        pending = [CONFIG_DIR]
        while pending:
            directory = pending.pop(0)
            for name in fs.list(directory):
                path = posixpath.join(directory, name)
                if name.startswith(".."):
                    continue
                if fs.is_dir(path):
                    pending.append(path)
                else:
                    parts.append(f"== {path} ==\n{fs.read_text(path)}")
        return "\n".join(parts) if parts else f"no files in {CONFIG_DIR}\n"

    def _page(self) -> str:
        color = COLORS.get(self.version, "#6e7781")
        message = html.escape(self.process.env.get("MESSAGE", "Hello from kubelab!"))
        host = html.escape(self.process.sandbox.hostname)
        return (
            "<!DOCTYPE html>\n<html>\n<head><title>kubelab demo-app "
            f"{self.version}</title></head>\n"
            f'<body style="font-family: sans-serif; border-top: 12px solid {color}">\n'
            f"<h1>kubelab demo-app v{self.version}</h1>\n<p>{message}</p>\n"
            f"<p>Served by pod <b>{host}</b></p>\n</body>\n</html>\n"
        )


async def main(process: Process) -> int:
    version = process.flavor or "1.0"
    app = DemoApp(process, version.removesuffix("-broken"))
    process.memory_bytes = BASE_MEMORY
    process.cpu_millicores = 1
    stopping = asyncio.Event()
    process.on_signal(SIGTERM, lambda _: stopping.set())
    await app.log(f"demo-app {app.version} starting")
    if version.endswith("-broken"):
        await app.clock.sleep(1)
        await app.log("FATAL: cannot read settings: /config/settings.yaml: no such file")
        return 1
    if (delay := app._setting("STARTUP_SECONDS")) is not None:
        await app.clock.sleep(delay)
    port = int(process.env.get("PORT", "8080"))
    try:
        process.sandbox.netns.bind(port, HttpListener(app.handle), process)
    except OSError:
        await app.log(f"FATAL: listen tcp :{port}: bind: address already in use")
        return 1
    await app.log(f"listening on :{port} (pod {process.sandbox.hostname})")
    crash_after = app._setting("CRASH_AFTER_SECONDS")
    waiting = asyncio.ensure_future(stopping.wait())
    try:
        if crash_after is not None:
            seconds = max(crash_after - app._elapsed(), 0) / app.clock.time_scale
            await asyncio.wait({waiting}, timeout=seconds)
            if not waiting.done():
                await app.log(f"CRASH_AFTER_SECONDS={crash_after:g} reached: exiting with code 1")
                return 1
        await waiting
    finally:
        waiting.cancel()
    await app.log("received SIGTERM, shutting down")
    return 0
