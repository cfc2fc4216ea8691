"""The registry's HTTP API: the parts of the OCI distribution spec that push and pull use.

Served on loopback without authentication, like a ``registry:2`` container that a developer runs
on ``localhost:5000``. Routes (a repository name may contain slashes)::

    GET  /v2/                                  the API exists (the version check clients do)
    HEAD|GET /v2/<name>/blobs/<digest>         a blob
    POST /v2/<name>/blobs/uploads/[?digest=]   start an upload (or finish it at once)
    PATCH /v2/<name>/blobs/uploads/<uuid>      add a chunk
    PUT  /v2/<name>/blobs/uploads/<uuid>?digest=   finish, checking the digest
    GET|DELETE /v2/<name>/blobs/uploads/<uuid> upload progress, or cancel it
    HEAD|GET|PUT /v2/<name>/manifests/<tag|digest>
    GET  /v2/<name>/tags/list                  the tags of a repository
    GET  /v2/_catalog                          the repositories

Failures answer with the spec's error document: ``{"errors": [{"code", "message", "detail"}]}``.
"""

from __future__ import annotations

import json
import re

from aiohttp import web

from kubelab.cluster.registry.storage import RegistryError, RegistryStorage, check_name

STORAGE_KEY = web.AppKey("registry_storage", RegistryStorage)
API_VERSION_HEADER = {"Docker-Distribution-API-Version": "registry/2.0"}

_ROUTES = [
    (re.compile(r"^(?P<name>.+)/tags/list$"), "tags"),
    (re.compile(r"^(?P<name>.+)/manifests/(?P<reference>[^/]+)$"), "manifest"),
    (re.compile(r"^(?P<name>.+)/blobs/uploads/?$"), "uploads"),
    (re.compile(r"^(?P<name>.+)/blobs/uploads/(?P<session>[^/]+)$"), "upload"),
    (re.compile(r"^(?P<name>.+)/blobs/(?P<digest>[^/]+)$"), "blob"),
]


def _error_response(error: RegistryError, method: str) -> web.Response:
    document = {"errors": [{"code": error.code, "message": error.message, "detail": error.detail}]}
    body = b"" if method == "HEAD" else json.dumps(document).encode()
    return web.Response(
        status=error.status, body=body, content_type="application/json", headers=API_VERSION_HEADER
    )


def _unsupported() -> RegistryError:
    return RegistryError(405, "UNSUPPORTED", "The operation is unsupported.")


def _upload_location(name: str, session: str) -> str:
    return f"/v2/{name}/blobs/uploads/{session}"


def _upload_headers(name: str, session: str, size: int) -> dict[str, str]:
    return {
        **API_VERSION_HEADER,
        "Location": _upload_location(name, session),
        "Range": f"0-{max(size - 1, 0)}",
        "Docker-Upload-UUID": session,
    }


def _blob_created(name: str, digest: str) -> web.Response:
    headers = {
        **API_VERSION_HEADER,
        "Location": f"/v2/{name}/blobs/{digest}",
        "Docker-Content-Digest": digest,
    }
    return web.Response(status=201, headers=headers)


def _content_range_start(request: web.Request) -> int | None:
    value = request.headers.get("Content-Range", "")
    match = re.fullmatch(r"(?:bytes[ =])?(\d+)-(\d+)", value.strip())
    if value and match is None:
        raise RegistryError(
            416, "BLOB_UPLOAD_INVALID", "blob upload invalid", f"malformed Content-Range {value!r}"
        )
    return int(match.group(1)) if match else None


async def _tags(request: web.Request, storage: RegistryStorage, name: str) -> web.Response:
    if request.method != "GET":
        raise _unsupported()
    return web.json_response({"name": name, "tags": storage.tags(name)}, headers=API_VERSION_HEADER)


async def _manifest(
    request: web.Request, storage: RegistryStorage, name: str, reference: str
) -> web.Response:
    if request.method == "PUT":
        media_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        digest = storage.put_manifest(name, reference, await request.read(), media_type)
        headers = {
            **API_VERSION_HEADER,
            "Docker-Content-Digest": digest,
            "Location": f"/v2/{name}/manifests/{digest}",
        }
        return web.Response(status=201, headers=headers)
    if request.method not in ("GET", "HEAD"):
        raise _unsupported()
    content, media_type, digest = storage.manifest(name, reference)
    headers = {
        **API_VERSION_HEADER,
        "Docker-Content-Digest": digest,
        "Content-Type": media_type,
        "Content-Length": str(len(content)),
    }
    if request.method == "HEAD":
        return web.Response(status=200, headers=headers)
    return web.Response(status=200, body=content, headers=headers)


async def _blob(
    request: web.Request, storage: RegistryStorage, name: str, digest: str
) -> web.Response:
    if request.method not in ("GET", "HEAD"):
        raise _unsupported()
    check_name(name)
    size = storage.blob_size(digest)
    if size is None:
        raise RegistryError(404, "BLOB_UNKNOWN", "blob unknown to registry", {"digest": digest})
    headers = {
        **API_VERSION_HEADER,
        "Docker-Content-Digest": digest,
        "Content-Type": "application/octet-stream",
        "Content-Length": str(size),
    }
    if request.method == "HEAD":
        return web.Response(status=200, headers=headers)
    return web.Response(status=200, body=storage.read_blob(digest), headers=headers)


async def _start_upload(request: web.Request, storage: RegistryStorage, name: str) -> web.Response:
    if request.method != "POST":
        raise _unsupported()
    check_name(name)
    mounted = request.query.get("mount", "")
    if mounted and storage.blob_size(mounted) is not None:
        return _blob_created(name, mounted)
    session = storage.start_upload()
    digest = request.query.get("digest")
    if digest is not None:
        return _blob_created(name, storage.finish_upload(session, digest, await request.read()))
    return web.Response(status=202, headers=_upload_headers(name, session, 0))


async def _continue_upload(
    request: web.Request, storage: RegistryStorage, name: str, session: str
) -> web.Response:
    check_name(name)
    if request.method == "PATCH":
        size = storage.append_upload(session, await request.read(), _content_range_start(request))
        return web.Response(status=202, headers=_upload_headers(name, session, size))
    if request.method == "PUT":
        digest = request.query.get("digest", "")
        return _blob_created(name, storage.finish_upload(session, digest, await request.read()))
    if request.method == "GET":
        size = storage.upload_size(session)
        return web.Response(status=204, headers=_upload_headers(name, session, size))
    if request.method == "DELETE":
        storage.cancel_upload(session)
        return web.Response(status=204, headers=API_VERSION_HEADER)
    raise _unsupported()


async def handle(request: web.Request) -> web.Response:
    storage = request.app[STORAGE_KEY]
    tail = request.match_info["tail"]
    try:
        if tail == "":
            return web.json_response({}, headers=API_VERSION_HEADER)
        if tail == "_catalog":
            return web.json_response(
                {"repositories": storage.repositories()}, headers=API_VERSION_HEADER
            )
        for pattern, kind in _ROUTES:
            match = pattern.match(tail)
            if match is None:
                continue
            parts = match.groupdict()
            name = parts.pop("name")
            if kind == "tags":
                return await _tags(request, storage, name)
            if kind == "manifest":
                return await _manifest(request, storage, name, parts["reference"])
            if kind == "uploads":
                return await _start_upload(request, storage, name)
            if kind == "upload":
                return await _continue_upload(request, storage, name, parts["session"])
            return await _blob(request, storage, name, parts["digest"])
        raise RegistryError(404, "NAME_UNKNOWN", "repository name not known to registry", tail)
    except RegistryError as error:
        return _error_response(error, request.method)


def add_routes(app: web.Application, storage: RegistryStorage) -> None:
    """Serve the registry API for ``storage`` under ``/v2/`` of ``app``."""
    app[STORAGE_KEY] = storage
    app.router.add_route("*", "/v2/{tail:.*}", handle)


def build_registry_app(storage: RegistryStorage) -> web.Application:
    """A stand-alone application serving only the registry (the cluster's loopback registry)."""
    app = web.Application(client_max_size=1024**3)
    add_routes(app, storage)
    return app
