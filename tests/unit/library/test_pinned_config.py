"""The one-context kubeconfig given to programs that cannot be told which context to use."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

from kubelab import pinnedconfig


def kubeconfig(path: Path, current: str, clusters: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": current,
        "clusters": [
            {"name": n, "cluster": {"server": s, "certificate-authority": "pki/ca.crt"}}
            for n, s in clusters.items()
        ],
        "users": [{"name": "me", "user": {"client-key": "keys/me.key", "token": "t"}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "me"}} for n in clusters],
    }
    path.write_text(yaml.safe_dump(document))
    return path


def test_holds_the_chosen_context_alone_with_absolute_file_paths(tmp_path):
    source = kubeconfig(tmp_path / "cfg" / "config", "a", {"a": "https://a", "b": "https://b"})
    written = pinnedconfig.write(str(source), "b", tmp_path / "pins")
    document = yaml.safe_load(written.read_text())
    assert document["current-context"] == "b"
    assert [c["name"] for c in document["contexts"]] == ["b"]
    assert document["clusters"] == [
        {
            "name": "b",
            "cluster": {
                "server": "https://b",
                "certificate-authority": f"{source.parent}/pki/ca.crt",
            },
        }
    ]
    assert document["users"][0]["user"] == {
        "client-key": f"{source.parent}/keys/me.key",
        "token": "t",
    }
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


def test_the_first_file_that_defines_a_name_wins(tmp_path):
    first = kubeconfig(tmp_path / "one" / "config", "x", {"x": "https://first"})
    second = kubeconfig(tmp_path / "two" / "config", "x", {"x": "https://second", "y": "https://y"})
    written = pinnedconfig.write(f"{first}{os.pathsep}{second}", "x", tmp_path / "pins")
    assert (
        yaml.safe_load(written.read_text())["clusters"][0]["cluster"]["server"] == "https://first"
    )
