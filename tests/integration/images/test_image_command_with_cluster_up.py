"""``kubelab image`` against a cluster started by ``kubelab cluster up``: the push finds the
registry through ``$KUBELAB_HOME``, and a pod runs the pushed image."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Kubectl

KUBELAB = Path(sys.executable).parent / "kubelab"
DEMO_APP = Path(__file__).resolve().parents[3] / "kubelab" / "course" / "apps" / "demo-app"


@pytest.fixture()
def home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    yield home
    subprocess.run(
        [str(KUBELAB), "cluster", "down"], env=environment(home), timeout=60, capture_output=True
    )


def environment(home: Path) -> dict[str, str]:
    values = {**os.environ, "KUBELAB_HOME": str(home)}
    values.pop("KUBELAB_CONTEXT", None)
    return values


def kubelab(home: Path, *args: str) -> str:
    result = subprocess.run(
        [str(KUBELAB), *args], env=environment(home), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"kubelab {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def test_build_push_and_run_with_the_background_cluster(home: Path, tmp_path: Path) -> None:
    kubelab(home, "cluster", "up", "--time-scale", "10")
    kubelab(home, "image", "build", "--builder", "kubelab", "-t", "demo-app:dev", str(DEMO_APP))
    pushed = kubelab(home, "image", "push", "demo-app:dev")
    reference = pushed.strip().splitlines()[-1].removeprefix("Use it in a Pod as: image: ")
    assert reference.startswith("localhost:") and reference.endswith("/demo-app:dev")
    listed = kubelab(home, "image", "ls")
    assert reference.rpartition(":")[0] in listed and "demo-app " in listed
    kubectl = Kubectl(home / "kubeconfig", tmp_path)
    kubectl("run", "app", f"--image={reference}", "--port=8080", "-n", "default")
    deadline = time.monotonic() + 60
    while kubectl("get", "pod", "app", "-o", "jsonpath={.status.phase}") != "Running":
        assert time.monotonic() < deadline, kubectl("describe", "pod", "app")
        time.sleep(0.2)
    proxy = "/api/v1/namespaces/default/pods/app:8080/proxy/version"
    assert kubectl("get", "--raw", proxy) == "1.0\n"
