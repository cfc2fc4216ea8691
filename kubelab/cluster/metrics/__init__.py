"""Resource metrics: container CPU and memory as ``metrics.k8s.io`` serves them.

:mod:`usage` measures the simulated containers through the kubelets; :mod:`api` serves the
measurements as PodMetrics and NodeMetrics for ``kubectl top``. The HorizontalPodAutoscaler
controller reads the same measurements (:func:`usage.usage_for`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.metrics import api as metrics_api
from kubelab.cluster.metrics.usage import ResourceUsage, attach


def install(app: web.Application, api: ObjectAPI, kubelets: Mapping[str, Any]) -> None:
    """Serve ``metrics.k8s.io/v1beta1`` from ``app`` and make it the cluster's metrics source."""
    usage = ResourceUsage(kubelets, api)
    app[metrics_api.USAGE_KEY] = usage
    attach(usage)
    for strategy in metrics_api.STRATEGIES:
        api.registry.add(strategy)
    metrics_api.add_routes(app.router)
