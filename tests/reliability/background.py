"""A teaching cluster in a child process of the test, so a test can kill it with SIGKILL and
reap it, then start it again on the same state."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kubelab.cluster import process
from tests.reliability.rawapi import RawAPI


class ServerProcess:
    """``python -m kubelab.cluster.server`` on one home directory."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.child: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self, timeout: float = 60) -> RawAPI:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "server.json").unlink(missing_ok=True)
        with open(self.home / "cluster.log", "ab") as log:
            self.child = subprocess.Popen(
                [sys.executable, "-m", "kubelab.cluster.server", "--home", str(self.home)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.child.poll() is None, (self.home / "cluster.log").read_text()[-2000:]
            try:
                state = json.loads((self.home / "server.json").read_text())
            except (OSError, ValueError):
                state = None
            if (
                state
                and state["pid"] == self.child.pid
                and process.api_ready(self.home, state["url"])
            ):
                self.port = state["port"]
                return RawAPI.admin(self.home, self.port)
            time.sleep(0.05)
        raise AssertionError(f"the cluster did not start in {timeout}s")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a crash or the OOM killer."""
        assert self.child is not None
        os.kill(self.child.pid, signal.SIGKILL)
        self.child.wait(30)

    def stop(self) -> None:
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
