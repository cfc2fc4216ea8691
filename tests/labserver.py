"""Running ``kubelab lab`` as a learner does: a JupyterLab on a free port, with a teaching cluster
that ``kubelab lab`` starts itself, in a home of the test's own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

KUBELAB = Path(sys.executable).parent / "kubelab"
#: Settings of the developer's machine that would point ``kubelab lab`` elsewhere.
FOREIGN_SETTINGS = ("KUBECONFIG", "KUBELAB_CONTEXT", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def learner_environment(home: Path, kubelab_home: Path) -> dict[str, str]:
    """This process's environment as a fresh learner's: its own HOME and KUBELAB_HOME, and no
    setting that names another cluster or another Jupyter configuration."""
    environment = {key: value for key, value in os.environ.items() if key not in FOREIGN_SETTINGS}
    environment.update(HOME=str(home), KUBELAB_HOME=str(kubelab_home))
    return environment


def start_lab(
    notebooks: Path, token: str, environment: dict[str, str]
) -> tuple[subprocess.Popen[str], int]:
    """``kubelab lab`` serving ``notebooks`` with a fixed token; the process and its port."""
    port = free_port()
    lab = subprocess.Popen(
        [KUBELAB, "lab", "--no-browser", "--port", str(port), "--notebooks", str(notebooks)]
        + ["--", f"--IdentityProvider.token={token}"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return lab, port


def wait_for_lab(port: int, token: str, lab: subprocess.Popen[str], deadline: float) -> None:
    """Return once JupyterLab answers; fail at once if ``kubelab lab`` has exited."""
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    while True:
        if lab.poll() is not None:
            raise AssertionError(f"kubelab lab exited:\n{lab.stdout.read() if lab.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def stop_lab(lab: subprocess.Popen[str], environment: dict[str, str]) -> str:
    """End JupyterLab and the teaching cluster it started; returns what ``kubelab lab`` printed
    (nothing when it had to be killed)."""
    lab.terminate()
    try:
        output, _ = lab.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        lab.kill()
        lab.wait()
        output = ""
    subprocess.run([KUBELAB, "cluster", "down"], env=environment, capture_output=True)
    return output
