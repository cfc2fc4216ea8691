"""Helpers for the streaming tests: pods that are up, kubectl in the background, deadlines.

Every wait has a deadline, and every kubectl started in the background (``port-forward``,
``logs -f``, ``attach``) is killed when the test ends, passed or not.
"""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

KUBECTL = Path(sys.executable).parent / "kubectl"
#: How long a pod of a small image may take to become ready.
READY_TIMEOUT = "60s"


def run_kubectl(
    kubectl: Any,
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """kubectl with extra environment variables (``KUBECTL_..._WEBSOCKETS=false``)."""
    return subprocess.run(
        [str(KUBECTL), *args],
        input=input,
        capture_output=True,
        text=True,
        env={**kubectl.env, **(env or {})},
        timeout=timeout,
    )


class Background:
    """A kubectl that keeps running; its output is read line by line as it arrives."""

    def __init__(self, kubectl: Any, args: tuple[str, ...], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [str(KUBECTL), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**kubectl.env, **env},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for_line(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first new output line matching ``pattern``."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line matching {pattern!r} in: {self.seen}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def output_until_exit(self, timeout: float = 30.0) -> str:
        """Everything it prints until it exits by itself."""
        self.process.wait(timeout)
        time.sleep(0.1)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


@pytest.fixture()
def background(kubectl: Any) -> Iterator[Callable[..., Background]]:
    """Start kubectl in the background; everything started is killed afterwards."""
    started: list[Background] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Background:
        process = Background(kubectl, args, env or {})
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.stop()


@pytest.fixture()
def ready_pod(kubectl: Any, namespace: str) -> Callable[..., str]:
    """Create a pod (``kubectl run`` arguments or a manifest) and wait until it is Ready."""

    def create(name: str, *run_args: str, manifest: str | None = None) -> str:
        if manifest is not None:
            kubectl("apply", "-n", namespace, "-f", "-", input=manifest)
        else:
            kubectl("run", name, "-n", namespace, *run_args)
        kubectl(
            "wait", "--for=condition=Ready", f"pod/{name}", "-n", namespace,
            f"--timeout={READY_TIMEOUT}",
        )  # fmt: skip
        return name

    return create


def pod_phase(kubectl: Any, namespace: str, name: str) -> str:
    return kubectl("get", "pod", name, "-n", namespace, "-o", "jsonpath={.status.phase}")
