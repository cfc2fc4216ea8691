"""Writing the kubeconfig through which kubectl, helm and the Python client reach the cluster."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml

CONTEXT_NAME = "kubelab"


def kubeconfig_document(
    server: str,
    ca_pem: bytes,
    token: str,
    user: str = "kubelab-admin",
    namespace: str | None = None,
) -> dict:
    context: dict = {"cluster": CONTEXT_NAME, "user": user}
    if namespace:
        context["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {
                "name": CONTEXT_NAME,
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                },
            }
        ],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": CONTEXT_NAME, "context": context}],
        "current-context": CONTEXT_NAME,
    }


def write_kubeconfig(path: Path, document: dict) -> None:
    """Write a kubeconfig readable only by its owner (it holds a bearer token)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump(document, handle, sort_keys=False)
    path.chmod(0o600)
