"""The resource metrics API, ``metrics.k8s.io/v1beta1``: what ``kubectl top`` reads.

Upstream this API is served by metrics-server behind kube-apiserver's aggregation layer; here
the API server answers it itself, with the same objects: a PodMetrics per measured pod (its
containers' ``usage`` of ``cpu`` and ``memory``) and a NodeMetrics per node, each with the
``timestamp`` of the sample and the ``window`` it averages over. CPU is written in nanocores
(``1234567n``, or ``5m`` when it is a whole number of millicores) and memory in kibibytes
(``12288Ki``), the forms ``kubectl get --raw /apis/metrics.k8s.io/v1beta1/pods`` shows.

kubectl asks these endpoints for protobuf only, but its metrics client decodes whatever the
response's Content-Type says, so JSON serves it.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from aiohttp import web

from kubelab.cluster.api import errors, negotiation, tables
from kubelab.cluster.api.handlers import json_response
from kubelab.cluster.api.selectors import parse_field_selector, parse_label_selector
from kubelab.cluster.metrics.usage import WINDOW_SECONDS, NodeUsage, PodUsage, ResourceUsage
from kubelab.cluster.quantity import BINARY_SI, DECIMAL_SI, Quantity
from kubelab.cluster.resources.base import Column, ResourceStrategy
from kubelab.cluster.resources.printing import format_time

GROUP = "metrics.k8s.io"
VERSION = "v1beta1"
API_VERSION = f"{GROUP}/{VERSION}"

_COLUMNS = (
    Column("Name", format="name", description="Name of the resource"),
    Column("cpu", format="quantity"),
    Column("memory", format="quantity"),
    Column("Window", format="duration"),
)


def cpu_quantity(nanocores: int) -> str:
    return f"{nanocores // 1_000_000}m" if nanocores % 1_000_000 == 0 else f"{nanocores}n"


def memory_quantity(memory: int) -> str:
    return f"{memory // 1024}Ki"


def _total(values: list[str], fmt: str) -> str:
    """The sum of quantities as ``Quantity.String()`` prints it, for table cells."""
    total = Quantity(Fraction(0), fmt)
    for value in values:
        total = total + Quantity.parse(value)
    return Quantity(total.amount, fmt).canonical()


class _MetricsStrategy(ResourceStrategy):
    group = GROUP
    version = VERSION
    verbs = ("get", "list")
    columns = _COLUMNS


class PodMetricsStrategy(_MetricsStrategy):
    kind = "PodMetrics"
    plural = "pods"

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        usages = [c["usage"] for c in obj["containers"]]
        return [
            obj["metadata"]["name"],
            _total([u["cpu"] for u in usages], DECIMAL_SI),
            _total([u["memory"] for u in usages], BINARY_SI),
            obj["window"],
        ]


class NodeMetricsStrategy(_MetricsStrategy):
    kind = "NodeMetrics"
    plural = "nodes"
    namespaced = False

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        usage = obj["usage"]
        return [
            obj["metadata"]["name"],
            _total([usage["cpu"]], DECIMAL_SI),
            _total([usage["memory"]], BINARY_SI),
            obj["window"],
        ]


POD_METRICS = PodMetricsStrategy()
NODE_METRICS = NodeMetricsStrategy()
STRATEGIES = [NODE_METRICS, POD_METRICS]


def pod_metrics(usage: PodUsage, now: datetime) -> dict[str, Any]:
    return {
        "kind": "PodMetrics",
        "apiVersion": API_VERSION,
        "metadata": {
            "name": usage.name,
            "namespace": usage.namespace,
            "creationTimestamp": format_time(now),
            "labels": dict(usage.labels),
        },
        "timestamp": format_time(usage.timestamp),
        "window": f"{WINDOW_SECONDS}s",
        "containers": [
            {
                "name": c.name,
                "usage": {
                    "cpu": cpu_quantity(c.cpu_nanocores),
                    "memory": memory_quantity(c.memory_bytes),
                },
            }
            for c in usage.containers
        ],
    }


def node_metrics(usage: NodeUsage, now: datetime) -> dict[str, Any]:
    return {
        "kind": "NodeMetrics",
        "apiVersion": API_VERSION,
        "metadata": {
            "name": usage.name,
            "creationTimestamp": format_time(now),
            "labels": dict(usage.labels),
        },
        "timestamp": format_time(usage.timestamp),
        "window": f"{WINDOW_SECONDS}s",
        "usage": {
            "cpu": cpu_quantity(usage.cpu_nanocores),
            "memory": memory_quantity(usage.memory_bytes),
        },
    }


USAGE_KEY = web.AppKey("resource_usage", ResourceUsage)


def _respond(
    request: web.Request,
    strategy: ResourceStrategy,
    items: list[dict[str, Any]],
    single: bool,
) -> web.Response:
    now = request.app[USAGE_KEY].api.clock.now()
    if negotiation.parse_accept(request.headers.get("Accept")).as_table:
        include = request.query.get("includeObject", "Metadata")
        return json_response(tables.table(strategy, items, now, include))
    if single:
        return json_response(items[0])
    for item in items:
        del item["kind"], item["apiVersion"]
    return json_response(
        {
            "kind": f"{strategy.kind}List",
            "apiVersion": API_VERSION,
            "metadata": {},
            "items": items,
        }
    )


def _check_request(request: web.Request, strategy: ResourceStrategy) -> None:
    if request.method not in ("GET", "HEAD"):
        raise errors.APIError(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    watch = request.query.get("watch", "")
    if watch and watch.lower() not in ("false", "0"):
        raise errors.APIError(
            405,
            "MethodNotAllowed",
            f'watch is not supported on resources of kind "{strategy.plural}.{GROUP}"',
            {"group": GROUP, "kind": strategy.plural},
        )


def _selected(request: web.Request, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labels = parse_label_selector(request.query.get("labelSelector"))
    fields = parse_field_selector(request.query.get("fieldSelector"))

    def field_values(obj: dict[str, Any]) -> dict[str, str]:
        meta = obj["metadata"]
        return {"metadata.name": meta["name"], "metadata.namespace": meta.get("namespace", "")}

    return [
        o
        for o in objects
        if labels.matches(o["metadata"].get("labels")) and fields.matches(field_values(o))
    ]


async def pod_metrics_handler(request: web.Request) -> web.Response:
    """``GET [namespaces/NS/]pods[/NAME]`` in metrics.k8s.io."""
    _check_request(request, POD_METRICS)
    namespace = request.match_info.get("namespace")
    name = request.match_info.get("name")
    source = request.app[USAGE_KEY]
    now = source.api.clock.now()
    measured = [pod_metrics(p, now) for p in source.pods(namespace)]
    if name is None:
        return _respond(request, POD_METRICS, _selected(request, measured), single=False)
    found = [m for m in measured if m["metadata"]["name"] == name]
    if not found:
        if source.api.store.get("/pods", namespace or "", name) is None:
            raise errors.not_found("", "pods", name)
        raise errors.not_found(GROUP, "podmetrics", f"{namespace}/{name}")
    return _respond(request, POD_METRICS, found, single=True)


async def node_metrics_handler(request: web.Request) -> web.Response:
    """``GET nodes[/NAME]`` in metrics.k8s.io."""
    _check_request(request, NODE_METRICS)
    name = request.match_info.get("name")
    source = request.app[USAGE_KEY]
    now = source.api.clock.now()
    measured = [node_metrics(n, now) for n in source.nodes()]
    if name is None:
        return _respond(request, NODE_METRICS, _selected(request, measured), single=False)
    found = [m for m in measured if m["metadata"]["name"] == name]
    if not found:
        if source.api.store.get("/nodes", "", name) is None:
            raise errors.not_found("", "nodes", name)
        raise errors.not_found(GROUP, "nodemetrics", name)
    return _respond(request, NODE_METRICS, found, single=True)


def add_routes(router: web.UrlDispatcher) -> None:
    """Serve the metrics resources ahead of the generic resource routes."""
    base = f"/apis/{GROUP}/{VERSION}"
    for path in (f"{base}/pods", f"{base}/namespaces/{{namespace}}/pods"):
        router.add_route("*", path, pod_metrics_handler)
        router.add_route("*", path + "/{name}", pod_metrics_handler)
    router.add_route("*", f"{base}/nodes", node_metrics_handler)
    router.add_route("*", f"{base}/nodes/{{name}}", node_metrics_handler)
