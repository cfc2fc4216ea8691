"""The kubelet's restart back-off: why a crashing container waits longer each time.

After a container exits, the kubelet restarts it at once the first time, then waits 10 s, 20 s,
40 s ... up to 5 minutes between attempts (``CrashLoopBackOff``). A container that then runs
for 10 minutes without crashing has its back-off forgotten. Image pulls back off the same way
(``ImagePullBackOff``).
"""

from __future__ import annotations

from dataclasses import dataclass

INITIAL_BACKOFF_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 300.0
#: An entry idle for twice the maximum is forgotten: 10 minutes of stable running.
RESET_AFTER_SECONDS = 2 * MAX_BACKOFF_SECONDS


@dataclass
class BackoffEntry:
    delay: float
    last_update: float


class Backoff:
    """Per-key exponential back-off measured in cluster seconds."""

    def __init__(
        self, initial: float = INITIAL_BACKOFF_SECONDS, maximum: float = MAX_BACKOFF_SECONDS
    ) -> None:
        self.initial = initial
        self.maximum = maximum
        self._entries: dict[str, BackoffEntry] = {}

    def next_delay(self, key: str, now: float) -> float:
        """Record a failure at ``now`` and return how long to wait before the next try.

        The first failure waits 0 (restart at once) and arms the back-off; each further failure
        doubles the wait up to the maximum.
        """
        entry = self._entries.get(key)
        if entry is None or now - entry.last_update > RESET_AFTER_SECONDS:
            self._entries[key] = BackoffEntry(self.initial, now)
            return 0.0
        delay = entry.delay
        entry.delay = min(entry.delay * 2, self.maximum)
        entry.last_update = now
        return delay

    def current(self, key: str) -> float:
        entry = self._entries.get(key)
        return entry.delay if entry else 0.0

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)
