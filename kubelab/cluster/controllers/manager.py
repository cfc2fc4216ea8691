"""kube-controller-manager: starts every controller as a task on the cluster's event loop."""

from __future__ import annotations

import asyncio
from typing import Any

from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.client import LocalClient
from kubelab.cluster.controllers.crd import CustomResourceDefinitionController
from kubelab.cluster.controllers.cronjob import CronJobController
from kubelab.cluster.controllers.daemonset import DaemonSetController
from kubelab.cluster.controllers.deployment import DeploymentController
from kubelab.cluster.controllers.endpoints import EndpointsController
from kubelab.cluster.controllers.endpointslice import EndpointSliceController
from kubelab.cluster.controllers.garbagecollector import GarbageCollector
from kubelab.cluster.controllers.horizontalpodautoscaler import HorizontalPodAutoscalerController
from kubelab.cluster.controllers.job import JobController
from kubelab.cluster.controllers.namespace import NamespaceController
from kubelab.cluster.controllers.nodelifecycle import NodeLifecycleController
from kubelab.cluster.controllers.persistentvolume import PersistentVolumeController
from kubelab.cluster.controllers.provisioner import HostPathProvisioner
from kubelab.cluster.controllers.replicaset import ReplicaSetController
from kubelab.cluster.controllers.replicationcontroller import ReplicationControllerController
from kubelab.cluster.controllers.resourcequota import ResourceQuotaController
from kubelab.cluster.controllers.rootcacert import RootCACertPublisher
from kubelab.cluster.controllers.serviceaccount import ServiceAccountController
from kubelab.cluster.controllers.statefulset import StatefulSetController
from kubelab.cluster.controllers.tainteviction import TaintEvictionController
from kubelab.cluster.controllers.ttlafterfinished import TTLAfterFinishedController

#: Controllers in start order; each acts as the component its ``name`` says.
CONTROLLERS: tuple[Any, ...] = (
    GarbageCollector,
    NamespaceController,
    ServiceAccountController,
    EndpointSliceController,
    EndpointsController,
    ReplicaSetController,
    ReplicationControllerController,
    DeploymentController,
    DaemonSetController,
    StatefulSetController,
    JobController,
    TTLAfterFinishedController,
    CronJobController,
    HorizontalPodAutoscalerController,
    PersistentVolumeController,
    HostPathProvisioner,
    ResourceQuotaController,
    CustomResourceDefinitionController,
    NodeLifecycleController,
    TaintEvictionController,
)


def start_controllers(api: ObjectAPI, ca_certificate: str) -> list[asyncio.Task[Any]]:
    controllers = [cls(LocalClient(api, cls.name)) for cls in CONTROLLERS]
    controllers.append(
        RootCACertPublisher(LocalClient(api, RootCACertPublisher.name), ca_certificate)
    )
    return [asyncio.create_task(c.run(), name=c.name) for c in controllers]
