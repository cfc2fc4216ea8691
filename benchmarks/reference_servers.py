"""The references the API figures are measured beside, each run in a process of its own.

``floor``: an aiohttp handler that does no work and answers ``{}``: the fastest any server built
on the same framework can answer on this machine. ``kmock``: the ``kmock`` Kubernetes emulator
from PyPI (objects in memory, no validation, defaulting or resourceVersions), over plain HTTP,
which is all it serves.

Run ``python benchmarks/reference_servers.py floor [--tls-home HOME]`` or ``... kmock``; the
first line on stdout is the port.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys
from pathlib import Path

from aiohttp import web


async def _nothing(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=b"{}", content_type="application/json")


async def serve_floor(tls_home: Path | None) -> None:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", _nothing)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    context = None
    if tls_home is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        pki = tls_home / "pki"
        context.load_cert_chain(pki / "apiserver.crt", pki / "apiserver.key")
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
    print(port, flush=True)
    await asyncio.Event().wait()


async def serve_kmock() -> None:
    import kmock

    async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator) as server:
        print(server.port, flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("server", choices=["floor", "kmock"])
    parser.add_argument("--tls-home", type=Path)
    args = parser.parse_args()
    if args.server == "floor":
        asyncio.run(serve_floor(args.tls_home))
    else:
        asyncio.run(serve_kmock())


if __name__ == "__main__":
    sys.exit(main())
