"""The taint eviction controller: deletes pods from nodes with a NoExecute taint they do not
tolerate (long enough).

A pod on a node tainted ``NoExecute`` must go unless it tolerates every such taint. A toleration
with ``tolerationSeconds`` only buys time: the pod is deleted that many seconds after the taint
was added. Every pod gets ``not-ready`` and ``unreachable`` tolerations of 300 seconds when it
is created (the DefaultTolerationSeconds admission plugin), which is why a lost node's pods are
replaced about five minutes after the node controller taints it. If the taint goes away first,
the eviction is called off.

Before deleting, the controller adds a ``DisruptionTarget`` condition to the pod's status and
records a ``TaintManagerEviction`` event, as upstream does.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import NODES, PODS, LocalClient
from kubelab.cluster.events import EventRecorder
from kubelab.cluster.resources.printing import parse_time
from kubelab.cluster.scheduler import tolerates

log = logging.getLogger("kubelab.cluster.controllers")

#: How often (cluster seconds) the controller looks for pods whose time is up.
CHECK_PERIOD_SECONDS = 1.0


def no_execute_taints(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") == "NoExecute"
    ]


def eviction_delay(pod: dict[str, Any], taints: list[dict[str, Any]]) -> float | None:
    """Seconds after the taints were added when the pod must go: 0 for a taint it does not
    tolerate, None when it tolerates them all for ever.

    For each taint the first toleration that matches it is the one used; the shortest
    ``tolerationSeconds`` among those used decides.
    """
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    used = []
    for taint in taints:
        match = next((t for t in tolerations if tolerates([t], taint)), None)
        if match is None:
            return 0.0
        used.append(match)
    limits = [float(t["tolerationSeconds"]) for t in used if t.get("tolerationSeconds") is not None]
    return max(min(limits), 0.0) if limits else None


class TaintEvictionController:
    name = "taint-eviction-controller"

    def __init__(self, client: LocalClient) -> None:
        self.client = client
        self.events = EventRecorder(client, self.name)
        #: Pods (by uid) whose eviction is scheduled, as ``namespace/name``.
        self.scheduled: dict[str, str] = {}

    async def run(self) -> None:
        while True:
            await self.client.clock.sleep(CHECK_PERIOD_SECONDS)
            try:
                self.check()
            except APIError as error:
                log.warning("%s: %s", self.name, error.message)
            except Exception:  # noqa: BLE001 - keep the control loop alive, as upstream
                log.exception("%s: checking pods failed", self.name)

    def check(self) -> None:
        tainted = {}
        for node in self.client.list(NODES):
            taints = no_execute_taints(node)
            if taints:
                tainted[node["metadata"]["name"]] = taints
        still_scheduled: dict[str, str] = {}
        if tainted:
            now = self.client.clock.now()
            for pod in self.client.list(PODS):
                taints = tainted.get((pod.get("spec") or {}).get("nodeName") or "")
                if not taints or pod["metadata"].get("deletionTimestamp"):
                    continue
                delay = eviction_delay(pod, taints)
                if delay is None:
                    continue
                added = [parse_time(t.get("timeAdded")) for t in taints]
                since = min((moment for moment in added if moment is not None), default=now)
                uid = pod["metadata"].get("uid", "")
                if since + timedelta(seconds=delay) <= now:
                    self.evict(pod)
                else:
                    still_scheduled[uid] = self._ref(pod)
        for uid, ref in self.scheduled.items():
            if uid not in still_scheduled:
                self._cancelled(uid, ref)
        self.scheduled = still_scheduled

    @staticmethod
    def _ref(pod: dict[str, Any]) -> str:
        return f"{pod['metadata'].get('namespace', '')}/{pod['metadata']['name']}"

    def _cancelled(self, uid: str, ref: str) -> None:
        """The taint went away (or the pod did) before the pod's time was up."""
        namespace, _, name = ref.partition("/")
        pod = self.client.get(PODS, namespace, name)
        if pod is None or pod["metadata"].get("uid") != uid:
            return
        if pod["metadata"].get("deletionTimestamp"):
            return
        self.events.record(
            pod, "Normal", "TaintManagerEviction", f"Cancelling deletion of Pod {ref}"
        )

    def evict(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        stamp = self.client.clock.timestamp()
        conditions = pod.setdefault("status", {}).setdefault("conditions", [])
        if not any(c.get("type") == "DisruptionTarget" for c in conditions):
            conditions.append({
                "type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                "lastTransitionTime": stamp, "reason": "DeletionByTaintManager",
                "message": "Taint manager: deleting due to NoExecute taint",
            })  # fmt: skip
            try:
                pod = self.client.update_status(PODS, pod)
            except APIError as error:
                if error.code == 404:
                    return
                if error.code != 409:
                    raise
        self.events.record(pod, "Normal", "TaintManagerEviction",
                           f"Marking for deletion Pod {self._ref(pod)}")  # fmt: skip
        self.client.delete(PODS, meta.get("namespace", ""), meta["name"], uid=meta.get("uid"))
