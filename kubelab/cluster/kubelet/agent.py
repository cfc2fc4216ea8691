"""The kubelet: the agent on each node that runs the pods the scheduler bound to it.

It watches pods whose ``spec.nodeName`` is its node and gives each a
:class:`~kubelab.cluster.kubelet.pod_worker.PodWorker`; it hands out pod IPs from the node's pod
CIDR; it keeps the node's images, its host paths and its back-off memory; and it proves the node
is alive by renewing a Lease in ``kube-node-lease`` every ten seconds and posting the node's
conditions when they change (and every five minutes regardless).

A node can be switched off and on again (``kubelab cluster node stop|start``): its kubelet stops
and every container on it dies, so the node controller sees the Lease go stale. Switched on,
the kubelet reports the node Ready again and starts the pods still bound to it afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from pathlib import Path
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import LocalClient, Resource
from kubelab.cluster.events import EventRecorder
from kubelab.cluster.kubelet.backoff import Backoff
from kubelab.cluster.kubelet.images import NodeImages
from kubelab.cluster.kubelet.node import healthy_conditions, node_ip, node_name, pod_cidr
from kubelab.cluster.kubelet.pod_worker import PodWorker
from kubelab.cluster.network import ClusterNetwork
from kubelab.cluster.runtime.images import ImageCatalog
from kubelab.cluster.runtime.volumes import MemoryVolume
from kubelab.cluster.store.objects import Change

log = logging.getLogger("kubelab.cluster.kubelet")

NODES: Resource = ("", "v1", "nodes")
LEASES: Resource = ("coordination.k8s.io", "v1", "leases")
LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION_SECONDS = 40
LEASE_RENEW_SECONDS = 10
#: The kubelet's ``nodeStatusReportFrequency``: unchanged conditions are re-posted this often.
NODE_STATUS_REPORT_SECONDS = 300
#: How long (real seconds) a node being switched off waits for its killed processes to end.
REAP_SECONDS = 5.0


class Kubelet:
    """The node agent of one node (``index`` 0 is ``kubelab``, 1 is ``kubelab-m02``, ...)."""

    def __init__(
        self,
        client: LocalClient,
        index: int,
        catalog: ImageCatalog,
        network: ClusterNetwork,
        storage_root: Path,
    ) -> None:
        self.client = client
        self.node_name = node_name(index)
        self.node_ip = node_ip(index)
        self.events = EventRecorder(client, "kubelet", self.node_name)
        self.images = NodeImages(catalog)
        self.network = network
        self.storage_root = storage_root
        self.host_root = MemoryVolume(client.clock.now())
        self.restart_backoff = Backoff()
        self.pull_backoff = Backoff()
        self.workers: dict[str, PodWorker] = {}
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._run_task: asyncio.Task[Any] | None = None
        self._last_status_report: float | None = None
        node = client.get(NODES, "", self.node_name) or {}
        network_range = ipaddress.ip_network(node.get("spec", {}).get("podCIDR") or pod_cidr(index))
        hosts = list(network_range.hosts())
        self._free_ips = [str(ip) for ip in hosts[1:]]
        #: How the CNI plugin's host-local IPAM names its range in errors (first-last).
        self.ip_range_set = f"{hosts[0]}-{hosts[-1]}" if hosts else str(network_range)
        network.node_ips[self.node_name] = self.node_ip

    @property
    def allocatable(self) -> dict[str, str]:
        node = self.client.get(NODES, "", self.node_name) or {}
        return dict(node.get("status", {}).get("allocatable") or {})

    def allocate_ip(self) -> str | None:
        """A free address from the node's pod range, or None when every one is taken (the
        sandbox cannot be created until a pod on the node goes away)."""
        return self._free_ips.pop(0) if self._free_ips else None

    def release_ip(self, ip: str) -> None:
        if ip not in self._free_ips:
            self._free_ips.append(ip)

    # --- pods ---------------------------------------------------------------------------------

    def _mine(self, pod: dict[str, Any] | None) -> bool:
        return bool(pod) and pod.get("spec", {}).get("nodeName") == self.node_name

    def _on_pod(self, change: Change) -> None:
        pod = change.object
        uid = pod["metadata"].get("uid", "")
        worker = self.workers.get(uid)
        if change.type == "DELETED":
            if worker is not None:
                worker.kill()
            return
        if not self._mine(pod):
            return
        if worker is not None:
            worker.update(pod)
            return
        if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            return  # a finished pod is never run again, also not by a restarted kubelet
        worker = PodWorker(self, pod)
        if pod["metadata"].get("deletionTimestamp"):
            worker.deleting.set()
        self.workers[uid] = worker
        task = asyncio.create_task(worker.run(), name=f"pod {pod['metadata']['name']}")
        self._tasks[uid] = task
        task.add_done_callback(lambda _t, uid=uid: self._finished(uid))

    def _finished(self, uid: str) -> None:
        self.workers.pop(uid, None)
        task = self._tasks.pop(uid, None)
        if task is not None and not task.cancelled() and task.exception() is not None:
            log.error("pod worker failed", exc_info=task.exception())

    async def _watch_pods(self) -> None:
        store = self.client.api.store
        watcher, _ = store.watch("/pods", store.revision)
        for pod in store.list("/pods"):
            self._on_pod(Change("ADDED", "/pods", "", "", pod, store.revision))
        try:
            while (change := await watcher.queue.get()) is not None:
                try:
                    self._on_pod(change)
                except Exception:  # noqa: BLE001 - one bad pod must not stop the node
                    log.exception("kubelet %s: handling a pod change failed", self.node_name)
        finally:
            watcher.close()

    # --- node heartbeat -----------------------------------------------------------------------

    def _renew_lease(self) -> None:
        now = self.client.clock.micro_timestamp()
        lease = self.client.get(LEASES, LEASE_NAMESPACE, self.node_name)
        if lease is None:
            node = self.client.get(NODES, "", self.node_name)
            owner = (
                [
                    {
                        "apiVersion": "v1",
                        "kind": "Node",
                        "name": self.node_name,
                        "uid": node["metadata"]["uid"],
                    }
                ]
                if node
                else []
            )
            self.client.create(
                LEASES,
                LEASE_NAMESPACE,
                {
                    "apiVersion": "coordination.k8s.io/v1",
                    "kind": "Lease",
                    "metadata": {
                        "name": self.node_name,
                        "namespace": LEASE_NAMESPACE,
                        "ownerReferences": owner,
                    },
                    "spec": {
                        "holderIdentity": self.node_name,
                        "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                        "renewTime": now,
                    },
                },
            )
            return
        lease["spec"]["renewTime"] = now
        self.client.update(LEASES, lease)

    def _post_node_status(self) -> bool:
        """Post the node's conditions when they differ from what the API shows (the node
        controller marks them Unknown when the Lease goes stale), or when a report is due.
        Returns True when the conditions had to change."""
        node = self.client.get(NODES, "", self.node_name)
        if node is None:
            return False
        now = self.client.clock.now().timestamp()
        stamp = self.client.clock.timestamp()
        status = node.setdefault("status", {})
        current = {c.get("type"): c for c in status.get("conditions") or []}
        due = self._last_status_report is None or (
            now - self._last_status_report >= NODE_STATUS_REPORT_SECONDS
        )
        changed = False
        conditions = []
        for wanted in healthy_conditions(stamp):
            old = current.pop(wanted["type"], None)
            same = old is not None and all(
                old.get(key) == wanted[key] for key in ("status", "reason", "message")
            )
            if old is not None and same:
                wanted["lastTransitionTime"] = old.get("lastTransitionTime") or stamp
                if not due:
                    wanted["lastHeartbeatTime"] = old.get("lastHeartbeatTime") or stamp
            changed = changed or not same
            conditions.append(wanted)
        if not (changed or due):
            return False
        status["conditions"] = conditions + list(current.values())
        self.client.update_status(NODES, node)
        self._last_status_report = now
        if changed:
            message = f"Node {self.node_name} status is now: NodeReady"
            self.events.record(node, "Normal", "NodeReady", message)
        return changed

    async def _heartbeat(self) -> None:
        while True:
            with contextlib.suppress(APIError):
                self._renew_lease()
                if self._post_node_status():
                    # The node controller marked the pods not ready meanwhile: the status
                    # manager writes each pod's status again as the kubelet knows it.
                    for worker in list(self.workers.values()):
                        worker.publish()
            await self.client.clock.sleep(LEASE_RENEW_SECONDS)

    # --- switching the node on and off --------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the kubelet is up (it answers exec, logs and port-forward only then)."""
        return self._run_task is not None and not self._run_task.done()

    def start(self) -> asyncio.Task[Any]:
        """Start the kubelet (again): it registers its pods afresh and reports the node."""
        if self._run_task is None or self._run_task.done():
            self._last_status_report = None
            self._run_task = asyncio.create_task(self.run(), name=f"kubelet {self.node_name}")
        return self._run_task

    async def stop(self) -> None:
        """Switch the node off: the kubelet stops posting status and its containers die.

        Returns once every process of every container has ended, so that nothing of the node is
        left running when the cluster itself shuts down.
        """
        task = self._run_task
        if task is None or task.done():
            return
        workers = list(self.workers.values())
        worker_tasks = list(self._tasks.values())
        task.cancel()
        # The workers go first: nobody is left to report the containers' end to the API.
        await asyncio.gather(task, *worker_tasks, return_exceptions=True)
        self.workers.clear()
        self._tasks.clear()
        reaping = asyncio.gather(*(worker.kill_and_reap() for worker in workers))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reaping, REAP_SECONDS)

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._watch_pods()), asyncio.create_task(self._heartbeat())]
        try:
            await asyncio.gather(*tasks)
        finally:
            pending = tasks + list(self._tasks.values())
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


def start_kubelets(
    api: Any, count: int, catalog: ImageCatalog, network: ClusterNetwork, storage_root: Path
) -> tuple[list[Kubelet], list[asyncio.Task[Any]]]:
    kubelets = [
        Kubelet(LocalClient(api, "kubelet"), index, catalog, network, storage_root)
        for index in range(count)
    ]
    return kubelets, [k.start() for k in kubelets]
