"""Watch fan-out: 50 watchers receive 1,000 changes; how long each change takes to reach them.

The watchers run in two child processes (25 each), so that parsing 50,000 events does not slow
the writer; each change carries the wall-clock time it was sent, and a watcher's delivery
latency is the time from just before the write request to the event being read.

Run: ``.venv/bin/python benchmarks/watch_fanout.py [--quick]``; writes
``benchmarks/results/watch_fanout.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import ssl
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import background_cluster, latency_summary, load_average, write_result  # noqa: E402

NAMESPACE = "fanout"
WATCHERS = 50
PROCESSES = 2
CHANGES = 1000
WRITERS = 4


async def _watch_all(
    url: str, ca: str, token: str, count: int, changes: int, ready: Any
) -> list[float]:
    context = ssl.create_default_context(cafile=ca)
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    timeout = aiohttp.ClientTimeout(total=None, sock_read=120)
    connector = aiohttp.TCPConnector(limit=count)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        replies = [await session.get(url, ssl=context, headers=headers) for _ in range(count)]
        ready.put(count)

        async def read(reply: aiohttp.ClientResponse) -> None:
            seen = 0
            async for line in reply.content:
                arrived = time.time()
                event = json.loads(line)
                latencies.append(arrived - float(event["object"]["data"]["sent"]))
                seen += 1
                if seen == changes:
                    reply.close()
                    return

        await asyncio.gather(*(read(reply) for reply in replies))
    return latencies


def watcher_process(
    url: str, ca: str, token: str, count: int, changes: int, ready: Any, out: Any
) -> None:
    out.put(asyncio.run(_watch_all(url, ca, token, count, changes, ready)))


async def _write(base: str, ca: str, token: str, changes: int) -> float:
    context = ssl.create_default_context(cafile=ca)
    headers = {"Authorization": f"Bearer {token}"}
    names = iter(range(changes))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=WRITERS)) as session:

        async def writer() -> None:
            for index in names:
                body = {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": f"change-{index}"},
                    "data": {"sent": repr(time.time())},
                }
                async with session.post(
                    f"{base}/api/v1/namespaces/{NAMESPACE}/configmaps",
                    json=body,
                    ssl=context,
                    headers=headers,
                ) as reply:
                    await reply.read()
                    if reply.status != 201:
                        raise RuntimeError(f"write failed: {reply.status}")

        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(WRITERS)))
        return time.perf_counter() - started


def run(quick: bool = False) -> dict[str, Any]:
    changes = CHANGES // 10 if quick else CHANGES
    with background_cluster() as cluster:
        cluster.kubectl("create", "namespace", NAMESPACE)
        listed = json.loads(
            cluster.kubectl("get", "--raw", f"/api/v1/namespaces/{NAMESPACE}/configmaps")
        )
        version = listed["metadata"]["resourceVersion"]
        # The namespace's CA bundle ConfigMap may arrive after the list; it is not a change.
        url = (
            f"{cluster.url}/api/v1/namespaces/{NAMESPACE}/configmaps"
            f"?watch=1&resourceVersion={version}&fieldSelector=metadata.name!=kube-root-ca.crt"
        )
        ca = str(cluster.home / "pki" / "ca.crt")
        spawn = multiprocessing.get_context("spawn")
        ready, out = spawn.Queue(), spawn.Queue()
        per_process = WATCHERS // PROCESSES
        children = [
            spawn.Process(
                target=watcher_process,
                args=(url, ca, cluster.token, per_process, changes, ready, out),
            )
            for _ in range(PROCESSES)
        ]
        for child in children:
            child.start()
        for _ in children:
            ready.get(timeout=120)
        load_before = load_average()
        started = time.perf_counter()
        write_seconds = asyncio.run(_write(cluster.url, ca, cluster.token, changes))
        latencies: list[float] = []
        for _ in children:
            latencies += out.get(timeout=600)
        delivered_seconds = time.perf_counter() - started
        for child in children:
            child.join(30)
    result = {
        "watchers": WATCHERS,
        "changes": changes,
        "events_delivered": len(latencies),
        "delivery_latency": latency_summary(latencies),
        "writes_per_s": round(changes / write_seconds, 1),
        "all_delivered_seconds": round(delivered_seconds, 2),
        "load_before": load_before,
        "load_after": load_average(),
    }
    print(json.dumps(result, indent=2), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100 changes instead of 1,000")
    args = parser.parse_args()
    print(f"wrote {write_result('watch_fanout', run(args.quick))}")


if __name__ == "__main__":
    main()
