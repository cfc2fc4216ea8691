"""Applying and removing an exercise's objects through the API, quietly and repeatably.

Setting up, solving and resetting must work whatever state the learner left behind: an object
may already exist (replace it), may have an immutable field the new version changes (delete and
create it again), or may be half-deleted. Pods are removed without a grace period, because a
reset is "start over now", not a graceful shutdown.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

from kubelab.checks.kubeapi import APIRequestError, KubeAPI, ResourceType
from kubelab.course.model import NAMESPACE_PLACEHOLDER

MANAGED_BY = {"app.kubernetes.io/managed-by": "kubelab"}
LESSON_LABEL = "kubelab.dev/lesson"
GONE_TIMEOUT = 60.0
#: A pod still terminating after this long is removed without waiting for its containers.
FORCE_AFTER = 5.0


class ManifestError(RuntimeError):
    """The cluster refused an exercise's manifest (a bug in the exercise, shown as such)."""


def substitute(value: Any, namespace: str) -> Any:
    """Replace ``${NAMESPACE}`` in every string of a manifest or command."""
    if isinstance(value, str):
        return value.replace(NAMESPACE_PLACEHOLDER, namespace)
    if isinstance(value, list):
        return [substitute(item, namespace) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, namespace) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Placed:
    rtype: ResourceType
    namespace: str | None
    body: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])

    def label(self) -> str:
        return f"{self.rtype.kind} {self.name}"


def place(api: KubeAPI, manifest: dict[str, Any], namespace: str) -> Placed:
    """The manifest as it will be applied: placeholders filled, namespaced into ``namespace``.

    An object's own ``metadata.namespace`` is overridden too: exercises are written for their
    lesson namespace, and a student's namespace replaces it when a class is graded.
    """
    body = substitute(copy.deepcopy(manifest), namespace)
    rtype = api.resource(body["apiVersion"], body["kind"])
    metadata = body.setdefault("metadata", {})
    if rtype.namespaced:
        metadata["namespace"] = namespace
        return Placed(rtype, namespace, body)
    metadata.pop("namespace", None)
    return Placed(rtype, None, body)


def apply(api: KubeAPI, manifests: tuple[dict[str, Any], ...], namespace: str) -> None:
    """Create each object, or replace it, or (if a field cannot change) delete and recreate."""
    for manifest in manifests:
        placed = place(api, manifest, namespace)
        try:
            api.create(placed.rtype, placed.body, placed.namespace)
            continue
        except APIRequestError as exc:
            if exc.status != 409:
                raise ManifestError(f"{placed.label()}: {exc.message}") from exc
        existing = api.get(placed.rtype, placed.name, placed.namespace)
        if existing is not None and not existing["metadata"].get("deletionTimestamp"):
            body = copy.deepcopy(placed.body)
            body["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
            try:
                api.replace(placed.rtype, body, placed.namespace)
                continue
            except APIRequestError as exc:
                if exc.status not in (400, 409, 422):
                    raise ManifestError(f"{placed.label()}: {exc.message}") from exc
        delete(api, [placed])
        try:
            api.create(placed.rtype, placed.body, placed.namespace)
        except APIRequestError as exc:
            raise ManifestError(f"{placed.label()}: {exc.message}") from exc


#: Controllers whose pods must be gone before a reset is complete: deleted in the foreground,
#: so the controller object disappears only after its pods.
POD_CONTROLLERS = {
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "ReplicationController",
}


def delete(api: KubeAPI, objects: list[Placed], timeout: float = GONE_TIMEOUT) -> None:
    """Delete objects and wait until they are gone, with the pods of any controller."""
    for obj in objects:
        grace = 0 if obj.rtype.kind == "Pod" else None
        propagation = "Foreground" if obj.rtype.kind in POD_CONTROLLERS else "Background"
        api.delete(obj.rtype, obj.name, obj.namespace, grace, propagation)
    wait_gone(api, objects, timeout)


def wait_gone(api: KubeAPI, objects: list[Placed], timeout: float = GONE_TIMEOUT) -> None:
    """Wait until the objects no longer exist.

    Their pods are deleted gracefully; one still shutting down after a few seconds is removed
    without waiting, because a reset is "start over now" and a node may never confirm it.
    """
    pods = api.resource("v1", "Pod")
    namespaces = {o.namespace for o in objects if o.namespace} | {
        o.name for o in objects if o.rtype.kind == "Namespace"
    }
    deadline = time.monotonic() + timeout
    first_seen: dict[str, float] = {}
    remaining = list(objects)
    while True:
        remaining = [o for o in remaining if api.get(o.rtype, o.name, o.namespace) is not None]
        if not remaining:
            return
        now = time.monotonic()
        if now >= deadline:
            names = ", ".join(o.label() for o in remaining)
            raise ManifestError(f"still not deleted after {timeout:.0f} s: {names}")
        for namespace in namespaces:
            for pod in api.list(pods, namespace):
                if not pod["metadata"].get("deletionTimestamp"):
                    continue
                since = first_seen.setdefault(pod["metadata"]["uid"], now)
                if now - since >= FORCE_AFTER:
                    api.delete(pods, pod["metadata"]["name"], namespace, grace_seconds=0)
        time.sleep(0.2)


def ensure_namespace(api: KubeAPI, namespace: str, lesson: str) -> None:
    rtype = api.resource("v1", "Namespace")
    current = api.get(rtype, namespace, None)
    if current is not None and current["metadata"].get("deletionTimestamp"):
        wait_gone(api, [Placed(rtype, None, {"metadata": {"name": namespace}})])
        current = None
    if current is None:
        labels = {**MANAGED_BY, LESSON_LABEL: lesson}
        body = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": namespace, "labels": labels},
        }
        try:
            api.create(rtype, body, None)
        except APIRequestError as exc:
            if exc.status != 409:
                raise ManifestError(f"Namespace {namespace}: {exc.message}") from exc


def delete_namespace(api: KubeAPI, namespace: str, timeout: float = GONE_TIMEOUT) -> None:
    """Remove a namespace and everything in it, pods first so nothing holds it up."""
    pods = api.resource("v1", "Pod")
    for pod in api.list(pods, namespace):
        api.delete(pods, pod["metadata"]["name"], namespace, grace_seconds=0)
    rtype = api.resource("v1", "Namespace")
    if api.delete(rtype, namespace, None):
        wait_gone(api, [Placed(rtype, None, {"metadata": {"name": namespace}})], timeout)
