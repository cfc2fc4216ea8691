"""Fixtures for field ownership tests: the real write pipeline, with a clock that stands still.

``api`` is an ``ObjectAPI`` over a SQLite store with the built-in kinds, admission, the field
tracker and server-side apply installed, as the teaching cluster wires them. Its ``clock`` moves
only when a test calls the ``tick`` fixture, so the times in managedFields entries are known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kubelab.cluster import bootstrap
from kubelab.cluster.api import admission, apply, managedfields
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.clock import Clock
from kubelab.cluster.resources.builtin import builtin_registry
from kubelab.cluster.store.objects import ObjectStore


class StoppedClock(Clock):
    """Cluster time that moves only when :meth:`tick` is called."""

    def __init__(self) -> None:
        super().__init__()
        self.current = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def tick(self) -> None:
        self.current += timedelta(seconds=1)


@pytest.fixture()
def clock() -> StoppedClock:
    return StoppedClock()


@pytest.fixture()
def tick(clock: StoppedClock) -> Callable[[], None]:
    """Moves the cluster clock on by one second."""
    return clock.tick


@pytest.fixture()
def api(tmp_path: Path, clock: StoppedClock) -> Iterator[ObjectAPI]:
    store = ObjectStore(tmp_path / "cluster.db")
    api = ObjectAPI(store, builtin_registry(), clock)
    admission.install(api)
    managedfields.install(api)
    apply.install(api)
    bootstrap.ensure_namespaces(api)
    yield api
    store.close()
