"""``GET /api/v1/componentstatuses``: the control plane's health, probed on every request.

The objects are computed by :class:`~kubelab.cluster.resources.componentstatus.ControlPlane`,
never stored, so these routes are served ahead of the generic resource routes. As upstream,
only get and list are offered (other methods get 405, a watch is refused), selectors are
ignored, and asking for a component that does not exist is the plain 500 kube-apiserver gives.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from kubelab.cluster.api import errors, negotiation, tables
from kubelab.cluster.api.handlers import json_response
from kubelab.cluster.api.listoptions import parse_go_bool
from kubelab.cluster.resources.componentstatus import ComponentStatusStrategy, ControlPlane
from kubelab.cluster.store.objects import ObjectStore

CONTROL_PLANE_KEY = web.AppKey("control_plane", ControlPlane)

_STRATEGY = ComponentStatusStrategy()
_PATH = "/api/v1/componentstatuses"


def _respond(request: web.Request, objects: list[dict[str, Any]], single: bool) -> web.Response:
    warnings = [_STRATEGY.deprecation_warning or ""]
    accept = negotiation.parse_accept(request.headers.get("Accept"))
    if accept.as_table:
        body = tables.table(
            _STRATEGY, objects, datetime.now(UTC), request.query.get("includeObject", "Metadata")
        )
        return json_response(body, warnings=warnings)
    if single:
        return json_response(objects[0], warnings=warnings)
    items = [{k: v for k, v in obj.items() if k not in ("kind", "apiVersion")} for obj in objects]
    body = {"kind": "ComponentStatusList", "apiVersion": "v1", "metadata": {}, "items": items}
    return json_response(body, warnings=warnings)


def _method_not_allowed() -> errors.APIError:
    return errors.APIError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


async def list_component_statuses(request: web.Request) -> web.Response:
    if request.method != "GET":
        raise _method_not_allowed()
    watch = request.query.getall("watch", [])
    if watch and parse_go_bool(watch[0]):
        raise errors.method_not_allowed("watch", _STRATEGY.plural)
    statuses = request.app[CONTROL_PLANE_KEY].statuses()
    return _respond(request, list(statuses.values()), single=False)


async def get_component_status(request: web.Request) -> web.Response:
    if request.method != "GET":
        raise _method_not_allowed()
    name = request.match_info["name"]
    status = request.app[CONTROL_PLANE_KEY].statuses().get(name)
    if status is None:
        raise errors.APIError(500, "", f"Component not found: {name}")
    return _respond(request, [status], single=True)


def install(app: web.Application, store: ObjectStore) -> None:
    """Serve component statuses for a control plane that has, so far, only ``store``."""
    app[CONTROL_PLANE_KEY] = ControlPlane(store)
    app.router.add_route("*", _PATH, list_component_statuses)
    app.router.add_route("*", _PATH + "/", list_component_statuses)
    app.router.add_route("*", _PATH + "/{name}", get_component_status)
