"""kubelab lab: the teaching cluster comes up and JupyterLab serves the course notebooks with
KUBECONFIG pointing at it; a named context that does not exist stops it before anything starts."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.labserver import KUBELAB, learner_environment, start_lab, stop_lab, wait_for_lab

TOKEN = "kubelab-lab-test"


@pytest.fixture()
def lab_env(tmp_path: Path) -> dict[str, str]:
    return learner_environment(tmp_path / "home", tmp_path / "kubelab")


def notebook_listing(port: int) -> list[str]:
    """The names JupyterLab lists at its root."""
    url = f"http://127.0.0.1:{port}/api/contents?token={TOKEN}"
    with urllib.request.urlopen(url, timeout=2) as reply:
        return [entry["name"] for entry in json.load(reply)["content"]]


def test_lab_opens_the_notebooks_on_the_teaching_cluster(lab_env, tmp_path):
    """With exercises/ beside notebooks/, the file browser starts at the course directory so
    that a learner reaches both."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (tmp_path / "exercises").mkdir()
    (notebooks / "01-pods.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    lab, port = start_lab(notebooks, TOKEN, lab_env)
    try:
        wait_for_lab(port, TOKEN, lab, time.monotonic() + 90)
        listing = notebook_listing(port)
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
        output = stop_lab(lab, lab_env)
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
