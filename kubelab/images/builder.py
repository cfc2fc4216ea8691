"""``kubelab image build``: a Dockerfile turned into an OCI image, without Docker.

The builder walks the Dockerfile as Docker's does. ``FROM`` starts from an image of the teaching
cluster's catalog (its files become the first layer), from an image built here before, or from
``scratch``. ``RUN``, ``COPY``, ``ADD`` and a ``WORKDIR`` that creates its directory each add a
layer: a tar of what the step changed. The other instructions only change the configuration and
appear in the history as empty layers.

The layer cache works like Docker's: every step has a key made from the previous step's key and
the step itself (for ``COPY``, the checksum of the files it copies). While the keys match a
build done before, the stored layer is reused and the step is reported ``CACHED``; from the first
step that differs on, every step runs again. Nothing depends on the clock, so the same inputs
give the same image digest.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import posixpath
import tarfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubelab.cluster.registry import oci
from kubelab.cluster.runtime.images import Image, InvalidImageName
from kubelab.cluster.runtime.library import default_catalog
from kubelab.images.context import BuildContext
from kubelab.images.dockerfile import BuildError, Instruction, expand, key_values, parse
from kubelab.images.run import run_step
from kubelab.images.store import ImageStore, StoredImage, canonical_json, full_name

#: The time written into a built image (Docker's ``SOURCE_DATE_EPOCH`` idea): fixed, so a
#: rebuild of the same inputs has the same digest.
CREATED = datetime.fromtimestamp(oci.LAYER_MTIME, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
HISTORY_COMMENT = "buildkit.dockerfile.v0"
LAYER_STEPS = ("FROM", "RUN", "COPY", "ADD", "WORKDIR")
ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class StepReport:
    number: int
    total: int
    text: str
    cached: bool
    layer: str | None  # the digest of the layer the step made, if any

    def line(self) -> str:
        return f"=> {'CACHED ' if self.cached else ''}[{self.number}/{self.total}] {self.text}"


@dataclass(frozen=True)
class BuildResult:
    names: list[str]
    image: StoredImage
    steps: list[StepReport]
    layout: Path

    @property
    def digest(self) -> str:
        return self.image.digest

    @property
    def cached_steps(self) -> list[StepReport]:
        return [step for step in self.steps if step.cached]


@dataclass
class _State:
    """The image as built so far."""

    tree: oci.Tree = field(default_factory=dict)
    layers: list[dict[str, Any]] = field(default_factory=list)
    diff_ids: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)
    base_name: str = ""
    key: str = ""

    def runtime_image(self) -> Image:
        """The image so far as the simulated runtime runs it (for ``RUN``)."""
        return Image(
            "build",
            0,
            dict(self.tree),
            env=dict(self.env),
            working_dir=self.config.get("WorkingDir") or "/",
            user=self.config.get("User", ""),
        )


def _chain(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _history(created_by: str, empty: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "created": CREATED,
        "created_by": created_by,
        "comment": HISTORY_COMMENT,
    }
    if empty:
        entry["empty_layer"] = True
    return entry


class Builder:
    """One build: the Dockerfile's instructions applied in order to the image built so far."""

    def __init__(
        self,
        store: ImageStore,
        context: BuildContext,
        dockerfile: str,
        build_args: Mapping[str, str],
        progress: Callable[[str], None],
        filename: str,
    ) -> None:
        self.store = store
        self.context = context
        self.instructions = parse(dockerfile, filename)
        self.build_args = dict(build_args)
        self.progress = progress
        self.filename = filename
        self.catalog = default_catalog()
        self.state = _State()
        self.cache_valid = True
        self.steps: list[StepReport] = []
        self.total = sum(1 for i in self.instructions if i.keyword in LAYER_STEPS)

    # -- running the steps -------------------------------------------------------------------

    def build(self) -> tuple[dict[str, Any], list[StepReport]]:
        global_args: dict[str, str] = {}
        for instruction in self.instructions:
            where = f"{self.filename}:{instruction.line}"
            if instruction.keyword == "ARG" and not self.state.key:
                for name, value in self._arg_pairs(instruction, global_args):
                    global_args[name] = self.build_args.get(name, value)
                continue
            if instruction.keyword == "FROM":
                self._from(expand(instruction.arguments, global_args).split()[0], where)
                continue
            getattr(self, "_" + instruction.keyword.lower())(instruction, where)
        return self._finish(), self.steps

    def _variables(self) -> dict[str, str]:
        return {**self.state.args, **self.state.env}

    def _report(self, text: str, cached: bool, layer: str | None) -> None:
        number = len(self.steps) + 1
        report = StepReport(number, self.total, text, cached, layer)
        self.steps.append(report)
        self.progress(report.line())

    def _add_layer(self, changes: list[oci.Change], text: str, created_by: str, key: str) -> None:
        """Make (or reuse from the cache) the layer for ``changes`` and stack it."""
        cached = self.store.cached(key) if self.cache_valid else None
        if cached is None:
            self.cache_valid = False
            tar = oci.layer_tar(changes)
            layer = self.store.write_blob(oci.MEDIA_TYPE_LAYER, oci.compress(tar))
            cached = {"layer": layer, "diff_id": oci.sha256_digest(tar)}
            self.store.remember(key, cached)
        self._report(text, cached is not None and self.cache_valid, cached["layer"]["digest"])
        self.state.layers.append(cached["layer"])
        self.state.diff_ids.append(cached["diff_id"])
        self.state.history.append(_history(created_by, False))
        self.state.tree = oci.apply_layer(self.state.tree, changes)
        self.state.key = key

    def _metadata(self, created_by: str, *parts: str) -> None:
        self.state.history.append(_history(created_by, True))
        self.state.key = _chain(self.state.key, created_by, *parts)

    # -- FROM --------------------------------------------------------------------------------

    def _from(self, name: str, where: str) -> None:
        text = f"FROM {name}"
        if name == "scratch":
            self.state = _State(key=_chain("scratch"), base_name="scratch")
            self._report(text, True, None)
            return
        local = self._local_image(name)
        if local is not None:
            self._from_local(local, text)
            return
        try:
            image = self.catalog.resolve(name)
        except InvalidImageName as problem:
            raise BuildError(f"{where}: {problem}") from None
        if image is None:
            known = ", ".join(self.catalog.repository_names())
            raise BuildError(
                f'{where}: FROM {name}: "{name}" is not an image the teaching cluster has, so the '
                f"kubelab builder cannot start from it. Use a base image of its catalog ({known}) "
                "or scratch, or build this Dockerfile with Docker or minikube (minikube image "
                "build), which can pull any image."
            )
        tree = oci.explicit_tree(image.file_tree)
        key = _chain("from", image.digest)
        self.state = _State(base_name=image.reference)
        self.state.env = dict(image.env)
        self.state.config = {
            "Cmd": list(image.cmd) or None,
            "Entrypoint": list(image.entrypoint) or None,
            "WorkingDir": "" if image.working_dir == "/" else image.working_dir,
            "User": image.user,
            "ExposedPorts": {f"{port}/tcp": {} for port in image.exposed_ports} or None,
            "StopSignal": "" if image.stop_signal == "SIGTERM" else image.stop_signal,
        }
        changes = oci.tree_changes({}, tree)
        self.cache_valid = True
        self._add_layer(changes, text, f"kubelab catalog image {image.reference}", key)
        self.state.history[-1].pop("comment")

    def _local_image(self, name: str) -> StoredImage | None:
        try:
            wanted = full_name(name)
        except BuildError:
            return None
        return next((image for image in self.store.images() if image.name == wanted), None)

    def _from_local(self, image: StoredImage, text: str) -> None:
        config = image.config.get("config", {})
        self.state = _State(base_name=image.name, key=_chain("local", image.digest))
        for layer in image.manifest["layers"]:
            changes = oci.read_layer(self.store.read_blob(layer["digest"]))
            self.state.tree = oci.apply_layer(self.state.tree, changes)
        self.state.layers = list(image.manifest["layers"])
        self.state.diff_ids = list(image.config["rootfs"]["diff_ids"])
        self.state.history = list(image.config.get("history", []))
        self.state.env = dict(item.partition("=")[::2] for item in config.get("Env") or [])
        self.state.config = {k: v for k, v in config.items() if k not in ("Env", "Labels")}
        self.state.config["Labels"] = dict(config.get("Labels") or {}) or None
        self._report(text, True, None)

    # -- instructions that add layers ----------------------------------------------------------

    def _run(self, instruction: Instruction, where: str) -> None:
        argv = instruction.exec_form() or ["/bin/sh", "-c", instruction.arguments]
        shown = f"RUN {instruction.arguments}"
        env = {**self.state.args, **self.state.env}
        key = _chain(
            self.state.key,
            "RUN",
            json.dumps(argv),
            json.dumps(env, sort_keys=True),
            json.dumps(self.state.config, sort_keys=True),
        )
        created_by = f"RUN {' '.join(argv)} # buildkit"
        cached = self.store.cached(key) if self.cache_valid else None
        if cached is not None:
            changes = oci.read_layer(self.store.read_blob(cached["layer"]["digest"]))
        else:
            if "/bin/sh" not in self.state.tree and instruction.exec_form() is None:
                raise BuildError(
                    f"{where}: {shown}: the image has no /bin/sh to run it with "
                    '(use the exec form, RUN ["program", "arg"])'
                )
            changes = run_step(
                self.state.runtime_image(), self.state.tree, argv, env, where, shown
            ).changes
        self._add_layer(changes, shown, created_by, key)

    def _copy(self, instruction: Instruction, where: str) -> None:
        words = expand(instruction.arguments, self._variables())
        parts = instruction.exec_form() or words.split()
        if len(parts) < 2:
            raise BuildError(f"{where}: {instruction.keyword} requires at least two arguments")
        *sources, destination = parts
        workdir = self.state.config.get("WorkingDir") or "/"
        target = posixpath.normpath(posixpath.join(workdir, destination))
        selected: list[tuple[str, str]] = []
        as_directory = (
            destination.endswith("/") or len(sources) > 1 or target + "/" in (self.state.tree)
        )
        for source in sources:
            found, many = self.context.select(source, where)
            selected += found
            as_directory = as_directory or many
        files: dict[str, bytes] = {}
        for path, below in selected:
            data = self.context.read(path)
            if instruction.keyword == "ADD" and path.endswith((".tar", ".tar.gz", ".tgz")):
                files.update(_archive_files(data, target))
                continue
            files[posixpath.join(target, below) if as_directory else target] = data
        for path in list(files):
            parent = posixpath.dirname(path)
            while parent != "/" and parent + "/" not in self.state.tree:
                files.setdefault(parent + "/", b"")
                parent = posixpath.dirname(parent)
        changes = oci.tree_changes({}, files)
        checksum = self.context.checksum([path for path, _ in selected])
        shown = f"{instruction.keyword} {' '.join([*instruction.flags, words])}".replace("  ", " ")
        key = _chain(self.state.key, instruction.keyword, json.dumps(sorted(files)), checksum)
        self._add_layer(changes, shown, f"{shown} # buildkit", key)

    _add = _copy

    def _workdir(self, instruction: Instruction, where: str) -> None:
        path = expand(instruction.arguments, self._variables())
        full = posixpath.normpath(posixpath.join(self.state.config.get("WorkingDir") or "/", path))
        self.state.config["WorkingDir"] = full
        missing = []
        parent = full
        while parent != "/" and parent + "/" not in self.state.tree:
            missing.append(parent + "/")
            parent = posixpath.dirname(parent)
        text = f"WORKDIR {full}"
        if missing:
            key = _chain(self.state.key, text)
            self._add_layer(oci.tree_changes({}, dict.fromkeys(missing, b"")), text, text, key)
        else:
            self._report(text, self.cache_valid, None)
            self._metadata(text)

    # -- instructions that only change the configuration ---------------------------------------

    @staticmethod
    def _arg_pairs(instruction: Instruction, known: Mapping[str, str]) -> list[tuple[str, str]]:
        """``ARG NAME[=default]``: each name with its default (expanded), or its known value."""
        pairs = []
        for word in instruction.arguments.split():
            name, _, default = word.partition("=")
            pairs.append((name, expand(default, known) if default else known.get(name, "")))
        return pairs

    def _arg(self, instruction: Instruction, where: str) -> None:
        for name, value in self._arg_pairs(instruction, self._variables()):
            self.state.args[name] = self.build_args.get(name, value)
        self._metadata(f"ARG {instruction.arguments}", json.dumps(self.state.args, sort_keys=True))

    def _env(self, instruction: Instruction, where: str) -> None:
        pairs = key_values(instruction.arguments, where)
        for name, value in pairs:
            self.state.env[name] = expand(value, self._variables())
        self._metadata("ENV " + " ".join(f"{n}={self.state.env[n]}" for n, _ in pairs))

    def _label(self, instruction: Instruction, where: str) -> None:
        labels = dict(self.state.config.get("Labels") or {})
        pairs = key_values(instruction.arguments, where)
        labels.update((n, expand(v, self._variables())) for n, v in pairs)
        self.state.config["Labels"] = labels
        self._metadata("LABEL " + " ".join(f"{n}={labels[n]}" for n, _ in pairs))

    def _user(self, instruction: Instruction, where: str) -> None:
        self.state.config["User"] = expand(instruction.arguments, self._variables())
        self._metadata(f"USER {self.state.config['User']}")

    def _expose(self, instruction: Instruction, where: str) -> None:
        ports = dict(self.state.config.get("ExposedPorts") or {})
        for word in expand(instruction.arguments, self._variables()).split():
            number, _, protocol = word.partition("/")
            if not number.isdigit() or protocol not in ("", "tcp", "udp", "sctp"):
                raise BuildError(f"{where}: invalid containerPort: {word}")
            ports[f"{number}/{protocol or 'tcp'}"] = {}
        self.state.config["ExposedPorts"] = ports
        shown = " ".join(f"{port}:{{}}" for port in sorted(ports))
        self._metadata(f"EXPOSE map[{shown}]")

    def _command(self, instruction: Instruction) -> list[str]:
        exec_form = instruction.exec_form()
        if exec_form is not None:
            return exec_form
        return ["/bin/sh", "-c", instruction.arguments] if instruction.arguments else []

    def _cmd(self, instruction: Instruction, where: str) -> None:
        self.state.config["Cmd"] = self._command(instruction) or None
        self._metadata(f"CMD {json.dumps(self.state.config['Cmd'])}")

    def _entrypoint(self, instruction: Instruction, where: str) -> None:
        self.state.config["Entrypoint"] = self._command(instruction) or None
        self.state.config["Cmd"] = None  # an ENTRYPOINT resets the CMD of the base image
        self._metadata(f"ENTRYPOINT {json.dumps(self.state.config['Entrypoint'])}")

    def _stopsignal(self, instruction: Instruction, where: str) -> None:
        self.state.config["StopSignal"] = expand(instruction.arguments, self._variables())
        self._metadata(f"STOPSIGNAL {self.state.config['StopSignal']}")

    def _volume(self, instruction: Instruction, where: str) -> None:
        volumes = dict(self.state.config.get("Volumes") or {})
        paths = instruction.exec_form() or expand(instruction.arguments, self._variables()).split()
        volumes.update((path, {}) for path in paths)
        self.state.config["Volumes"] = volumes
        self._metadata(f"VOLUME {json.dumps(paths)}")

    # -- the result --------------------------------------------------------------------------

    def _finish(self) -> dict[str, Any]:
        state = self.state
        config = {key: value for key, value in state.config.items() if value}
        if state.env:
            config["Env"] = [f"{name}={value}" for name, value in state.env.items()]
        document = {
            "created": CREATED,
            "architecture": ARCHITECTURES.get(platform.machine().lower(), "amd64"),
            "os": "linux",
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": state.diff_ids},
            "history": state.history,
        }
        config_descriptor = self.store.write_blob(oci.MEDIA_TYPE_CONFIG, canonical_json(document))
        manifest = {
            "schemaVersion": 2,
            "mediaType": oci.MEDIA_TYPE_MANIFEST,
            "config": config_descriptor,
            "layers": state.layers,
            "annotations": {"org.opencontainers.image.base.name": state.base_name},
        }
        return self.store.write_blob(oci.MEDIA_TYPE_MANIFEST, canonical_json(manifest))


def _archive_files(data: bytes, target: str) -> dict[str, bytes]:
    """The files of a local tar archive that ``ADD`` unpacks into ``target``."""
    files = {}
    root = target.rstrip("/") or "/"
    with tarfile.open(fileobj=io.BytesIO(oci.decompress(data)), mode="r:") as archive:
        for member in archive:
            # As Docker unpacks: an absolute entry lands under the target, one that climbs out
            # of it with ".." is refused (links are not unpacked at all).
            relative = posixpath.normpath(member.name).lstrip("/")
            name = posixpath.normpath(posixpath.join(root, relative))
            if name != root and not name.startswith(root.rstrip("/") + "/"):
                raise BuildError(f'"{member.name}" is outside of "{target}"')
            if member.isdir():
                files[name.rstrip("/") + "/"] = b""
            elif member.isfile() and (handle := archive.extractfile(member)) is not None:
                files[name] = handle.read()
    return files


def default_store() -> Path:
    from kubelab.cluster.process import kubelab_home

    return kubelab_home() / "images"


def build(
    context: str | Path,
    tags: str | list[str] | None = None,
    *,
    dockerfile: str | Path | None = None,
    build_args: Mapping[str, str] | None = None,
    store: str | Path | None = None,
    progress: Callable[[str], None] | None = print,
) -> BuildResult:
    """Build the Dockerfile in ``context`` (or ``dockerfile``) and tag the image ``tags``.

    The image goes into the OCI layout ``store`` (default ``$KUBELAB_HOME/images``). Raises
    ``BuildError`` with a message that says what is wrong and what to do.
    """
    names = [tags] if isinstance(tags, str) else list(tags or [])
    for name in names:
        full_name(name)
    context_dir = Path(context)
    build_context = BuildContext(context_dir)
    file = Path(dockerfile) if dockerfile else context_dir / "Dockerfile"
    if not file.is_file():
        raise BuildError(f"failed to read dockerfile: open {file}: no such file or directory")
    image_store = ImageStore(Path(store) if store else default_store())
    builder = Builder(
        image_store,
        build_context,
        file.read_text(),
        build_args or {},
        progress or (lambda line: None),
        file.name,
    )
    manifest, steps = builder.build()
    for name in names:
        image_store.tag(name, manifest)
    document = json.loads(image_store.read_blob(manifest["digest"]))
    config = json.loads(image_store.read_blob(document["config"]["digest"]))
    image = StoredImage(full_name(names[0]) if names else "", manifest["digest"], document, config)
    if progress is not None:
        progress(f"=> writing image {image.image_id}")
        for name in names:
            progress(f"=> naming to {full_name(name)} (manifest {manifest['digest']})")
    return BuildResult([full_name(name) for name in names], image, steps, image_store.root)
