"""Shared pieces of the benchmarks: percentiles, the machine they ran on, and a cluster of their
own started the way ``kubelab cluster up`` starts one.

Every figure is taken on a shared machine, so each section also records the load average
before and after it: a figure taken under load is a ceiling, not a measurement.
"""

from __future__ import annotations

import json
import os
import platform
import ssl
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kubelab.cluster import process

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
VENV_BIN = Path(sys.executable).parent


def percentile(samples: list[float], fraction: float) -> float:
    """The sample at ``fraction`` of the sorted list (nearest rank)."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """p50 and p99 in milliseconds, and how many samples they come from."""
    return {
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 3),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(seconds) * 1000, 3),
        "samples": len(seconds),
    }


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def machine() -> dict[str, object]:
    """What the figures were taken on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average_at_start": load_average(),
    }


@dataclass(frozen=True)
class BackgroundCluster:
    """A teaching cluster in its own process, as ``kubelab cluster up`` runs it."""

    home: Path
    url: str
    port: int

    @property
    def token(self) -> str:
        return (self.home / "admin.token").read_text().strip()

    @property
    def kubeconfig(self) -> Path:
        return self.home / "kubeconfig"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.home / "pki" / "ca.crt"))

    def kubectl(self, *args: str, input: str | None = None) -> str:
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig), "HOME": str(self.home)}
        return subprocess.run(
            [str(VENV_BIN / "kubectl"), *args],
            input=input,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout


@contextmanager
def background_cluster(time_scale: float = 1.0, nodes: int = 1) -> Iterator[BackgroundCluster]:
    with tempfile.TemporaryDirectory(prefix="kubelab-bench-") as directory:
        home = Path(directory)
        state, _ = process.start(home, nodes=nodes, time_scale=time_scale)
        try:
            yield BackgroundCluster(home, state.url, state.port)
        finally:
            process.stop(home)


def write_result(name: str, result: dict[str, object]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path
