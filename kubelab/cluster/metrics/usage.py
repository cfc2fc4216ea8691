"""How much CPU and memory the simulated containers use right now, per pod and per node.

This is the teaching cluster's metrics pipeline in one step: upstream, each kubelet measures
its containers (cAdvisor), metrics-server scrapes the kubelets every 15 seconds and serves the
result as ``metrics.k8s.io``. Here the kubelets' live containers are read directly: a
container's CPU is its processes' baseline plus the work of the requests it recently served,
its memory what its processes hold (``Container.cpu_millicores`` and ``memory_bytes``). Only
running containers are measured, so a pod whose containers have all stopped has no metrics.

A node's usage is the sum of its pods plus what the node's own software (kubelet, container
runtime, operating system) needs, so ``kubectl top nodes`` never shows an idle node at zero.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubelab.cluster.api.rest import ObjectAPI

#: metrics-server's default resolution: the time each sample averages over.
WINDOW_SECONDS = 15
#: The node's own software: kubelet, container runtime and operating system.
NODE_SYSTEM_CPU_MILLICORES = 60
NODE_SYSTEM_MEMORY_BYTES = 480 * 1024 * 1024
#: Memory is accounted in whole pages.
PAGE_BYTES = 4096


@dataclass(frozen=True)
class ContainerUsage:
    name: str
    cpu_nanocores: int
    memory_bytes: int


@dataclass(frozen=True)
class PodUsage:
    namespace: str
    name: str
    labels: Mapping[str, str]
    containers: tuple[ContainerUsage, ...]
    timestamp: datetime

    @property
    def cpu_millicores(self) -> int:
        """``MilliValue()`` of the pod's CPU, as the HPA sums it (rounded up)."""
        return sum(math.ceil(c.cpu_nanocores / 1_000_000) for c in self.containers)


@dataclass(frozen=True)
class NodeUsage:
    name: str
    labels: Mapping[str, str]
    cpu_nanocores: int
    memory_bytes: int
    timestamp: datetime


def _pages(memory: int) -> int:
    return -(-memory // PAGE_BYTES) * PAGE_BYTES


class ResourceUsage:
    """Reads usage from the node agents (a mapping of node name to kubelet) of the cluster
    whose object API is ``api``."""

    def __init__(self, kubelets: Mapping[str, Any], api: ObjectAPI) -> None:
        self.kubelets = kubelets
        self.api = api

    def _timestamp(self) -> datetime:
        return self.api.clock.now().replace(microsecond=0)

    def _pod(self, worker: Any, now: datetime) -> PodUsage | None:
        containers = tuple(
            ContainerUsage(
                name,
                round(container.cpu_millicores * 1_000_000),
                _pages(container.memory_bytes),
            )
            for name, container in worker.containers.items()
            if container.running
        )
        if not containers:
            return None
        meta = worker.pod["metadata"]
        return PodUsage(
            meta["namespace"], meta["name"], dict(meta.get("labels") or {}), containers, now
        )

    def pods(self, namespace: str | None = None) -> list[PodUsage]:
        """Every measured pod (of one namespace, or all), ordered by namespace and name."""
        now = self._timestamp()
        found = []
        for kubelet in self.kubelets.values():
            for worker in list(kubelet.workers.values()):
                if namespace and worker.namespace != namespace:
                    continue
                usage = self._pod(worker, now)
                if usage is not None:
                    found.append(usage)
        return sorted(found, key=lambda p: (p.namespace, p.name))

    def nodes(self) -> list[NodeUsage]:
        now = self._timestamp()
        found = []
        for name in sorted(self.kubelets):
            kubelet = self.kubelets[name]
            cpu = NODE_SYSTEM_CPU_MILLICORES * 1_000_000
            memory = NODE_SYSTEM_MEMORY_BYTES
            for worker in list(kubelet.workers.values()):
                usage = self._pod(worker, now)
                for container in usage.containers if usage else ():
                    cpu += container.cpu_nanocores
                    memory += container.memory_bytes
            node = self.api.store.get("/nodes", "", name) or {"metadata": {}}
            labels = dict(node["metadata"].get("labels") or {})
            found.append(NodeUsage(name, labels, cpu, memory, now))
        return found


_SOURCES: weakref.WeakKeyDictionary[ObjectAPI, ResourceUsage] = weakref.WeakKeyDictionary()


def attach(usage: ResourceUsage) -> None:
    """Make ``usage`` the metrics source of its cluster."""
    _SOURCES[usage.api] = usage


def usage_for(api: ObjectAPI) -> ResourceUsage | None:
    """The metrics source of a cluster (None while it has no node agents attached), for
    control-plane components such as the HorizontalPodAutoscaler controller."""
    return _SOURCES.get(api)
