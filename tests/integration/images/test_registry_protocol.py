"""The teaching cluster's registry speaks the OCI distribution API, over real HTTP.

Each test talks to the registry of the session's cluster as a registry client would, and checks
status codes, headers and the spec's error documents.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.cluster.registry.oci import MEDIA_TYPE_CONFIG, MEDIA_TYPE_LAYER, MEDIA_TYPE_MANIFEST


class Reply:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def errors(self) -> list[str]:
        return [error["code"] for error in json.loads(self.body)["errors"]]


@pytest.fixture()
def call(cluster: EmbeddedCluster) -> Any:
    base = cluster.cluster.registry.url

    def request(method: str, path: str, body: bytes | None = None, **headers: str) -> Reply:
        url = path if path.startswith("http") else base + path
        sent = urllib.request.Request(
            url,
            data=body,
            method=method,
            headers={k.replace("_", "-"): v for k, v in headers.items()},
        )
        try:
            with urllib.request.urlopen(sent, timeout=10) as reply:
                return Reply(reply.status, reply.headers, reply.read())
        except urllib.error.HTTPError as failure:
            return Reply(failure.code, failure.headers, failure.read())

    return request


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture()
def repository() -> str:
    return f"course/t{uuid.uuid4().hex[:8]}"


def test_version_check(call: Any) -> None:
    reply = call("GET", "/v2/")
    assert (reply.status, json.loads(reply.body)) == (200, {})
    assert reply.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_monolithic_and_chunked_uploads(call: Any, repository: str) -> None:
    data = b"layer bytes " * 1000
    digest = digest_of(data)
    assert call("HEAD", f"/v2/{repository}/blobs/{digest}").status == 404
    started = call("POST", f"/v2/{repository}/blobs/uploads/")
    assert started.status == 202 and started.headers["Range"] == "0-0"
    location = started.headers["Location"]
    assert location.startswith(f"/v2/{repository}/blobs/uploads/")
    first = call("PATCH", location, data[:5000], Content_Range="0-4999")
    assert (first.status, first.headers["Range"]) == (202, "0-4999")
    overlap = call("PATCH", location, data[:10], Content_Range="0-9")
    assert overlap.status == 416 and overlap.errors() == ["BLOB_UPLOAD_INVALID"]
    assert call("PATCH", location, data[5000:], Content_Range=f"5000-{len(data) - 1}").status == 202
    wrong = call("PUT", f"{location}?digest={digest_of(b'other')}")
    assert wrong.status == 400 and wrong.errors() == ["DIGEST_INVALID"]
    done = call("POST", f"/v2/{repository}/blobs/uploads/?digest={digest}", data)
    assert (done.status, done.headers["Docker-Content-Digest"]) == (201, digest)
    head = call("HEAD", f"/v2/{repository}/blobs/{digest}")
    assert (head.status, head.headers["Content-Length"]) == (200, str(len(data)))
    assert call("GET", f"/v2/{repository}/blobs/{digest}").body == data


def test_manifests_by_tag_and_digest_and_tag_list(call: Any, repository: str) -> None:
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    layer = b"\x1f\x8b not really a layer, the registry does not look inside"
    for blob in (config, layer):
        assert (
            call("POST", f"/v2/{repository}/blobs/uploads/?digest={digest_of(blob)}", blob).status
            == 201
        )
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_MANIFEST,
            "config": {
                "mediaType": MEDIA_TYPE_CONFIG,
                "digest": digest_of(config),
                "size": len(config),
            },
            "layers": [
                {"mediaType": MEDIA_TYPE_LAYER, "digest": digest_of(layer), "size": len(layer)}
            ],
        }
    ).encode()
    put = call("PUT", f"/v2/{repository}/manifests/v1", manifest, Content_Type=MEDIA_TYPE_MANIFEST)
    assert (put.status, put.headers["Docker-Content-Digest"]) == (201, digest_of(manifest))
    by_tag = call("GET", f"/v2/{repository}/manifests/v1")
    assert (by_tag.body, by_tag.headers["Content-Type"]) == (manifest, MEDIA_TYPE_MANIFEST)
    by_digest = call("HEAD", f"/v2/{repository}/manifests/{digest_of(manifest)}")
    assert by_digest.status == 200 and by_digest.headers["Content-Length"] == str(len(manifest))
    unknown = call("GET", f"/v2/{repository}/manifests/v2")
    assert unknown.status == 404 and unknown.errors() == ["MANIFEST_UNKNOWN"]
    tags = call("GET", f"/v2/{repository}/tags/list")
    assert json.loads(tags.body) == {"name": repository, "tags": ["v1"]}


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/v2/{repo}/manifests/missing", 404, "NAME_UNKNOWN"),
        ("GET", "/v2/{repo}/tags/list", 404, "NAME_UNKNOWN"),
        ("GET", "/v2/{repo}/blobs/sha256:" + "0" * 64, 404, "BLOB_UNKNOWN"),
        ("GET", "/v2/Bad_Name/tags/list", 400, "NAME_INVALID"),
        ("PATCH", "/v2/{repo}/blobs/uploads/" + str(uuid.UUID(int=1)), 404, "BLOB_UPLOAD_UNKNOWN"),
        ("PUT", "/v2/{repo}/manifests/v1", 400, "MANIFEST_INVALID"),
    ],
)
def test_errors_use_the_spec_codes(
    call: Any, repository: str, method: str, path: str, status: int, code: str
) -> None:
    reply = call(method, path.format(repo=repository), b"{}" if method != "GET" else None)
    assert reply.status == status
    assert reply.errors() == [code]


def test_unknown_manifest_and_unknown_blob_in_a_manifest(call: Any, repository: str) -> None:
    config = b"{}"
    call("POST", f"/v2/{repository}/blobs/uploads/?digest={digest_of(config)}", config)
    missing = "sha256:" + "1" * 64
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_MANIFEST,
            "config": {"mediaType": MEDIA_TYPE_CONFIG, "digest": digest_of(config), "size": 2},
            "layers": [{"mediaType": MEDIA_TYPE_LAYER, "digest": missing, "size": 1}],
        }
    ).encode()
    reply = call(
        "PUT", f"/v2/{repository}/manifests/v1", manifest, Content_Type=MEDIA_TYPE_MANIFEST
    )
    assert reply.status == 400 and reply.errors() == ["MANIFEST_BLOB_UNKNOWN"]
    assert json.loads(reply.body)["errors"][0]["detail"] == {"digest": missing}
