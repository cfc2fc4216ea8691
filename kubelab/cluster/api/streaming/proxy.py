"""The API server's proxies: ``services/NAME[:PORT]/proxy/...``, ``pods/...`` and ``nodes/...``.

``kubectl get --raw /api/v1/namespaces/default/services/web:80/proxy/`` asks kube-apiserver to
make the request for you, from inside the cluster. For a Service it picks a *ready* address
from the Service's Endpoints (so a pod failing its readiness probe gets no traffic here either),
for a pod it uses the pod's IP, and for a node it talks to the node's kubelet. The name may carry
a scheme and a port: ``web``, ``web:80``, ``web:http``, ``https:web:443``.

What comes back is the backend's answer, with two touches the real proxy adds: a redirect's
``Location`` and the links in an HTML page are rewritten to go through the proxy again, so a
page browsed through ``kubectl proxy`` keeps working. A backend that cannot be reached is a 503
``error trying to reach service: dial tcp 10.244.0.5:80: connect: connection refused``.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from kubelab.cluster.api import errors, handlers
from kubelab.cluster.api.handlers import Target
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.api.streaming import htmlrewrite, pods
from kubelab.cluster.kubelet.node import node_ip
from kubelab.cluster.runtime.network import HttpRequest, HttpResponse

#: The API server runs on the control-plane node: backends see requests from its address.
API_SERVER_ADDRESS = node_ip(0)
#: kube-apiserver's default request timeout.
REQUEST_TIMEOUT_SECONDS = 60.0
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
        # The API server's authentication consumes the token; backends never see it.
        "authorization",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}
#: The proxy drops a backend's CORS headers: the API server decides about cross-origin access.
CORS_PREFIX = "access-control-"


@dataclass(frozen=True)
class Location:
    """Where the proxied request goes: a scheme, an address and a port."""

    scheme: str
    address: str
    port: int

    @property
    def host(self) -> str:
        return f"{self.address}:{self.port}"


def split_scheme_name_port(identifier: str, kind: str) -> tuple[str, str, str]:
    """``[scheme:]name[:port]`` as ``utilnet.SplitSchemeNamePort`` reads it; 400 if malformed."""
    parts = identifier.split(":")
    scheme, name, port = "", "", ""
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        name, port = parts
    elif len(parts) == 3:
        scheme, name, port = parts
    if not name or scheme not in ("", "http", "https"):
        raise errors.bad_request(f'invalid {kind} request "{identifier}"')
    return scheme or "http", name, port


def _get(api: ObjectAPI, plural: str, namespace: str, name: str) -> dict[str, Any]:
    strategy = api.registry.get("", "v1", plural)
    assert strategy is not None
    return api.get(strategy, namespace, name)


def _is_pod(api: ObjectAPI, namespace: str, address: dict[str, Any]) -> bool:
    """Only addresses of existing pods with that IP are proxied to (``isValidAddress``)."""
    reference = address.get("targetRef") or {}
    if reference.get("kind", "Pod") != "Pod" or reference.get("namespace") != namespace:
        return False
    strategy = api.registry.get("", "v1", "pods")
    assert strategy is not None
    pod = api.store.get(api.storage_key(strategy), namespace, reference.get("name", ""))
    ips = [entry.get("ip") for entry in ((pod or {}).get("status") or {}).get("podIPs") or []]
    return bool(ips) and ips[0] == address.get("ip")


def service_location(api: ObjectAPI, namespace: str, identifier: str) -> Location:
    """A ready endpoint of the Service, chosen at random (the service registry's rules)."""
    scheme, name, port = split_scheme_name_port(identifier, "service")
    if port.isdigit():
        service = _get(api, "services", namespace, name)
        ports = service.get("spec", {}).get("ports") or []
        declared = [p for p in ports if p.get("port") == int(port)]
        if not declared:
            raise errors.APIError(
                503, "ServiceUnavailable", f'no service port {port} found for service "{name}"'
            )
        port = declared[0].get("name", "")
    endpoints = _get(api, "endpoints", namespace, name)
    subsets = endpoints.get("subsets") or []
    if not subsets:
        raise errors.APIError(
            503, "ServiceUnavailable", f'no endpoints available for service "{name}"'
        )
    for subset in random.sample(subsets, len(subsets)):
        addresses = [a for a in subset.get("addresses") or [] if _is_pod(api, namespace, a)]
        for endpoint_port in subset.get("ports") or []:
            if endpoint_port.get("name", "") == port and addresses:
                chosen = random.choice(addresses)
                return Location(scheme, chosen["ip"], int(endpoint_port["port"]))
    raise errors.APIError(
        503, "ServiceUnavailable", f'no endpoints available for service "{identifier}"'
    )


def pod_location(api: ObjectAPI, namespace: str, identifier: str) -> Location:
    """The pod's IP and the port asked for, else its first declared container port."""
    scheme, name, port = split_scheme_name_port(identifier, "pod")
    pod = _get(api, "pods", namespace, name)
    if not port:
        declared = [
            p["containerPort"]
            for c in pod.get("spec", {}).get("containers") or []
            for p in c.get("ports") or []
        ]
        port = str(declared[0]) if declared else ""
    address = (pod.get("status") or {}).get("podIP")
    if not address:
        raise errors.bad_request("address not allowed")
    return Location(scheme, address, int(port) if port else DEFAULT_PORTS[scheme])


def proxied_path(request: web.Request, target: Target) -> tuple[str, str | None]:
    """Split the URL at ``.../NAME/proxy``: that prefix, and the backend's path after it.

    The path is None when the URL stops at ``proxy`` itself (the API server redirects those).
    """
    segments = request.path.split("/")
    for index in range(2, len(segments)):
        if (
            segments[index] == "proxy"
            and segments[index - 1] == target.name
            and segments[index - 2] == target.strategy.plural
        ):
            prefix = "/".join(segments[: index + 1])
            rest = segments[index + 1 :]
            return prefix, "/" + "/".join(rest) if rest else None
    return request.path, None


def _unreachable(location: Location, problem: BaseException) -> errors.APIError:
    reason = "connect: connection refused"
    if isinstance(problem, TimeoutError):
        reason = "i/o timeout"
    return errors.APIError(
        503,
        "ServiceUnavailable",
        f"error trying to reach service: dial tcp {location.host}: {reason}",
    )


def _forwarded_headers(request: web.Request, location: Location) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    headers["Host"] = location.host
    headers["X-Forwarded-For"] = request.remote or "127.0.0.1"
    headers["X-Forwarded-Uri"] = request.path
    return headers


async def _send(request: web.Request, location: Location, path: str) -> HttpResponse:
    network = _network(request)
    target = path + (f"?{request.query_string}" if request.query_string else "")
    outgoing = HttpRequest(
        request.method,
        target,
        _forwarded_headers(request, location),
        await handlers.read_body(request),
        API_SERVER_ADDRESS,
    )
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
            return await network.http(location.address, location.port, outgoing)
    except (OSError, TimeoutError) as problem:
        raise _unreachable(location, problem) from None


def _network(request: web.Request) -> Any:
    """The cluster network the application was built with (Service routing, pod addresses)."""
    from kubelab.cluster.api.app import NETWORK_KEY  # the app module imports this package

    return request.app[NETWORK_KEY]


def _redirect_to_slash(request: web.Request) -> web.Response:
    query = f"?{request.query_string}" if request.query_string else ""
    return web.Response(status=301, headers={"Location": request.path + "/" + query})


def _relay(
    request: web.Request, location: Location, prefix: str, answer: HttpResponse
) -> web.Response:
    rewriter = htmlrewrite.ProxyLinks(prefix, location.host, request.host)
    headers = {
        k: v
        for k, v in answer.headers.items()
        if k.lower() not in HOP_BY_HOP and not k.lower().startswith(CORS_PREFIX)
    }
    body = answer.body
    redirect = answer.header("Location")
    if redirect:
        headers = {k: v for k, v in headers.items() if k.lower() != "location"}
        headers["Location"] = rewriter.url(redirect)
    elif htmlrewrite.is_html(answer.header("Content-Type")):
        body = rewriter.html(body)
    return web.Response(status=answer.status, body=body, headers=headers)


def backend_path(request: web.Request, target: Target) -> tuple[str, str] | None:
    """The proxy prefix and the backend's path; None when a GET should get a trailing slash.

    ``.../proxy`` without a slash is redirected to ``.../proxy/`` for GET and HEAD (so relative
    links on the page resolve), and sent to the backend's ``/`` otherwise.
    """
    prefix, path = proxied_path(request, target)
    if path is None:
        if request.method in ("GET", "HEAD"):
            return None
        path = "/"
    return prefix, path


async def _proxy(request: web.Request, target: Target, location: Location) -> web.StreamResponse:
    split = backend_path(request, target)
    if split is None:
        return _redirect_to_slash(request)
    prefix, path = split
    answer = await _send(request, location, path)
    return _relay(request, location, prefix, answer)


async def handle_service_proxy(
    request: web.Request, api: ObjectAPI, target: Target
) -> web.StreamResponse:
    location = service_location(api, target.namespace or "", target.name or "")
    return await _proxy(request, target, location)


async def handle_pod_proxy(
    request: web.Request, api: ObjectAPI, target: Target
) -> web.StreamResponse:
    location = pod_location(api, target.namespace or "", target.name or "")
    return await _proxy(request, target, location)


# --- nodes: the kubelet's own small HTTP API ----------------------------------------------------


def _kubelet_answer(api: ObjectAPI, node: str, path: str) -> web.Response:
    """What the kubelet's server says at ``path`` (its health and the pods it runs)."""
    if path == "/healthz":
        return web.Response(text="ok", content_type="text/plain", charset="utf-8")
    if path == "/pods":
        strategy = api.registry.get("", "v1", "pods")
        assert strategy is not None
        items = [
            api.present(strategy, pod)
            for pod in api.list(strategy, None)
            if pod.get("spec", {}).get("nodeName") == node
        ]
        body = {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": items}
        return web.Response(text=json.dumps(body), content_type="application/json")
    return web.Response(
        status=404, text="404 page not found\n", content_type="text/plain", charset="utf-8"
    )


async def handle_node_proxy(
    request: web.Request, api: ObjectAPI, target: Target
) -> web.StreamResponse:
    _, name, port = split_scheme_name_port(target.name or "", "node")
    node = _get(api, "nodes", "", name)
    split = backend_path(request, target)
    if split is None:
        return _redirect_to_slash(request)
    if name not in pods.kubelets(request) or port not in ("", str(pods.KUBELET_PORT)):
        address = pods.node_address(node)
        location = Location("https", address, int(port) if port else pods.KUBELET_PORT)
        raise _unreachable(location, ConnectionRefusedError())
    return _kubelet_answer(api, name, split[1])
