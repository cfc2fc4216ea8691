"""Running the teaching cluster in the background: the ``kubelab cluster`` commands.

``up`` starts ``python -m kubelab.cluster.server`` detached, with its log in
``$KUBELAB_HOME/cluster.log``, and returns only once the API answers; ``down`` stops it
gracefully. The server records its pid and port in ``server.json``.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path


def kubelab_home() -> Path:
    return Path(os.environ.get("KUBELAB_HOME") or Path.home() / ".kubelab")


@dataclass(frozen=True)
class ClusterState:
    pid: int
    port: int
    url: str


def read_state(home: Path) -> ClusterState | None:
    """The running cluster's pid and port, or None when none is running."""
    path = home / "server.json"
    try:
        data = json.loads(path.read_text())
        state = ClusterState(int(data["pid"]), int(data["port"]), str(data["url"]))
    except (OSError, ValueError, KeyError):
        return None
    try:
        os.kill(state.pid, 0)
    except ProcessLookupError:
        path.unlink(missing_ok=True)
        return None
    except PermissionError:
        pass
    return state


def api_ready(home: Path, url: str, timeout: float = 1.0) -> bool:
    """Whether ``/readyz`` answers ``ok`` over TLS verified with the cluster's CA."""
    context = ssl.create_default_context(cafile=str(home / "pki" / "ca.crt"))
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=timeout, context=context) as reply:
            return reply.status == 200
    except (OSError, ssl.SSLError):
        return False


def start(
    home: Path,
    nodes: int = 1,
    time_scale: float = 1.0,
    port: int = 0,
    wait_seconds: float = 60.0,
    max_pods: int | None = None,
) -> tuple[ClusterState, bool]:
    """Start the cluster unless it runs already. Returns (state, started_now)."""
    existing = read_state(home)
    if existing is not None:
        return existing, False
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "cluster.log", "ab")  # noqa: SIM115 - handed to the child process
    command = [
        sys.executable,
        "-m",
        "kubelab.cluster.server",
        "--home",
        str(home),
        "--nodes",
        str(nodes),
        "--time-scale",
        str(time_scale),
        "--port",
        str(port),
        *(["--max-pods", str(max_pods)] if max_pods else []),
    ]
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the teaching cluster exited with code {process.returncode}; "
                f"see {home / 'cluster.log'}"
            )
        state = read_state(home)
        if state is not None and state.pid == process.pid and api_ready(home, state.url):
            return state, True
        time.sleep(0.05)
    process.terminate()
    raise RuntimeError(f"the teaching cluster did not become ready in {wait_seconds:.0f}s")


def stop(home: Path, wait_seconds: float = 20.0) -> bool:
    """Stop the running cluster. Returns False when none was running."""
    state = read_state(home)
    if state is None:
        return False
    os.kill(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            os.kill(state.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(state.pid, signal.SIGKILL)
    (home / "server.json").unlink(missing_ok=True)
    return True


def reset(home: Path) -> None:
    """Forget every object: stop the cluster and remove its database."""
    stop(home)
    for name in ("cluster.db", "cluster.db-wal", "cluster.db-shm"):
        (home / name).unlink(missing_ok=True)
