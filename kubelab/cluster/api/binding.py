"""Binding a pod to a node: the ``pods/binding`` subresource.

The scheduler does not edit a pod's spec; it POSTs a ``Binding`` whose target names the node.
The API server then sets ``spec.nodeName`` (otherwise immutable) and the ``PodScheduled``
condition. A pod already on a node cannot be bound again.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubelab.cluster.api import errors, handlers, negotiation
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.jsondata import clone

PODS_KEY = "/pods"
NAMESPACE_MISMATCH = (
    "the namespace of the provided object does not match the namespace sent on the request"
)


def bind_pod(api: ObjectAPI, namespace: str, name: str, node: str) -> dict[str, Any]:
    """Assign a pending pod to ``node``; 409 when it is already assigned."""
    stored = api.store.get(PODS_KEY, namespace, name)
    if stored is None:
        raise errors.not_found("", "pods", name)
    if stored.get("spec", {}).get("nodeName"):
        raise errors.conflict(
            "",
            "pods/binding",
            name,
            f'pod {name} is already assigned to node "{stored["spec"]["nodeName"]}"',
        )
    if stored["metadata"].get("deletionTimestamp"):
        raise errors.conflict(
            "", "pods/binding", name, f"pod {name} is being deleted, cannot be assigned to a host"
        )
    pod = clone(stored)
    pod["spec"]["nodeName"] = node
    status = pod.setdefault("status", {})
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
    conditions.append(
        {
            "type": "PodScheduled",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": api.clock.timestamp(),
        }
    )
    status["conditions"] = conditions
    written = api.store.update(PODS_KEY, pod, int(stored["metadata"]["resourceVersion"]))
    strategy = api.registry.get("", "v1", "pods")
    for hook in api.write_hooks:
        hook(strategy, stored, written)
    return written


async def handle_binding(
    request: web.Request, api: ObjectAPI, target: handlers.Target
) -> web.StreamResponse:
    if request.method != "POST":
        raise errors.method_not_allowed(request.method, "Binding")
    body = negotiation.decode_body(
        request.headers.get("Content-Type"), await handlers.read_body(request)
    )
    return _bind(api, target.namespace or "", target.name or "", body)


def _bind(api: ObjectAPI, namespace: str, name: str, body: Any) -> web.Response:
    """Bind pod ``name`` to the node the Binding ``body`` targets: 201 and a Success Status."""
    node = ((body or {}).get("target") or {}).get("name") if isinstance(body, dict) else None
    if not node:
        raise errors.invalid_object("", "Binding", name, [errors.required("target.name")])
    bind_pod(api, namespace, name, node)
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }
    return handlers.json_response(status, 201)


async def handle_bindings(request: web.Request, api: ObjectAPI) -> web.StreamResponse:
    """``POST /api/v1/namespaces/<namespace>/bindings``: the older way to bind, naming the
    pod in the Binding's metadata. Only create is served, as upstream: there is no path for
    one Binding or for Bindings across namespaces."""
    if "namespace" not in request.match_info or "tail" in request.match_info:
        raise handlers._not_found_path()
    if request.method != "POST":
        raise errors.APIError(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    namespace = request.match_info["namespace"]
    body = negotiation.decode_body(
        request.headers.get("Content-Type"), await handlers.read_body(request)
    )
    meta = (body.get("metadata") or {}) if isinstance(body, dict) else {}
    if meta.get("namespace") not in (None, "", namespace):
        raise errors.bad_request(NAMESPACE_MISMATCH)
    return _bind(api, namespace, str(meta.get("name") or ""), body)
