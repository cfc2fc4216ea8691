"""``python``: just the parts containers use without a real interpreter.

Supported: ``python --version``, ``python -m http.server [PORT]`` (serves the current
directory), ``python -c "print(...)"`` with literal arguments, and ``python app.py`` where
``app.py`` is the course's demo app (its own code then serves requests, see ``demo_app``).
Anything else stops with a clear message, because arbitrary Python cannot run in a simulated
container.

One real behaviour is kept on purpose: when stdout is not a terminal Python buffers it, so
``print`` output appears in ``kubectl logs`` only when the buffer fills or the program exits —
unless ``PYTHONUNBUFFERED`` is set or ``-u`` is given. (Request logs of ``http.server`` go to
stderr, which is never buffered, so they show at once.)
"""

from __future__ import annotations

import ast
import html
import posixpath
from types import ModuleType

from kubelab.cluster.runtime.filesystem import ContainerFilesystem
from kubelab.cluster.runtime.network import HttpListener, HttpRequest, HttpResponse
from kubelab.cluster.runtime.process import Process
from kubelab.cluster.runtime.programs import demo_app
from kubelab.cluster.runtime.programs.serving import (
    count_request,
    file_response,
    find_file,
    http_date,
)

MEMORY = 11 * 1024 * 1024
BUFFER_SIZE = 8192
SUPPORTED = (
    "this container's python runs only 'python -m http.server [PORT]', "
    "'python -c \"print(...)\"' with literal values, and 'python --version'"
)


class BufferedOutput:
    """Python's block-buffered stdout: written out when full and when the program ends."""

    def __init__(self, process: Process) -> None:
        self._process = process
        self._buffer = ""

    async def write(self, text: str) -> None:
        self._buffer += text
        if len(self._buffer) >= BUFFER_SIZE:
            await self.flush()

    async def flush(self) -> None:
        text, self._buffer = self._buffer, ""
        if text:
            await self._process.write_out(text)


def _print_arguments(source: str) -> list[list[object]] | None:
    """The literal arguments of each ``print(...)`` statement, or None if it is anything else."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    calls = []
    for statement in tree.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "print" and not call.keywords):  # fmt: skip
            return None
        try:
            calls.append([ast.literal_eval(argument) for argument in call.args])
        except ValueError:
            return None
    return calls


async def main(process: Process) -> int:
    arguments = process.argv[1:]
    version = process.flavor or "3.12.7"
    unbuffered = bool(process.env.get("PYTHONUNBUFFERED")) or "-u" in arguments or process.tty
    arguments = [argument for argument in arguments if argument != "-u"]
    if arguments[:1] in (["--version"], ["-V"]):
        await process.write_out(f"Python {version}\n")
        return 0
    process.memory_bytes = MEMORY
    stdout = BufferedOutput(process)
    try:
        if arguments[:2] == ["-m", "http.server"]:
            port = int(arguments[2]) if len(arguments) > 2 and arguments[2].isdigit() else 8000
            return await _http_server(process, port, stdout, unbuffered)
        if arguments and not arguments[0].startswith("-"):
            app = _demo_app_script(process, arguments[0])
            if app is not None:
                return await demo_app.serve(process, app)
        if arguments[:1] == ["-c"] and len(arguments) > 1:
            calls = _print_arguments(arguments[1])
            if calls is not None:
                for values in calls:
                    await stdout.write(" ".join(str(value) for value in values) + "\n")
                    if unbuffered:
                        await stdout.flush()
                return 0
        await process.write_err(f"python: {SUPPORTED}\n")
        return 1
    finally:
        await stdout.flush()


def _demo_app_script(process: Process, name: str) -> ModuleType | None:
    """The script ``name`` as a module when it is the course's demo app, else None."""
    path = posixpath.join(process.cwd, name)
    try:
        source = process.sandbox.fs.read_text(path)
    except (OSError, UnicodeDecodeError):
        return None
    return demo_app.load_script(source, path)


def _listing(fs: ContainerFilesystem, directory: str, url_path: str) -> bytes:
    def link(name: str) -> str:
        slash = "/" if fs.is_dir(posixpath.join(directory, name)) else ""
        return f'<li><a href="{html.escape(name)}{slash}">{html.escape(name)}{slash}</a></li>\n'

    items = "".join(link(name) for name in fs.list(directory))
    title = f"Directory listing for {html.escape(url_path)}"
    return (
        f'<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n<hr>\n<ul>\n{items}</ul>\n"
        "<hr>\n</body>\n</html>\n"
    ).encode()


async def _http_server(
    process: Process, port: int, stdout: BufferedOutput, unbuffered: bool
) -> int:
    fs, clock = process.sandbox.fs, process.sandbox.clock
    version = process.flavor or "3.12.7"

    async def handle(request: HttpRequest) -> HttpResponse:
        count_request(process)
        headers = {"Server": f"SimpleHTTP/0.6 Python/{version}", "Date": http_date(clock.now())}
        found = find_file(fs, process.cwd, request.path, ("index.html", "index.htm"))
        if found.status == 200:
            response = file_response(fs, found.path, headers)
        elif found.status == 403:
            body = _listing(fs, found.path, request.path)
            response = HttpResponse(
                200, {**headers, "Content-Type": "text/html; charset=utf-8"}, body
            )
        elif found.status == 301:
            response = HttpResponse(301, {**headers, "Location": found.location})
        else:
            body = (
                b"<!DOCTYPE HTML>\n<html>\n<head><title>Error response</title></head>\n<body>\n"
                b"<h1>Error response</h1>\n<p>Error code: 404</p>\n"
                b"<p>Message: File not found.</p>\n"
                b"</body>\n</html>\n"
            )
            response = HttpResponse(
                404, {**headers, "Content-Type": "text/html;charset=utf-8"}, body
            )
        stamp = clock.now().strftime("%d/%b/%Y %H:%M:%S")
        await process.write_err(
            f'{request.client} - - [{stamp}] "{request.method} {request.target} '
            f'{request.version}" {response.status} -\n'
        )
        return response

    try:
        process.sandbox.netns.bind(port, HttpListener(handle), process)
    except OSError:
        await process.write_err("OSError: [Errno 98] Address already in use\n")
        return 1
    await stdout.write(f"Serving HTTP on 0.0.0.0 port {port} (http://0.0.0.0:{port}/) ...\n")
    if unbuffered:
        await stdout.flush()
    await process.sandbox.idle()
    return 0
