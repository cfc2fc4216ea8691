"""The aiohttp application: authentication, error rendering and routing.

Every response carries ``Cache-Control: no-cache, private`` and an ``Audit-Id`` as
kube-apiserver's do; every failure becomes a ``Status`` object, never a traceback.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from kubelab.cluster import metrics
from kubelab.cluster.api import (
    authn,
    authz,
    binding,
    chartrepo,
    componentstatuses,
    discovery,
    errors,
    handlers,
    health,
    negotiation,
    openapi,
    pathsegments,
    reviews,
    streaming,
    tokens,
)
from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.openapi import OpenAPIDocuments
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.version import version_info

log = logging.getLogger("kubelab.cluster.api")

API_KEY = web.AppKey("object_api", ObjectAPI)
OPENAPI_KEY = web.AppKey("openapi", OpenAPIDocuments)
#: The authenticated (or impersonated) user of a request: an :class:`authn.User`.
USER_KEY = authn.USER_KEY
#: The node agents by node name, for logs, exec, port-forward and proxies.
KUBELETS_KEY = web.AppKey("kubelets", dict)
#: The cluster network (pod IPs, Service routing), for the API server's proxies.
NETWORK_KEY = web.AppKey("network", object)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _status_response(error: APIError) -> web.Response:
    return web.Response(
        body=json.dumps(error.status(), separators=(",", ":")).encode(),
        status=error.code,
        content_type="application/json",
    )


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except APIError as error:
        response = _status_response(error)
    except web.HTTPNotFound:
        response = _status_response(handlers._not_found_path())
    except web.HTTPMethodNotAllowed:
        response = _status_response(
            APIError(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
        )
    except (ConnectionResetError, web.HTTPException):
        raise
    except Exception as exc:  # noqa: BLE001 - the API must answer with a Status, not a trace
        log.exception("internal error serving %s %s", request.method, request.path)
        response = _status_response(errors.internal_error(type(exc).__name__))
    if not response.prepared:
        response.headers.setdefault("Cache-Control", "no-cache, private")
        response.headers.setdefault("Audit-Id", str(uuid.uuid4()))
    return response


def _json(body: Any, content_type: str = "application/json") -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        headers={"Content-Type": content_type},
    )


def _discovery_response(request: web.Request, core: bool, legacy: dict[str, Any]) -> web.Response:
    if negotiation.parse_accept(request.headers.get("Accept")).as_aggregated_discovery:
        body = discovery.aggregated_discovery(request.app[API_KEY].registry, core)
        return _json(body, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
    return _json(legacy)


async def get_version(request: web.Request) -> web.Response:
    return _json(version_info())


async def get_core_discovery(request: web.Request) -> web.Response:
    address = request.host if ":" in request.host else f"{request.host}:443"
    return _discovery_response(request, True, discovery.api_versions(address))


async def get_groups_discovery(request: web.Request) -> web.Response:
    registry = request.app[API_KEY].registry
    return _discovery_response(request, False, discovery.api_group_list(registry))


async def get_group(request: web.Request) -> web.Response:
    body = discovery.api_group(request.app[API_KEY].registry, request.match_info["group"])
    if body is None:
        raise handlers._not_found_path()
    return _json(body)


def _resource_list(request: web.Request, group: str, version: str) -> web.Response:
    body = discovery.api_resource_list(request.app[API_KEY].registry, group, version)
    if body is None:
        raise handlers._not_found_path()
    return _json(body)


async def core_resources(request: web.Request) -> web.StreamResponse:
    version, tail = request.match_info["version"], request.match_info.get("tail", "")
    if not tail:
        return _resource_list(request, "", version)
    return await handlers.handle(request, request.app[API_KEY], "", version, tail)


async def group_resources(request: web.Request) -> web.StreamResponse:
    group, version = request.match_info["group"], request.match_info["version"]
    tail = request.match_info.get("tail", "")
    if not tail:
        return _resource_list(request, group, version)
    return await handlers.handle(request, request.app[API_KEY], group, version, tail)


async def bindings(request: web.Request) -> web.StreamResponse:
    return await binding.handle_bindings(request, request.app[API_KEY])


async def get_openapi_v3_index(request: web.Request) -> web.Response:
    return _json(request.app[OPENAPI_KEY].index())


async def get_openapi_v3_document(request: web.Request) -> web.Response:
    path = request.match_info["path"]
    parts = path.split("/")
    if parts[0] == "api" and len(parts) == 2:
        group, version = "", parts[1]
    elif parts[0] == "apis" and len(parts) == 3:
        group, version = parts[1], parts[2]
    else:
        raise handlers._not_found_path()
    documents = request.app[OPENAPI_KEY]
    body = documents.document_bytes(group, version)
    if body is None:
        raise handlers._not_found_path()
    return web.Response(
        body=body,
        content_type="application/json",
        headers={"ETag": f'"{documents.document_hash(group, version)}"'},
    )


async def get_openapi_v2(request: web.Request) -> web.Response:
    """JSON or gnostic protobuf, by ``Accept``; 406 with no body for anything else, and 304
    when ``If-None-Match`` names the current ``ETag`` (one for both forms, as kube-openapi's
    handler answers)."""
    media_type = openapi.v2_media_type(request.headers.get("Accept"))
    if media_type is None:
        return web.Response(status=406, headers={"Vary": "Accept"})
    documents = request.app[OPENAPI_KEY]
    gzipped = openapi.accepts_gzip(request.headers.get("Accept-Encoding"))
    etag = f'"{documents.v2_hash()}{"-gzip" if gzipped else ""}"'
    headers = {
        "Vary": "Accept, Accept-Encoding",
        "ETag": etag,
        "Last-Modified": documents.v2_last_modified(),
    }
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    body = documents.v2_body(media_type, gzipped)
    return web.Response(body=body, headers={**headers, "Content-Type": media_type})


def build_app(
    api: ObjectAPI,
    authenticator: authn.Authenticator,
    kubelets: dict[str, Any] | None = None,
    network: Any = None,
) -> web.Application:
    """The API server application for an object API, answering those ``authenticator`` knows."""
    app = web.Application(
        middlewares=[
            errors_middleware,
            chartrepo.chart_repository_middleware,
            authn.authentication_middleware,
            pathsegments.dot_segments_middleware,
            authz.authorization_middleware,
        ],
        client_max_size=negotiation.MAX_BODY_BYTES + 1,
    )
    app[API_KEY] = api
    documents = OpenAPIDocuments(api.registry)
    app[OPENAPI_KEY] = documents
    api.write_hooks.append(
        lambda strategy, old, new: (
            documents.invalidate() if strategy.kind == "CustomResourceDefinition" else None
        )
    )
    app[authn.AUTHENTICATOR_KEY] = authenticator
    app[authz.AUTHORIZER_KEY] = authz.Authorizer(api)
    app[KUBELETS_KEY] = kubelets or {}
    app[NETWORK_KEY] = network
    handlers.SUBRESOURCE_HANDLERS[("pods", "binding")] = binding.handle_binding
    handlers.SUBRESOURCE_HANDLERS.update(streaming.SUBRESOURCE_HANDLERS)
    handlers.SUBRESOURCE_HANDLERS.update(tokens.SUBRESOURCE_HANDLERS)
    route = app.router
    reviews.add_routes(route)
    componentstatuses.install(app, api.store)
    for path in ("/api/v1/namespaces/{namespace}/bindings", "/api/v1/bindings"):
        for tail in ("", "/{tail:.*}"):
            route.add_route("*", path + tail, bindings)
    metrics.install(app, api, app[KUBELETS_KEY])
    route.add_get("/version", get_version)
    route.add_get("/version/", get_version)
    health.install(app, api.store)
    route.add_get("/api", get_core_discovery)
    route.add_get("/apis", get_groups_discovery)
    route.add_get("/openapi/v3", get_openapi_v3_index)
    route.add_get("/openapi/v3/{path:.+}", get_openapi_v3_document)
    route.add_get("/openapi/v2", get_openapi_v2)
    route.add_get("/apis/{group}", get_group)
    route.add_route("*", "/api/{version}", core_resources)
    route.add_route("*", "/api/{version}/{tail:.*}", core_resources)
    route.add_route("*", "/apis/{group}/{version}", group_resources)
    route.add_route("*", "/apis/{group}/{version}/{tail:.*}", group_resources)
    return app
