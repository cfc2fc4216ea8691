"""How fast the teaching cluster brings workloads up, and how much memory it needs for them.

Measures, on an in-process cluster with the given time scale (default 10, "test speed"):

* a 100-replica Deployment from create to all replicas available;
* 1,000 pods across 3 nodes (ten 100-replica Deployments) to all Running;
* the process's resident memory before and with those pods running.

Run: ``.venv/bin/python benchmarks/workloads.py [--time-scale 10]``. Prints the figures and
writes ``benchmarks/results/workloads.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from kubernetes import client, config

from kubelab.cluster.embedded import EmbeddedCluster


def _rss_mb() -> float:
    """Current resident set size, read from /proc (falls back to the peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _deployment(name: str, replicas: int) -> client.V1Deployment:
    labels = {"app": name}
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    containers=[
                        client.V1Container(
                            name="web", image="nginx:1.25", image_pull_policy="IfNotPresent"
                        )
                    ]
                ),
            ),
        ),
    )


def _wait(predicate, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if predicate():
            return time.perf_counter() - started
        time.sleep(0.05)
    raise TimeoutError("workload did not converge")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-scale", type=float, default=10.0)
    args = parser.parse_args()
    results: dict[str, float] = {}
    with (
        tempfile.TemporaryDirectory() as home,
        EmbeddedCluster(Path(home), time_scale=args.time_scale, nodes=3) as cluster,
    ):
        api = config.new_client_from_config(config_file=str(cluster.kubeconfig))
        apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="bench")))
        results["rss_idle_mb"] = round(_rss_mb(), 1)
        started = time.perf_counter()
        apps.create_namespaced_deployment("bench", _deployment("hundred", 100))

        def all_available() -> bool:
            status = apps.read_namespaced_deployment_status("hundred", "bench").status
            return (status.available_replicas or 0) == 100

        _wait(all_available, 300)
        results["deployment_100_ready_seconds"] = round(time.perf_counter() - started, 2)
        print(
            f"100-replica Deployment available in {results['deployment_100_ready_seconds']}s",
            flush=True,
        )
        started = time.perf_counter()
        for index in range(9):
            apps.create_namespaced_deployment("bench", _deployment(f"more-{index}", 100))

        def thousand_running() -> bool:
            pods = core.list_namespaced_pod("bench", field_selector="status.phase=Running")
            return len(pods.items) >= 1000

        _wait(thousand_running, 900)
        results["pods_1000_running_seconds"] = round(time.perf_counter() - started, 2)
        results["rss_1000_pods_mb"] = round(_rss_mb(), 1)
        api.close()
    results["time_scale"] = args.time_scale
    print(json.dumps(results, indent=2))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "workloads.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
