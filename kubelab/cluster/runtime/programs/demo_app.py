"""``kubelab/demo-app``: the course's demo web application, hosted in a simulated container.

The application is real Python: ``kubelab/course/apps/demo-app/app.py``, the same file a real
``docker build`` puts into a real image. Its ``DemoApp`` class decides every answer; this module
is only its host inside the teaching cluster, as ``http.server`` is its host in a real container:
it listens on the pod's port, keeps the simulated clock, turns held memory into the container's
memory use, and carries out exits and hangs.

Two ways lead here: the built-in ``kubelab/demo-app`` images (their ``/app/demo-app`` marker runs
``main``, which loads the course's copy of ``app.py``), and an image built from the demo app's
Dockerfile, where ``python app.py`` loads the ``app.py`` inside that image (``serve_script``).
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from kubelab.cluster.runtime.network import HttpListener, HttpRequest, HttpResponse
from kubelab.cluster.runtime.process import SIGTERM, Process
from kubelab.cluster.runtime.programs.serving import count_request, http_date

MIB = 1024 * 1024
BASE_MEMORY = 12 * MIB
APP_SOURCE = Path(__file__).resolve().parents[3] / "course" / "apps" / "demo-app" / "app.py"
#: What a script must define for ``python SCRIPT`` to run it as the demo app.
APP_CLASS = "DemoApp"

_course_module: ModuleType | None = None


def course_app() -> ModuleType:
    """The course's ``app.py``, loaded once."""
    global _course_module
    if _course_module is None:
        spec = importlib.util.spec_from_file_location("kubelab_demo_app", APP_SOURCE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        _course_module = module
    return _course_module


def _only_definitions(tree: ast.Module) -> bool:
    """True when running the module's top level only imports and defines things.

    Loading a script must not run its server (or anything else) inside the cluster process; the
    ``if __name__ == "__main__":`` block is skipped because the module gets another name.
    """
    allowed = (
        ast.Import,
        ast.ImportFrom,
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        ast.Assign,
        ast.AnnAssign,
        ast.If,
    )
    for statement in tree.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring
        if not isinstance(statement, allowed):
            return False
        if isinstance(statement, ast.If) and "__main__" not in ast.unparse(statement.test):
            return False
    return True


def load_script(source: str, filename: str) -> ModuleType | None:
    """The script as a module if it is a demo app (defines ``DemoApp``), else None."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError:
        return None
    defines_app = any(
        isinstance(node, ast.ClassDef) and node.name == APP_CLASS for node in tree.body
    )
    if not defines_app or not _only_definitions(tree):
        return None
    module = ModuleType("kubelab_container_app")
    module.__file__ = filename
    sys.modules[module.__name__] = module  # as above: dataclasses need it
    exec(compile(tree, filename, "exec"), module.__dict__)  # noqa: S102 - the image's own code
    return module


class ContainerFiles:
    """The container's filesystem, seen through the app's ``Files`` protocol."""

    def __init__(self, process: Process) -> None:
        self._fs = process.sandbox.fs

    def is_dir(self, path: str) -> bool:
        return self._fs.is_dir(path)

    def list(self, path: str) -> list[str]:
        return self._fs.list(path)

    def read_text(self, path: str) -> str:
        return self._fs.read_text(path)


class Host:
    """Serves one ``DemoApp`` in a process: requests, logs, memory, exits and hangs."""

    def __init__(self, process: Process, module: ModuleType) -> None:
        self.process = process
        self.module = module
        self.clock = process.sandbox.clock
        started = self.clock.now()
        self.app: Any = module.DemoApp(
            dict(process.env),
            process.sandbox.hostname,
            ContainerFiles(process),
            lambda: (self.clock.now() - started).total_seconds(),
        )

    async def log(self, message: str) -> None:
        await self.process.write_out(self.module.log_line(message, self.clock.now()))

    async def handle(self, request: HttpRequest) -> HttpResponse:
        count_request(self.process)
        reply = self.app.handle(request.method, request.target)
        if reply.action == "hang":
            await self.process.sandbox.idle()
        for note in reply.notes:
            await self.log(note)
        self.process.memory_bytes = BASE_MEMORY + self.app.allocated_mb * MIB
        if not self.process.running:
            raise ConnectionResetError("the process was killed")
        if reply.action == "exit":
            asyncio.get_running_loop().call_soon(self.process.exit_soon, 1)
        await self.log(
            self.app.access(request.method, request.target, reply.status, request.client)
        )
        headers = {
            "Content-Type": reply.content_type,
            "Date": http_date(self.clock.now()),
            "X-Served-By": self.process.sandbox.hostname,
        }
        return HttpResponse(reply.status, headers, reply.body.encode())

    def setting(self, name: str) -> float | None:
        return self.module.setting(self.app.env, name)


async def serve(process: Process, module: ModuleType, *, broken: bool = False) -> int:
    """Run the app as PID 1 would: start, listen, and stop on SIGTERM or a planned crash."""
    host = Host(process, module)
    process.memory_bytes = BASE_MEMORY
    process.cpu_millicores = 1
    stopping = asyncio.Event()
    process.on_signal(SIGTERM, lambda _: stopping.set())
    await host.log(f"demo-app {host.app.version} starting")
    if broken:
        await host.clock.sleep(1)
        await host.log("FATAL: cannot read settings: /config/settings.yaml: no such file")
        return 1
    if (delay := host.setting("STARTUP_SECONDS")) is not None:
        await host.clock.sleep(delay)
    port = host.app.port
    try:
        process.sandbox.netns.bind(port, HttpListener(host.handle), process)
    except OSError:
        await host.log(f"FATAL: listen tcp :{port}: bind: address already in use")
        return 1
    await host.log(f"listening on :{port} (pod {process.sandbox.hostname})")
    crash_after = host.setting("CRASH_AFTER_SECONDS")
    waiting = asyncio.ensure_future(stopping.wait())
    try:
        if crash_after is not None:
            seconds = max(crash_after - host.app.elapsed(), 0) / host.clock.time_scale
            await asyncio.wait({waiting}, timeout=seconds)
            if not waiting.done():
                await host.log(f"CRASH_AFTER_SECONDS={crash_after:g} reached: exiting with code 1")
                return 1
        await waiting
    finally:
        waiting.cancel()
    await host.log("received SIGTERM, shutting down")
    return 0


async def main(process: Process) -> int:
    """The built-in images' program; its flavour is the release (``2.0-broken`` fails)."""
    return await serve(process, course_app(), broken=process.flavor.endswith("-broken"))
