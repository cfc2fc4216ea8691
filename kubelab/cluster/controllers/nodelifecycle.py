"""The node lifecycle controller: notices nodes whose kubelet has gone silent.

Every kubelet renews a Lease in ``kube-node-lease`` every ten seconds. Every five seconds (the
node monitor period) this controller checks each node: when neither its Lease nor its Ready
condition has moved for the node monitor grace period (50 seconds since Kubernetes 1.32), it
sets the node's Ready, MemoryPressure, DiskPressure and PIDPressure conditions to ``Unknown``
("Kubelet stopped posting node status."), marks the node's pods not ready, and taints the node:

* ``node.kubernetes.io/unreachable:NoSchedule`` at once, so nothing new is scheduled there
  (``not-ready`` instead when the kubelet itself reports the node not ready);
* ``node.kubernetes.io/unreachable:NoExecute`` on the next pass. The taint eviction controller
  then deletes the pods that do not tolerate it; a pod's default toleration lasts 300 seconds.

When the kubelet reports the node Ready again, both taints go away.

Upstream's controller also slows evictions down when a whole zone fails, and stops them when
every node is down (the control plane is then the likelier culprit); the second rule is kept.
The kubelets here share the controller's event loop, so time during which that loop was blocked
is not held against them: it would otherwise mark nodes lost after a mere pause of the process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import LEASES, NODES, PODS, LocalClient
from kubelab.cluster.events import EventRecorder

log = logging.getLogger("kubelab.cluster.controllers")

LEASE_NAMESPACE = "kube-node-lease"
#: ``--node-monitor-period`` and ``--node-monitor-grace-period`` of kube-controller-manager.
NODE_MONITOR_PERIOD_SECONDS = 5.0
NODE_MONITOR_GRACE_PERIOD_SECONDS = 50.0
#: ``--node-startup-grace-period``: for a node whose kubelet never posted a Ready condition.
NODE_STARTUP_GRACE_PERIOD_SECONDS = 60.0
#: The conditions the kubelet owns, which go Unknown when it stops posting them.
KUBELET_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
#: Which node condition, in which status, means which NoSchedule taint.
CONDITION_TAINTS = {
    ("Ready", "False"): NOT_READY_TAINT,
    ("Ready", "Unknown"): UNREACHABLE_TAINT,
    ("MemoryPressure", "True"): "node.kubernetes.io/memory-pressure",
    ("DiskPressure", "True"): "node.kubernetes.io/disk-pressure",
    ("PIDPressure", "True"): "node.kubernetes.io/pid-pressure",
    ("NetworkUnavailable", "True"): "node.kubernetes.io/network-unavailable",
}
CONDITION_TAINT_KEYS = frozenset(CONDITION_TAINTS.values())


def condition(node: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for item in (node.get("status") or {}).get("conditions") or []:
        if item.get("type") == kind:
            return item
    return None


def ready_status(node: dict[str, Any]) -> str:
    found = condition(node, "Ready")
    return str(found.get("status", "Unknown")) if found else "Unknown"


@dataclass
class NodeHealth:
    """What the controller last saw of a node, and when (cluster seconds) it last moved."""

    probed_at: float
    heartbeat: str | None
    renewed: str | None


class NodeLifecycleController:
    name = "node-controller"

    def __init__(self, client: LocalClient) -> None:
        self.client = client
        self.events = EventRecorder(client, "node-controller")
        self.health: dict[str, NodeHealth] = {}

    def _now(self) -> float:
        return self.client.clock.now().timestamp()

    async def run(self) -> None:
        period = NODE_MONITOR_PERIOD_SECONDS
        while True:
            before = self._now()
            await self.client.clock.sleep(period)
            # Cluster time the event loop spent frozen is not the kubelets' fault.
            stalled = self._now() - before - period
            if stalled > 1.0:
                for health in self.health.values():
                    health.probed_at += stalled
            try:
                self.monitor()
            except APIError as error:
                log.warning("node-controller: %s", error.message)
            except Exception:  # noqa: BLE001 - keep the control loop alive, as upstream
                log.exception("node-controller: monitoring nodes failed")

    # --- one pass -------------------------------------------------------------------------------

    def monitor(self) -> None:
        """One ``monitorNodeHealth`` pass over every node."""
        nodes = self.client.list(NODES)
        names = {node["metadata"]["name"] for node in nodes}
        for gone in set(self.health) - names:
            del self.health[gone]
        observed = {}
        current = []
        for node in nodes:
            name = node["metadata"]["name"]
            if name not in self.health:
                self.events.record(node, "Normal", "RegisteredNode",
                                   f"Registered Node {name} in Controller")  # fmt: skip
            observed[name] = ready_status(node)
            node = self._update_health(node)
            if observed[name] == "True" and ready_status(node) != "True":
                self.events.record(node, "Normal", "NodeNotReady",
                                   f"Node {name} status is now: NodeNotReady")  # fmt: skip
                self._mark_pods_not_ready(name)
            self._sync_no_schedule_taints(node)
            current.append(node)
        every_node_down = bool(nodes) and all(status != "True" for status in observed.values())
        for node in current:
            ready = "True" if every_node_down else observed[node["metadata"]["name"]]
            self._sync_no_execute_taints(node, ready)

    def _update_health(self, node: dict[str, Any]) -> dict[str, Any]:
        """Note a renewed Lease or a new heartbeat; past the grace period, mark the node
        Unknown. Returns the node as it now is."""
        name = node["metadata"]["name"]
        ready = condition(node, "Ready") or {}
        heartbeat = ready.get("lastHeartbeatTime")
        lease = self.client.get(LEASES, LEASE_NAMESPACE, name)
        renewed = ((lease or {}).get("spec") or {}).get("renewTime")
        now = self._now()
        health = self.health.get(name)
        if health is None:
            self.health[name] = NodeHealth(now, heartbeat, renewed)
            return node
        if heartbeat != health.heartbeat or renewed != health.renewed:
            health.probed_at, health.heartbeat, health.renewed = now, heartbeat, renewed
            return node
        grace = NODE_MONITOR_GRACE_PERIOD_SECONDS if ready else NODE_STARTUP_GRACE_PERIOD_SECONDS
        if now - health.probed_at <= grace:
            return node
        stamp = self.client.clock.timestamp()
        conditions = node.setdefault("status", {}).setdefault("conditions", [])
        changed = False
        for kind in KUBELET_CONDITIONS:
            found = condition(node, kind)
            if found is None:
                conditions.append({
                    "type": kind, "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                    "message": "Kubelet never posted node status.",
                    "lastHeartbeatTime": node["metadata"].get("creationTimestamp"),
                    "lastTransitionTime": stamp,
                })  # fmt: skip
                changed = True
            elif found.get("status") != "Unknown":
                found.update(
                    status="Unknown", reason="NodeStatusUnknown",
                    message="Kubelet stopped posting node status.", lastTransitionTime=stamp,
                )  # fmt: skip
                changed = True
        if not changed:
            return node
        updated = self.client.update_status(NODES, node)
        health.heartbeat = (condition(updated, "Ready") or {}).get("lastHeartbeatTime")
        return updated

    def _mark_pods_not_ready(self, node_name: str) -> None:
        """``MarkPodsNotReady``: the pods of a lost node stop receiving Service traffic."""
        stamp = self.client.clock.timestamp()
        for pod in self.client.list(PODS):
            if (pod.get("spec") or {}).get("nodeName") != node_name:
                continue
            ready = next(
                (c for c in (pod.get("status") or {}).get("conditions") or []
                 if c.get("type") == "Ready"),
                None,
            )  # fmt: skip
            if ready is None or ready.get("status") == "False":
                continue
            ready.update(status="False", lastTransitionTime=stamp)
            try:
                self.client.update_status(PODS, pod)
            except APIError as error:
                if error.code not in (404, 409):
                    raise
                continue
            self.events.record(pod, "Warning", "NodeNotReady", "Node is not ready")

    # --- taints ---------------------------------------------------------------------------------

    def _set_taints(self, node: dict[str, Any], taints: list[dict[str, Any]]) -> None:
        if taints == ((node.get("spec") or {}).get("taints") or []):
            return
        spec = node.setdefault("spec", {})
        if taints:
            spec["taints"] = taints
        else:
            spec.pop("taints", None)
        try:
            updated = self.client.update(NODES, node)
        except APIError as error:
            if error.code != 409:
                raise
            return  # the next pass works from the newer version
        node.clear()
        node.update(updated)

    def _sync_no_schedule_taints(self, node: dict[str, Any]) -> None:
        """``doNoScheduleTaintingPass``: one NoSchedule taint per unhealthy condition."""
        wanted = [
            {"key": CONDITION_TAINTS[(item.get("type"), item.get("status"))],
             "effect": "NoSchedule"}
            for item in (node.get("status") or {}).get("conditions") or []
            if (item.get("type"), item.get("status")) in CONDITION_TAINTS
        ]  # fmt: skip
        current = (node.get("spec") or {}).get("taints") or []
        kept = [
            t for t in current
            if not (t.get("effect") == "NoSchedule" and t.get("key") in CONDITION_TAINT_KEYS)
        ]  # fmt: skip
        present = [t for t in current if t not in kept]
        added = [t for t in wanted if not any(t["key"] == p.get("key") for p in present)]
        still = [p for p in present if any(p.get("key") == t["key"] for t in wanted)]
        self._set_taints(node, kept + still + added)

    def _sync_no_execute_taints(self, node: dict[str, Any], observed_ready: str) -> None:
        """``processTaintBaseEviction``: unreachable or not-ready NoExecute, from the Ready
        status seen at the start of the pass; none for a Ready node."""
        wanted = {"Unknown": UNREACHABLE_TAINT, "False": NOT_READY_TAINT}.get(observed_ready)
        current = (node.get("spec") or {}).get("taints") or []
        ours = (UNREACHABLE_TAINT, NOT_READY_TAINT)
        kept = [t for t in current if not (t.get("effect") == "NoExecute" and t.get("key") in ours)]
        existing = [t for t in current if t not in kept and t.get("key") == wanted]
        if wanted is not None and not existing:
            existing = [
                {"key": wanted, "effect": "NoExecute", "timeAdded": self.client.clock.timestamp()}
            ]
        self._set_taints(node, kept + existing)
