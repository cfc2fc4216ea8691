"""Shared fixtures: a teaching cluster in-process, and the real kubectl and Python client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubelab.cluster.embedded import EmbeddedCluster

VENV_BIN = Path(sys.executable).parent
KUBECTL = VENV_BIN / "kubectl"


class InstalledCommand:
    """Runs one installed command-line tool with an environment of its own; a failure raises
    with everything the tool printed."""

    def __init__(self, binary: Path, env: dict[str, str], timeout: float) -> None:
        self.binary = binary
        self.env = env
        self.timeout = timeout

    def run(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.binary), *args],
            input=input,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=self.timeout if timeout is None else timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{self.binary.name} {' '.join(args)} failed ({result.returncode}):\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result

    def __call__(self, *args: str, **kwargs: Any) -> str:
        return self.run(*args, **kwargs).stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)


class Kubectl(InstalledCommand):
    """Runs the installed kubectl against one cluster, with its own discovery cache."""

    def __init__(self, kubeconfig: Path, home: Path) -> None:
        self.kubeconfig = kubeconfig
        env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig),
            "HOME": str(home),
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        super().__init__(KUBECTL, env, timeout=60)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(KUBECTL), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
        )


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """One teaching cluster for the whole test session (tests use their own namespaces)."""
    with EmbeddedCluster(tmp_path_factory.mktemp("kubelab-home")) as running:
        yield running


@pytest.fixture()
def kubectl(cluster: EmbeddedCluster, tmp_path: Path) -> Kubectl:
    return Kubectl(cluster.kubeconfig, tmp_path)


def fresh_namespace(kubectl: Kubectl, prefix: str) -> Iterator[str]:
    """A new namespace named ``prefix`` and a random part, deleted (without waiting) afterwards;
    ``yield from`` it in a fixture."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    kubectl("create", "namespace", name)
    yield name
    kubectl.run("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture()
def namespace(kubectl: Kubectl) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards."""
    yield from fresh_namespace(kubectl, "t")


@pytest.fixture()
def api_client(cluster: EmbeddedCluster) -> Iterator[object]:
    """The official Python client, configured from the cluster's kubeconfig."""
    from kubernetes import config

    api = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    yield api
    api.close()
