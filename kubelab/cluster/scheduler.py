"""kube-scheduler: picks a node for every pod that has none, or says why it cannot.

For each pending pod the scheduler runs *filters* (can the pod run on this node at all?) and then
*scores* the nodes that pass (which is best?), and binds the pod to the winner through the
``pods/binding`` subresource. When no node passes, the pod stays Pending with a
``PodScheduled=False`` condition and a ``FailedScheduling`` event that counts the reasons, in
kube-scheduler's own words: ``0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't
match Pod's node affinity/selector.``

As a teaching aid the scheduler also records its reasoning on the pod in the annotation
``scheduler.kubelab.io/decision``: every node with the filter that rejected it or its score.

Like kube-scheduler, which keeps a cache of the pods assigned to each node, it finds pods by an
index on ``spec.nodeName`` (unscheduled pods are the ones under the empty name), so a scheduling
pass costs the same whether the cluster runs ten pods or a thousand.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kubelab.cluster.api.binding import bind_pod
from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.selectors import selector_from_object
from kubelab.cluster.client import PODS, LocalClient, Resource
from kubelab.cluster.events import EventRecorder
from kubelab.cluster.quantity import Quantity

log = logging.getLogger("kubelab.cluster.scheduler")

NODES: Resource = ("", "v1", "nodes")
PVCS: Resource = ("", "v1", "persistentvolumeclaims")
SCHEDULER_NAME = "default-scheduler"
DECISION_ANNOTATION = "scheduler.kubelab.io/decision"
#: What scoring assumes a container requests when it names no request
#: (``DefaultMilliCPURequest`` and ``DefaultMemoryRequest``), in milli-units.
NONZERO_REQUESTS = {"cpu": 100, "memory": 200 * 1024 * 1024 * 1000}

#: Reasons preemption cannot help with (it only frees resources, ports and anti-affinity).
_UNRESOLVABLE = (
    "didn't match Pod's node affinity/selector",
    "had untolerated taint",
    "were unschedulable",
    "unbound immediate PersistentVolumeClaims",
    "not found",
)


def _requests(pod: dict[str, Any]) -> dict[str, int]:
    """Effective requests in milli-units: the larger of the sum over containers and the
    largest init container, as the scheduler computes them."""
    spec = pod.get("spec", {})

    def total(containers: list[dict[str, Any]]) -> Counter[str]:
        sums: Counter[str] = Counter()
        for container in containers:
            for name, value in ((container.get("resources") or {}).get("requests") or {}).items():
                sums[name] += Quantity.parse(value).milli_value()
        return sums

    result = total(spec.get("containers") or [])
    for init in spec.get("initContainers") or []:
        for name, value in total([init]).items():
            result[name] = max(result[name], value)
    return dict(result)


def _nonzero_requests(pod: dict[str, Any]) -> Counter[str]:
    """Requests as scoring counts them: a container without a cpu or memory request counts
    the defaults, so that pods which request nothing still spread over the nodes."""
    result: Counter[str] = Counter()
    for container in pod.get("spec", {}).get("containers") or []:
        requests = (container.get("resources") or {}).get("requests") or {}
        for name, default in NONZERO_REQUESTS.items():
            value = requests.get(name)
            result[name] += Quantity.parse(value).milli_value() if value else default
    return result


def _assigned_node(pod: dict[str, Any]) -> list[str]:
    """The index value of a pod: its node's name, or "" while it is unscheduled."""
    return [pod.get("spec", {}).get("nodeName") or ""]


def _controller_uid(pod: dict[str, Any]) -> str | None:
    for owner in pod["metadata"].get("ownerReferences") or []:
        if owner.get("controller"):
            return owner.get("uid")
    return None


def _allocatable(node: dict[str, Any]) -> dict[str, int]:
    return {
        name: Quantity.parse(value).milli_value()
        for name, value in (node.get("status", {}).get("allocatable") or {}).items()
    }


def tolerates(tolerations: list[dict[str, Any]], taint: dict[str, Any]) -> bool:
    for toleration in tolerations:
        effect = toleration.get("effect")
        if effect and effect != taint.get("effect"):
            continue
        operator = toleration.get("operator", "Equal")
        key = toleration.get("key")
        if not key and operator == "Exists":
            return True
        if key != taint.get("key"):
            continue
        if operator == "Exists" or toleration.get("value", "") == taint.get("value", ""):
            return True
    return False


def node_selector_term_matches(term: dict[str, Any], node: dict[str, Any]) -> bool:
    labels = node["metadata"].get("labels") or {}
    for expression in term.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = expression.get("values") or []
        present, value = key in labels, labels.get(key)
        if operator == "In" and not (present and value in values):
            return False
        if operator == "NotIn" and present and value in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
        if operator in ("Gt", "Lt"):
            try:
                number, bound = int(value or ""), int(values[0])
            except (ValueError, IndexError):
                return False
            if (operator == "Gt" and not number > bound) or (
                operator == "Lt" and not number < bound
            ):
                return False
    for expression in term.get("matchFields") or []:
        if expression.get("key") == "metadata.name":
            inside = node["metadata"]["name"] in (expression.get("values") or [])
            if inside != (expression.get("operator") == "In"):
                return False
    return True


@dataclass
class NodeView:
    """One node as the scheduler sees it: its object, what already runs there, and running
    totals of what those pods request and which controllers they belong to."""

    node: dict[str, Any]
    pods: list[dict[str, Any]] = field(default_factory=list)
    requested: Counter[str] = field(default_factory=Counter)
    nonzero_requested: Counter[str] = field(default_factory=Counter)
    controllers: Counter[str] = field(default_factory=Counter)

    @property
    def name(self) -> str:
        return self.node["metadata"]["name"]

    def add(self, pod: dict[str, Any]) -> None:
        self.pods.append(pod)
        self.requested.update(_requests(pod))
        self.nonzero_requested.update(_nonzero_requests(pod))
        owner = _controller_uid(pod)
        if owner:
            self.controllers[owner] += 1


class Scheduler:
    name = SCHEDULER_NAME

    def __init__(self, client: LocalClient) -> None:
        self.client = client
        self.events = EventRecorder(client, SCHEDULER_NAME)
        self._wake = asyncio.Event()
        pods_key = client.api.storage_key(client.strategy(PODS))
        self.pods_by_node = client.api.store.add_index(pods_key, "spec.nodeName", _assigned_node)
        client.api.write_hooks.append(self._on_write)

    def _on_write(self, strategy: Any, old: Any, new: Any) -> None:
        if strategy.kind in ("Pod", "Node", "PersistentVolumeClaim") and not strategy.group:
            self._wake.set()

    # --- filters ------------------------------------------------------------------------------

    def _filter(self, pod: dict[str, Any], view: NodeView) -> str | None:
        """The reason the pod cannot run on this node, or None if it can."""
        spec, node = pod.get("spec", {}), view.node
        tolerations = spec.get("tolerations") or []
        if node.get("spec", {}).get("unschedulable") and not tolerates(
            tolerations, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
        ):
            return "node(s) were unschedulable"
        labels = node["metadata"].get("labels") or {}
        if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
            return "node(s) didn't match Pod's node affinity/selector"
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        ) or {}
        terms = required.get("nodeSelectorTerms") or []
        if terms and not any(node_selector_term_matches(t, node) for t in terms):
            return "node(s) didn't match Pod's node affinity/selector"
        for taint in node.get("spec", {}).get("taints") or []:
            if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(
                tolerations, taint
            ):
                return (
                    f"node(s) had untolerated taint {{{taint.get('key')}: "
                    f"{taint.get('value', '')}}}"
                )
        return self._fit(pod, view) or self._ports(pod, view) or self._anti_affinity(pod, view)

    def _fit(self, pod: dict[str, Any], view: NodeView) -> str | None:
        allocatable = _allocatable(view.node)
        if len(view.pods) + 1 > allocatable.get("pods", 110_000) // 1000:
            return "Too many pods"
        used = view.requested
        for name, amount in sorted(_requests(pod).items()):
            if amount and used[name] + amount > allocatable.get(name, 0):
                return f"Insufficient {name}"
        return None

    def _ports(self, pod: dict[str, Any], view: NodeView) -> str | None:
        def host_ports(p: dict[str, Any]) -> set[tuple[int, str]]:
            return {
                (port["hostPort"], port.get("protocol", "TCP"))
                for c in p.get("spec", {}).get("containers") or []
                for port in c.get("ports") or []
                if port.get("hostPort")
            }

        wanted = host_ports(pod)
        if wanted and any(wanted & host_ports(other) for other in view.pods):
            return "node(s) didn't have free ports for the requested pod ports"
        return None

    def _anti_affinity(self, pod: dict[str, Any], view: NodeView) -> str | None:
        affinity = pod.get("spec", {}).get("affinity") or {}
        namespace = pod["metadata"]["namespace"]
        for kind, reason, wants_match in (
            ("podAntiAffinity", "node(s) didn't match pod anti-affinity rules", False),
            ("podAffinity", "node(s) didn't match pod affinity rules", True),
        ):
            for term in (affinity.get(kind) or {}).get(
                "requiredDuringSchedulingIgnoredDuringExecution"
            ) or []:
                if term.get("topologyKey") != "kubernetes.io/hostname":
                    continue
                selector = selector_from_object(term.get("labelSelector") or {})
                namespaces = term.get("namespaces") or [namespace]
                matched = any(
                    p["metadata"]["namespace"] in namespaces
                    and selector.matches(p["metadata"].get("labels"))
                    for p in view.pods
                )
                if matched != wants_match:
                    return reason
        return None

    def _volumes(self, pod: dict[str, Any]) -> str | None:
        namespace = pod["metadata"]["namespace"]
        for volume in pod.get("spec", {}).get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.client.get(PVCS, namespace, claim)
            if pvc is None:
                return f'persistentvolumeclaim "{claim}" not found'
            if pvc.get("status", {}).get("phase") != "Bound" and not self._waits_for_consumer(pvc):
                return "pod has unbound immediate PersistentVolumeClaims"
        return None

    def _waits_for_consumer(self, pvc: dict[str, Any]) -> bool:
        name = pvc.get("spec", {}).get("storageClassName")
        if not name:
            return False
        storage_class = self.client.get(("storage.k8s.io", "v1", "storageclasses"), "", name)
        return (
            bool(storage_class) and storage_class.get("volumeBindingMode") == "WaitForFirstConsumer"
        )

    # --- scores -------------------------------------------------------------------------------

    def _score(self, pod: dict[str, Any], view: NodeView, most_siblings: int) -> int:
        """Higher is better: free resources left, fewer sibling pods than on the most crowded
        candidate node (0 there, 100 on a node with none), preferred affinity."""
        allocatable = _allocatable(view.node)
        used = view.nonzero_requested + _nonzero_requests(pod)
        free = []
        for name in ("cpu", "memory"):
            capacity = allocatable.get(name, 0)
            free.append(max(0, 100 * (capacity - used[name]) // capacity) if capacity else 0)
        score = sum(free) // len(free)
        siblings = self._siblings(pod, view)
        score += 100 * (most_siblings - siblings) // most_siblings if most_siblings else 100
        preferred = ((pod.get("spec", {}).get("affinity") or {}).get("nodeAffinity") or {}).get(
            "preferredDuringSchedulingIgnoredDuringExecution"
        ) or []
        for term in preferred:
            if node_selector_term_matches(term.get("preference") or {}, view.node):
                score += int(term.get("weight", 0))
        return score

    @staticmethod
    def _siblings(pod: dict[str, Any], view: NodeView) -> int:
        """How many pods of the same controller already run on the node."""
        owner = _controller_uid(pod)
        return view.controllers[owner] if owner else 0

    # --- one scheduling attempt ---------------------------------------------------------------

    def _views(self) -> list[NodeView]:
        """Every node with the pods bound to it that have not finished. The pods are the
        store's own objects (read, never changed), found through the node-name index."""
        views = []
        for node in self.client.list(NODES):
            view = NodeView(node)
            for pod in self.pods_by_node.get(view.name):
                if pod.get("status", {}).get("phase") not in ("Succeeded", "Failed"):
                    view.add(pod)
            views.append(view)
        return sorted(views, key=lambda v: v.name)

    def schedule(self, pod: dict[str, Any], views: list[NodeView]) -> str | None:
        """Bind the pod to the best node and return its name, or record why none fits."""
        decision: dict[str, Any] = {}
        reasons: Counter[str] = Counter()
        volume_problem = self._volumes(pod)
        feasible = []
        for view in views:
            reason = volume_problem or self._filter(pod, view)
            if reason:
                reasons[reason] += 1
                decision[view.name] = {"filtered": reason}
            else:
                feasible.append(view)
        most_siblings = max((self._siblings(pod, view) for view in feasible), default=0)
        candidates = []
        for view in feasible:
            score = self._score(pod, view, most_siblings)
            decision[view.name] = {"score": score}
            candidates.append((score, view))
        meta = pod["metadata"]
        if not candidates:
            self._unschedulable(pod, len(views), reasons, decision)
            return None
        best = max(candidates, key=lambda c: (c[0], c[1].name == candidates[0][1].name))[1]
        self._annotate(pod, decision, best.name)
        bind_pod(self.client.api, meta["namespace"], meta["name"], best.name)
        best.add(pod)
        self.events.record(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {meta['namespace']}/{meta['name']} to {best.name}",
        )
        return best.name

    def _annotate(self, pod: dict[str, Any], decision: dict[str, Any], chosen: str | None) -> None:
        meta = pod["metadata"]
        text = json.dumps({"chosen": chosen, "nodes": decision}, separators=(",", ":"))
        if (meta.get("annotations") or {}).get(DECISION_ANNOTATION) == text:
            return
        self.client.patch(
            PODS,
            meta["namespace"],
            meta["name"],
            {"metadata": {"annotations": {DECISION_ANNOTATION: text}}},
        )

    def _unschedulable(
        self, pod: dict[str, Any], node_count: int, reasons: Counter[str], decision: dict[str, Any]
    ) -> None:
        listed = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
        resolvable = sum(c for r, c in reasons.items() if not any(u in r for u in _UNRESOLVABLE))
        parts = []
        if resolvable:
            parts.append(f"{resolvable} No preemption victims found for incoming pod")
        if node_count - resolvable:
            parts.append(f"{node_count - resolvable} Preemption is not helpful for scheduling")
        message = (
            f"0/{node_count} nodes are available: {listed}. preemption: 0/{node_count} "
            f"nodes are available: {', '.join(parts)}."
        )
        if node_count == 0:
            message = "no nodes available to schedule pods"
        self._annotate(pod, decision, None)
        current = self.client.get(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
        if current is None:
            return
        status = current.setdefault("status", {})
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": self.client.clock.timestamp(),
            "reason": "Unschedulable",
            "message": message,
        }
        old = next(
            (c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), None
        )
        if old and old.get("message") == message:
            return
        status["conditions"] = [
            c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"
        ] + [condition]
        self.client.update_status(PODS, current)
        self.events.record(current, "Warning", "FailedScheduling", message)

    def _pending(self) -> list[dict[str, Any]]:
        return [
            p
            for p in self.pods_by_node.get("")
            if p.get("spec", {}).get("schedulerName", SCHEDULER_NAME) == SCHEDULER_NAME
            and not p["metadata"].get("deletionTimestamp")
            and not p.get("spec", {}).get("schedulingGates")
        ]

    async def run(self) -> None:
        self._wake.set()
        while True:
            await self._wake.wait()
            self._wake.clear()
            pending = self._pending()
            if pending:
                views = self._views()
                for pod in sorted(
                    pending, key=lambda p: p["metadata"].get("creationTimestamp", "")
                ):
                    try:
                        self.schedule(pod, views)
                    except APIError as error:
                        if error.code not in (404, 409):
                            log.warning("scheduling %s: %s", pod["metadata"]["name"], error.message)
                    except Exception:  # noqa: BLE001 - the scheduler must keep running
                        log.exception("scheduling %s failed", pod["metadata"]["name"])
            await asyncio.sleep(0.01)
