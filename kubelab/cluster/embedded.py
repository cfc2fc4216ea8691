"""Running a teaching cluster inside the current process, on a thread of its own.

Tests, benchmarks and notebooks that want a private cluster use :class:`EmbeddedCluster`: it
runs the same server as ``kubelab cluster up`` on a free port, with its own event loop, so the
caller can stay synchronous (drive ``kubectl`` or the Python client) while the cluster works.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from kubelab.cluster.server import TeachingCluster


class EmbeddedCluster:
    """A teaching cluster on a background thread. Use as a context manager or start/stop."""

    def __init__(
        self, home: Path, time_scale: float = 1.0, nodes: int = 1, max_pods: int | None = None
    ) -> None:
        self.cluster = TeachingCluster(home, 0, time_scale, nodes, max_pods)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="kubelab-cluster", daemon=True
        )

    @property
    def kubeconfig(self) -> Path:
        return self.cluster.kubeconfig_path

    @property
    def url(self) -> str:
        return self.cluster.url

    def call(self, coroutine: Any, timeout: float = 60.0) -> Any:
        """Run a coroutine on the cluster's loop and wait for its result."""
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    def run_sync(self, function: Any, *args: Any) -> Any:
        """Run a plain function on the cluster's loop (where its state may be touched)."""

        async def wrapper() -> Any:
            return function(*args)

        return self.call(wrapper())

    def start(self) -> EmbeddedCluster:
        self._thread.start()
        self.call(self.cluster.start())
        return self

    def stop(self) -> None:
        """Stop the cluster, then end whatever its loop still runs, as ``asyncio.run`` does."""
        self.call(self.cluster.stop())
        self.call(_cancel_remaining_tasks())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> EmbeddedCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


#: How long (real seconds) requests still being served get to end once cancelled.
REMAINING_TASKS_GRACE_SECONDS = 5.0


async def _cancel_remaining_tasks() -> None:
    """Cancel and await the loop's other tasks (requests still being served, say): a task left
    pending when the loop is dropped is reported as destroyed at interpreter exit."""
    current = asyncio.current_task()
    remaining = [task for task in asyncio.all_tasks() if task is not current]
    for task in remaining:
        task.cancel()
    if remaining:
        await asyncio.wait(remaining, timeout=REMAINING_TASKS_GRACE_SECONDS)
