"""How fast the teaching cluster brings workloads up, and how much memory it needs for them.

Starts a teaching cluster the way ``kubelab cluster up --nodes 3 --max-pods 400`` does (its own
process, at the given time scale; default 10, "test speed") and measures, through the API:

* a 100-replica Deployment from create to all replicas available (the median of three runs);
* a rolling update of that Deployment (a new image) until every replica is updated and
  available;
* 1,000 pods across the 3 nodes (nine more 100-replica Deployments) until all are Running and
  Ready;
* the cluster process's resident memory (``VmRSS`` from ``/proc``) idle, with 100 pods and with
  1,000 pods.

Run: ``.venv/bin/python benchmarks/workloads.py [--time-scale 10]``. Prints the figures and
writes ``benchmarks/results/workloads.json`` and ``workloads.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kubernetes import client, config

from kubelab.cluster import process

NAMESPACE = "bench"
NODES = 3
#: Pods per node: a thousand pods do not fit on three nodes at the default of 110.
MAX_PODS = 400
RESULTS = Path(__file__).parent / "results"
#: The 100-replica figure is the median of this many runs (it is short, so load shows in it).
HUNDRED_RUNS = 3


def rss_mb(pid: int) -> float:
    """The resident set size of a process, in MiB, from ``/proc/PID/status``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for process {pid}")


def deployment(name: str, replicas: int, image: str = "nginx:1.25") -> client.V1Deployment:
    labels = {"app": name}
    container = client.V1Container(name="web", image=image, image_pull_policy="IfNotPresent")
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[container]),
            ),
        ),
    )


def seconds_until(predicate: Callable[[], bool], timeout: float) -> float:
    """Poll ``predicate`` until it holds; the time it took."""
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"did not converge within {timeout:.0f}s")
        time.sleep(0.05)
    return round(time.perf_counter() - started, 2)


class Workloads:
    """The benchmark's steps against one running cluster."""

    def __init__(self, api: client.ApiClient) -> None:
        self.apps = client.AppsV1Api(api)
        self.core = client.CoreV1Api(api)
        self.runs_left = HUNDRED_RUNS

    def rolled_out(self, name: str, replicas: int) -> bool:
        """Every replica updated and available, and the controller has seen the change
        (what ``kubectl rollout status`` waits for)."""
        d = self.apps.read_namespaced_deployment_status(name, NAMESPACE)
        status = d.status
        return (
            (status.observed_generation or 0) >= d.metadata.generation
            and (status.updated_replicas or 0) == replicas
            and (status.available_replicas or 0) == replicas
            and (status.replicas or 0) == replicas
        )

    def hundred_available_seconds(self) -> float:
        """Create the 100-replica Deployment and time it to all available; every run but the
        last deletes it again and waits for its pods to go."""
        started = time.perf_counter()
        self.apps.create_namespaced_deployment(NAMESPACE, deployment("hundred", 100))
        seconds_until(lambda: self.rolled_out("hundred", 100), 120)
        elapsed = round(time.perf_counter() - started, 2)
        self.runs_left -= 1
        if self.runs_left:
            self.apps.delete_namespaced_deployment(
                "hundred", NAMESPACE, propagation_policy="Foreground"
            )
            seconds_until(lambda: not self.core.list_namespaced_pod(NAMESPACE).items, 300)
            seconds_until(lambda: not self.apps.list_namespaced_deployment(NAMESPACE).items, 60)
        return elapsed

    def ready_replicas(self) -> int:
        items = self.apps.list_namespaced_deployment(NAMESPACE).items
        return sum(d.status.ready_replicas or 0 for d in items)

    def running_and_ready_pods(self) -> int:
        pods = self.core.list_namespaced_pod(NAMESPACE).items
        return sum(
            1
            for p in pods
            if p.status.phase == "Running"
            and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
        )

    def pods_per_node(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for pod in self.core.list_namespaced_pod(NAMESPACE).items:
            counts[pod.spec.node_name] = counts.get(pod.spec.node_name, 0) + 1
        return dict(sorted(counts.items()))


def measure(home: Path, time_scale: float) -> dict[str, object]:
    state, _ = process.start(home, NODES, time_scale, max_pods=MAX_PODS)
    try:
        api = config.new_client_from_config(config_file=str(home / "kubeconfig"))
        bench = Workloads(api)
        bench.core.create_namespace(
            client.V1Namespace(metadata=client.V1ObjectMeta(name=NAMESPACE))
        )
        results: dict[str, object] = {
            "rss_idle_mb": rss_mb(state.pid),
            "load_average_at_start": round(os.getloadavg()[0], 1),
        }

        runs = [bench.hundred_available_seconds() for _ in range(HUNDRED_RUNS)]
        results["deployment_100_available_seconds"] = statistics.median(runs)
        results["deployment_100_available_runs"] = runs
        results["rss_100_pods_mb"] = rss_mb(state.pid)
        print(f"100 replicas available in {runs}s (median {statistics.median(runs)}s)")

        started = time.perf_counter()
        bench.apps.patch_namespaced_deployment(
            "hundred",
            NAMESPACE,
            {
                "spec": {
                    "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}
                }
            },
        )
        seconds_until(lambda: bench.rolled_out("hundred", 100), 600)
        results["rolling_update_100_seconds"] = round(time.perf_counter() - started, 2)
        print(f"rolling update of 100 replicas done in {results['rolling_update_100_seconds']}s")

        started = time.perf_counter()
        for index in range(9):
            bench.apps.create_namespaced_deployment(NAMESPACE, deployment(f"more-{index}", 100))
        seconds_until(lambda: bench.ready_replicas() == 1000, 900)
        seconds_until(lambda: bench.running_and_ready_pods() == 1000, 60)
        results["pods_1000_ready_seconds"] = round(time.perf_counter() - started, 2)
        results["rss_1000_pods_mb"] = rss_mb(state.pid)
        results["pods_per_node"] = bench.pods_per_node()
        print(f"1,000 pods Running and Ready in {results['pods_1000_ready_seconds']}s")
        api.close()
    finally:
        process.stop(home)
    return results


def markdown(results: dict[str, object]) -> str:
    rows = [
        (
            "100-replica Deployment, create to all available (median of 3)",
            "deployment_100_available_seconds",
            "s",
        ),
        ("Rolling update of the 100 replicas (new image)", "rolling_update_100_seconds", "s"),
        ("1,000 pods on 3 nodes, create to all Running and Ready", "pods_1000_ready_seconds", "s"),
        ("Cluster process RSS, idle", "rss_idle_mb", " MiB"),
        ("Cluster process RSS, 100 pods", "rss_100_pods_mb", " MiB"),
        ("Cluster process RSS, 1,000 pods", "rss_1000_pods_mb", " MiB"),
    ]
    lines = [
        "# Workload benchmark",
        "",
        f"`benchmarks/workloads.py`, time scale {results['time_scale']}, {NODES} nodes of "
        f"{MAX_PODS} pods, on {results['machine']}; the machine's load average was "
        f"{results['load_average_at_start']} when it started (timings grow with other load).",
        "",
        "| Measure | Result |",
        "| --- | --- |",
        *(f"| {label} | {results[key]}{unit} |" for label, key, unit in rows),
        "",
        f"Pods per node at 1,000: {results['pods_per_node']}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-scale", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        results = measure(Path(home), args.time_scale)
    results["time_scale"] = args.time_scale
    results["machine"] = f"{platform.machine()}, Python {platform.python_version()}"
    print(json.dumps(results, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "workloads.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "workloads.md").write_text(markdown(results))


if __name__ == "__main__":
    main()
