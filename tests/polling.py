"""Waiting for a cluster to get somewhere: poll a check until it holds, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def eventually(
    check: Callable[[], Any],
    timeout: float = 30.0,
    what: str = "the condition",
    interval: float = 0.1,
) -> Any:
    """Call ``check`` until it returns something truthy, and return that; fail after
    ``timeout`` seconds, naming ``what`` was awaited and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}: {value!r}")
        time.sleep(interval)
