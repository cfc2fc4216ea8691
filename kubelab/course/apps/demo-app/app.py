"""kubelab demo-app: a small web application for watching how Kubernetes treats a container.

Standard library only, so the same file runs in a real container (``python app.py``) and in the
teaching cluster, which loads ``DemoApp`` from this very file and serves it in its simulated
containers. Everything a request does is decided by ``DemoApp.handle``; the two hosts only carry
out what it asks for (exit, hang, hold memory), so the behaviour cannot differ between them.

HTTP on ``PORT`` (default 8080):

* ``/`` – a page naming the pod (its hostname) and the version; 2.0 looks different.
* ``/version`` – the version; ``/env`` – the environment; ``/config`` – the files under
  ``/config`` (mount a ConfigMap there).
* ``/health?code=N`` – answers with status N (default 200): for liveness probes.
* ``/ready`` – 200 when ready, else 503; ``/ready?set=false`` and ``/ready?set=true`` switch it.
* ``/crash`` – the process exits with code 1; ``/hang`` – from now on no request is answered.
* ``/alloc?mb=N`` – hold N more MiB; past the memory limit the container is OOMKilled.

Environment variables make the same things happen without a click: ``STARTUP_SECONDS`` (wait
before listening), ``READY_AFTER_SECONDS``, ``FAIL_HEALTH_AFTER_SECONDS``, ``CRASH_AFTER_SECONDS``,
``MESSAGE`` (shown on the page) and ``APP_VERSION``. SIGTERM makes it log and exit 0 at once.
"""

from __future__ import annotations

import html
import os
import posixpath
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

DEFAULT_PORT = 8080
DEFAULT_VERSION = "1.0"
CONFIG_DIR = "/config"
COLORS = {"1.0": "#1f6feb", "2.0": "#2da44e"}
TEXT = "text/plain; charset=utf-8"
PAGE = "text/html; charset=utf-8"
MIB = 1024 * 1024


class Files(Protocol):
    """The little a request needs from a filesystem (a real one, or a simulated container's)."""

    def is_dir(self, path: str) -> bool: ...
    def list(self, path: str) -> list[str]: ...
    def read_text(self, path: str) -> str: ...


@dataclass
class Reply:
    """What to answer, and what the host must do besides: ``exit`` (with code 1) or ``hang``."""

    status: int
    body: str
    content_type: str = TEXT
    action: str = ""
    #: Messages to log before the access line.
    notes: list[str] = field(default_factory=list)


def setting(env: Mapping[str, str], name: str) -> float | None:
    """A number of seconds from the environment; unset or malformed means "not set"."""
    value = env.get(name, "")
    try:
        return float(value) if value else None
    except ValueError:
        return None


def log_line(message: str, moment: datetime) -> str:
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%SZ')} {message}\n"


class DemoApp:
    """The application: its state (ready switch, hung, memory held) and its answers."""

    def __init__(
        self, env: Mapping[str, str], hostname: str, files: Files, elapsed: Callable[[], float]
    ) -> None:
        self.env = env
        self.hostname = hostname
        self.files = files
        self.elapsed = elapsed
        self.version = env.get("APP_VERSION") or DEFAULT_VERSION
        self.port = int(env.get("PORT", "") or DEFAULT_PORT)
        self.ready_switch: bool | None = None
        self.hung = False
        self.allocated_mb = 0

    def handle(self, method: str, target: str) -> Reply:
        if self.hung:
            return Reply(0, "", action="hang")
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if path == "/":
            return Reply(200, self.page(), PAGE)
        if path == "/version":
            return Reply(200, self.version + "\n")
        if path in ("/health", "/healthz"):
            limit = setting(self.env, "FAIL_HEALTH_AFTER_SECONDS")
            if limit is not None and self.elapsed() >= limit:
                return Reply(500, "unhealthy\n")
            code = int(query["code"]) if query.get("code", "").isdigit() else 200
            return Reply(code, "ok\n" if code < 400 else f"status {code}\n")
        if path == "/ready":
            if "set" in query:
                self.ready_switch = query["set"].lower() in ("true", "1", "yes", "on")
            return Reply(200, "ready\n") if self.is_ready() else Reply(503, "not ready\n")
        if path == "/crash":
            return Reply(
                500, "crashing\n", action="exit", notes=["crash requested: exiting with code 1"]
            )
        if path == "/hang":
            self.hung = True
            return Reply(
                200,
                "hanging from now on\n",
                notes=["hang requested: no more requests will be answered"],
            )
        if path == "/alloc":
            megabytes = int(query["mb"]) if query.get("mb", "").isdigit() else 0
            self.allocated_mb += megabytes
            return Reply(200, f"allocated {megabytes} MiB, {self.allocated_mb} MiB in total\n")
        if path == "/env":
            return Reply(200, "".join(f"{k}={v}\n" for k, v in sorted(self.env.items())))
        if path == "/config":
            return Reply(200, self.config())
        return Reply(404, "not found\n")

    def access(self, method: str, target: str, status: int, client: str) -> str:
        return f"{method} {target} {status} ({client})"

    def is_ready(self) -> bool:
        if self.ready_switch is not None:
            return self.ready_switch
        delay = setting(self.env, "READY_AFTER_SECONDS")
        return delay is None or self.elapsed() >= delay

    def config(self) -> str:
        if not self.files.is_dir(CONFIG_DIR):
            return f"{CONFIG_DIR} does not exist\n"
        parts = []
        pending = [CONFIG_DIR]
        while pending:
            directory = pending.pop(0)
            for name in sorted(self.files.list(directory)):
                full = posixpath.join(directory, name)
                if name.startswith(".."):
                    continue  # the hidden timestamped directories of a ConfigMap volume
                if self.files.is_dir(full):
                    pending.append(full)
                else:
                    parts.append(f"== {full} ==\n{self.files.read_text(full)}")
        return "\n".join(parts) if parts else f"no files in {CONFIG_DIR}\n"

    def page(self) -> str:
        color = COLORS.get(self.version, "#6e7781")
        message = html.escape(self.env.get("MESSAGE", "Hello from kubelab!"))
        host = html.escape(self.hostname)
        return (
            f"<!DOCTYPE html>\n<html>\n<head><title>kubelab demo-app {self.version}</title>"
            f'</head>\n<body style="font-family: sans-serif; border-top: 12px solid {color}">\n'
            f"<h1>kubelab demo-app v{self.version}</h1>\n<p>{message}</p>\n"
            f"<p>Served by pod <b>{host}</b></p>\n</body>\n</html>\n"
        )


# -- running in a real container -----------------------------------------------------------


class LocalFiles:
    def is_dir(self, path: str) -> bool:
        return os.path.isdir(path)

    def list(self, path: str) -> list[str]:
        return os.listdir(path)

    def read_text(self, path: str) -> str:
        with open(path, encoding="utf-8") as handle:
            return handle.read()


def log(message: str) -> None:
    sys.stdout.write(log_line(message, datetime.now(UTC)))
    sys.stdout.flush()


def serve(app: DemoApp) -> None:
    held: list[bytearray] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            reply = app.handle(self.command, self.path)
            if reply.action == "hang":
                threading.Event().wait()
            for note in reply.notes:
                log(note)
            while len(held) < app.allocated_mb:
                held.append(bytearray(MIB))
            body = reply.body.encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Served-By", app.hostname)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            log(app.access(self.command, self.path, reply.status, self.client_address[0]))
            if reply.action == "exit":
                os._exit(1)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Access lines are written by ``do_GET`` in the app's own format."""

    server = ThreadingHTTPServer(("", app.port), Handler)
    server.daemon_threads = True
    log(f"listening on :{app.port} (pod {app.hostname})")
    server.serve_forever()


def main() -> None:
    started = time.monotonic()
    app = DemoApp(
        dict(os.environ), socket.gethostname(), LocalFiles(), lambda: time.monotonic() - started
    )

    def stop(signum: int, frame: object) -> None:
        log("received SIGTERM, shutting down")
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    log(f"demo-app {app.version} starting")
    if (delay := setting(app.env, "STARTUP_SECONDS")) is not None:
        time.sleep(delay)
    crash_after = setting(app.env, "CRASH_AFTER_SECONDS")
    if crash_after is not None:

        def crash() -> None:
            log(f"CRASH_AFTER_SECONDS={crash_after:g} reached: exiting with code 1")
            os._exit(1)

        threading.Timer(max(crash_after - app.elapsed(), 0), crash).start()
    serve(app)


if __name__ == "__main__":
    main()
