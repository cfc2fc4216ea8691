"""Resource usage as metrics.k8s.io reports it: per running container, in n/m and Ki."""

from __future__ import annotations

from types import SimpleNamespace

from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.clock import Clock
from kubelab.cluster.metrics.api import (
    NODE_METRICS,
    POD_METRICS,
    cpu_quantity,
    memory_quantity,
    node_metrics,
    pod_metrics,
)
from kubelab.cluster.metrics.usage import (
    NODE_SYSTEM_CPU_MILLICORES,
    NODE_SYSTEM_MEMORY_BYTES,
    ResourceUsage,
)
from kubelab.cluster.resources.builtin import builtin_registry
from kubelab.cluster.store.objects import ObjectStore


def container(cpu: float, memory: int, running: bool = True) -> SimpleNamespace:
    return SimpleNamespace(cpu_millicores=cpu, memory_bytes=memory, running=running)


def worker(namespace: str, name: str, **containers: SimpleNamespace) -> SimpleNamespace:
    pod = {"metadata": {"namespace": namespace, "name": name, "labels": {"app": name}}}
    return SimpleNamespace(namespace=namespace, pod=pod, containers=containers)


def usage_of(*workers: SimpleNamespace) -> ResourceUsage:
    api = ObjectAPI(ObjectStore(), builtin_registry(), Clock())
    kubelet = SimpleNamespace(workers={str(i): w for i, w in enumerate(workers)})
    return ResourceUsage({"kubelab": kubelet}, api)


def test_quantities_use_nanocores_and_kibibytes() -> None:
    assert cpu_quantity(5_000_000) == "5m"
    assert cpu_quantity(1_066_667) == "1066667n"
    assert cpu_quantity(0) == "0m"
    assert memory_quantity(12 * 1024 * 1024) == "12288Ki"


def test_only_running_containers_are_measured() -> None:
    usage = usage_of(
        worker("team", "web", app=container(1.5, 1000), setup=container(0, 0, running=False)),
        worker("team", "gone", app=container(1, 1, running=False)),
        worker("other", "db", app=container(2, 4096)),
    )
    pods = usage.pods("team")
    assert [p.name for p in pods] == ["web"]
    [app] = pods[0].containers
    assert (app.name, app.cpu_nanocores, app.memory_bytes) == ("app", 1_500_000, 4096)
    assert pods[0].cpu_millicores == 2, "rounded up, as MilliValue() is"
    assert [p.name for p in usage.pods()] == ["db", "web"]


def test_nodes_add_their_own_software() -> None:
    usage = usage_of(worker("team", "web", app=container(3, 8192)))
    [node] = usage.nodes()
    assert node.cpu_nanocores == (NODE_SYSTEM_CPU_MILLICORES + 3) * 1_000_000
    assert node.memory_bytes == NODE_SYSTEM_MEMORY_BYTES + 8192


def test_objects_and_table_rows() -> None:
    usage = usage_of(worker("team", "web", app=container(2, 8192), log=container(1, 4096)))
    [pod] = usage.pods()
    now = usage.api.clock.now()
    body = pod_metrics(pod, now)
    assert body["kind"] == "PodMetrics"
    assert body["metadata"]["labels"] == {"app": "web"}
    assert body["window"] == "15s"
    assert body["containers"] == [
        {"name": "app", "usage": {"cpu": "2m", "memory": "8Ki"}},
        {"name": "log", "usage": {"cpu": "1m", "memory": "4Ki"}},
    ]
    assert POD_METRICS.row(body, now) == ["web", "3m", "12Ki", "15s"]
    [node] = usage.nodes()
    assert NODE_METRICS.row(node_metrics(node, now), now)[0] == "kubelab"
