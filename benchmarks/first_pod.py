"""Cold start to a working cluster: ``kubelab cluster up`` in a new home until the API is ready,
then ``kubectl run`` until the first pod is Running, at the learner's pace and at test speed.

Run: ``.venv/bin/python benchmarks/first_pod.py [--runs 3]``; writes
``benchmarks/results/first_pod.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import VENV_BIN, load_average, write_result  # noqa: E402


def one_run(time_scale: float) -> tuple[float, float]:
    """Seconds to a ready API and to the first pod Running, both from the ``up`` command."""
    with tempfile.TemporaryDirectory(prefix="kubelab-first-pod-") as directory:
        home = Path(directory)
        env = {
            **os.environ,
            "KUBELAB_HOME": str(home),
            "KUBECONFIG": str(home / "kubeconfig"),
            "HOME": str(home),
        }

        def command(*args: str) -> str:
            return subprocess.run(
                args, env=env, check=True, capture_output=True, text=True, timeout=120
            ).stdout

        kubelab, kubectl = str(VENV_BIN / "kubelab"), str(VENV_BIN / "kubectl")
        started = time.perf_counter()
        command(kubelab, "cluster", "up", "--time-scale", str(time_scale))
        ready = time.perf_counter() - started
        try:
            command(kubectl, "run", "first", "--image=nginx:1.27")
            while True:
                phase = command(kubectl, "get", "pod", "first", "-o", "jsonpath={.status.phase}")
                if phase == "Running":
                    break
                if time.perf_counter() - started > 120:
                    raise TimeoutError("the first pod did not start in 120s")
                time.sleep(0.02)
            running = time.perf_counter() - started
        finally:
            command(kubelab, "cluster", "down")
    return ready, running


def run(runs: int = 3) -> dict[str, Any]:
    result: dict[str, Any] = {"runs": runs, "load_before": load_average()}
    for label, scale in (("learner_pace", 1.0), ("test_speed", 10.0)):
        ready, running = zip(*(one_run(scale) for _ in range(runs)), strict=True)
        result[label] = {
            "time_scale": scale,
            "api_ready_seconds_median": round(statistics.median(ready), 2),
            "first_pod_running_seconds_median": round(statistics.median(running), 2),
            "first_pod_running_seconds_max": round(max(running), 2),
        }
        print(f"  {label}: {result[label]}", flush=True)
    result["load_after"] = load_average()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    result = run(args.runs)
    print(json.dumps(result, indent=2))
    print(f"wrote {write_result('first_pod', result)}")


if __name__ == "__main__":
    main()
