"""The real kubectl reads the discovery and OpenAPI documents the way it reads a real cluster's.

A small aiohttp app on 127.0.0.1 serves only ``/version``, discovery (aggregated or legacy),
the OpenAPI documents and a minimal object store (enough for ``apply`` to create and then
patch), so these tests exercise exactly the two document modules.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from kubelab.cluster.api import discovery
from kubelab.cluster.api.openapi import OpenAPIDocuments
from kubelab.cluster.resources.base import ResourceStrategy
from kubelab.cluster.resources.registry import Registry
from kubelab.cluster.version import version_info
from kubelab.tools import kubectl_path
from tests.fake_strategies import (
    Binding,
    Deployment,
    HorizontalPodAutoscalerV1,
    HorizontalPodAutoscalerV2,
    Namespace,
)

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


class Pod(ResourceStrategy):
    kind = "Pod"
    plural = "pods"
    short_names = ("po",)
    categories = ("all",)
    subresources = ("status", "log", "exec", "eviction", "binding")


class Widget(ResourceStrategy):
    group = "example.kubelab.dev"
    kind = "Widget"
    plural = "widgets"
    short_names = ("wd",)
    supports_strategic_merge_patch = False

    def openapi_schema(self) -> dict[str, Any]:
        return {
            "description": "A widget of some size.",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {
                    "$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
                },
                "spec": {
                    "description": "What the widget should be like.",
                    "properties": {
                        "size": {"description": "How big the widget is.", "type": "integer"},
                    },
                    "required": ["size"],
                    "type": "object",
                },
            },
            "type": "object",
        }


def make_registry() -> Registry:
    return Registry(
        [
            Namespace(),
            Pod(),
            Binding(),
            Deployment(),
            HorizontalPodAutoscalerV2(),
            HorizontalPodAutoscalerV1(),
            Widget(),
        ]
    )


@dataclass
class DocumentServer:
    """Serves the documents of one registry and records what kubectl asked for."""

    registry: Registry
    aggregated: bool
    requests: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.openapi = OpenAPIDocuments(self.registry)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/version", self._version)
        app.router.add_get("/api", self._api)
        app.router.add_get("/apis", self._apis)
        app.router.add_get("/openapi/v3", self._openapi_index)
        app.router.add_get("/openapi/v3/{path:.+}", self._openapi_document)
        app.router.add_get("/openapi/v2", self._openapi_v2)
        app.router.add_get("/apis/{group}", self._group)
        app.router.add_get("/api/{version}", self._core_resources)
        app.router.add_get("/apis/{group}/{version}", self._group_resources)
        app.router.add_route("*", "/{tail:.+}", self._objects)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(
            (
                request.method,
                request.path,
                request.query_string,
                request.headers.get("Accept", ""),
                request.headers.get("Content-Type", ""),
            )
        )
        return await handler(request)

    def _wants_aggregated(self, request: web.Request) -> bool:
        return self.aggregated and "as=APIGroupDiscoveryList" in request.headers.get("Accept", "")

    @staticmethod
    def _json(body: Any, content_type: str = "application/json", status: int = 200) -> web.Response:
        return web.Response(
            body=json.dumps(body).encode(), status=status, headers={"Content-Type": content_type}
        )

    async def _version(self, request: web.Request) -> web.Response:
        return self._json(version_info())

    async def _api(self, request: web.Request) -> web.Response:
        if self._wants_aggregated(request):
            return self._json(discovery.aggregated_discovery(self.registry, core=True), AGGREGATED)
        return self._json(discovery.api_versions(request.host))

    async def _apis(self, request: web.Request) -> web.Response:
        if self._wants_aggregated(request):
            return self._json(discovery.aggregated_discovery(self.registry, core=False), AGGREGATED)
        return self._json(discovery.api_group_list(self.registry))

    async def _group(self, request: web.Request) -> web.Response:
        return self._found(discovery.api_group(self.registry, request.match_info["group"]))

    async def _core_resources(self, request: web.Request) -> web.Response:
        version = request.match_info["version"]
        return self._found(discovery.api_resource_list(self.registry, "", version))

    async def _group_resources(self, request: web.Request) -> web.Response:
        group, version = request.match_info["group"], request.match_info["version"]
        return self._found(discovery.api_resource_list(self.registry, group, version))

    async def _openapi_index(self, request: web.Request) -> web.Response:
        return self._json(self.openapi.index())

    async def _openapi_document(self, request: web.Request) -> web.Response:
        parts = request.match_info["path"].split("/")
        group, version = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2])
        body = self.openapi.document_bytes(group, version)
        if body is None:
            return self._not_found()
        return web.Response(body=body, content_type="application/json")

    async def _openapi_v2(self, request: web.Request) -> web.Response:
        return web.Response(body=self.openapi.v2_bytes(), content_type="application/json")

    def _found(self, body: dict | None) -> web.Response:
        return self._json(body) if body is not None else self._not_found()

    def _not_found(self, name: str = "") -> web.Response:
        status = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": f'"{name}" not found'
            if name
            else "the server could not find the requested resource",
            "reason": "NotFound",
            "code": 404,
        }
        return self._json(status, status=404)

    async def _objects(self, request: web.Request) -> web.Response:
        """Just enough of an object store for ``kubectl apply`` to create, then patch."""
        path = request.path
        if request.method == "POST":
            obj = await request.json()
            obj["metadata"].setdefault("namespace", "default")
            obj["metadata"]["uid"] = "00000000-0000-0000-0000-000000000001"
            obj["metadata"]["resourceVersion"] = "1"
            self.objects[f"{path}/{obj['metadata']['name']}"] = obj
            return self._json(obj, status=201)
        if path not in self.objects:
            return self._not_found(path.rsplit("/", 1)[-1])
        return self._json(self.objects[path])


@dataclass
class Kubectl:
    kubeconfig: Path
    cache_dir: Path
    home: Path

    async def run(self, *args: str, stdin: str | None = None) -> str:
        process = await asyncio.create_subprocess_exec(
            str(kubectl_path()),
            "--kubeconfig",
            str(self.kubeconfig),
            "--cache-dir",
            str(self.cache_dir),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "HOME": str(self.home)},
        )
        out, err = await asyncio.wait_for(
            process.communicate(stdin.encode() if stdin else None), timeout=60
        )
        assert process.returncode == 0, f"kubectl {' '.join(args)}: {err.decode()}"
        return out.decode()


@dataclass
class Fixture:
    server: DocumentServer
    kubectl: Kubectl


@pytest.fixture(params=[True, False], ids=["aggregated", "legacy"])
async def served(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Fixture]:
    documents = DocumentServer(make_registry(), aggregated=request.param)
    server = TestServer(documents.app(), host="127.0.0.1")
    await server.start_server()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "docs", "cluster": {"server": f"http://127.0.0.1:{server.port}"}}
                ],
                "users": [{"name": "docs", "user": {}}],
                "contexts": [
                    {
                        "name": "docs",
                        "context": {"cluster": "docs", "user": "docs", "namespace": "default"},
                    }
                ],
                "current-context": "docs",
            }
        )
    )
    try:
        yield Fixture(documents, Kubectl(kubeconfig, tmp_path / "cache", tmp_path))
    finally:
        await server.close()


def table(output: str) -> list[dict[str, str]]:
    """Parse kubectl's column output by the header's column positions."""
    header, *rows = output.rstrip("\n").splitlines()
    columns = header.split()
    starts = [header.index(column) for column in columns]
    ends = [*starts[1:], None]
    return [
        {
            column: row[start:end].strip()
            for column, start, end in zip(columns, starts, ends, strict=True)
        }
        for row in rows
    ]


async def test_api_resources(served: Fixture) -> None:
    rows = {
        row["NAME"] + "@" + row["APIVERSION"]: row
        for row in table(await served.kubectl.run("api-resources"))
    }
    assert set(rows) == {
        "bindings@v1",
        "namespaces@v1",
        "pods@v1",
        "deployments@apps/v1",
        "horizontalpodautoscalers@autoscaling/v2",
        "widgets@example.kubelab.dev/v1",
    }
    assert rows["pods@v1"] == {
        "NAME": "pods",
        "SHORTNAMES": "po",
        "APIVERSION": "v1",
        "NAMESPACED": "true",
        "KIND": "Pod",
    }
    assert rows["namespaces@v1"]["NAMESPACED"] == "false"
    assert rows["deployments@apps/v1"]["SHORTNAMES"] == "deploy"
    assert rows["bindings@v1"]["SHORTNAMES"] == ""
    requested = [path for _, path, *_ in served.server.requests]
    if served.server.aggregated:
        assert "/apis/apps/v1" not in requested
    else:
        assert "/api/v1" in requested and "/apis/apps/v1" in requested


async def test_api_resources_wide(served: Fixture) -> None:
    rows = {
        row["NAME"]: row for row in table(await served.kubectl.run("api-resources", "-o", "wide"))
    }
    assert rows["pods"]["VERBS"] == "create,delete,deletecollection,get,list,patch,update,watch"
    assert rows["pods"]["CATEGORIES"] == "all"
    assert rows["namespaces"]["VERBS"] == "create,delete,get,list,patch,update,watch"
    assert rows["bindings"]["VERBS"] == "create"
    assert rows["widgets"]["CATEGORIES"] == ""


async def test_api_versions(served: Fixture) -> None:
    versions = (await served.kubectl.run("api-versions")).split()
    assert versions == [
        "apps/v1",
        "autoscaling/v1",
        "autoscaling/v2",
        "example.kubelab.dev/v1",
        "v1",
    ]


async def test_explain_a_field(served: Fixture) -> None:
    output = await served.kubectl.run("explain", "deployment.spec.strategy")
    assert "GROUP:      apps" in output
    assert "KIND:       Deployment" in output
    assert "VERSION:    v1" in output
    assert "FIELD: strategy <DeploymentStrategy>" in output
    assert "DeploymentStrategy describes how to replace existing pods with new ones." in output
    assert "rollingUpdate\t<RollingUpdateDeployment>" in output
    assert "type\t<string>" in output
    assert any(
        path == "/openapi/v3/apis/apps/v1" and query.startswith("hash=")
        for _, path, query, *_ in served.server.requests
    )


async def test_explain_recursive(served: Fixture) -> None:
    output = await served.kubectl.run("explain", "pods", "--recursive")
    assert "KIND:       Pod" in output
    assert "containers\t<[]Container> -required-" in output
    assert "limits\t<map[string]Quantity>" in output
    assert "port\t<IntOrString> -required-" in output
    assert "managedFields\t<[]ManagedFieldsEntry>" in output


async def test_explain_a_custom_resource(served: Fixture) -> None:
    output = await served.kubectl.run("explain", "widgets.spec")
    assert "GROUP:      example.kubelab.dev" in output
    assert "KIND:       Widget" in output
    assert "size\t<integer> -required-" in output
    assert "How big the widget is." in output


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: nginx
"""

WIDGET = """
apiVersion: example.kubelab.dev/v1
kind: Widget
metadata:
  name: small
spec:
  size: {replicas}
"""


async def apply_twice(served: Fixture, manifest: str) -> tuple[str, str]:
    """Create with ``apply``, then change and ``apply`` again; return both writes' query and
    content type as kubectl sent them."""
    await served.kubectl.run("apply", "-f", "-", stdin=manifest.format(replicas=1))
    await served.kubectl.run("apply", "-f", "-", stdin=manifest.format(replicas=2))
    writes = [
        (query, content_type)
        for method, _, query, _, content_type in served.server.requests
        if method in ("POST", "PATCH")
    ]
    assert len(writes) == 2, served.server.requests
    return writes[0][0], writes[1][1]


async def test_apply_uses_server_validation_and_strategic_merge_patch(served: Fixture) -> None:
    create_query, patch_type = await apply_twice(served, DEPLOYMENT)
    assert "fieldValidation=Strict" in create_query
    assert patch_type == "application/strategic-merge-patch+json"
    # The patch was computed from the v3 document: kubectl falls back to /openapi/v2 when
    # the PATCH operation there does not accept a strategic merge patch.
    assert "/openapi/v2" not in [path for _, path, *_ in served.server.requests]


async def test_apply_sends_a_merge_patch_to_a_custom_resource(served: Fixture) -> None:
    create_query, patch_type = await apply_twice(served, WIDGET)
    assert "fieldValidation=Strict" in create_query
    assert patch_type == "application/merge-patch+json"
