"""Helpers for the check engine tests on a real teaching cluster.

Most tests let the cluster's own scheduler, kubelet and controllers produce the states they
check. A few must decide *when* a pod becomes Running (to see NOT YET turn into PASS on cue):
they bind the pod to a node no kubelet serves and play the kubelet themselves, writing the
pod's status through the ``status`` subresource (:class:`StandInKubelet`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kubelab.checks.kubeapi import KubeAPI

#: A node name no kubelet owns: pods bound to it are only ever changed by the test.
STAND_IN_NODE = "stand-in-node"


def create(api: KubeAPI, namespace: str, manifest: dict[str, Any]) -> dict[str, Any]:
    rtype = api.resource(manifest["apiVersion"], manifest["kind"])
    return api.create(rtype, manifest, namespace if rtype.namespaced else None)


def pod_manifest(
    name: str, image: str = "nginx", labels: dict[str, str] | None = None, **spec: Any
) -> dict:
    container = {"name": spec.pop("container_name", "app"), "image": image}
    container.update(spec.pop("container", {}))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"containers": [container], **spec},
    }


class StandInKubelet:
    """Writes pod status the way a kubelet would, for pods bound to :data:`STAND_IN_NODE`."""

    def __init__(self, api: KubeAPI, namespace: str) -> None:
        self.api = api
        self.namespace = namespace
        self.rtype = api.resource("v1", "Pod")
        self.names: list[str] = []

    def pod(self, name: str, labels: dict[str, str] | None = None, image: str = "nginx") -> dict:
        created = create(
            self.api, self.namespace, pod_manifest(name, image, labels, nodeName=STAND_IN_NODE)
        )
        self.names.append(name)
        return created

    def report(self, name: str, phase: str, ready: bool, waiting: str | None = None) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        state = {"waiting": {"reason": waiting}} if waiting else {"running": {"startedAt": now}}
        status = {
            "phase": phase,
            "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": now,
                },
            ],
            "containerStatuses": [
                {
                    "name": "app",
                    "image": "nginx",
                    "imageID": "",
                    "ready": ready,
                    "restartCount": 0,
                    "state": state,
                }
            ],
        }
        path = self.rtype.path(self.namespace, name, "status")
        self.api.json(
            "PATCH", path, body={"status": status}, content_type="application/merge-patch+json"
        )

    def starting(self, name: str) -> None:
        self.report(name, "Pending", False, "ContainerCreating")

    def running(self, name: str) -> None:
        self.report(name, "Running", True)

    def remove_all(self) -> None:
        for name in self.names:
            self.api.delete(self.rtype, name, self.namespace, grace_seconds=0)
