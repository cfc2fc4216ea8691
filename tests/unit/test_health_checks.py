"""Failing health checks answer as kube-apiserver's do: 500, the list, reasons withheld.

The endpoints are served over real HTTP from a bare application with a real SQLite store,
which is then closed (the store stands in for etcd) or told the server is shutting down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from kubelab.cluster.api import health
from kubelab.cluster.store.objects import ObjectStore

TEXT = "text/plain; charset=utf-8"


@pytest.fixture()
async def served() -> AsyncIterator[tuple[TestClient, ObjectStore, web.Application]]:
    store = ObjectStore()
    app = web.Application()
    health.install(app, store)
    async with TestClient(TestServer(app)) as client:
        yield client, store, app


async def test_healthy_answers_carry_plain_text_headers(served):
    client, _, _ = served
    response = await client.get("/readyz")
    assert (response.status, await response.text()) == (200, "ok")
    assert response.headers["Content-Type"] == TEXT
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_broken_store_fails_etcd_everywhere(served):
    client, store, _ = served
    store.close()
    for endpoint in ("readyz", "livez", "healthz"):
        response = await client.get(f"/{endpoint}")
        body = await response.text()
        assert response.status == 500
        assert response.headers["Content-Type"] == TEXT
        assert "[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n" in body
        assert body.endswith(f"{endpoint} check failed\n")
    readyz = await (await client.get("/readyz")).text()
    assert "[-]etcd-readiness failed: reason withheld\n" in readyz


async def test_a_single_failing_check_says_why(served):
    client, store, _ = served
    store.close()
    response = await client.get("/readyz/etcd")
    assert response.status == 500
    assert await response.text() == (
        "internal server error: Cannot operate on a closed database.\n"
    )
    assert (await (await client.get("/readyz/ping")).text()) == "ok"


async def test_excluding_the_failing_check_passes(served):
    client, store, _ = served
    store.close()
    response = await client.get("/livez?exclude=etcd")
    assert (response.status, await response.text()) == (200, "ok")


async def test_shutdown_makes_readyz_fail_but_not_livez(served):
    client, _, app = served
    await app.shutdown()
    readyz = await client.get("/readyz")
    assert readyz.status == 500
    assert (await readyz.text()).endswith(
        "[-]shutdown failed: reason withheld\nreadyz check failed\n"
    )
    assert (await client.get("/livez")).status == 200
    single = await client.get("/readyz/shutdown")
    assert await single.text() == "internal server error: process is shutting down\n"
