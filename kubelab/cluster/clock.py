"""The one clock of the teaching cluster.

Everything time-dependent (timestamps, ages, probe periods, back-offs, cron schedules) asks this
clock, so tests can run the cluster faster than real time with ``time_scale`` while learners see
a realistic pace. With a scale of 10, one real second is ten cluster seconds.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Cluster time: real time since start, multiplied by ``time_scale``."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._real_start = time.monotonic()
        self._wall_start = datetime.now(UTC)

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._real_start) * self.time_scale
        return self._wall_start + timedelta(seconds=elapsed)

    def timestamp(self) -> str:
        """The current time as ``metav1.Time`` serialises it (RFC 3339, seconds)."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def micro_timestamp(self) -> str:
        """The current time as ``metav1.MicroTime`` serialises it (microseconds)."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    async def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` of cluster time."""
        await asyncio.sleep(max(seconds, 0) / self.time_scale)
