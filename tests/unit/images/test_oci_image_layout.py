"""Building the demo app: a valid OCI image layout, reproducible, with Docker's layer cache.

The JSON documents are checked against schemas written from the OCI image spec (media types,
digest syntax, required fields), and every descriptor against the blob it names: the digest is
the SHA-256 of the blob's bytes and the size its length. The config's ``diff_ids`` are the
digests of the uncompressed layers.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from kubelab.cluster.registry import oci
from kubelab.images import build
from kubelab.images.builder import BuildResult

DEMO_APP = Path(__file__).resolve().parents[3] / "kubelab" / "course" / "apps" / "demo-app"
DIGEST = {"type": "string", "pattern": "^sha256:[a-f0-9]{64}$"}


def descriptor_schema(*media_types: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["mediaType", "digest", "size"],
        "properties": {
            "mediaType": {"enum": list(media_types)},
            "digest": DIGEST,
            "size": {"type": "integer", "minimum": 0},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }


INDEX_SCHEMA = {
    "type": "object",
    "required": ["schemaVersion", "manifests"],
    "properties": {
        "schemaVersion": {"const": 2},
        "mediaType": {"const": oci.MEDIA_TYPE_INDEX},
        "manifests": {"type": "array", "items": descriptor_schema(oci.MEDIA_TYPE_MANIFEST)},
    },
}
MANIFEST_SCHEMA = {
    "type": "object",
    "required": ["schemaVersion", "mediaType", "config", "layers"],
    "properties": {
        "schemaVersion": {"const": 2},
        "mediaType": {"const": oci.MEDIA_TYPE_MANIFEST},
        "config": descriptor_schema(oci.MEDIA_TYPE_CONFIG),
        "layers": {
            "type": "array",
            "minItems": 1,
            "items": descriptor_schema(oci.MEDIA_TYPE_LAYER),
        },
    },
}
CONFIG_SCHEMA = {
    "type": "object",
    "required": ["architecture", "os", "rootfs"],
    "properties": {
        "created": {"type": "string", "format": "date-time"},
        "architecture": {"type": "string"},
        "os": {"const": "linux"},
        "config": {
            "type": "object",
            "properties": {
                "User": {"type": "string"},
                "ExposedPorts": {
                    "type": "object",
                    "propertyNames": {"pattern": "^[0-9]+(/(tcp|udp|sctp))?$"},
                },
                "Env": {"type": "array", "items": {"type": "string", "pattern": "^[^=]+="}},
                "Entrypoint": {"type": ["array", "null"], "items": {"type": "string"}},
                "Cmd": {"type": ["array", "null"], "items": {"type": "string"}},
                "WorkingDir": {"type": "string"},
                "Labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "rootfs": {
            "type": "object",
            "required": ["type", "diff_ids"],
            "properties": {
                "type": {"const": "layers"},
                "diff_ids": {"type": "array", "items": DIGEST},
            },
        },
        "history": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "created_by": {"type": "string"},
                    "empty_layer": {"type": "boolean"},
                },
            },
        },
    },
}


def blob(layout: Path, descriptor: dict[str, Any]) -> bytes:
    data = (layout / "blobs" / "sha256" / descriptor["digest"].removeprefix("sha256:")).read_bytes()
    assert "sha256:" + hashlib.sha256(data).hexdigest() == descriptor["digest"]
    assert len(data) == descriptor["size"]
    return data


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo app's source that a test may change."""
    copy = tmp_path_factory.mktemp("context") / "demo-app"
    shutil.copytree(DEMO_APP, copy)
    return copy


@pytest.fixture(scope="module")
def first(context: Path, tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    store = tmp_path_factory.mktemp("store")
    return build(context, "demo-app:dev", store=store, progress=None)


def test_the_layout_follows_the_image_spec(first: BuildResult) -> None:
    layout = first.layout
    assert json.loads((layout / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads((layout / "index.json").read_text())
    jsonschema.validate(index, INDEX_SCHEMA)
    (entry,) = index["manifests"]
    assert entry["annotations"]["io.containerd.image.name"] == "docker.io/library/demo-app:dev"
    assert entry["annotations"]["org.opencontainers.image.ref.name"] == "dev"
    manifest = json.loads(blob(layout, entry))
    jsonschema.validate(manifest, MANIFEST_SCHEMA)
    config = json.loads(blob(layout, manifest["config"]))
    jsonschema.validate(config, CONFIG_SCHEMA, format_checker=jsonschema.FormatChecker())
    layers = [blob(layout, layer) for layer in manifest["layers"]]
    diff_ids = ["sha256:" + hashlib.sha256(gzip.decompress(data)).hexdigest() for data in layers]
    assert config["rootfs"]["diff_ids"] == diff_ids
    made_layers = [entry for entry in config["history"] if not entry.get("empty_layer")]
    assert len(made_layers) == len(layers) == 4  # FROM, WORKDIR, RUN, COPY
    settings = config["config"]
    assert settings["Cmd"] == ["python", "app.py"] and settings["WorkingDir"] == "/app"
    assert settings["ExposedPorts"] == {"8080/tcp": {}} and settings["User"] == "nobody"
    assert "PORT=8080" in settings["Env"] and "APP_VERSION=1.0" in settings["Env"]
    assert settings["Labels"]["org.opencontainers.image.title"] == "kubelab demo-app"


def test_the_top_layer_holds_app_py_and_nothing_else(first: BuildResult, context: Path) -> None:
    top = oci.read_layer(blob(first.layout, first.image.manifest["layers"][-1]))
    assert [(change.path, change.kind) for change in top] == [("/app/app.py", "file")]
    assert top[0].data == (context / "app.py").read_bytes()


def test_same_inputs_same_digest_and_every_step_cached(
    first: BuildResult, context: Path, tmp_path: Path
) -> None:
    again = build(context, "demo-app:dev", store=first.layout, progress=None)
    assert again.digest == first.digest
    assert [step.cached for step in again.steps] == [True] * 4
    elsewhere = build(context, "demo-app:dev", store=tmp_path / "other", progress=None)
    assert elsewhere.digest == first.digest  # no cache at all: still the same image
    assert not any(step.cached for step in elsewhere.steps)


def test_changing_one_file_rebuilds_only_the_last_layer(first: BuildResult, context: Path) -> None:
    lines: list[str] = []
    source = context / "app.py"
    source.write_text(source.read_text().replace("Hello from kubelab!", "Hello, class!"))
    changed = build(context, "demo-app:dev", store=first.layout, progress=lines.append)
    assert changed.digest != first.digest
    assert lines[:4] == [
        "=> CACHED [1/4] FROM python:3.12-alpine",
        "=> CACHED [2/4] WORKDIR /app",
        "=> CACHED [3/4] RUN mkdir -p /config",
        "=> [4/4] COPY app.py ./",
    ]
    old, new = first.image.manifest["layers"], changed.image.manifest["layers"]
    assert old[:3] == new[:3] and old[3] != new[3]
