"""Serving the chart repository at ``/charts/`` on the API listener.

A public chart repository answers anyone, so helm needs nothing but the URL and the cluster's
CA certificate (``helm repo add kubelab https://127.0.0.1:PORT/charts --ca-file ...``). The
repository is not part of the Kubernetes API: it is served by a middleware that runs before
authentication and authorization, which therefore never see these requests, and it answers as
a static web server would (plain-text 404s, no ``Status`` objects).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from kubelab.cluster.charts import INDEX_FILE, REPOSITORY_PATH, ChartRepository

#: The repository an application serves; without it, ``/charts/`` is an ordinary API path.
REPOSITORY_KEY = web.AppKey("chart_repository", ChartRepository)

_READ_METHODS = ("GET", "HEAD")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _not_found() -> web.Response:
    return web.Response(status=404, text="404 page not found\n")


def _respond(repository: ChartRepository, request: web.Request) -> web.StreamResponse:
    if request.method not in _READ_METHODS:
        return web.Response(
            status=405, text="405 method not allowed\n", headers={"Allow": "GET, HEAD"}
        )
    file_name = request.path.removeprefix(f"{REPOSITORY_PATH}/")
    if file_name == INDEX_FILE:
        return web.Response(body=repository.index_yaml(), content_type="application/x-yaml")
    archive = repository.archive(file_name)
    if archive is None:
        return _not_found()
    return web.FileResponse(archive, headers={"Content-Type": "application/gzip"})


@web.middleware
async def chart_repository_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer requests under ``/charts/`` from the repository; pass everything else on."""
    repository = request.app.get(REPOSITORY_KEY)
    path = request.path
    if repository is None or (
        path != REPOSITORY_PATH and not path.startswith(REPOSITORY_PATH + "/")
    ):
        return await handler(request)
    return _respond(repository, request)
