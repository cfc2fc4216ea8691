"""ComponentStatus (``v1``, deprecated since 1.19): is the control plane healthy?

``kubectl get componentstatuses`` (``cs``) is how many a tutorial checks a cluster: one row each
for the scheduler, the controller manager and etcd. Nothing is stored; kube-apiserver probes
the components whenever it is asked, and so does the teaching cluster, whose "components" are
the scheduler's and the controllers' tasks and the SQLite store in place of etcd. A component
whose tasks have all stopped answers as a real one whose process is gone (its health port
refuses the connection); a controller manager with only some controllers stopped fails its
health check with a 500, as kube-controller-manager's does; the store must answer a query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kubelab.cluster.api.health import store_error
from kubelab.cluster.resources.base import NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.store.objects import ObjectStore

#: The health ports kube-apiserver probes, and the text of a refused connection to one.
SCHEDULER_HEALTHZ = "https://127.0.0.1:10259/healthz"
CONTROLLER_MANAGER_HEALTHZ = "https://127.0.0.1:10257/healthz"


def _refused(url: str) -> str:
    port = url.split(":")[2].split("/")[0]
    return f'Get "{url}": dial tcp 127.0.0.1:{port}: connect: connection refused'


class ComponentStatusStrategy(ResourceStrategy):
    kind = "ComponentStatus"
    plural = "componentstatuses"
    namespaced = False
    short_names = ("cs",)
    verbs = ("get", "list")
    deprecation_warning = "v1 ComponentStatus is deprecated in v1.19+"
    columns = (
        NAME_COLUMN,
        Column("Status", description="Status of the component conditions"),
        Column("Message", description="Message of the component conditions"),
        Column("Error", description="Error of the component conditions"),
    )

    @property
    def singular(self) -> str:
        return "componentstatus"

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        status, message, error = "Unhealthy", "", ""
        for condition in obj.get("conditions") or []:
            if condition.get("type") == "Healthy":
                status = "Healthy" if condition.get("status") == "True" else "Unhealthy"
                message, error = condition.get("message", ""), condition.get("error", "")
                break
        return [obj["metadata"]["name"], status, message, error]


def component_status(name: str, status: str, message: str = "", error: str = "") -> dict:
    """One ``ComponentStatus`` with its ``Healthy`` condition (``True``, ``False`` or
    ``Unknown`` when the probe could not reach the component)."""
    condition = {"type": "Healthy", "status": status}
    if message:
        condition["message"] = message
    if error:
        condition["error"] = error
    return {
        "kind": "ComponentStatus",
        "apiVersion": "v1",
        "metadata": {"name": name, "creationTimestamp": None},
        "conditions": [condition],
    }


def _tasks_status(name: str, tasks: Sequence[asyncio.Task[Any]], url: str) -> dict:
    running = [task for task in tasks if not task.done()]
    if not running:
        return component_status(name, "Unknown", error=_refused(url))
    if len(running) < len(tasks):
        return component_status(name, "False", "HTTP probe failed with statuscode: 500")
    return component_status(name, "True", "ok")


@dataclass
class ControlPlane:
    """The parts of the teaching cluster that stand for the probed components.

    The API server starts with only the store; the cluster hands over the scheduler's and
    controllers' tasks once they run (an API server on its own has neither, and says so).
    """

    store: ObjectStore
    scheduler: Sequence[asyncio.Task[Any]] = field(default_factory=list)
    controllers: Sequence[asyncio.Task[Any]] = field(default_factory=list)

    def _etcd(self) -> dict[str, Any]:
        error = store_error(self.store)
        if error is not None:
            return component_status("etcd-0", "False", error=error)
        return component_status("etcd-0", "True", "ok")

    def statuses(self) -> dict[str, dict[str, Any]]:
        """Every component's status by name, freshly probed."""
        return {
            "scheduler": _tasks_status("scheduler", self.scheduler, SCHEDULER_HEALTHZ),
            "controller-manager": _tasks_status(
                "controller-manager", self.controllers, CONTROLLER_MANAGER_HEALTHZ
            ),
            "etcd-0": self._etcd(),
        }


STRATEGIES = [ComponentStatusStrategy()]
