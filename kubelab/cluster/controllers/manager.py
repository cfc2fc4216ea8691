"""kube-controller-manager: starts every controller as a task on the cluster's event loop."""

from __future__ import annotations

import asyncio
from typing import Any

from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.client import LocalClient
from kubelab.cluster.controllers.garbagecollector import GarbageCollector
from kubelab.cluster.controllers.namespace import NamespaceController

#: Controllers in start order, each with the component name it acts as.
CONTROLLERS: tuple[Any, ...] = (GarbageCollector, NamespaceController)


def start_controllers(api: ObjectAPI) -> list[asyncio.Task[Any]]:
    tasks = []
    for controller_class in CONTROLLERS:
        controller = controller_class(LocalClient(api, controller_class.name))
        tasks.append(asyncio.create_task(controller.run(), name=controller_class.name))
    return tasks
