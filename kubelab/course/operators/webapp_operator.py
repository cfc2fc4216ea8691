"""The WebApp operator: the custom controller of the CRD lesson, written with kopf.

A ``WebApp`` (``apps.kubelab.io/v1``, see ``webapp-crd.yaml``) names an image, a replica count
and a port. For each one the operator keeps a Deployment running the image and a Service in
front of it, both *owned* by the WebApp (owner references), so that deleting the WebApp lets
the garbage collector remove them. It shows the pieces every operator is made of:

* handlers for create, update and resume, which make the world match the spec;
* a delete handler behind a finalizer, which runs before the object may go;
* a timer that compares the Deployment with the spec again and again (drift: someone scaled or
  edited the Deployment by hand) and reports ``ready`` replicas in the WebApp's status;
* events, which ``kubectl describe webapp`` shows.

Run it against the current kubeconfig with ``kopf run --standalone -A webapp_operator.py``.
``WEBAPP_SYNC_INTERVAL`` sets the timer's period in seconds (default 10).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import kopf
from kubernetes import client
from kubernetes.client.exceptions import ApiException

GROUP, VERSION, PLURAL = "apps.kubelab.io", "v1", "webapps"
#: The finalizer that keeps a deleted WebApp until the operator has cleaned up after it.
FINALIZER = "apps.kubelab.io/webapp-operator"
#: The label that marks what the operator made, and the Service selects pods by.
APP_LABEL = "apps.kubelab.io/webapp"
SYNC_INTERVAL = float(os.environ.get("WEBAPP_SYNC_INTERVAL", "10"))
MERGE_PATCH = "application/merge-patch+json"


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.finalizer = FINALIZER


# --- what a WebApp should look like --------------------------------------------------------------


def desired_deployment(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    labels = {APP_LABEL: name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {
            "replicas": spec.get("replicas", 1),
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": spec["image"],
                            "ports": [{"containerPort": spec.get("port", 80)}],
                        }
                    ]
                },
            },
        },
    }


def desired_service(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    port = spec.get("port", 80)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {APP_LABEL: name}},
        "spec": {
            "selector": {APP_LABEL: name},
            "ports": [{"name": "http", "port": port, "targetPort": port}],
        },
    }


def deployment_drift(deployment: Any, spec: dict[str, Any]) -> list[str]:
    """What in a Deployment no longer matches its WebApp's spec."""
    drift = []
    if deployment.spec.replicas != spec.get("replicas", 1):
        drift.append(f"replicas {deployment.spec.replicas} != {spec.get('replicas', 1)}")
    container = deployment.spec.template.spec.containers[0]
    if container.image != spec["image"]:
        drift.append(f"image {container.image} != {spec['image']}")
    ports = [p.container_port for p in container.ports or []]
    if ports != [spec.get("port", 80)]:
        drift.append(f"port {ports} != {spec.get('port', 80)}")
    return drift


# --- making it so --------------------------------------------------------------------------------


def _ensure(
    read: Any, create: Any, patch: Any, name: str, namespace: str, body: dict[str, Any]
) -> str:
    """Create the object, or bring its spec in line; say which."""
    try:
        read(name, namespace)
    except ApiException as error:
        if error.status != 404:
            raise
        try:
            create(namespace, body)
            return "created"
        except ApiException as conflict:
            if conflict.status != 409:
                raise
    patch(name, namespace, {"spec": body["spec"]}, _content_type=MERGE_PATCH)
    return "updated"


def apply_children(body: kopf.Body, spec: dict[str, Any], name: str, namespace: str) -> str:
    deployment, service = desired_deployment(name, spec), desired_service(name, spec)
    kopf.adopt([deployment, service], owner=body)
    apps, core = client.AppsV1Api(), client.CoreV1Api()
    done = _ensure(
        apps.read_namespaced_deployment,
        apps.create_namespaced_deployment,
        apps.patch_namespaced_deployment,
        name,
        namespace,
        deployment,
    )
    _ensure(
        core.read_namespaced_service,
        core.create_namespaced_service,
        core.patch_namespaced_service,
        name,
        namespace,
        service,
    )
    return done


@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
@kopf.on.resume(GROUP, VERSION, PLURAL)
def reconcile(
    body: kopf.Body,
    spec: kopf.Spec,
    name: str,
    namespace: str,
    patch: kopf.Patch,
    reason: kopf.Reason,
    logger: logging.Logger,
    **_: Any,
) -> None:
    done = apply_children(body, dict(spec), name, namespace)
    patch.status["deployment"] = name
    patch.status["service"] = name
    message = f"Deployment and Service {name} {done} (image {spec['image']})"
    logger.info(message)
    kopf.info(body, reason=reason.capitalize() if reason else "Synced", message=message)


@kopf.on.delete(GROUP, VERSION, PLURAL)
def delete(body: kopf.Body, name: str, namespace: str, logger: logging.Logger, **_: Any) -> None:
    """Runs while the finalizer holds the WebApp. Its owner reference would let the garbage
    collector remove the Deployment afterwards anyway; deleting it here stops the pods at once.
    The Service goes with the WebApp through its owner reference."""
    try:
        client.AppsV1Api().delete_namespaced_deployment(
            name, namespace, body=client.V1DeleteOptions(propagation_policy="Background")
        )
    except ApiException as error:
        if error.status != 404:
            raise
    logger.info(f"Deployment {name} deleted")
    kopf.info(body, reason="Deleted", message=f"Deployment {name} deleted; Service {name} follows")


@kopf.timer(GROUP, VERSION, PLURAL, interval=SYNC_INTERVAL)
def sync(
    body: kopf.Body,
    spec: kopf.Spec,
    name: str,
    namespace: str,
    status: kopf.Status,
    patch: kopf.Patch,
    logger: logging.Logger,
    **_: Any,
) -> None:
    """Undo drift in the Deployment and report how many replicas are ready."""
    if not status.get("deployment"):
        return  # the create handler has not made the Deployment yet
    try:
        deployment = client.AppsV1Api().read_namespaced_deployment(name, namespace)
    except ApiException as error:
        if error.status != 404:
            raise
        apply_children(body, dict(spec), name, namespace)
        kopf.warn(body, reason="Recreated", message=f"Deployment {name} was missing")
        return
    drift = deployment_drift(deployment, dict(spec))
    if drift:
        apply_children(body, dict(spec), name, namespace)
        message = f"Deployment {name} drifted ({', '.join(drift)}); restored"
        logger.info(message)
        kopf.info(body, reason="DriftCorrected", message=message)
    observed = deployment.status
    patch.status["replicas"] = observed.replicas or 0
    patch.status["ready"] = observed.ready_replicas or 0
