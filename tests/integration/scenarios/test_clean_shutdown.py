"""Shutting the teaching cluster down while its containers run and clients are attached.

Every simulated process is a task on the cluster's event loop; a shutdown that leaves one
pending makes Python print "Task was destroyed but it is pending!" when the interpreter exits.
Both ways a cluster ends are checked in a process of their own, with containers serving,
sleeping and attached to: an in-process cluster stopped by its owner, and the background server
(``kubelab cluster up``) stopped by SIGTERM (``kubelab cluster down``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.conftest import Kubectl
from tests.polling import eventually

DESTROYED = "Task was destroyed but it is pending"


def _start_workloads(kubectl: Kubectl) -> list[subprocess.Popen[str]]:
    """Pods that keep processes busy, and clients streaming from them; returns the clients."""
    kubectl("create", "deployment", "web", "--image=kubelab/demo-app:1.0", "--replicas=2")
    kubectl("run", "proxy", "--image=nginx:1.27")
    kubectl("run", "shell", "--image=busybox:1.36", "--stdin", "--", "sh")
    kubectl("run", "sleeper", "--image=busybox:1.36", "--", "sh", "-c", "sleep 3600 & wait")

    def all_running() -> bool:
        pods = kubectl.json("get", "pods")["items"]
        return len(pods) == 5 and all(p["status"].get("phase") == "Running" for p in pods)

    eventually(all_running, timeout=60)
    attach = kubectl.popen("attach", "shell", "-i")
    logs = kubectl.popen("logs", "-f", "deployment/web")
    time.sleep(2)
    return [attach, logs]


def _stop_clients(clients: list[subprocess.Popen[str]]) -> None:
    for client in clients:
        client.kill()
        client.communicate(timeout=10)


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from kubelab.cluster.embedded import EmbeddedCluster

    cluster = EmbeddedCluster(Path(sys.argv[1]), time_scale=20).start()
    print(cluster.kubeconfig, flush=True)
    sys.stdin.readline()
    cluster.stop()
    print("stopped", flush=True)
    """
)


def test_stopping_an_embedded_cluster_ends_every_task(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "home")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    kubeconfig = Path(child.stdout.readline().strip())
    clients = _start_workloads(Kubectl(kubeconfig, tmp_path))
    try:
        out, err = child.communicate("stop\n", timeout=60)
    finally:
        _stop_clients(clients)
    assert child.returncode == 0, err
    assert "stopped" in out
    assert DESTROYED not in err


def test_sigterm_stops_the_background_server_cleanly(tmp_path: Path) -> None:
    home = tmp_path / "home"
    server = subprocess.Popen(
        [
            sys.executable, "-m", "kubelab.cluster.server", "--home", str(home),
            "--time-scale", "20", "--registry-port", "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )  # fmt: skip
    try:
        eventually(lambda: (home / "server.json").exists(), timeout=60)
        assert json.loads((home / "server.json").read_text())["pid"] == server.pid
        clients = _start_workloads(Kubectl(home / "kubeconfig", tmp_path))
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
        _stop_clients(clients)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode == 0, err
    assert "teaching cluster stopping" in err
    assert DESTROYED not in err
    assert not (home / "server.json").exists()
