"""The Markdown table of a benchmark run: each figure beside its reference, as a ratio."""

from __future__ import annotations

from typing import Any

OPERATIONS = {
    "get": "GET one pod",
    "list_1000_pods": "LIST 1,000 pods",
    "create": "create a pod",
    "patch": "merge-patch a pod",
}


#: The figures ``workloads.py`` measures (its result keys), in the order the table shows them.
WORKLOAD_FIGURES = [
    ("deployment_100_available_seconds", "100-replica Deployment, create to all available", "s"),
    ("rolling_update_100_seconds", "Rolling update of the 100 replicas (new image)", "s"),
    ("pods_1000_ready_seconds", "1,000 pods on 3 nodes, create to all Running and Ready", "s"),
    ("rss_idle_mb", "Cluster process resident memory, idle", "MiB"),
    ("rss_100_pods_mb", "Cluster process resident memory, 100 pods", "MiB"),
    ("rss_1000_pods_mb", "Cluster process resident memory, 1,000 pods", "MiB"),
]


def _number(value: float) -> str:
    """Three significant digits or so, never in exponent notation."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _ratio(value: float | None, reference: float | None) -> str:
    if not value or not reference:
        return "–"
    return f"{_number(value / reference)}×"


def _ms(figures: dict[str, Any]) -> str:
    return f"{_number(figures['p50_ms'])} / {_number(figures['p99_ms'])} ms"


def _api_rows(api: dict[str, Any]) -> list[str]:
    cluster, floor, kmock = api["teaching-cluster"], api["floor-https"], api.get("kmock")
    rows = [
        "| Request | Teaching cluster p50 / p99 | Floor (HTTPS) p50 / p99 | × floor "
        "| kmock p50 / p99 | × kmock | Throughput: cluster / floor / kmock (req/s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, label in OPERATIONS.items():
        mine, base = cluster[key], floor[key]
        other = kmock[key] if kmock else None
        kmock_cells = (
            [_ms(other), _ratio(mine["p50_ms"], other["p50_ms"])]
            if other
            else ["not measured", "–"]
        )
        rows.append(
            f"| {label} | {_ms(mine)} | {_ms(base)} | {_ratio(mine['p50_ms'], base['p50_ms'])} "
            f"| {' | '.join(kmock_cells)} "
            f"| {mine['throughput_per_s']} / {base['throughput_per_s']} / "
            f"{other['throughput_per_s'] if other else '–'} |"
        )
    return rows


def _figure_rows(results: dict[str, Any]) -> list[str]:
    rows = ["| Figure | Value | Reference | Ratio |", "|---|---|---|---|"]
    startup = results.get("cluster_startup")
    if startup:
        rows.append(
            f"| `kubelab cluster up`, cold, to a ready API (median) "
            f"| {startup['cold_up_seconds_median']} s | – | – |"
        )
    first = results.get("first_pod")
    if first:
        for label, pace in (("learner pace", "learner_pace"), ("test speed", "test_speed")):
            figures = first[pace]
            rows.append(
                f"| Cold `up` to first pod Running, {label} (median) "
                f"| {figures['first_pod_running_seconds_median']} s | – | – |"
            )
    watch = results.get("watch_fanout")
    if watch:
        latency = watch["delivery_latency"]
        rows.append(
            f"| Watch fan-out: {watch['watchers']} watchers × {watch['changes']} changes, "
            f"delivery p50 / p99 | {_ms(latency)} | – | – |"
        )
    workloads = results.get("workloads") or {}
    for key, label, unit in WORKLOAD_FIGURES:
        if key in workloads:
            rows.append(f"| {label} | {workloads[key]} {unit} | – | – |")
    grading = results.get("grading")
    if grading:
        rows.append(
            f"| `kubelab grade` of a {grading['students']}-student roster, "
            f"{grading['course']} | {grading['grade_seconds']} s | – | – |"
        )
    suite = results.get("test_suite_seconds")
    rows.append(
        f"| Whole test suite, wall time | {f'{suite} s' if suite else 'not given'} | – | – |"
    )
    return rows


def render_markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"Taken {results['taken_at']} on {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['memory_gb']} GB, {machine['system']}, Python {machine['python']}; "
        f"load average at start {machine['load_average_at_start']}, "
        f"at end {results['load_average_at_end']}.",
        "",
    ]
    if "api_latency" in results:
        lines += ["**API requests** (one at a time for latency; 8 clients for throughput)", ""]
        lines += _api_rows(results["api_latency"])
        lines.append("")
    lines += _figure_rows(results)
    notes = results.get("notes") or []
    if notes:
        lines += [""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"
