"""How long ``kubelab cluster up`` takes to a ready API, cold (new home) and warm (restart).

Run with the project's Python: ``.venv/bin/python benchmarks/cluster_startup.py [--runs 5]``.
Prints one line per run and a summary, and writes ``benchmarks/results/cluster_startup.json``.
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

KUBELAB = Path(sys.executable).parent / "kubelab"


def _run(home: Path, *args: str) -> float:
    env = {**os.environ, "KUBELAB_HOME": str(home)}
    started = time.perf_counter()
    subprocess.run(
        [str(KUBELAB), "cluster", *args], env=env, check=True, capture_output=True, text=True
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cold, warm = [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as directory:
            home = Path(directory)
            cold.append(_run(home, "up"))
            _run(home, "down")
            warm.append(_run(home, "up"))
            _run(home, "down")
        print(f"run {run + 1}: cold up {cold[-1]:.2f}s, warm up {warm[-1]:.2f}s")
    summary = {
        "cold_up_seconds_median": round(statistics.median(cold), 3),
        "cold_up_seconds_max": round(max(cold), 3),
        "warm_up_seconds_median": round(statistics.median(warm), 3),
        "runs": args.runs,
    }
    print(json.dumps(summary, indent=2))
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "cluster_startup.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
