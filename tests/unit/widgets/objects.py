"""API objects as the API server serves them, built small for the picture tests."""

from __future__ import annotations

from typing import Any


def owner(uid: str, kind: str = "ReplicaSet") -> list[dict[str, Any]]:
    return [{"apiVersion": "apps/v1", "kind": kind, "name": uid, "uid": uid, "controller": True}]


def node(name: str, ready: bool = True, cpu: str = "2", memory: str = "4Gi") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "uid": f"node-{name}"},
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def container_status(
    state: dict[str, Any], ready: bool, restarts: int = 0, name: str = "app"
) -> dict[str, Any]:
    return {"name": name, "ready": ready, "restartCount": restarts, "state": state}


def pod(
    name: str,
    node_name: str | None = "node-1",
    phase: str = "Running",
    ready: bool = True,
    state: dict[str, Any] | None = None,
    restarts: int = 0,
    owned_by: str | None = None,
    deleting: bool = False,
    resources: dict[str, Any] | None = None,
    namespace: str = "lesson",
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "uid": f"uid-{name}"}
    if owned_by:
        metadata["ownerReferences"] = owner(owned_by)
    if deleting:
        metadata["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    spec: dict[str, Any] = {"containers": [{"name": "app", "resources": resources or {}}]}
    if node_name:
        spec["nodeName"] = node_name
    return {
        "metadata": metadata,
        "spec": spec,
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [container_status(state or {"running": {}}, ready, restarts)],
        },
    }


def replicaset(
    name: str,
    replicas: int,
    ready: int,
    deployment: str | None = None,
    revision: int = 1,
    image: str = "nginx:1.27",
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "uid": name,
        "annotations": {"deployment.kubernetes.io/revision": str(revision)},
    }
    if deployment:
        metadata["ownerReferences"] = owner(deployment, "Deployment")
    return {
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "app", "image": image}]}},
        },
        "status": {"replicas": replicas, "readyReplicas": ready},
    }


def deployment(name: str, replicas: int, ready: int, updated: int | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "uid": name},
        "spec": {"replicas": replicas},
        "status": {
            "readyReplicas": ready,
            "availableReplicas": ready,
            "updatedReplicas": replicas if updated is None else updated,
        },
    }


def service(name: str, port: int = 80) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"type": "ClusterIP", "ports": [{"port": port}]}}


def endpoint_slice(service_name: str, pods: dict[str, bool]) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"{service_name}-abcde",
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "endpoints": [
            {"targetRef": {"kind": "Pod", "name": name}, "conditions": {"ready": ready}}
            for name, ready in pods.items()
        ],
    }
