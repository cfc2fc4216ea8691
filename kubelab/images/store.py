"""Where built images live: an OCI image layout, plus the build cache beside it.

The layout is the one the OCI image spec defines, so other tools can read it (``skopeo copy
oci:DIR:TAG ...``, ``crane``): an ``oci-layout`` file, ``index.json`` listing one manifest per
tagged image, and every manifest, config and layer under ``blobs/sha256/`` named by its digest.
Each entry of the index carries the image's full name (``io.containerd.image.name``) and its tag
(``org.opencontainers.image.ref.name``), as ``docker save`` and BuildKit's OCI exporter write.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubelab.cluster.registry.oci import (
    MEDIA_TYPE_INDEX,
    MEDIA_TYPE_MANIFEST,
    blob_path,
    sha256_digest,
    valid_digest,
    write_blob_file,
)
from kubelab.cluster.runtime.images import InvalidImageName, normalize_reference
from kubelab.images.dockerfile import BuildError

LAYOUT_VERSION = {"imageLayoutVersion": "1.0.0"}
NAME_ANNOTATION = "io.containerd.image.name"
REF_ANNOTATION = "org.opencontainers.image.ref.name"


def descriptor(media_type: str, data: bytes) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": sha256_digest(data), "size": len(data)}


def canonical_json(document: Any) -> bytes:
    """JSON with sorted keys and no spaces: equal documents, equal bytes, equal digests."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def full_name(name: str) -> str:
    """``demo-app:dev`` as Docker expands it: ``docker.io/library/demo-app:dev``."""
    try:
        return str(normalize_reference(name))
    except InvalidImageName as problem:
        raise BuildError(f"invalid tag {name!r}: {problem.reason}") from None


def familiar_name(name: str) -> str:
    """The short form Docker shows: ``docker.io/library/demo-app:dev`` -> ``demo-app:dev``."""
    return name.removeprefix("docker.io/").removeprefix("library/")


@dataclass(frozen=True)
class StoredImage:
    name: str  # full: docker.io/library/demo-app:dev
    digest: str  # of the manifest
    manifest: dict[str, Any]
    config: dict[str, Any]

    @property
    def size(self) -> int:
        return sum(int(layer["size"]) for layer in self.manifest["layers"]) + int(
            self.manifest["config"]["size"]
        )

    @property
    def image_id(self) -> str:
        """What ``docker images`` calls IMAGE ID: the config's digest."""
        return str(self.manifest["config"]["digest"])


class ImageStore:
    """An OCI image layout directory (created on first use) and the build cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "cache").mkdir(exist_ok=True)
        layout = root / "oci-layout"
        if not layout.exists():
            layout.write_bytes(canonical_json(LAYOUT_VERSION))
        if not (root / "index.json").exists():
            self._write_index([])

    # -- blobs -------------------------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        if not valid_digest(digest):
            raise BuildError(f"invalid digest {digest!r}")
        return blob_path(self.root, digest)

    def write_blob(self, media_type: str, data: bytes) -> dict[str, Any]:
        found = descriptor(media_type, data)
        write_blob_file(self.blob_path(found["digest"]), data)
        return found

    def read_blob(self, digest: str) -> bytes:
        return self.blob_path(digest).read_bytes()

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    # -- the index ---------------------------------------------------------------------------

    def _index(self) -> dict[str, Any]:
        return json.loads((self.root / "index.json").read_text())

    def _write_index(self, manifests: list[dict[str, Any]]) -> None:
        index = {"schemaVersion": 2, "mediaType": MEDIA_TYPE_INDEX, "manifests": manifests}
        partial = self.root / "index.json.partial"
        partial.write_text(json.dumps(index, indent=2) + "\n")
        os.replace(partial, self.root / "index.json")

    def tag(self, name: str, manifest: dict[str, Any]) -> None:
        """Point ``name`` at a manifest descriptor, replacing what it named before."""
        name = full_name(name)
        entries = [
            entry
            for entry in self._index()["manifests"]
            if entry.get("annotations", {}).get(NAME_ANNOTATION) != name
        ]
        tag = normalize_reference(name).tag_or_digest
        annotations = {NAME_ANNOTATION: name, REF_ANNOTATION: tag}
        entries.append({**manifest, "annotations": annotations})
        entries.sort(key=lambda entry: entry["annotations"][NAME_ANNOTATION])
        self._write_index(entries)

    def images(self) -> list[StoredImage]:
        found = []
        for entry in self._index()["manifests"]:
            if entry.get("mediaType") != MEDIA_TYPE_MANIFEST:
                continue
            manifest = json.loads(self.read_blob(entry["digest"]))
            config = json.loads(self.read_blob(manifest["config"]["digest"]))
            name = entry.get("annotations", {}).get(NAME_ANNOTATION, entry["digest"])
            found.append(StoredImage(name, entry["digest"], manifest, config))
        return found

    def find(self, name: str) -> StoredImage:
        """An image by name (``demo-app:dev``), manifest digest or image id (a prefix will do)."""
        images = self.images()
        wanted = name.removeprefix("sha256:")
        if len(wanted) >= 4 and all(c in "0123456789abcdef" for c in wanted):
            matches = [
                image
                for image in images
                if image.digest.removeprefix("sha256:").startswith(wanted)
                or image.image_id.removeprefix("sha256:").startswith(wanted)
            ]
            if matches:
                return matches[0]
        full = full_name(name)
        for image in images:
            if image.name == full:
                return image
        raise BuildError(
            f"No such image: {name} (build it first: kubelab image build -t {name} DIR)"
        )

    # -- the build cache ---------------------------------------------------------------------

    def cached(self, key: str) -> dict[str, Any] | None:
        path = self.root / "cache" / key
        if not path.is_file():
            return None
        entry = json.loads(path.read_text())
        return entry if self.has_blob(entry["layer"]["digest"]) else None

    def remember(self, key: str, entry: dict[str, Any]) -> None:
        (self.root / "cache" / key).write_text(json.dumps(entry))
