"""Running the registry next to the API server, and telling the nodes where it is.

The registry listens on 127.0.0.1 over plain HTTP, as a ``registry:2`` container on a
developer's machine does; container tools treat ``localhost`` registries as trusted without TLS.
The cluster started by ``kubelab cluster up`` prefers port 5000, the conventional port of a
local registry (minikube's registry add-on is reached there too), and takes any free port when
5000 is busy. Images are named after the host the learner pushed to: ``localhost:PORT/NAME:TAG``;
``127.0.0.1:PORT/...`` names the same images.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from aiohttp import web

from kubelab.cluster.registry.api import build_registry_app
from kubelab.cluster.registry.pulling import RegistryImages
from kubelab.cluster.registry.storage import RegistryStorage
from kubelab.cluster.runtime.images import ImageCatalog

PREFERRED_PORT = 5000


class LoopbackRegistry:
    """The registry's storage under ``root`` and its HTTP site on 127.0.0.1."""

    def __init__(self, root: Path, port: int = 0) -> None:
        self.storage = RegistryStorage(root)
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def host(self) -> str:
        """How image names refer to this registry: ``localhost:5000``."""
        return f"localhost:{self.port}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, catalog: ImageCatalog) -> None:
        """Listen (on ``port``, else any free port) and let ``catalog`` pull from here."""
        self._runner = web.AppRunner(build_registry_app(self.storage), access_log=None)
        await self._runner.setup()
        site: web.TCPSite | None = None
        for port in dict.fromkeys((self.port, 0)):
            candidate = web.TCPSite(self._runner, "127.0.0.1", port)
            with contextlib.suppress(OSError):
                await candidate.start()
                site = candidate
                break
        if site is None:
            raise OSError("the registry found no free port on 127.0.0.1")
        sockets = site._server.sockets if site._server else []  # noqa: SLF001
        self.port = sockets[0].getsockname()[1]
        images = RegistryImages(self.storage)
        for host in (f"localhost:{self.port}", f"127.0.0.1:{self.port}"):
            catalog.add_registry(host, images.lookup)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
