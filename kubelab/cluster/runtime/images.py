"""Container images: names, contents, and the registry the teaching cluster pulls from.

An image name such as ``nginx`` is shorthand. Docker's rules expand it: no registry means Docker
Hub (``docker.io``), a single-word repository there lives under ``library/``, and no tag means
``latest`` — so ``nginx`` is ``docker.io/library/nginx:latest``. A digest (``@sha256:…``) names
one exact image content and wins over a tag.

``ImageCatalog`` plays the registries. ``resolve`` answers what a pull would get, and
``pull_error`` words the failure the way containerd does, which the kubelet reports as
``ErrImagePull``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import NamedTuple

from kubelab.cluster.runtime.volumes import MemoryVolume, Volume, as_bytes

DEFAULT_REGISTRY = "docker.io"
LEGACY_DEFAULT_REGISTRY = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
MAX_NAME_LENGTH = 255

# The reference grammar of the distribution project, built up from its named parts.
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[(?:[a-fA-F0-9:]+)\])(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
REFERENCE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$")
IDENTIFIER = re.compile(r"^[a-f0-9]{64}$")


class InvalidImageName(ValueError):
    """An image reference that cannot be parsed: the kubelet reports ``InvalidImageName``."""

    def __init__(self, image: str, reason: str) -> None:
        super().__init__(f'couldn\'t parse image reference "{image}": {reason}')
        self.image = image
        self.reason = reason

    @property
    def kubelet_message(self) -> str:
        """The waiting message and event text the kubelet shows."""
        return f'Failed to apply default image tag "{self.image}": {self}'


class ImageReference(NamedTuple):
    registry: str
    repository: str
    #: A tag ("1.27") or a digest ("sha256:…"); a digest contains a colon, a tag cannot.
    tag_or_digest: str

    @property
    def is_digest(self) -> bool:
        return ":" in self.tag_or_digest

    @property
    def name(self) -> str:
        """The repository with its registry: ``docker.io/library/nginx``."""
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        separator = "@" if self.is_digest else ":"
        return f"{self.name}{separator}{self.tag_or_digest}"


def _split_registry(name: str) -> tuple[str, str]:
    first, slash, rest = name.partition("/")
    if not slash:
        return DEFAULT_REGISTRY, OFFICIAL_PREFIX + name
    if first == "localhost" or any(c in first for c in ".:") or first.lower() != first:
        registry, repository = first, rest
    else:
        registry, repository = DEFAULT_REGISTRY, name
    if registry == LEGACY_DEFAULT_REGISTRY:
        registry = DEFAULT_REGISTRY
    if registry == DEFAULT_REGISTRY and "/" not in repository:
        repository = OFFICIAL_PREFIX + repository
    return registry, repository


def normalize_reference(image: str) -> ImageReference:
    """Apply Docker's naming rules; raises ``InvalidImageName`` for a malformed reference."""
    if IDENTIFIER.match(image):
        raise InvalidImageName(
            image, f"invalid repository name ({image}), cannot specify 64-byte hexadecimal strings"
        )
    registry, remainder = _split_registry(image)
    repository_part = remainder.split("@")[0].split(":")[0]
    if repository_part.lower() != repository_part:
        raise InvalidImageName(
            image,
            f"invalid reference format: repository name ({repository_part}) must be lowercase",
        )
    full = f"{registry}/{remainder}"
    match = REFERENCE.match(full)
    if match is None:
        if not image:
            raise InvalidImageName(image, "repository name must have at least one component")
        if REFERENCE.match(full.lower()):
            raise InvalidImageName(image, "repository name must be lowercase")
        raise InvalidImageName(image, "invalid reference format")
    name, tag, digest = match.groups()
    if len(name) - len(registry) - 1 > MAX_NAME_LENGTH:
        raise InvalidImageName(image, "repository name must not be more than 255 characters")
    if digest:
        algorithm, _, hex_digits = digest.partition(":")
        if algorithm != "sha256":
            raise InvalidImageName(image, "unsupported digest algorithm")
        if len(hex_digits) != 64:
            raise InvalidImageName(image, "invalid checksum digest length")
        return ImageReference(registry, name[len(registry) + 1 :], digest)
    return ImageReference(registry, name[len(registry) + 1 :], tag or DEFAULT_TAG)


FileTree = Mapping[str, bytes | str]


@dataclass(frozen=True, eq=False)
class Image:
    """One image: its configuration (what to run, as whom, where) and its files.

    ``files`` maps absolute paths to contents; a path ending in ``/`` is an empty directory.
    It may also be a function returning that mapping, built only when first needed.
    """

    reference: str
    size: int
    files: FileTree | Callable[[], FileTree] = field(default_factory=dict)
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    working_dir: str = "/"
    exposed_ports: tuple[int, ...] = ()
    user: str = ""
    #: The signal the runtime sends to stop a container (the Dockerfile's ``STOPSIGNAL``).
    stop_signal: str = "SIGTERM"
    created: datetime = datetime(2024, 11, 12, 0, 0, tzinfo=UTC)
    #: For an image pulled from a registry: the digest of its OCI manifest.
    manifest_digest: str = ""

    @cached_property
    def file_tree(self) -> FileTree:
        return self.files() if callable(self.files) else self.files

    @cached_property
    def digest(self) -> str:
        """``sha256:…`` of the configuration and every file, so equal content, equal digest.

        An image from a registry is named by its manifest's digest, as containerd names it.
        """
        if self.manifest_digest:
            return self.manifest_digest
        config = {
            "entrypoint": self.entrypoint, "cmd": self.cmd, "env": dict(self.env),
            "workdir": self.working_dir, "ports": self.exposed_ports, "user": self.user,
            "stop": self.stop_signal, "created": self.created.isoformat(),
        }  # fmt: skip
        digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
        for path in sorted(self.file_tree):
            digest.update(path.encode() + b"\0" + as_bytes(self.file_tree[path]) + b"\0")
        return "sha256:" + digest.hexdigest()

    @cached_property
    def root(self) -> Volume:
        """The image's files as a read-only tree, shared by every container of this image."""
        return MemoryVolume.from_files(self.file_tree, self.created, read_only=True)


@dataclass(frozen=True)
class PullError:
    """Why a pull failed, worded as containerd words it."""

    reference: str
    grpc_code: str  # "NotFound" or "Unknown"
    message: str

    @property
    def rpc_message(self) -> str:
        """The message as it travels over the CRI (what older kubelets print)."""
        return f"rpc error: code = {self.grpc_code} desc = {self.message}"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ImageRepository:
    """A repository whose tags are produced on demand: ``build(tag)`` is None for an unknown tag."""

    name: str  # with registry: "docker.io/library/nginx"
    build: Callable[[str], Image | None]
    tags: Callable[[], Iterable[str]]


RegistryLookup = Callable[[ImageReference], "Image | None"]


class ImageCatalog:
    """The registries: built-in repositories, images added directly, and real registries.

    A real registry (the teaching cluster's own, on loopback) is consulted on every pull, so an
    image pushed again under the same tag is what the next pull gets.
    """

    def __init__(self, repositories: Iterable[ImageRepository] = ()) -> None:
        self._repositories = {repository.name: repository for repository in repositories}
        self._pushed: dict[str, Image] = {}
        self._built: dict[str, Image] = {}
        self._registries: dict[str, RegistryLookup] = {}

    def add_registry(self, host: str, lookup: RegistryLookup) -> None:
        """Pull every image named ``host/...`` (``localhost:5000/app:1``) through ``lookup``."""
        self._registries[host] = lookup

    def add(self, image: Image) -> Image:
        """Make a (pushed) image pullable under its reference; returns it."""
        reference = normalize_reference(image.reference)
        self._pushed[str(reference)] = image
        return image

    def add_repository(self, repository: ImageRepository) -> None:
        self._repositories[repository.name] = repository

    def repository_names(self) -> list[str]:
        """The built-in repositories, as a learner would name them (``nginx``, ``kubelab/...``)."""
        names = (name.removeprefix(f"{DEFAULT_REGISTRY}/") for name in self._repositories)
        return sorted(name.removeprefix(OFFICIAL_PREFIX) for name in names)

    def _has_repository(self, reference: ImageReference) -> bool:
        return reference.name in self._repositories or any(
            normalize_reference(key).name == reference.name for key in self._pushed
        )

    def resolve(self, image: str) -> Image | None:
        """The image a pull of ``image`` gets, or None if the registry has no such image.

        Raises ``InvalidImageName`` when ``image`` is not a valid reference at all.
        """
        reference = normalize_reference(image)
        key = str(reference)
        if reference.registry in self._registries:
            return self._registries[reference.registry](reference)
        if key in self._pushed:
            return self._pushed[key]
        if reference.is_digest:
            return self._by_digest(reference)
        if key not in self._built:
            repository = self._repositories.get(reference.name)
            built = repository.build(reference.tag_or_digest) if repository else None
            if built is None:
                return None
            self._built[key] = built
        return self._built[key]

    def _by_digest(self, reference: ImageReference) -> Image | None:
        for image in self._pushed.values():
            if image.digest == reference.tag_or_digest:
                return image
        repository = self._repositories.get(reference.name)
        for tag in repository.tags() if repository else ():
            found = self.resolve(f"{reference.name}:{tag}")
            if found is not None and found.digest == reference.tag_or_digest:
                return found
        return None

    def pull_error(self, image: str) -> PullError:
        """The error a failed pull of ``image`` reports (call when ``resolve`` gave None)."""
        reference = str(normalize_reference(image))
        prefix = (
            f'failed to pull and unpack image "{reference}": '
            f'failed to resolve reference "{reference}": '
        )
        parsed = normalize_reference(image)
        if parsed.registry in self._registries or self._has_repository(parsed):
            return PullError(reference, "NotFound", f"{prefix}{reference}: not found")
        host, _, port = parsed.registry.partition(":")
        if host in ("localhost", "127.0.0.1") and port:
            # Nothing listens there (a registry of an earlier start, on another port).
            url = (
                f"http://{parsed.registry}/v2/{parsed.repository}/manifests/{parsed.tag_or_digest}"
            )
            return PullError(
                reference,
                "Unknown",
                f'{prefix}failed to do request: Head "{url}": '
                f"dial tcp 127.0.0.1:{port}: connect: connection refused",
            )
        return PullError(
            reference,
            "Unknown",
            f"{prefix}pull access denied, repository does not exist or may require "
            "authorization: server message: insufficient_scope: authorization failed",
        )
