"""The registry refuses a layer larger than its limit, however it is pushed, and keeps nothing
of it; what fits goes through."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from kubelab.cluster.registry.api import build_registry_app
from kubelab.cluster.registry.storage import RegistryStorage

LIMIT = 4096


@pytest.fixture()
async def registry(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    server = TestServer(build_registry_app(RegistryStorage(tmp_path, max_blob_bytes=LIMIT)))
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), tmp_path
    finally:
        await server.close()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


async def refused(reply: aiohttp.ClientResponse) -> None:
    assert reply.status == 413
    document = await reply.json()
    assert document["errors"][0]["code"] == "SIZE_INVALID"
    assert document["errors"][0]["detail"] == {"limit": LIMIT}


async def test_a_chunked_layer_past_the_limit_is_refused(registry: tuple[str, Path]) -> None:
    base, root = registry
    async with aiohttp.ClientSession() as session:
        started = await session.post(f"{base}/v2/app/blobs/uploads/")
        assert started.status == 202
        location = base + started.headers["Location"]
        first = await session.patch(location, data=b"a" * 3000)
        assert first.status == 202
        second = await session.patch(
            location, data=b"b" * 3000, headers={"Content-Range": "3000-5999"}
        )
        await refused(second)
        gone = await session.get(location)
        assert gone.status == 404
    assert list((root / "uploads").iterdir()) == []


async def test_a_monolithic_layer_past_the_limit_is_refused(registry: tuple[str, Path]) -> None:
    base, root = registry
    layer = b"x" * (LIMIT + 1)
    async with aiohttp.ClientSession() as session:
        reply = await session.post(
            f"{base}/v2/app/blobs/uploads/?digest={digest(layer)}", data=layer
        )
        await refused(reply)
        head = await session.head(f"{base}/v2/app/blobs/{digest(layer)}")
        assert head.status == 404
    assert list((root / "blobs" / "sha256").iterdir()) == []


async def test_a_layer_within_the_limit_is_kept(registry: tuple[str, Path]) -> None:
    base, _ = registry
    layer = b"y" * LIMIT
    async with aiohttp.ClientSession() as session:
        reply = await session.post(
            f"{base}/v2/app/blobs/uploads/?digest={digest(layer)}", data=layer
        )
        assert reply.status == 201
        fetched = await session.get(f"{base}/v2/app/blobs/{digest(layer)}")
        assert await fetched.read() == layer
