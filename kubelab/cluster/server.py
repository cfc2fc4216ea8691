"""The teaching cluster process: wires the API server, the store and the control plane.

``python -m kubelab.cluster.server --home DIR`` runs a cluster in the foreground (the
``kubelab cluster up`` command starts it in the background), and :class:`TeachingCluster`
runs one inside another program's event loop, as the test suite's fixture does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import ssl
from pathlib import Path
from typing import Any

from aiohttp import web

from kubelab.cluster import bootstrap, bootstrap_rbac, charts, users
from kubelab.cluster.api import admission, apply, managedfields
from kubelab.cluster.api.app import build_app
from kubelab.cluster.api.authn import Authenticator, User, UserTokens, user_tokens_path
from kubelab.cluster.api.chartrepo import REPOSITORY_KEY as CHART_REPOSITORY_KEY
from kubelab.cluster.api.componentstatuses import CONTROL_PLANE_KEY
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.api.tokens import ServiceAccountTokens, SigningKey
from kubelab.cluster.certs import ensure_certificates
from kubelab.cluster.client import LocalClient
from kubelab.cluster.clock import Clock
from kubelab.cluster.controllers.manager import start_controllers
from kubelab.cluster.controllers.provisioner import ensure_default_storage_class
from kubelab.cluster.kubeconfig import kubeconfig_document, write_kubeconfig
from kubelab.cluster.kubelet import control as node_control
from kubelab.cluster.kubelet.agent import Kubelet, start_kubelets
from kubelab.cluster.kubelet.node import NodeCapacity
from kubelab.cluster.network import ClusterNetwork
from kubelab.cluster.registry.service import PREFERRED_PORT, LoopbackRegistry
from kubelab.cluster.resources import custom
from kubelab.cluster.resources.builtin import builtin_registry
from kubelab.cluster.runtime.library import default_catalog
from kubelab.cluster.scheduler import Scheduler
from kubelab.cluster.store.objects import ObjectStore

log = logging.getLogger("kubelab.cluster")

#: kube-apiserver asks etcd to compact its history every five minutes.
COMPACTION_INTERVAL_SECONDS = 300

ADMIN_USER = User("kubelab-admin", ("system:masters", "system:authenticated"))


class TeachingCluster:
    """One teaching cluster: state under ``home``, API on 127.0.0.1:``port`` (0 = any free)."""

    def __init__(
        self,
        home: Path,
        port: int = 0,
        time_scale: float = 1.0,
        nodes: int = 1,
        max_pods: int | None = None,
        registry_port: int = 0,
    ) -> None:
        self.home = home
        self.port = port
        self.clock = Clock(time_scale)
        self.node_count = nodes
        #: Pods per node (the kubelet's ``--max-pods``); None keeps the default of 110.
        self.capacity = NodeCapacity(pods=str(max_pods)) if max_pods else NodeCapacity()
        self.store: ObjectStore | None = None
        self.api: ObjectAPI | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self.catalog = default_catalog()
        #: The image registry on loopback that ``kubelab image push`` uploads to.
        self.registry = LoopbackRegistry(home / "registry", registry_port)
        self.kubelets: list[Kubelet] = []
        self.network: ClusterNetwork | None = None

    @property
    def kubeconfig_path(self) -> Path:
        return self.home / "kubeconfig"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _admin_token(self) -> str:
        path = self.home / "admin.token"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
        return path.read_text().strip()

    async def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        _make_state_private(self.home)
        self.store = ObjectStore(self.home / "cluster.db")
        self.api = ObjectAPI(self.store, builtin_registry(), self.clock)
        admission.install(self.api)
        managedfields.install(self.api)
        apply.install(self.api)
        custom.install(self.api)
        bootstrap.ensure_namespaces(self.api)
        bootstrap.register_nodes(self.api, self.node_count, self.capacity)
        bootstrap.ensure_kubernetes_service(self.api)
        bootstrap_rbac.ensure_default_policy(self.api)
        ensure_default_storage_class(self.api)
        token = self._admin_token()
        await self.registry.start(self.catalog)
        certs = ensure_certificates(self.home / "pki")
        controller_tasks = start_controllers(self.api, certs.ca_cert.read_text())
        self._tasks = list(controller_tasks)
        self.network = ClusterNetwork(LocalClient(self.api, "kube-proxy"))
        self.kubelets, kubelet_tasks = start_kubelets(
            self.api, self.node_count, self.catalog, self.network, self.home / "storage"
        )
        self._tasks += kubelet_tasks
        scheduler = Scheduler(LocalClient(self.api, Scheduler.name))
        scheduler_task = asyncio.create_task(scheduler.run(), name=Scheduler.name)
        self._tasks.append(scheduler_task)
        self._tasks.append(asyncio.create_task(self._compact_periodically()))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certs.server_cert, certs.server_key)
        app = build_app(
            self.api,
            Authenticator(
                {token: ADMIN_USER},
                UserTokens(user_tokens_path(self.home)),
                ServiceAccountTokens(self.api, SigningKey(self.home / "pki" / "sa.key")),
            ),
            {k.node_name: k for k in self.kubelets},
            self.network,
        )
        charts_dir = charts.charts_directory(self.home)
        charts.publish_charts(charts.COURSE_CHARTS, charts_dir)
        app[CHART_REPOSITORY_KEY] = charts.ChartRepository(charts_dir)
        control_plane = app[CONTROL_PLANE_KEY]
        control_plane.scheduler, control_plane.controllers = [scheduler_task], controller_tasks
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, "127.0.0.1", self.port, ssl_context=context, reuse_address=True
        )
        await site.start()
        sockets = site._server.sockets if site._server else []  # noqa: SLF001
        self.port = sockets[0].getsockname()[1]
        write_kubeconfig(
            self.kubeconfig_path, kubeconfig_document(self.url, certs.ca_cert.read_bytes(), token)
        )
        users.refresh_kubeconfigs(self.home, self.url)

    async def _compact_periodically(self) -> None:
        while True:
            await self.clock.sleep(COMPACTION_INTERVAL_SECONDS)
            if self.store is not None:
                self.store.compact()

    def _kubelet(self, name: str) -> Kubelet:
        for kubelet in self.kubelets:
            if kubelet.node_name == name:
                return kubelet
        raise KeyError(f'no node "{name}"')

    async def stop_node(self, name: str) -> None:
        """Switch node ``name`` off: its kubelet stops reporting and its containers die."""
        await self._kubelet(name).stop()

    def start_node(self, name: str) -> None:
        """Switch node ``name`` on again: its kubelet starts and reports the node Ready."""
        self._tasks.append(self._kubelet(name).start())

    async def apply_stopped_nodes(self) -> None:
        """Make the kubelets match ``kubelab cluster node stop|start`` requests."""
        wanted_off = node_control.stopped_nodes(self.home)
        for kubelet in self.kubelets:
            if kubelet.node_name in wanted_off and kubelet.running:
                log.info("switching node %s off", kubelet.node_name)
                await self.stop_node(kubelet.node_name)
            elif kubelet.node_name not in wanted_off and not kubelet.running:
                log.info("switching node %s on", kubelet.node_name)
                self.start_node(kubelet.node_name)

    async def stop(self) -> None:
        """Shut down in order: the nodes and their containers, the control plane, the API.

        Every task is cancelled and awaited, so nothing is left half-run on the event loop.
        """
        await asyncio.gather(*(kubelet.stop() for kubelet in self.kubelets))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        await self.registry.stop()
        if self.store is not None:
            self.store.close()


def _make_state_private(home: Path) -> None:
    """The database holds every Secret and token and the log names them, so only the owner may
    read them: the home becomes 0700, and the files 0600 (SQLite gives its WAL and shared-memory
    files the database file's mode)."""
    home.chmod(0o700)
    os.close(os.open(home / "cluster.db", os.O_WRONLY | os.O_CREAT, 0o600))
    for name in ("cluster.db", "cluster.db-wal", "cluster.db-shm", "cluster.log"):
        with contextlib.suppress(FileNotFoundError):
            (home / name).chmod(0o600)


def _write_state(home: Path, cluster: TeachingCluster) -> None:
    state = {
        "pid": os.getpid(),
        "port": cluster.port,
        "url": cluster.url,
        "registry": cluster.registry.host,
        "nodes": [kubelet.node_name for kubelet in cluster.kubelets],
    }
    (home / "server.json").write_text(json.dumps(state))


async def _serve(args: argparse.Namespace) -> None:
    home = Path(args.home)
    cluster = TeachingCluster(
        home, args.port, args.time_scale, args.nodes, args.max_pods, args.registry_port
    )
    node_control.forget_stopped_nodes(home)
    await cluster.start()
    _write_state(home, cluster)
    log.info("teaching cluster serving on %s", cluster.url)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    loop.add_signal_handler(
        node_control.APPLY_SIGNAL, lambda: loop.create_task(cluster.apply_stopped_nodes())
    )
    await stopped.wait()
    log.info("teaching cluster stopping")
    await cluster.stop()
    (home / "server.json").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kubelab.cluster.server")
    parser.add_argument("--home", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--max-pods", type=int, default=None)
    parser.add_argument("--registry-port", type=int, default=PREFERRED_PORT)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
