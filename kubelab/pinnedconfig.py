"""A kubeconfig that holds one context of the learner's kubeconfig, as its current context.

kopf, scripts that use the official client and kubectl without ``--context`` all take the
kubeconfig's current context. When the course was told to use another one (``KUBELAB_CONTEXT``),
the programs it starts get this file instead: the chosen context with its cluster and user,
taken from the first file that defines each (the rule kubectl merges by), and with the paths of
certificates and keys made absolute so the copy works from anywhere. The learner's own files
are never written.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import yaml

#: Fields that name files, relative to the kubeconfig that holds them.
PATH_FIELDS = ("certificate-authority", "client-certificate", "client-key", "tokenFile")


def write(value: str, context: str, directory: Path) -> Path:
    """Write the one-context kubeconfig for ``context`` of the ``KUBECONFIG``-style list
    ``value`` into ``directory`` (readable by the owner only, as it may hold credentials)."""
    found: dict[str, dict[str, dict[str, Any]]] = {"clusters": {}, "users": {}, "contexts": {}}
    for path in filter(None, value.split(os.pathsep)):
        source = Path(path).expanduser()
        document = _read(source)
        for section, entries in found.items():
            for entry in document.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") not in entries:
                    entries[str(entry.get("name"))] = _absolute_paths(entry, source.parent)
    chosen = found["contexts"][context]
    body = chosen.get("context") or {}
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": _only(found["clusters"], body.get("cluster")),
        "users": _only(found["users"], body.get("user")),
        "contexts": [chosen],
        "current-context": context,
    }
    text = yaml.safe_dump(document, sort_keys=False)
    digest = hashlib.sha256(f"{value}\0{context}".encode()).hexdigest()[:16]
    target = directory / f"{digest}.yaml"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not target.is_file() or target.read_text() != text:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
    return target


def _read(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        return {}
    return document if isinstance(document, dict) else {}


def _only(entries: dict[str, dict[str, Any]], name: Any) -> list[dict[str, Any]]:
    return [entries[name]] if name in entries else []


def _absolute_paths(entry: dict[str, Any], base: Path) -> dict[str, Any]:
    """The entry with the file fields of its cluster or user made absolute against ``base``."""
    copied = dict(entry)
    for key in ("cluster", "user"):
        body = entry.get(key)
        if isinstance(body, dict):
            copied[key] = {
                field: str(base / value)
                if field in PATH_FIELDS and isinstance(value, str) and value
                else value
                for field, value in body.items()
            }
    return copied
