"""Pictures of the cluster for a notebook: ``kubelab.show.cluster_map()``, ``rollout("web")``,
``pod_timeline("web-abc")``, ``resources()``, and the course's ``contents()``.

Each picture watches the cluster through the Kubernetes API and redraws itself while later
cells change it, for ``duration`` seconds (ten minutes unless told); ``.stop()`` ends it early
and ``.snapshot()`` gives a still image of the moment. The namespace is the lesson's (the one
``kubelab.lesson_namespace`` chose, else the kubeconfig context's) unless one is named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from kubelab.connect import Connection
from kubelab.widgets.cluster_map import WATCHED, ClusterMap
from kubelab.widgets.contents import CourseContents, course_contents
from kubelab.widgets.live import DEFAULT_DURATION, LivePicture, Picture
from kubelab.widgets.resources import Resources
from kubelab.widgets.rollout import Rollout
from kubelab.widgets.timeline import PodTimeline
from kubelab.widgets.watching import Kind, WatchedObjects

__all__ = ["cluster_map", "contents", "pod_timeline", "resources", "rollout"]


def _live(
    picture: Callable[[str], Picture],
    kinds: Sequence[Kind],
    namespace: str | None,
    connection: Connection | None,
    duration: float,
) -> LivePicture:
    """Draw ``picture`` of the chosen namespace (the lesson's unless one is named), watching
    ``kinds`` with a client of the picture's own, so its long-lived watch requests never take
    connections the lesson's own requests need."""
    from kubernetes.client import ApiClient

    from kubelab.checks.connection import notebook_connection
    from kubelab.checks.kubeapi import KubeAPI

    if connection is None:
        connection = notebook_connection()
    where = namespace or connection.namespace
    api = KubeAPI(ApiClient(connection.api_client.configuration))

    def watch(on_change: Callable[[], None]) -> WatchedObjects:
        return WatchedObjects(api, kinds, where, on_change)

    return LivePicture(picture(where), watch, duration=duration)


def cluster_map(
    namespace: str | None = None,
    *,
    connection: Connection | None = None,
    duration: float = DEFAULT_DURATION,
) -> LivePicture:
    """Nodes and pods, Deployment → ReplicaSet → Pod ownership, and Service → pod endpoints."""
    kinds = [Kind(api_version, kind, namespaced) for api_version, kind, namespaced in WATCHED]
    return _live(ClusterMap, kinds, namespace, connection, duration)


def rollout(
    deployment: str,
    namespace: str | None = None,
    *,
    connection: Connection | None = None,
    duration: float = DEFAULT_DURATION,
) -> LivePicture:
    """A Deployment's ReplicaSets over time: the new one growing as the old one shrinks."""
    kinds = [Kind("apps/v1", "Deployment"), Kind("apps/v1", "ReplicaSet")]
    return _live(partial(Rollout, deployment), kinds, namespace, connection, duration)


def pod_timeline(
    pod: str,
    namespace: str | None = None,
    *,
    connection: Connection | None = None,
    duration: float = DEFAULT_DURATION,
) -> LivePicture:
    """One pod's phase, readiness, container states, restarts and Events over time."""
    kinds = [Kind("v1", "Pod"), Kind("v1", "Event")]
    return _live(partial(PodTimeline, pod), kinds, namespace, connection, duration)


def resources(
    namespace: str | None = None,
    *,
    connection: Connection | None = None,
    duration: float = DEFAULT_DURATION,
) -> LivePicture:
    """Requests and limits (and QoS classes) against every node's allocatable CPU and memory.

    Pods of every namespace count against a node, so all are watched; those of ``namespace``
    are listed and drawn in full colour.
    """
    kinds = [Kind("v1", "Node", namespaced=False), Kind("v1", "Pod", namespaced=False)]
    return _live(Resources, kinds, namespace, connection, duration)


def contents(notebooks: str | Path | None = None) -> CourseContents:
    """The course's table of contents: each lesson notebook, its exercises and your progress."""
    return course_contents(Path(notebooks) if notebooks is not None else None)
