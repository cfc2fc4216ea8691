"""Fixtures for the library on the teaching cluster: connected as a learner's notebook is.

The connection is made by :func:`kubelab.connect` itself, from ``KUBELAB_HOME`` pointing at
the session's teaching cluster, with a private ``HOME`` so no kubeconfig of the machine and no
kubectl cache from elsewhere can interfere.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelab import steps
from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.connect import Connection, connect, current

#: The module, not the function ``kubelab.connect`` that shares its name.
CONNECT_MODULE = importlib.import_module("kubelab.connect")


@pytest.fixture()
def learner_env(cluster: EmbeddedCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment of a learner whose only cluster is the session's teaching cluster."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KUBELAB_HOME", str(cluster.kubeconfig.parent))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBELAB_CONTEXT", raising=False)
    monkeypatch.setattr(CONNECT_MODULE, "_current", None)
    return home


@pytest.fixture()
def lesson(learner_env: Path, kubectl) -> Iterator[Connection]:
    """Connected to the teaching cluster and working in a fresh namespace of its own."""
    connect(quiet=True)
    name = f"lib-{uuid.uuid4().hex[:8]}"
    steps.lesson_namespace(name)
    yield current()
    kubectl.run("delete", "namespace", name, "--wait=false", check=False)
