"""A class's shared teaching cluster, started and stopped with the real ``kubelab`` command.

``kubelab cluster add-user`` works on the cluster that ``kubelab cluster up`` runs in the
background, so these tests do exactly what an instructor does: start it in a private
``KUBELAB_HOME``, add students, and hand each student their kubeconfig.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Kubectl

KUBELAB = Path(sys.executable).parent / "kubelab"


@dataclass
class ClassCluster:
    """A background teaching cluster and the ``kubelab`` command that runs it."""

    home: Path
    scratch: Path

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "KUBELAB_HOME": str(self.home), "HOME": str(self.scratch)}

    def kubelab(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(KUBELAB), *args], capture_output=True, text=True, env=self.env, timeout=120
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubelab {' '.join(args)} failed ({result.returncode}):\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result

    def add_user(self, name: str, namespace: str, role: str = "edit") -> Path:
        output = self.kubelab("cluster", "add-user", name, "--namespace", namespace, "--role", role)
        return Path(output.stdout.strip().splitlines()[-1])

    @property
    def admin_kubeconfig(self) -> Path:
        return self.home / "kubeconfig"


@pytest.fixture(scope="module")
def class_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClassCluster]:
    cluster = ClassCluster(
        tmp_path_factory.mktemp("class-home"), tmp_path_factory.mktemp("class-scratch")
    )
    cluster.kubelab("cluster", "up")
    try:
        yield cluster
    finally:
        cluster.kubelab("cluster", "down", check=False)


@pytest.fixture()
def admin(class_cluster: ClassCluster, tmp_path: Path) -> Kubectl:
    return Kubectl(class_cluster.admin_kubeconfig, tmp_path)
