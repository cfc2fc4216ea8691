"""The installed helm, driven against a fast teaching cluster and its chart repository.

The cluster is the lesson scenarios' fast one (twenty times real speed), so rollouts, probe
periods and helm's ``--timeout`` play out in seconds. helm keeps its configuration, cache and
data in the test's own directories and never touches the user's.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubelab import tools
from kubelab.cluster import charts
from kubelab.cluster.embedded import EmbeddedCluster
from tests.conftest import InstalledCommand, Kubectl
from tests.integration.scenarios.conftest import fast_cluster, k, ns

__all__ = ["Helm", "fast_cluster", "k", "ns", "release_record"]

HELM = tools.helm_path()


class Helm(InstalledCommand):
    """Runs the installed helm against one cluster, with private helm directories."""

    def __init__(self, cluster: EmbeddedCluster, home: Path) -> None:
        assert HELM is not None, "helm is not installed: run python -m kubelab.tools"
        self.cluster = cluster
        env = {
            **os.environ,
            "KUBECONFIG": str(cluster.kubeconfig),
            "HOME": str(home),
            "HELM_CACHE_HOME": str(home / "helm-cache"),
            "HELM_CONFIG_HOME": str(home / "helm-config"),
            "HELM_DATA_HOME": str(home / "helm-data"),
        }
        super().__init__(HELM, env, timeout=120)

    @property
    def ca_file(self) -> Path:
        return self.cluster.cluster.home / "pki" / "ca.crt"

    @property
    def repository_url(self) -> str:
        return charts.repository_url(self.cluster.url)

    def add_course_repository(self) -> None:
        """``helm repo add kubelab ...``, as ``kubelab cluster charts`` tells a learner to."""
        command = charts.helm_repo_add_command(self.cluster.url, self.ca_file)
        self.run(*command[1:])


@pytest.fixture()
def helm(fast_cluster: EmbeddedCluster, tmp_path: Path) -> Helm:
    return Helm(fast_cluster, tmp_path)


@pytest.fixture()
def repo_helm(helm: Helm) -> Helm:
    """helm with the teaching cluster's chart repository added as ``kubelab``."""
    helm.add_course_repository()
    return helm


@dataclass
class ReleaseRecord:
    """One release Secret and the release it stores, decoded."""

    secret: dict[str, Any]
    release: dict[str, Any]


def release_record(k: Kubectl, namespace: str, name: str, revision: int) -> ReleaseRecord:
    """Read ``sh.helm.release.v1.NAME.vN`` and decode its payload as helm stores it: the
    Secret's ``release`` key holds base64 of the gzipped release JSON (so base64 twice)."""
    secret = k.json("get", "secret", "-n", namespace, f"sh.helm.release.v1.{name}.v{revision}")
    payload = base64.b64decode(base64.b64decode(secret["data"]["release"]))
    return ReleaseRecord(secret, json.loads(gzip.decompress(payload)))
