"""Every benchmark in one run: writes ``benchmarks/results/latest.json`` and ``latest.md``.

Run: ``.venv/bin/python benchmarks/run_all.py [--quick] [--skip-workloads]
[--suite-seconds S]``. The whole test suite's wall time is not measured here (run the suite on
its own, e.g. ``time .venv/bin/pytest -q``, and pass the figure with ``--suite-seconds``).
``cluster_startup.py`` runs as a process of its own (it has no functions to call);
``workloads.measure`` starts a cluster process of its own, whose memory it reports.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_latency  # noqa: E402
import first_pod  # noqa: E402
import grading  # noqa: E402
import watch_fanout  # noqa: E402
import workloads  # noqa: E402
from measure import RESULTS, load_average, machine  # noqa: E402
from report import render_markdown  # noqa: E402

HERE = Path(__file__).resolve().parent
#: The workload figures are taken at test speed, as ``workloads.py`` takes them by default.
WORKLOADS_TIME_SCALE = 10.0

NOTES = [
    "The floor is an aiohttp handler that reads the request and answers `{}`: the least any "
    "server on the teaching cluster's framework can do; it shares the cluster's certificate.",
    "kmock (PyPI `kmock`, KubernetesEmulator) keeps objects as plain dicts: no validation, "
    "defaults, resourceVersions or admission, and plain HTTP only. Its requests slow down as "
    "objects accumulate, so with the 1,000 pods of the LIST figure stored every request is slow; "
    "its samples are fewer (each measurement stops after 15 s).",
    "Load averages are recorded around each section: on a busy machine the figures are ceilings.",
]


def script_result(script: str, name: str, *args: str) -> dict[str, Any]:
    """Run a benchmark script in its own process and read the JSON it writes."""
    subprocess.run([sys.executable, str(HERE / script), *args], check=True, timeout=3600)
    return json.loads((RESULTS / f"{name}.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer samples everywhere")
    parser.add_argument("--skip-workloads", action="store_true")
    parser.add_argument("--suite-seconds", type=float, help="the test suite's wall time")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "taken_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "quick": args.quick,
        "test_suite_seconds": args.suite_seconds,
        "notes": NOTES,
    }
    runs = "1" if args.quick else "5"
    print("cluster startup", flush=True)
    results["cluster_startup"] = script_result(
        "cluster_startup.py", "cluster_startup", "--runs", runs
    )
    print("first pod", flush=True)
    results["first_pod"] = first_pod.run(1 if args.quick else 3)
    print("API requests", flush=True)
    results["api_latency"] = api_latency.run(args.quick)
    print("watch fan-out", flush=True)
    results["watch_fanout"] = watch_fanout.run(args.quick)
    if not args.skip_workloads:
        print("workloads", flush=True)
        with tempfile.TemporaryDirectory(prefix="kubelab-workloads-") as home:
            results["workloads"] = workloads.measure(Path(home), WORKLOADS_TIME_SCALE)
        results["workloads"]["time_scale"] = WORKLOADS_TIME_SCALE
    print("grading", flush=True)
    results["grading"] = grading.run(6 if args.quick else 30)
    results["load_average_at_end"] = load_average()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(render_markdown(results))
    print((RESULTS / "latest.md").read_text())


if __name__ == "__main__":
    main()
