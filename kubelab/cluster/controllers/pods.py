"""What workload controllers need to know about pods, and how they create and delete them.

A controller judges its pods only by what the API shows: the phase, the ``Ready`` condition and
when it last changed, the deletion timestamp. A pod is *active* while it may still run (not
finished, not being deleted), *ready* when its ``Ready`` condition is True, and *available* once
it has been ready for ``minReadySeconds``. Every workload controller stamps new pods from its
template the same way and reports each create and delete as an Event on itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import PODS, LocalClient, copy_object
from kubelab.cluster.controllers.ownership import controller_reference
from kubelab.cluster.events import EventRecorder
from kubelab.cluster.resources.printing import parse_time

TERMINAL_PHASES = ("Succeeded", "Failed")


def phase(pod: dict[str, Any]) -> str:
    return (pod.get("status") or {}).get("phase", "")


def is_terminating(pod: dict[str, Any]) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_active(pod: dict[str, Any]) -> bool:
    """Still counts toward a replica count: not finished and not being deleted."""
    return phase(pod) not in TERMINAL_PHASES and not is_terminating(pod)


def ready_condition(pod: dict[str, Any]) -> dict[str, Any] | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition
    return None


def is_ready(pod: dict[str, Any]) -> bool:
    condition = ready_condition(pod)
    return condition is not None and condition.get("status") == "True"


def ready_since(pod: dict[str, Any]) -> datetime | None:
    """When the pod last became ready, or None if it is not ready."""
    condition = ready_condition(pod)
    if condition is None or condition.get("status") != "True":
        return None
    return parse_time(condition.get("lastTransitionTime"))


def available_at(pod: dict[str, Any], min_ready_seconds: int) -> datetime | None:
    """The moment a ready pod counts as available; None while it is not ready."""
    since = ready_since(pod)
    if since is None:
        return None
    return since + timedelta(seconds=min_ready_seconds)


def is_available(pod: dict[str, Any], min_ready_seconds: int, now: datetime) -> bool:
    """Ready, and for at least ``minReadySeconds`` (``IsPodAvailable``)."""
    if not is_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    moment = available_at(pod, min_ready_seconds)
    return moment is not None and moment < now


def seconds_until_available(
    pods: list[dict[str, Any]], min_ready_seconds: int, now: datetime
) -> float | None:
    """How long until the next ready-but-not-yet-available pod becomes available."""
    waits = [
        (moment - now).total_seconds()
        for pod in pods
        if (moment := available_at(pod, min_ready_seconds)) is not None and moment >= now
    ]
    return max(min(waits), 0) + 1 if waits else None


def restart_count(pod: dict[str, Any]) -> int:
    """The highest restart count among the pod's containers."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return max((s.get("restartCount", 0) for s in statuses), default=0)


def pod_from_template(
    template: dict[str, Any], owner: dict[str, Any], name: str | None = None
) -> dict[str, Any]:
    """A new pod stamped from a pod template, controlled by ``owner`` (``GetPodFromTemplate``).

    Without a ``name`` the API server names it ``<owner>-<5 random characters>`` from
    ``generateName``, which is where names like ``web-5d4f8b9c7-x2x7k`` come from.
    """
    template = copy_object(template)
    source = template.get("metadata") or {}
    metadata: dict[str, Any] = {"ownerReferences": [controller_reference(owner)]}
    for field in ("labels", "annotations", "finalizers"):
        if source.get(field):
            metadata[field] = source[field]
    if name:
        metadata["name"] = name
    else:
        metadata["generateName"] = f"{owner['metadata']['name']}-"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": template.get("spec") or {},
    }


class PodControl:
    """Creates and deletes an owner's pods, recording ``SuccessfulCreate``/``SuccessfulDelete``
    (or ``FailedCreate``/``FailedDelete``) Events on the owner, as ``RealPodControl`` does."""

    def __init__(self, client: LocalClient, events: EventRecorder) -> None:
        self.client = client
        self.events = events

    def create(self, owner: dict[str, Any], pod: dict[str, Any]) -> dict[str, Any]:
        namespace = owner["metadata"]["namespace"]
        try:
            created = self.client.create(PODS, namespace, pod)
        except APIError as error:
            if not _namespace_terminating(error):
                self.events.record(
                    owner, "Warning", "FailedCreate", f"Error creating: {error.message}"
                )
            raise
        self.events.record(
            owner, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}"
        )
        return created

    def delete(self, owner: dict[str, Any], pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        try:
            self.client.delete(PODS, meta["namespace"], meta["name"], uid=meta.get("uid"))
        except APIError as error:
            self.events.record(owner, "Warning", "FailedDelete", f"Error deleting: {error.message}")
            raise
        self.events.record(owner, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")


def _namespace_terminating(error: APIError) -> bool:
    return "because it is being terminated" in error.message
