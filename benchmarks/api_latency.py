"""Request latency (p50/p99) and throughput of the API, beside the references.

For each server, over keep-alive connections from one client process:

* GET of one pod, LIST of 1,000 pods in a namespace, create of a pod and a merge patch of one;
* latency: one request at a time; throughput: eight clients at once for a few seconds.

Servers: the teaching cluster (HTTPS, bearer token, every admission and validation step), the
floor (an aiohttp handler doing no work, over HTTPS with the same certificate and over HTTP) and
the ``kmock`` emulator (plain HTTP, the CRUD it supports). The pods name a scheduler that does not
exist, so the teaching cluster's scheduler and kubelet leave them alone.

Run: ``.venv/bin/python benchmarks/api_latency.py [--quick]``; writes
``benchmarks/results/api_latency.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import json
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import (  # noqa: E402
    BackgroundCluster,
    background_cluster,
    latency_summary,
    load_average,
    write_result,
)

NAMESPACE = "bench"
PODS = "/api/v1/namespaces/bench/pods"
LIST_SIZE = 1000
CONCURRENCY = 8


@dataclass
class Target:
    """One server under measurement."""

    name: str
    base_url: str
    ssl_context: ssl.SSLContext | bool = False
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""


def pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app": "bench"}},
        "spec": {
            "schedulerName": "benchmark-no-scheduler",
            "containers": [{"name": "web", "image": "nginx:1.27"}],
        },
    }


Request = Callable[[aiohttp.ClientSession, int], Awaitable[int]]


def operations(target: Target) -> dict[str, Request]:
    """Each measured operation as a function of a session and a sequence number."""
    base = target.base_url
    names = itertools.count()

    async def send(
        session: aiohttp.ClientSession,
        method: str,
        path: str,
        extra_headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> int:
        headers = {**target.headers, **(extra_headers or {})}
        async with session.request(
            method, base + path, ssl=target.ssl_context, headers=headers, **kw
        ) as reply:
            await reply.read()
            return reply.status

    async def get(session: aiohttp.ClientSession, n: int) -> int:
        return await send(session, "GET", f"{PODS}/pod-{n % LIST_SIZE}")

    async def list_pods(session: aiohttp.ClientSession, n: int) -> int:
        return await send(session, "GET", PODS)

    async def create(session: aiohttp.ClientSession, n: int) -> int:
        return await send(session, "POST", PODS, json=pod(f"new-{next(names)}"))

    async def patch(session: aiohttp.ClientSession, n: int) -> int:
        body = json.dumps({"metadata": {"labels": {"round": str(n)}}})
        content = {"Content-Type": "application/merge-patch+json"}
        return await send(session, "PATCH", f"{PODS}/pod-0", content, data=body)

    return {"get": get, "list_1000_pods": list_pods, "create": create, "patch": patch}


async def seed(target: Target) -> None:
    """A namespace with 1,000 pods (the floor has nothing to seed)."""
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
        async with session.post(
            target.base_url + "/api/v1/namespaces",
            json=namespace,
            ssl=target.ssl_context,
            headers=target.headers,
        ) as reply:
            await reply.read()

        async def create(index: int) -> None:
            async with session.post(
                target.base_url + PODS,
                json=pod(f"pod-{index}"),
                ssl=target.ssl_context,
                headers=target.headers,
            ) as reply:
                await reply.read()
                if reply.status >= 300:
                    raise RuntimeError(f"{target.name}: seeding failed with {reply.status}")

        for start in range(0, LIST_SIZE, 50):
            await asyncio.gather(*(create(i) for i in range(start, min(start + 50, LIST_SIZE))))


async def latencies(request: Request, samples: int, budget: float) -> list[float]:
    """Up to ``samples`` timings, fewer (but at least five) if they take past ``budget``."""
    timings: list[float] = []
    stop = time.perf_counter() + budget
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        await request(session, 0)
        for n in range(1, samples + 1):
            if len(timings) >= 5 and time.perf_counter() > stop:
                break
            started = time.perf_counter()
            status = await request(session, n)
            timings.append(time.perf_counter() - started)
            if status >= 300:
                raise RuntimeError(f"request failed with {status}")
    return timings


async def throughput(request: Request, seconds: float) -> float:
    done = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        counter = itertools.count(1)

        async def client() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await request(session, next(counter))
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return round(done / elapsed, 1)


async def measure(target: Target, quick: bool) -> dict[str, Any]:
    if target.name != "floor-https" and target.name != "floor-http":
        await seed(target)
    result: dict[str, Any] = {"note": target.note, "load_before": load_average()}
    for name, request in operations(target).items():
        samples = 20 if name == "list_1000_pods" else 200
        if quick:
            samples //= 4
        timings = await latencies(request, samples, 3.0 if quick else 15.0)
        figures = latency_summary(timings)
        figures["throughput_per_s"] = await throughput(request, 1.0 if quick else 3.0)
        result[name] = figures
        print(f"  {target.name:16} {name:15} {figures}", flush=True)
    result["load_after"] = load_average()
    return result


@contextmanager
def reference_server(kind: str, *args: str) -> Iterator[int]:
    script = Path(__file__).resolve().parent / "reference_servers.py"
    child = subprocess.Popen(
        [sys.executable, str(script), kind, *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        yield int(child.stdout.readline())
    finally:
        child.terminate()
        child.wait(10)


def run(quick: bool = False) -> dict[str, Any]:
    """Measure every server; the teaching cluster and the floors share one certificate."""
    results: dict[str, Any] = {}
    with background_cluster() as cluster:
        targets = [teaching_cluster(cluster)]
        kmock_installed = importlib.util.find_spec("kmock") is not None
        with (
            reference_server("floor", "--tls-home", str(cluster.home)) as tls_port,
            reference_server("floor") as plain_port,
            reference_server("kmock") if kmock_installed else nullcontext() as kmock_port,
        ):
            targets += [
                Target(
                    "floor-https",
                    f"https://127.0.0.1:{tls_port}",
                    cluster.ssl_context(),
                    note="aiohttp handler doing no work, same TLS certificate",
                ),
                Target(
                    "floor-http",
                    f"http://127.0.0.1:{plain_port}",
                    note="aiohttp handler doing no work, plain HTTP",
                ),
            ]
            if kmock_port is not None:
                targets.append(
                    Target(
                        "kmock",
                        f"http://127.0.0.1:{kmock_port}",
                        note="kmock KubernetesEmulator: in-memory dicts, no validation or "
                        "resourceVersions, plain HTTP",
                    )
                )
            else:
                print("  kmock is not installed (pip install kmock): not measured", flush=True)
            for target in targets:
                results[target.name] = asyncio.run(measure(target, quick))
    return results


def teaching_cluster(cluster: BackgroundCluster) -> Target:
    return Target(
        "teaching-cluster",
        cluster.url,
        cluster.ssl_context(),
        {"Authorization": f"Bearer {cluster.token}"},
        "HTTPS, bearer token, authorization, admission, validation, SQLite commit",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer samples, shorter runs")
    args = parser.parse_args()
    results = run(args.quick)
    print(f"wrote {write_result('api_latency', results)}")


if __name__ == "__main__":
    main()
