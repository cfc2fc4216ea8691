"""The registry's storage on disk: content-addressed blobs, manifests by tag, upload sessions.

Layout under the registry's root (inside the cluster's home, so pushed images survive a
restart)::

    blobs/sha256/<hex>                         every blob and manifest, named by its digest
    repositories/<name>/tags/<tag>             the manifest digest a tag points at
    repositories/<name>/manifests/<hex>        the manifest's media type (it exists in <name>)
    uploads/<uuid>                             the bytes of an unfinished blob upload
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from kubelab.cluster.registry.oci import (
    MANIFEST_MEDIA_TYPES,
    blob_path,
    sha256_digest,
    valid_digest,
    write_blob_file,
)

#: The distribution spec's grammar for repository names and tags.
NAME_PATTERN = re.compile(
    r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$"
)
TAG_PATTERN = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")


class RegistryError(Exception):
    """A failure the distribution spec names: ``code`` such as ``BLOB_UNKNOWN``."""

    def __init__(self, status: int, code: str, message: str, detail: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


def blob_unknown(digest: str) -> RegistryError:
    return RegistryError(404, "BLOB_UNKNOWN", "blob unknown to registry", {"digest": digest})


def digest_invalid(detail: str) -> RegistryError:
    return RegistryError(
        400, "DIGEST_INVALID", "provided digest did not match uploaded content", detail
    )


#: The largest blob (a layer) the registry keeps: course images are a few MiB, and one runaway
#: push must not fill the disk of a shared machine (docs/fidelity.md).
MAX_BLOB_BYTES = 512 * 1024 * 1024


def blob_too_large(limit: int) -> RegistryError:
    """The upload is dropped; the client sees 413 with the limit it passed."""
    return RegistryError(
        413, "SIZE_INVALID", "blob upload exceeds the registry's size limit", {"limit": limit}
    )


def check_name(name: str) -> None:
    if not NAME_PATTERN.match(name) or len(name) > 255:
        raise RegistryError(400, "NAME_INVALID", "invalid repository name", {"name": name})


class RegistryStorage:
    """Blobs and manifests of every repository, on disk under ``root``."""

    def __init__(self, root: Path, max_blob_bytes: int | None = None) -> None:
        self.root = root
        self.max_blob_bytes = MAX_BLOB_BYTES if max_blob_bytes is None else max_blob_bytes
        for directory in ("blobs/sha256", "repositories", "uploads"):
            (root / directory).mkdir(parents=True, exist_ok=True)

    # -- blobs -------------------------------------------------------------------------------

    def _blob_path(self, digest: str) -> Path:
        return blob_path(self.root, digest)

    def blob_size(self, digest: str) -> int | None:
        if not valid_digest(digest):
            return None
        path = self._blob_path(digest)
        return path.stat().st_size if path.is_file() else None

    def read_blob(self, digest: str) -> bytes:
        if self.blob_size(digest) is None:
            raise blob_unknown(digest)
        return self._blob_path(digest).read_bytes()

    def write_blob(self, data: bytes) -> str:
        digest = sha256_digest(data)
        write_blob_file(self._blob_path(digest), data)
        return digest

    # -- uploads -----------------------------------------------------------------------------

    def _upload_path(self, session: str) -> Path:
        if not re.fullmatch(r"[a-f0-9-]{36}", session):
            raise RegistryError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
        return self.root / "uploads" / session

    def start_upload(self) -> str:
        session = str(uuid.uuid4())
        self._upload_path(session).write_bytes(b"")
        return session

    def upload_size(self, session: str) -> int:
        path = self._upload_path(session)
        if not path.is_file():
            raise RegistryError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
        return path.stat().st_size

    def append_upload(self, session: str, data: bytes, start: int | None = None) -> int:
        """Add a chunk; ``start`` (from ``Content-Range``) must be where the upload ends now."""
        size = self.upload_size(session)
        if start is not None and start != size:
            raise RegistryError(
                416,
                "BLOB_UPLOAD_INVALID",
                "blob upload invalid",
                f"chunk starts at {start}, upload has {size} bytes",
            )
        if size + len(data) > self.max_blob_bytes:
            self._upload_path(session).unlink()
            raise blob_too_large(self.max_blob_bytes)
        with self._upload_path(session).open("ab") as handle:
            handle.write(data)
        return size + len(data)

    def finish_upload(self, session: str, digest: str, data: bytes = b"") -> str:
        """Complete an upload as blob ``digest``; the content must have that digest."""
        if not valid_digest(digest):
            raise digest_invalid(f"invalid digest {digest!r}")
        self.append_upload(session, data)
        path = self._upload_path(session)
        content = path.read_bytes()
        actual = sha256_digest(content)
        if actual != digest:
            raise digest_invalid(f"uploaded content has digest {actual}")
        path.unlink()
        return self.write_blob(content)

    def cancel_upload(self, session: str) -> None:
        self.upload_size(session)
        self._upload_path(session).unlink()

    # -- manifests and tags ------------------------------------------------------------------

    def _repository(self, name: str) -> Path:
        check_name(name)
        return self.root / "repositories" / name

    def put_manifest(self, name: str, reference: str, data: bytes, media_type: str) -> str:
        """Store a manifest under a tag (or check it against a digest); returns its digest."""
        repository = self._repository(name)
        digest = sha256_digest(data)
        is_digest = ":" in reference
        if is_digest and reference != digest:
            raise digest_invalid(f"manifest has digest {digest}, not {reference}")
        if not is_digest and not TAG_PATTERN.match(reference):
            raise RegistryError(
                400, "TAG_INVALID", "manifest tag did not match URI", {"tag": reference}
            )
        document = self._parse_manifest(data, media_type)
        for descriptor in [document.get("config", {}), *document.get("layers", [])]:
            if self.blob_size(str(descriptor.get("digest", ""))) is None:
                raise RegistryError(
                    400,
                    "MANIFEST_BLOB_UNKNOWN",
                    "blob unknown to registry",
                    {"digest": descriptor.get("digest")},
                )
        self.write_blob(data)
        (repository / "manifests").mkdir(parents=True, exist_ok=True)
        (repository / "manifests" / digest.removeprefix("sha256:")).write_text(
            document.get("mediaType") or media_type
        )
        if not is_digest:
            (repository / "tags").mkdir(exist_ok=True)
            (repository / "tags" / reference).write_text(digest)
        return digest

    @staticmethod
    def _parse_manifest(data: bytes, media_type: str) -> dict[str, object]:
        try:
            document = json.loads(data)
        except ValueError:
            document = None
        declared = document.get("mediaType", media_type) if isinstance(document, dict) else ""
        if (
            not isinstance(document, dict)
            or declared not in MANIFEST_MEDIA_TYPES
            or document.get("schemaVersion") != 2
            or not isinstance(document.get("config"), dict)
            or not isinstance(document.get("layers"), list)
        ):
            raise RegistryError(
                400,
                "MANIFEST_INVALID",
                "manifest invalid",
                "expected an image manifest, schemaVersion 2",
            )
        return document

    def resolve(self, name: str, reference: str) -> str:
        """The digest of manifest ``reference`` (a tag or digest) in repository ``name``."""
        repository = self._repository(name)
        if not repository.is_dir():
            raise RegistryError(
                404, "NAME_UNKNOWN", "repository name not known to registry", {"name": name}
            )
        if ":" in reference:
            if (repository / "manifests" / reference.removeprefix("sha256:")).is_file():
                return reference
        elif TAG_PATTERN.match(reference) and (repository / "tags" / reference).is_file():
            return (repository / "tags" / reference).read_text().strip()
        raise RegistryError(404, "MANIFEST_UNKNOWN", "manifest unknown", {"reference": reference})

    def manifest(self, name: str, reference: str) -> tuple[bytes, str, str]:
        """``(content, media type, digest)`` of a manifest; raises ``RegistryError``."""
        digest = self.resolve(name, reference)
        media_type = self._repository(name) / "manifests" / digest.removeprefix("sha256:")
        return self.read_blob(digest), media_type.read_text(), digest

    def tags(self, name: str) -> list[str]:
        repository = self._repository(name)
        if not repository.is_dir():
            raise RegistryError(
                404, "NAME_UNKNOWN", "repository name not known to registry", {"name": name}
            )
        tags = repository / "tags"
        return sorted(path.name for path in tags.iterdir()) if tags.is_dir() else []

    def repositories(self) -> list[str]:
        base = self.root / "repositories"
        return sorted(
            str(path.parent.relative_to(base)) for path in base.rglob("manifests") if path.is_dir()
        )
