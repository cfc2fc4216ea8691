"""``kubelab image push``: upload a built image with the OCI distribution protocol.

The steps are those of ``docker push``: check the API (``GET /v2/``), and for the config and
each layer ask whether the registry has the blob already (``HEAD``); if not, open an upload
(``POST``), send the bytes in chunks (``PATCH`` with ``Content-Range``) and close it with the
digest (``PUT ?digest=``), which the registry checks. Last, the manifest is ``PUT`` under the tag.

A name without a registry host (``demo-app:dev``) goes to the teaching cluster's registry, and
the image is then also tagged with the name pods use: ``localhost:5000/demo-app:dev``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from kubelab.cluster.registry.oci import MEDIA_TYPE_MANIFEST
from kubelab.cluster.runtime.images import DEFAULT_REGISTRY, normalize_reference
from kubelab.images.builder import default_store
from kubelab.images.dockerfile import BuildError
from kubelab.images.store import ImageStore, familiar_name, full_name
from kubelab.images.views import short_id

CHUNK_SIZE = 64 * 1024


class PushError(BuildError):
    """The registry refused the push, or could not be reached."""


@dataclass(frozen=True)
class PushResult:
    reference: str  # the name pods use: localhost:5000/demo-app:dev
    digest: str
    uploaded: list[str]  # digests of the blobs sent (the others were there already)


def cluster_registry(home: Path | None = None) -> str:
    """The running teaching cluster's registry host (``localhost:5000``)."""
    from kubelab.cluster.process import kubelab_home

    state_file = (home or kubelab_home()) / "server.json"
    try:
        registry = json.loads(state_file.read_text()).get("registry")
    except (OSError, ValueError):
        registry = None
    if not registry:
        raise PushError(
            "The teaching cluster is not running, so its registry is not either: start it with "
            "kubelab cluster up, or name a registry in the image name (localhost:5000/NAME:TAG). "
            "On minikube, build into the cluster with: minikube image build -t NAME:TAG DIR"
        )
    return str(registry)


class RegistryClient:
    """A small client for the distribution API of one registry (plain HTTP on loopback)."""

    def __init__(self, host: str) -> None:
        self.base = f"http://{host}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(
            urljoin(self.base, path), data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as failure:
            return failure.code, dict(failure.headers), failure.read()
        except OSError as problem:
            raise PushError(f"cannot reach the registry at {self.base}: {problem}") from None

    def expect(self, status: int, wanted: int, body: bytes, what: str) -> None:
        if status == wanted:
            return
        try:
            errors = json.loads(body).get("errors", [])
            detail = "; ".join(f"{e['code']}: {e['message']}" for e in errors)
        except (ValueError, AttributeError, KeyError, TypeError):
            detail = body.decode(errors="replace")[:200]
        raise PushError(f"{what} failed: HTTP {status}: {detail}")

    def ping(self) -> None:
        status, _, body = self.request("GET", "/v2/")
        self.expect(status, 200, body, "checking the registry API (GET /v2/)")

    def has_blob(self, name: str, digest: str) -> bool:
        status, _, _ = self.request("HEAD", f"/v2/{name}/blobs/{digest}")
        return status == 200

    def upload_blob(self, name: str, digest: str, data: bytes) -> None:
        status, headers, body = self.request("POST", f"/v2/{name}/blobs/uploads/")
        self.expect(status, 202, body, f"starting the upload of {digest}")
        location = headers.get("Location", "")
        for start in range(0, len(data), CHUNK_SIZE):
            chunk = data[start : start + CHUNK_SIZE]
            status, headers, body = self.request(
                "PATCH",
                location,
                chunk,
                {
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"{start}-{start + len(chunk) - 1}",
                },
            )
            self.expect(status, 202, body, f"uploading {digest}")
            location = headers.get("Location", location)
        separator = "&" if "?" in location else "?"
        status, _, body = self.request("PUT", f"{location}{separator}digest={digest}", b"")
        self.expect(status, 201, body, f"finishing the upload of {digest}")

    def put_manifest(self, name: str, tag: str, manifest: bytes, media_type: str) -> str:
        status, headers, body = self.request(
            "PUT", f"/v2/{name}/manifests/{tag}", manifest, {"Content-Type": media_type}
        )
        self.expect(status, 201, body, f"uploading the manifest of {name}:{tag}")
        return headers.get("Docker-Content-Digest", "")


def _target(name: str, registry: str | None) -> str:
    """The full reference to push to: the name's own registry, else the cluster's."""
    reference = normalize_reference(full_name(name))
    if reference.registry != DEFAULT_REGISTRY or name.startswith(DEFAULT_REGISTRY):
        return str(reference)
    host = registry or cluster_registry()
    return f"{host}/{familiar_name(reference.name)}:{reference.tag_or_digest}"


def push(
    name: str,
    *,
    registry: str | None = None,
    store: str | Path | None = None,
    progress: Callable[[str], None] | None = print,
) -> PushResult:
    """Push the built image ``name`` (to ``registry``, default the teaching cluster's)."""
    say = progress or (lambda line: None)
    images = ImageStore(Path(store) if store else default_store())
    image = images.find(name)
    target = _target(name, registry)
    reference = normalize_reference(target)
    if reference.registry == DEFAULT_REGISTRY:
        raise PushError(
            f"{familiar_name(target)} names Docker Hub; kubelab pushes only to the teaching "
            "cluster's registry or one you name (localhost:5000/NAME:TAG). Use docker push for "
            "Docker Hub."
        )
    client = RegistryClient(reference.registry)
    say(f"The push refers to repository [{reference.name}]")
    client.ping()
    uploaded = []
    blobs: list[dict[str, Any]] = [*image.manifest["layers"], image.manifest["config"]]
    for blob in blobs:
        digest = blob["digest"]
        if client.has_blob(reference.repository, digest):
            say(f"{short_id(digest)}: Layer already exists")
            continue
        client.upload_blob(reference.repository, digest, images.read_blob(digest))
        uploaded.append(digest)
        say(f"{short_id(digest)}: Pushed")
    manifest = images.read_blob(image.digest)
    media_type = image.manifest.get("mediaType", MEDIA_TYPE_MANIFEST)
    digest = client.put_manifest(
        reference.repository, reference.tag_or_digest, manifest, media_type
    )
    images.tag(target, {"mediaType": media_type, "digest": image.digest, "size": len(manifest)})
    say(f"{reference.tag_or_digest}: digest: {digest} size: {len(manifest)}")
    say(f"Use it in a Pod as: image: {target}")
    return PushResult(target, digest, uploaded)
