"""What ``kubelab image ls|inspect|history|layers|diff`` show: an image as layers of files.

``diff`` is the lesson on the union filesystem. Each layer lists what it adds (``A``), changes
(``C``: the path exists in a lower layer) and deletes (``D``: a whiteout, which hides the lower
file without removing it, so the image does not get smaller). ``diff --merged`` shows the view a
container gets: every path, and the layer it comes from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kubelab.cluster.registry import oci
from kubelab.images.store import ImageStore, StoredImage, familiar_name


def human_size(size: float) -> str:
    """Sizes as Docker prints them: ``1.2kB``, ``45.3MB`` (powers of 1000)."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.3g}{unit}" if unit != "B" else f"{int(size)}B"
        size /= 1000
    return f"{size}GB"


def short_id(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def list_table(store: ImageStore) -> str:
    rows = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]]
    for image in store.images():
        repository, _, tag = familiar_name(image.name).rpartition(":")
        rows.append(
            [
                repository,
                tag,
                short_id(image.image_id),
                image.config.get("created", ""),
                human_size(image.size),
            ]
        )
    return table(rows)


def inspect_document(image: StoredImage) -> dict[str, Any]:
    """The facts ``docker image inspect`` gives, under the same names."""
    config = image.config.get("config", {})
    return {
        "Id": image.image_id,
        "RepoTags": [familiar_name(image.name)],
        "ManifestDigest": image.digest,
        "Created": image.config.get("created"),
        "Architecture": image.config.get("architecture"),
        "Os": image.config.get("os"),
        "Size": image.size,
        "Config": {
            "User": config.get("User", ""),
            "Env": config.get("Env", []),
            "Entrypoint": config.get("Entrypoint"),
            "Cmd": config.get("Cmd"),
            "WorkingDir": config.get("WorkingDir", ""),
            "ExposedPorts": config.get("ExposedPorts", {}),
            "Labels": config.get("Labels", {}),
            "StopSignal": config.get("StopSignal", ""),
            "Volumes": config.get("Volumes"),
        },
        "RootFS": {"Type": "layers", "Layers": image.config["rootfs"]["diff_ids"]},
    }


def inspect_text(image: StoredImage) -> str:
    return json.dumps([inspect_document(image)], indent=4)


@dataclass(frozen=True)
class LayerView:
    index: int
    digest: str
    size: int  # compressed, as stored
    created_by: str
    changes: list[tuple[str, str]]  # ("A"|"C"|"D", path)

    @property
    def content_size(self) -> int:
        return sum(len(data) for data in self._files.values())

    _files: dict[str, bytes]


def layer_views(store: ImageStore, image: StoredImage) -> list[LayerView]:
    """Each layer with the history entry that made it and the changes it records."""
    steps = [entry for entry in image.config.get("history", []) if not entry.get("empty_layer")]
    views = []
    tree: oci.Tree = {}
    for index, layer in enumerate(image.manifest["layers"]):
        changes = oci.read_layer(store.read_blob(layer["digest"]))
        marked = []
        for change in changes:
            if change.kind in ("whiteout", "opaque"):
                marked.append(("D", change.path))
            elif change.kind == "file" or change.path not in tree:
                marked.append(("C" if change.path in tree else "A", change.path))
        files = {c.path: c.data for c in changes if c.kind == "file"}
        created_by = steps[index].get("created_by", "") if index < len(steps) else ""
        views.append(
            LayerView(index + 1, layer["digest"], int(layer["size"]), created_by, marked, files)
        )
        tree = oci.apply_layer(tree, changes)
    return views


def history_table(store: ImageStore, image: StoredImage) -> str:
    """Like ``docker history``: newest step first, with the size each layer adds."""
    views = iter(layer_views(store, image))
    rows = []
    for entry in image.config.get("history", []):
        size = 0 if entry.get("empty_layer") else next(views).content_size
        rows.append(
            [
                entry.get("created", ""),
                entry.get("created_by", ""),
                human_size(size),
                entry.get("comment", ""),
            ]
        )
    return table([["CREATED", "CREATED BY", "SIZE", "COMMENT"], *reversed(rows)])


def layers_table(store: ImageStore, image: StoredImage) -> str:
    rows = [["LAYER", "DIGEST", "COMPRESSED", "FILES", "CREATED BY"]]
    for view in layer_views(store, image):
        rows.append(
            [
                str(view.index),
                short_id(view.digest),
                human_size(view.size),
                str(len(view.changes)),
                view.created_by[:70],
            ]
        )
    return table(rows)


def diff_text(store: ImageStore, image: StoredImage, *, include_base: bool = False) -> str:
    """What each layer adds, changes and deletes (the base layer only when asked for)."""
    lines = []
    for view in layer_views(store, image):
        if view.index == 1 and not include_base and len(image.manifest["layers"]) > 1:
            lines.append(
                f"layer 1 {short_id(view.digest)}  {view.created_by}  "
                f"({len(view.changes)} paths; --all lists them)"
            )
            continue
        lines.append(f"layer {view.index} {short_id(view.digest)}  {view.created_by}")
        for mark, path in view.changes:
            note = "  (whiteout: hidden, still stored in the layer below)" if mark == "D" else ""
            lines.append(f"  {mark} {path}{note}")
    return "\n".join(lines)


def merged_text(store: ImageStore, image: StoredImage, prefix: str = "/") -> str:
    """The union of the layers as a container sees it, each path with its top layer."""
    origin: dict[str, int] = {}
    tree: oci.Tree = {}
    for index, layer in enumerate(image.manifest["layers"], start=1):
        changes = oci.read_layer(store.read_blob(layer["digest"]))
        tree = oci.apply_layer(tree, changes)
        origin.update((change.path, index) for change in changes if change.kind in ("file", "dir"))
    lines = []
    for path in sorted(tree):
        if path.startswith(prefix) or path.rstrip("/") == prefix.rstrip("/"):
            size = "" if path.endswith("/") else str(len(tree[path]))
            lines.append(f"{origin.get(path, 0):>3}  {size:>8}  {path}")
    return "LAYER      SIZE  PATH\n" + "\n".join(lines)
