"""redis-server and redis-cli.

The server speaks RESP, redis' own protocol, on port 6379: enough of it for ``PING``, ``SET``,
``GET``, ``INCR``, ``DEL``, ``EXISTS``, ``KEYS``, ``DBSIZE`` and ``FLUSHALL``. On SIGTERM it logs
its shutdown and exits 0. ``redis-cli`` connects over a real byte stream, so it works from the
same pod (``localhost``) or from another pod through a Service name.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os

from kubelab.cluster.runtime.network import StreamListener
from kubelab.cluster.runtime.process import SIGINT, SIGTERM, Process
from kubelab.cluster.runtime.programs.serving import wait_for_signal
from kubelab.cluster.runtime.sandbox import UnknownHost

PORT = 6379
MEMORY = 3 * 1024 * 1024


def encode(value: object) -> bytes:
    """One RESP value: simple strings are ``str`` wrapped in a tuple, errors are exceptions."""
    if isinstance(value, tuple):
        return f"+{value[0]}\r\n".encode()
    if isinstance(value, Exception):
        return f"-{value}\r\n".encode()
    if isinstance(value, int):
        return f":{value}\r\n".encode()
    if value is None:
        return b"$-1\r\n"
    if isinstance(value, list):
        return f"*{len(value)}\r\n".encode() + b"".join(encode(item) for item in value)
    data = str(value).encode()
    return f"${len(data)}\r\n".encode() + data + b"\r\n"


async def read_value(reader: asyncio.StreamReader) -> object:
    line = (await reader.readline()).decode().rstrip("\r\n")
    if not line:
        raise ConnectionResetError("closed")
    kind, rest = line[0], line[1:]
    if kind == "+":
        return (rest,)
    if kind == "-":
        return RuntimeError(rest)
    if kind == ":":
        return int(rest)
    if kind == "$":
        if int(rest) < 0:
            return None
        data = await reader.readexactly(int(rest) + 2)
        return data[:-2].decode()
    if kind == "*":
        return [await read_value(reader) for _ in range(int(rest))]
    return line.split()  # an inline command typed by hand


class Store:
    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def execute(self, words: list[str]) -> object:
        if not words:
            return RuntimeError("ERR empty command")
        name, arguments = words[0].upper(), words[1:]
        handler = getattr(self, f"command_{name.lower()}", None)
        if handler is None:
            quoted = " ".join(f"'{a}'" for a in arguments)
            return RuntimeError(
                f"ERR unknown command '{words[0]}', with args beginning with: {quoted}"
            )
        try:
            return handler(*arguments)
        except TypeError:
            return RuntimeError(f"ERR wrong number of arguments for '{name.lower()}' command")

    def command_ping(self, message: str | None = None) -> object:
        return ("PONG",) if message is None else message

    def command_echo(self, message: str) -> object:
        return message

    def command_set(self, key: str, value: str, *options: str) -> object:
        self.data[key] = value
        return ("OK",)

    def command_get(self, key: str) -> object:
        return self.data.get(key)

    def _add(self, key: str, amount: int) -> object:
        current = self.data.get(key, "0")
        if not current.lstrip("-").isdigit():
            return RuntimeError("ERR value is not an integer or out of range")
        self.data[key] = str(int(current) + amount)
        return int(self.data[key])

    def command_incr(self, key: str) -> object:
        return self._add(key, 1)

    def command_decr(self, key: str) -> object:
        return self._add(key, -1)

    def command_incrby(self, key: str, amount: str) -> object:
        return self._add(key, int(amount))

    def command_del(self, *keys: str) -> object:
        return sum(self.data.pop(key, None) is not None for key in keys)

    def command_exists(self, *keys: str) -> object:
        return sum(key in self.data for key in keys)

    def command_keys(self, pattern: str) -> object:
        return sorted(key for key in self.data if fnmatch.fnmatchcase(key, pattern))

    def command_dbsize(self) -> object:
        return len(self.data)

    def command_flushall(self, *options: str) -> object:
        self.data.clear()
        return ("OK",)

    def command_command(self, *arguments: str) -> object:
        return []


async def server(process: Process) -> int:
    clock = process.sandbox.clock
    version = process.flavor or "7.4.1"
    store = Store()

    async def log(role: str, mark: str, message: str) -> None:
        stamp = clock.now().strftime("%d %b %Y %H:%M:%S.%f")[:-3]
        await process.write_out(f"{process.pid}:{role} {stamp} {mark} {message}\n")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await read_value(reader)
            words = request if isinstance(request, list) else [str(request)]
            if words and str(words[0]).upper() == "QUIT":
                writer.write(encode(("OK",)))
                await writer.drain()
                return
            writer.write(encode(store.execute([str(word) for word in words])))
            await writer.drain()

    await log("C", "*", "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
    await log("C", "*", f"Redis version={version}, bits=64, commit=00000000, modified=0, "
                        f"pid={process.pid}, just started")  # fmt: skip
    await log(
        "C",
        "#",
        "Warning: no config file specified, using the default config. "
        "In order to specify a config file use redis-server /path/to/redis.conf",
    )
    try:
        process.sandbox.netns.bind(PORT, StreamListener(serve), process)
    except OSError:
        await log("M", "#", f"Warning: Could not create server TCP listening socket *:{PORT}: "
                            "bind: Address already in use")  # fmt: skip
        return 1
    process.memory_bytes = MEMORY
    process.cpu_millicores = 2
    await log("M", "*", "monotonic clock: POSIX clock_gettime")
    await log("M", "*", f"Running mode=standalone, port={PORT}.")
    await log("M", "*", "Server initialized")
    await log("M", "*", "Ready to accept connections tcp")
    signal = await wait_for_signal(process, SIGTERM, SIGINT)
    name = "SIGTERM" if signal == SIGTERM else "SIGINT"
    stamp = int(clock.now().timestamp())
    await process.write_out(
        f"{process.pid}:signal-handler ({stamp}) Received {name} scheduling shutdown...\n"
    )
    await log("M", "*", "User requested shutdown...")
    await log("M", "#", "Redis is now ready to exit, bye bye...")
    return 0


def _show(value: object, tty: bool) -> str:
    """Print a reply as redis-cli does: quoted with a terminal, raw in a pipe."""
    if isinstance(value, tuple):
        return str(value[0])
    if isinstance(value, Exception):
        return f"(error) {value}" if tty else str(value)
    if isinstance(value, int):
        return f"(integer) {value}" if tty else str(value)
    if value is None:
        return "(nil)" if tty else ""
    if isinstance(value, list):
        if not value and tty:
            return "(empty array)"
        if tty:
            return "\n".join(f"{i}) {_show(v, tty)}" for i, v in enumerate(value, 1))
        return "\n".join(_show(v, tty) for v in value)
    return f'"{value}"' if tty else str(value)


async def cli(process: Process) -> int:
    arguments = process.argv[1:]
    host, port = "127.0.0.1", PORT
    while arguments[:1] in (["-h"], ["-p"]) and len(arguments) > 1:
        flag, value = arguments[0], arguments[1]
        arguments = arguments[2:]
        if flag == "-h":
            host = value
        else:
            port = int(value)
    try:
        reader, writer = await process.sandbox.tcp_connect(host, port)
    except (OSError, UnknownHost) as problem:
        reason = (
            "Name or service not known" if isinstance(problem, UnknownHost)
            else problem.strerror or os.strerror(111)
        )  # fmt: skip
        await process.write_err(f"Could not connect to Redis at {host}:{port}: {reason}\n")
        return 1

    async def send(words: list[str]) -> object:
        writer.write(encode(words))
        await writer.drain()
        return await read_value(reader)

    try:
        if arguments:
            reply = await send(arguments)
            await process.write_out(_show(reply, process.tty) + "\n")
            return 0
        while True:
            if process.tty:
                await process.write_out(f"{host}:{port}> ")
            line = await process.stdin.readline()
            if not line:
                return 0
            words = line.split()
            if not words:
                continue
            if words[0].lower() in ("quit", "exit"):
                return 0
            await process.write_out(_show(await send(words), True) + "\n")
    finally:
        writer.close()
