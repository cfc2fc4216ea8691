"""The DaemonSet controller: exactly one pod on every node that should run one.

A node should run the DaemonSet's pod when it matches the pod's ``nodeSelector`` and required
node affinity and every ``NoSchedule``/``NoExecute`` taint on it is tolerated. Daemon pods
tolerate a few taints on their own (a node that is not ready, unreachable, short of disk,
memory or PIDs, or cordoned), because the daemons are often what makes a node work. Each pod
is pinned to its node with node affinity ``matchFields metadata.name``; the scheduler then
binds it there.

Every template is snapshotted in a ControllerRevision, and pods carry its hash in the
``controller-revision-hash`` label. On a template change, **RollingUpdate** replaces pods node
by node: without ``maxSurge`` it deletes up to ``maxUnavailable`` old pods at a time and the
loop recreates them; with ``maxSurge`` it starts the new pod first and deletes the old one once
the new one is available. **OnDelete** replaces a pod only when someone deletes it.
"""

from __future__ import annotations

import copy
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.selectors import Selector, selector_from_object
from kubelab.cluster.client import NODES, PODS, Resource
from kubelab.cluster.controllers.base import Controller, Key
from kubelab.cluster.controllers.controllerrevision import (
    CONTROLLER_REVISIONS,
    REVISION_HASH_LABEL,
    owned_revisions,
    sync_update_revision,
    truncate_history,
)
from kubelab.cluster.controllers.deployment_util import scaled_value
from kubelab.cluster.controllers.listers import list_shared
from kubelab.cluster.controllers.ownership import claim, controller_of
from kubelab.cluster.controllers.pods import (
    PodControl,
    is_available,
    is_ready,
    is_terminating,
    phase,
    pod_from_template,
    seconds_until_available,
)
from kubelab.cluster.controllers.status_fields import omit_zero
from kubelab.cluster.controllers.template_hash import template_hash
from kubelab.cluster.events import EventRecorder
from kubelab.cluster.scheduler import node_selector_term_matches, tolerates

DAEMON_SETS: Resource = ("apps", "v1", "daemonsets")
TEMPLATE_GENERATION_LABEL = "pod-template-generation"
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"

#: Taints every daemon pod tolerates (``AddOrUpdateDaemonPodTolerations``).
DAEMON_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
)
#: Tolerated too by daemon pods on the host network, which do not need the pod network.
HOST_NETWORK_TOLERATION = ("node.kubernetes.io/network-unavailable", "NoSchedule")

PodsByNode = dict[str, list[dict[str, Any]]]


def add_daemon_tolerations(pod_spec: dict[str, Any]) -> None:
    tolerations = pod_spec.setdefault("tolerations", [])
    wanted = list(DAEMON_TOLERATIONS)
    if pod_spec.get("hostNetwork"):
        wanted.append(HOST_NETWORK_TOLERATION)
    for key, effect in wanted:
        if not any(
            t.get("key") == key and t.get("effect") == effect and t.get("operator") == "Exists"
            for t in tolerations
        ):
            tolerations.append({"key": key, "operator": "Exists", "effect": effect})


def node_should_run(node: dict[str, Any], ds: dict[str, Any]) -> tuple[bool, bool]:
    """``(should run, should continue running)`` (``NodeShouldRunDaemonPod``): a pod that is
    already there may stay on a node with new ``NoSchedule`` taints, but not ``NoExecute``."""
    spec = copy.deepcopy((ds["spec"].get("template") or {}).get("spec") or {})
    add_daemon_tolerations(spec)
    name = node["metadata"]["name"]
    if spec.get("nodeName") not in (None, "", name):
        return False, False
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False, False
    terms = (
        ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms") or []
    if terms and not any(node_selector_term_matches(term, node) for term in terms):
        return False, False
    untolerated = [
        taint
        for taint in node.get("spec", {}).get("taints") or []
        if taint.get("effect") in ("NoSchedule", "NoExecute")
        and not tolerates(spec["tolerations"], taint)
    ]
    if untolerated:
        return False, not any(t.get("effect") == "NoExecute" for t in untolerated)
    return True, True


def pinned_affinity(affinity: dict[str, Any] | None, node_name: str) -> dict[str, Any]:
    """The pod's affinity with its required node terms replaced by "this node only"
    (``ReplaceDaemonSetPodNodeNameNodeAffinity``)."""
    affinity = copy.deepcopy(affinity or {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
        "nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
        ]
    }
    return affinity


def target_node(pod: dict[str, Any]) -> str | None:
    """The node a daemon pod is for: where it runs, or where its affinity pins it."""
    if pod["spec"].get("nodeName"):
        return pod["spec"]["nodeName"]
    terms = (
        ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms") or []
    for term in terms:
        for field in term.get("matchFields") or []:
            if (
                field.get("key") == "metadata.name"
                and field.get("operator") == "In"
                and len(field.get("values") or []) == 1
            ):
                return field["values"][0]
    return None


def template_generation(ds: dict[str, Any]) -> str:
    annotations = ds["metadata"].get("annotations") or {}
    return annotations.get(TEMPLATE_GENERATION_ANNOTATION) or str(
        ds["metadata"].get("generation", 1)
    )


def is_updated(pod: dict[str, Any], ds: dict[str, Any], hash_value: str) -> bool:
    """Made from the current template, by revision hash or by template generation."""
    labels = pod["metadata"].get("labels") or {}
    return labels.get(REVISION_HASH_LABEL) == hash_value or (
        labels.get(TEMPLATE_GENERATION_LABEL) == template_generation(ds)
    )


def _oldest_first(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Scheduled before unscheduled, then oldest first (``podByCreationTimestampAndPhase``)."""
    return sorted(
        pods,
        key=lambda p: (
            not p["spec"].get("nodeName"),
            p["metadata"].get("creationTimestamp", ""),
            p["metadata"]["name"],
        ),
    )


class DaemonSetController(Controller):
    name = "daemonset-controller"
    watches = (DAEMON_SETS, PODS, NODES, CONTROLLER_REVISIONS)

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.events = EventRecorder(client, self.name)
        self.pod_control = PodControl(client, self.events)

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> list[Key]:
        meta = obj["metadata"]
        if resource == DAEMON_SETS:
            return [(meta["namespace"], meta["name"])]
        if resource == NODES:
            return [
                (ds["metadata"]["namespace"], ds["metadata"]["name"])
                for ds in list_shared(self.client, DAEMON_SETS)
            ]
        reference = controller_of(obj)
        if reference is not None:
            return (
                [(meta["namespace"], reference["name"])]
                if reference.get("kind") == "DaemonSet"
                else []
            )
        if resource != PODS:
            return []
        return [
            (meta["namespace"], ds["metadata"]["name"])
            for ds in list_shared(self.client, DAEMON_SETS, meta["namespace"])
            if _matches(_selector(ds), obj)
        ]

    async def reconcile(self, namespace: str, name: str) -> float | None:
        ds = self.client.get(DAEMON_SETS, namespace, name)
        if ds is None:
            return None
        selector = _selector(ds)
        if selector is None or selector.empty:
            self.events.record(
                ds,
                "Warning",
                "SelectingAll",
                "This daemon set is selecting all pods. A non-empty selector is required.",
            )
            return None
        if ds["metadata"].get("deletionTimestamp"):
            return None
        nodes = list_shared(self.client, NODES)
        revisions = owned_revisions(self.client, ds, selector)
        template = ds["spec"].get("template") or {}
        current, collision_count = sync_update_revision(
            self.client, ds, revisions, lambda count: template_hash(template, count)
        )
        hash_value = current["metadata"]["labels"][REVISION_HASH_LABEL]
        pods = self._pods_by_node(ds, selector)
        changed = self._manage(ds, nodes, pods, hash_value)
        strategy = ds["spec"].get("updateStrategy") or {}
        if not changed and strategy.get("type", "RollingUpdate") == "RollingUpdate":
            changed = self._rolling_update(ds, nodes, pods, hash_value)
        if changed:
            pods = self._pods_by_node(ds, selector)
        live = {
            p["metadata"].get("labels", {}).get(REVISION_HASH_LABEL)
            for node_pods in pods.values()
            for p in node_pods
        }
        truncate_history(
            self.client,
            [r for r in revisions if r["metadata"]["uid"] != current["metadata"]["uid"]],
            lambda r: r["metadata"]["labels"].get(REVISION_HASH_LABEL) in live,
            ds["spec"].get("revisionHistoryLimit", 10),
        )
        return self._update_status(ds, nodes, pods, hash_value, collision_count)

    def _pods_by_node(self, ds: dict[str, Any], selector: Selector) -> PodsByNode:
        """The DaemonSet's pods, claimed by selector, by the node they are for (finished pods
        that are being deleted no longer count)."""
        candidates = list_shared(self.client, PODS, ds["metadata"]["namespace"])
        by_node: PodsByNode = {}
        for pod in claim(self.client, PODS, ds, candidates, lambda p: _matches(selector, p)):
            node = target_node(pod)
            if node is None or (is_terminating(pod) and phase(pod) in ("Succeeded", "Failed")):
                continue
            by_node.setdefault(node, []).append(pod)
        return by_node

    # --- one pod per node --------------------------------------------------------------------

    def _manage(
        self, ds: dict[str, Any], nodes: list[dict[str, Any]], pods: PodsByNode, hash_value: str
    ) -> bool:
        """Create the pods missing on nodes that should run one; delete failed pods, extra
        pods and pods on nodes that should not run one. Returns whether it did anything."""
        create_on: list[str] = []
        delete: list[dict[str, Any]] = []
        for node in nodes:
            needed, surplus = self._pods_should_be_on_node(node, pods, ds, hash_value)
            create_on += needed
            delete += surplus
        known = {node["metadata"]["name"] for node in nodes}
        for node_name, node_pods in pods.items():
            if node_name not in known:
                delete += [
                    p for p in node_pods if not p["spec"].get("nodeName") and not is_terminating(p)
                ]
        self._sync_nodes(ds, delete, create_on, hash_value)
        return bool(create_on or delete)

    def _pods_should_be_on_node(
        self, node: dict[str, Any], pods: PodsByNode, ds: dict[str, Any], hash_value: str
    ) -> tuple[list[str], list[dict[str, Any]]]:
        name = node["metadata"]["name"]
        should_run, should_continue = node_should_run(node, ds)
        daemon_pods = pods.get(name)
        if should_run and daemon_pods is None:
            return [name], []
        if not should_continue:
            return [], [p for p in daemon_pods or [] if not is_terminating(p)]
        delete, running = [], []
        for pod in daemon_pods or []:
            if is_terminating(pod):
                continue
            if phase(pod) == "Failed":
                self.events.record(
                    ds,
                    "Warning",
                    "FailedDaemonPod",
                    f"Found failed daemon pod {pod['metadata']['namespace']}/"
                    f"{pod['metadata']['name']} on node {name}, will try to "
                    "kill it",
                )
                delete.append(pod)
            elif phase(pod) == "Succeeded":
                delete.append(pod)
            else:
                running.append(pod)
        running = _oldest_first(running)
        if not _allows_surge(ds):
            return [], delete + running[1:]
        if not running:
            return ([name] if should_run else []), delete
        # With surge, an old and a new pod may overlap until the new one is available.
        newest = [p for p in running if is_updated(p, ds, hash_value)]
        oldest = [p for p in running if not is_updated(p, ds, hash_value)]
        delete += newest[1:] + oldest[1:]
        if newest and oldest:
            now = self.client.clock.now()
            if not is_ready(oldest[0]) or is_available(
                newest[0], ds["spec"].get("minReadySeconds", 0), now
            ):
                delete.append(oldest[0])
        return [], delete

    def _sync_nodes(
        self,
        ds: dict[str, Any],
        delete: list[dict[str, Any]],
        create_on: list[str],
        hash_value: str,
    ) -> None:
        template = copy.deepcopy(ds["spec"].get("template") or {})
        add_daemon_tolerations(template.setdefault("spec", {}))
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        labels[TEMPLATE_GENERATION_LABEL] = template_generation(ds)
        labels[REVISION_HASH_LABEL] = hash_value
        for node_name in create_on:
            pod = pod_from_template(template, ds)
            pod["spec"]["affinity"] = pinned_affinity(pod["spec"].get("affinity"), node_name)
            try:
                self.pod_control.create(ds, pod)
            except APIError:
                break  # retried on the next pass
        for pod in delete:
            try:
                self.pod_control.delete(ds, pod)
            except APIError as error:
                if error.code != 404:
                    raise

    # --- rolling update ----------------------------------------------------------------------

    def _rolling_update(
        self, ds: dict[str, Any], nodes: list[dict[str, Any]], pods: PodsByNode, hash_value: str
    ) -> bool:
        """Replace old pods within the ``maxUnavailable``/``maxSurge`` budget."""
        desired = 0
        pods = dict(pods)
        for node in nodes:
            if node_should_run(node, ds)[0]:
                desired += 1
                pods.setdefault(node["metadata"]["name"], [])
        parameters = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
        max_unavailable = scaled_value(parameters.get("maxUnavailable", 1), desired, True)
        max_surge = scaled_value(parameters.get("maxSurge", 0), desired, True)
        if desired > 0 and max_unavailable == 0 and max_surge == 0:
            max_unavailable = 1
        now = self.client.clock.now()
        min_ready = ds["spec"].get("minReadySeconds", 0)
        nodes_by_name = {n["metadata"]["name"]: n for n in nodes}
        if max_surge == 0:
            delete = self._replacements_without_surge(ds, pods, hash_value, max_unavailable, now)
            self._sync_nodes(ds, delete, [], hash_value)
            return bool(delete)
        delete, replacing, candidates, leaving = [], [], [], []
        surging = available = 0
        for node_name, node_pods in pods.items():
            found = _new_and_old(ds, node_pods, hash_value)
            if found is None:
                surging += 1
                continue
            new_pod, old_pod = found
            counted = old_pod or new_pod
            if counted is not None and is_available(counted, min_ready, now):
                available += 1
            if old_pod is None:
                continue
            should_run = (
                node_name in nodes_by_name and node_should_run(nodes_by_name[node_name], ds)[0]
            )
            if new_pod is None:
                if not is_available(old_pod, min_ready, now):
                    if should_run:
                        replacing.append(node_name)  # nothing to lose: replace it now
                    else:
                        delete.append(old_pod)
                elif not should_run:
                    leaving.append(old_pod)
                elif surging < max_surge:
                    candidates.append(node_name)
            elif not is_available(new_pod, min_ready, now):
                surging += 1
            else:
                delete.append(old_pod)
        # Pods on nodes the DaemonSet no longer wants go once enough others are available.
        delete += leaving[: max(available - desired, 0)]
        create_on = replacing + candidates[: max(max_surge - surging, 0)]
        self._sync_nodes(ds, delete, create_on, hash_value)
        return bool(delete or create_on)

    def _replacements_without_surge(
        self,
        ds: dict[str, Any],
        pods: PodsByNode,
        hash_value: str,
        max_unavailable: int,
        now: Any,
    ) -> list[dict[str, Any]]:
        """Old pods to delete so that at most ``maxUnavailable`` nodes lack an available,
        up-to-date pod; the loop then creates their replacements."""
        min_ready = ds["spec"].get("minReadySeconds", 0)
        unavailable = 0
        replace_now, candidates = [], []
        for node_pods in pods.values():
            found = _new_and_old(ds, node_pods, hash_value)
            if found is None:
                unavailable += 1
                continue
            new_pod, old_pod = found
            if (old_pod is None) == (new_pod is None):
                unavailable += 1
            elif new_pod is not None:
                if not is_available(new_pod, min_ready, now):
                    unavailable += 1
            elif not is_available(old_pod, min_ready, now):
                replace_now.append(old_pod)
                unavailable += 1
            elif unavailable < max_unavailable:
                candidates.append(old_pod)
        return replace_now + candidates[: max(max_unavailable - unavailable, 0)]

    # --- status ------------------------------------------------------------------------------

    def _update_status(
        self,
        ds: dict[str, Any],
        nodes: list[dict[str, Any]],
        pods: PodsByNode,
        hash_value: str,
        collision_count: int | None,
    ) -> float | None:
        now = self.client.clock.now()
        min_ready = ds["spec"].get("minReadySeconds", 0)
        counts = dict.fromkeys(
            (
                "desiredNumberScheduled",
                "currentNumberScheduled",
                "numberMisscheduled",
                "numberReady",
                "updatedNumberScheduled",
                "numberAvailable",
            ),
            0,
        )
        first_pods = []
        for node in nodes:
            should_run, _ = node_should_run(node, ds)
            node_pods = pods.get(node["metadata"]["name"])
            if not should_run:
                counts["numberMisscheduled"] += 1 if node_pods else 0
                continue
            counts["desiredNumberScheduled"] += 1
            if not node_pods:
                continue
            counts["currentNumberScheduled"] += 1
            pod = _oldest_first(node_pods)[0]
            first_pods.append(pod)
            if is_ready(pod):
                counts["numberReady"] += 1
                if is_available(pod, min_ready, now):
                    counts["numberAvailable"] += 1
            if is_updated(pod, ds, hash_value):
                counts["updatedNumberScheduled"] += 1
        status: dict[str, Any] = {
            **counts,
            "numberUnavailable": counts["desiredNumberScheduled"] - counts["numberAvailable"],
            "observedGeneration": ds["metadata"].get("generation", 1),
        }
        if collision_count is not None:
            status["collisionCount"] = collision_count
        if (ds.get("status") or {}).get("conditions"):
            status["conditions"] = ds["status"]["conditions"]
        omit_zero(
            status,
            (
                "updatedNumberScheduled",
                "numberAvailable",
                "numberUnavailable",
                "observedGeneration",
            ),
        )
        if status != ds.get("status"):
            ds["status"] = status
            self.client.update_status(DAEMON_SETS, ds)
        return seconds_until_available(first_pods, min_ready, now) if min_ready else None


def _selector(ds: dict[str, Any]) -> Selector | None:
    selector = ds["spec"].get("selector")
    return None if selector is None else selector_from_object(selector)


def _matches(selector: Selector | None, pod: dict[str, Any]) -> bool:
    return selector is not None and selector.matches(pod["metadata"].get("labels"))


def _allows_surge(ds: dict[str, Any]) -> bool:
    """Whether a rolling update may start a node's new pod before its old one goes."""
    strategy = ds["spec"].get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return False
    surge = (strategy.get("rollingUpdate") or {}).get("maxSurge", 0)
    return scaled_value(surge, 1, round_up=True) != 0


def _new_and_old(
    ds: dict[str, Any], node_pods: list[dict[str, Any]], hash_value: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None] | None:
    """The node's up-to-date and old pod (``findUpdatedPodsOnNode``); None when there is more
    than one of either, which the main loop sorts out first."""
    new_pod = old_pod = None
    for pod in node_pods:
        if is_terminating(pod):
            continue
        if is_updated(pod, ds, hash_value):
            if new_pod is not None:
                return None
            new_pod = pod
        else:
            if old_pod is not None:
                return None
            old_pod = pod
    return new_pod, old_pod
