"""Fixtures for the library's unit tests: a private home, and kubeconfigs written to order."""

from __future__ import annotations

import importlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

#: The module, not the function ``kubelab.connect`` that shares its name.
CONNECT_MODULE = importlib.import_module("kubelab.connect")


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A home directory with no kubeconfig and no teaching cluster, whatever the machine has."""
    user_home = tmp_path / "home"
    user_home.mkdir()
    monkeypatch.setenv("HOME", str(user_home))
    monkeypatch.setenv("KUBELAB_HOME", str(user_home / ".kubelab"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBELAB_CONTEXT", raising=False)
    monkeypatch.setattr(CONNECT_MODULE, "_current", None)
    yield user_home


@pytest.fixture()
def closed_port() -> int:
    """A local port nothing listens on, so connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _write_kubeconfig(
    path: Path,
    servers: dict[str, str],
    current: str | None = None,
    minikube: tuple[str, ...] = (),
    namespaces: dict[str, str] | None = None,
) -> Path:
    """A kubeconfig with one context (and cluster of the same name) per entry of ``servers``.

    Contexts named in ``minikube`` carry the extension minikube writes.
    """
    contexts = []
    for name in servers:
        context: dict = {"cluster": name, "user": "learner"}
        if name in minikube:
            context["extensions"] = [
                {"name": "context_info", "extension": {"provider": "minikube.sigs.k8s.io"}}
            ]
        if namespaces and name in namespaces:
            context["namespace"] = namespaces[name]
        contexts.append({"name": name, "context": context})
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": name, "cluster": {"server": server, "insecure-skip-tls-verify": True}}
            for name, server in servers.items()
        ],
        "users": [{"name": "learner", "user": {"token": "not-a-real-token"}}],
        "contexts": contexts,
        "current-context": current or "",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture()
def write_kubeconfig() -> object:
    """``write_kubeconfig(path, {context: server}, current=..., minikube=(...))``."""
    return _write_kubeconfig
