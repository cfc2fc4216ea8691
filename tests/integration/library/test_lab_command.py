"""kubelab lab: the teaching cluster comes up and JupyterLab serves the course notebooks with
KUBECONFIG pointing at it; a named context that does not exist stops it before anything starts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

KUBELAB = Path(sys.executable).parent / "kubelab"
TOKEN = "kubelab-lab-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def lab_env(tmp_path: Path) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("KUBECONFIG", "KUBELAB_CONTEXT", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR")
    }
    environment["HOME"] = str(tmp_path / "home")
    environment["KUBELAB_HOME"] = str(tmp_path / "kubelab")
    return environment


def notebook_listing(port: int, deadline: float) -> list[str]:
    """The names JupyterLab lists at its root, once it answers."""
    url = f"http://127.0.0.1:{port}/api/contents?token={TOKEN}"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                return [entry["name"] for entry in json.load(reply)["content"]]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def test_lab_opens_the_notebooks_on_the_teaching_cluster(lab_env, tmp_path):
    """With exercises/ beside notebooks/, the file browser starts at the course directory so
    that a learner reaches both."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (tmp_path / "exercises").mkdir()
    (notebooks / "01-pods.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    port = free_port()
    lab = subprocess.Popen(
        [KUBELAB, "lab", "--no-browser", "--port", str(port), "--notebooks", str(notebooks)]
        + ["--", f"--IdentityProvider.token={TOKEN}"],
        env=lab_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        listing = notebook_listing(port, time.monotonic() + 90)
        assert {"exercises", "notebooks"} <= set(listing)
        environment = dict(
            entry.split("=", 1)
            for entry in Path(f"/proc/{lab.pid}/environ").read_text().split("\0")
            if "=" in entry
        )
        assert environment["KUBECONFIG"] == f"{lab_env['KUBELAB_HOME']}/kubeconfig"
        assert environment["KUBELAB_HOME"] == lab_env["KUBELAB_HOME"]
        assert environment["PATH"].split(os.pathsep)[0] == str(KUBELAB.parent)
        status = subprocess.run(
            [KUBELAB, "cluster", "status"], env=lab_env, capture_output=True, text=True
        )
        assert status.returncode == 0, status.stdout
    finally:
        lab.terminate()
        output, _ = lab.communicate(timeout=30)
        subprocess.run([KUBELAB, "cluster", "down"], env=lab_env, capture_output=True)
    assert "The teaching cluster is up at https://127.0.0.1:" in output
    assert f"Opening the course in {tmp_path}" in output


def test_lab_with_an_unknown_context_starts_nothing(lab_env, tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    result = subprocess.run(
        [KUBELAB, "lab", "--context", "nowhere", "--notebooks", str(notebooks)],
        env=lab_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "the context argument names the context 'nowhere'" in result.stderr
    assert not (Path(lab_env["KUBELAB_HOME"]) / "server.json").exists()
