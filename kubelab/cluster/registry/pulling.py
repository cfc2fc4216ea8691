"""What a node pulls from the cluster's registry: a pushed OCI image turned into a runtime image.

The runtime needs the root filesystem and the configuration (entrypoint, command, environment,
working directory, user, ports). The filesystem is the layers stacked in order, whiteouts
applied; it is only unpacked when a container first needs it, and then kept per manifest digest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from kubelab.cluster.registry.oci import Tree, apply_layer, read_layer
from kubelab.cluster.registry.storage import RegistryError, RegistryStorage
from kubelab.cluster.runtime.images import Image, ImageReference


def _created(config: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(config.get("created", "")).replace("Z", "+00:00"))
    except ValueError:
        return datetime(2000, 1, 1, tzinfo=UTC)


def _ports(exposed: Iterable[str]) -> tuple[int, ...]:
    return tuple(int(port.split("/")[0]) for port in exposed if port.split("/")[0].isdigit())


def root_filesystem(storage: RegistryStorage, layers: list[dict[str, Any]]) -> Tree:
    tree: Tree = {}
    for layer in layers:
        tree = apply_layer(tree, read_layer(storage.read_blob(str(layer["digest"]))))
    return tree


class RegistryImages:
    """Looks up pushed images by reference for the image catalog."""

    def __init__(self, storage: RegistryStorage) -> None:
        self.storage = storage
        self._images: dict[str, Image] = {}

    def lookup(self, reference: ImageReference) -> Image | None:
        try:
            content, _, digest = self.storage.manifest(
                reference.repository, reference.tag_or_digest
            )
        except RegistryError:
            return None
        cached = self._images.get(digest)
        if cached is not None and cached.reference == str(reference):
            return cached
        manifest = json.loads(content)
        document = json.loads(self.storage.read_blob(manifest["config"]["digest"]))
        config = document.get("config") or {}
        layers = manifest.get("layers", [])
        env = dict(item.partition("=")[::2] for item in config.get("Env") or [])
        image = Image(
            str(reference),
            sum(int(layer.get("size", 0)) for layer in layers),
            lambda: root_filesystem(self.storage, layers),
            entrypoint=tuple(config.get("Entrypoint") or ()),
            cmd=tuple(config.get("Cmd") or ()),
            env=env,
            working_dir=config.get("WorkingDir") or "/",
            exposed_ports=_ports(config.get("ExposedPorts") or {}),
            user=config.get("User") or "",
            stop_signal=config.get("StopSignal") or "SIGTERM",
            created=_created(document),
            manifest_digest=digest,
        )
        self._images[digest] = image
        return image
