"""The StatefulSet controller: pods with a stable name, network identity and storage.

Pod number *i* of StatefulSet ``web`` is always called ``web-i``, has hostname ``web-i`` under
the ``serviceName`` subdomain, and mounts the PersistentVolumeClaims ``<template>-web-i`` made
from ``volumeClaimTemplates``. The claims are created before the pod and outlive it: scaling
down or deleting the StatefulSet keeps them (unless ``persistentVolumeClaimRetentionPolicy``
says ``Delete``), so ``web-i`` finds its data again when it comes back.

With ``podManagementPolicy: OrderedReady`` (the default) pods are created one at a time, ``web-0``
first, each only once its predecessor is Running and Ready, and removed from the highest
ordinal down. ``Parallel`` creates and removes them all at once. A template change is rolled out
(``RollingUpdate``) from the highest ordinal down, one pod at a time (or ``maxUnavailable``),
leaving ordinals below ``partition`` alone; ``OnDelete`` waits for someone to delete pods.
Revisions live in ControllerRevisions; pods carry the revision's name in
``controller-revision-hash``, and the status reports ``currentRevision`` and ``updateRevision``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.selectors import Selector, selector_from_object
from kubelab.cluster.client import PODS, Resource, copy_object
from kubelab.cluster.controllers.base import Controller, Key
from kubelab.cluster.controllers.controllerrevision import (
    CONTROLLER_REVISIONS,
    REVISION_HASH_LABEL,
    owned_revisions,
    sync_update_revision,
    template_patch,
    truncate_history,
)
from kubelab.cluster.controllers.deployment_util import scaled_value
from kubelab.cluster.controllers.listers import list_shared
from kubelab.cluster.controllers.ownership import claim, controller_of, controller_reference
from kubelab.cluster.controllers.pods import (
    is_available,
    is_ready,
    is_terminating,
    phase,
    pod_from_template,
    seconds_until_available,
)
from kubelab.cluster.controllers.status_fields import omit_zero
from kubelab.cluster.controllers.template_hash import canonical_json, revision_hash
from kubelab.cluster.events import EventRecorder

STATEFUL_SETS: Resource = ("apps", "v1", "statefulsets")
CLAIMS: Resource = ("", "v1", "persistentvolumeclaims")
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"

_MEMBER_NAME = re.compile(r"^(.*)-([0-9]+)$")

Pod = dict[str, Any]


def parent_and_ordinal(pod: Pod) -> tuple[str, int]:
    """``("web", 2)`` for pod ``web-2``; ``("", -1)`` for a name without an ordinal."""
    match = _MEMBER_NAME.match(pod["metadata"]["name"])
    return (match.group(1), int(match.group(2))) if match else ("", -1)


def ordinal_of(pod: Pod) -> int:
    return parent_and_ordinal(pod)[1]


def claim_name(template: dict[str, Any], set_name: str, ordinal: int) -> str:
    return f"{template['metadata']['name']}-{set_name}-{ordinal}"


def is_created(pod: Pod) -> bool:
    """Whether the pod exists (the ones this pass plans to create do not yet)."""
    return bool(pod["metadata"].get("uid"))


def is_running_and_ready(pod: Pod) -> bool:
    return phase(pod) == "Running" and is_ready(pod)


def is_healthy(pod: Pod) -> bool:
    return is_running_and_ready(pod) and not is_terminating(pod)


def revision_of(pod: Pod) -> str:
    return (pod["metadata"].get("labels") or {}).get(REVISION_HASH_LABEL, "")


def set_at_revision(sts: dict[str, Any], revision: dict[str, Any]) -> dict[str, Any]:
    """The StatefulSet with the pod template stored in ``revision`` (``ApplyRevision``)."""
    restored = copy.deepcopy(sts)
    template = copy.deepcopy(revision["data"]["spec"]["template"])
    template.pop("$patch", None)
    restored["spec"]["template"] = template
    return restored


class StatefulSetController(Controller):
    name = "statefulset-controller"
    watches = (STATEFUL_SETS, PODS, CONTROLLER_REVISIONS)

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.events = EventRecorder(client, self.name)

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> list[Key]:
        meta = obj["metadata"]
        if resource == STATEFUL_SETS:
            return [(meta["namespace"], meta["name"])]
        reference = controller_of(obj)
        if reference is not None:
            return (
                [(meta["namespace"], reference["name"])]
                if reference.get("kind") == "StatefulSet"
                else []
            )
        if resource != PODS:
            return []
        return [
            (meta["namespace"], sts["metadata"]["name"])
            for sts in list_shared(self.client, STATEFUL_SETS, meta["namespace"])
            if self._is_member(sts, _selector(sts), obj)
        ]

    @staticmethod
    def _is_member(sts: dict[str, Any], selector: Selector | None, pod: Pod) -> bool:
        return (
            selector is not None
            and selector.matches(pod["metadata"].get("labels"))
            and parent_and_ordinal(pod)[0] == sts["metadata"]["name"]
        )

    async def reconcile(self, namespace: str, name: str) -> float | None:
        sts = self.client.get(STATEFUL_SETS, namespace, name)
        if sts is None:
            return None
        selector = _selector(sts)
        if selector is None or selector.empty:
            return None
        pods = claim(
            self.client,
            PODS,
            sts,
            list_shared(self.client, PODS, namespace),
            lambda pod: self._is_member(sts, selector, pod),
        )
        revisions = owned_revisions(self.client, sts, selector)
        update_revision, collision_count = sync_update_revision(
            self.client,
            sts,
            revisions,
            lambda count: revision_hash(canonical_json(template_patch(sts)), count),
        )
        current_revision = next(
            (
                r
                for r in revisions
                if r["metadata"]["name"] == (sts.get("status") or {}).get("currentRevision")
            ),
            update_revision,
        )
        status = self._update(sts, current_revision, update_revision, pods)
        if collision_count is not None:
            status["collisionCount"] = collision_count
        self._write_status(sts, status)
        live = {current_revision["metadata"]["name"], update_revision["metadata"]["name"]}
        live |= {revision_of(p) for p in pods}
        truncate_history(
            self.client,
            owned_revisions(self.client, sts, selector),
            lambda r: r["metadata"]["name"] in live,
            sts["spec"].get("revisionHistoryLimit", 10),
        )
        min_ready = sts["spec"].get("minReadySeconds", 0)
        if min_ready:
            return seconds_until_available(pods, min_ready, self.client.clock.now())
        return None

    # --- one pass (``updateStatefulSet``) ----------------------------------------------------

    def _update(
        self,
        sts: dict[str, Any],
        current_revision: dict[str, Any],
        update_revision: dict[str, Any],
        pods: list[Pod],
    ) -> dict[str, Any]:
        spec = sts["spec"]
        start = (spec.get("ordinals") or {}).get("start", 0)
        count = spec.get("replicas", 1)
        slots: list[Pod | None] = [None] * count
        condemned: list[Pod] = []
        for pod in pods:
            ordinal = ordinal_of(pod)
            if start <= ordinal < start + count:
                slots[ordinal - start] = pod
            elif ordinal >= 0:
                condemned.append(pod)
        current_set = set_at_revision(sts, current_revision)
        update_set = set_at_revision(sts, update_revision)
        replicas: list[Pod] = [
            pod
            if pod is not None
            else self._new_pod(
                current_set, update_set, current_revision, update_revision, start + index
            )
            for index, pod in enumerate(slots)
        ]
        condemned.sort(key=ordinal_of, reverse=True)
        status = self._status(sts, current_revision, update_revision, replicas + condemned)
        if sts["metadata"].get("deletionTimestamp"):
            return status
        monotonic = spec.get("podManagementPolicy", "OrderedReady") != "Parallel"
        first_unhealthy = next((p for p in replicas + condemned if not is_healthy(p)), None)
        for pod in replicas:
            if self._process_replica(sts, update_set, pod, monotonic) and monotonic:
                return status
        for pod in condemned:
            self._sync_claim_owners(update_set, pod)
        for pod in condemned:
            if self._process_condemned(sts, pod, first_unhealthy, monotonic) and monotonic:
                return status
        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") == "OnDelete":
            return status
        return self._rolling_update(sts, replicas, update_revision, status)

    def _new_pod(
        self,
        current_set: dict[str, Any],
        update_set: dict[str, Any],
        current_revision: dict[str, Any],
        update_revision: dict[str, Any],
        ordinal: int,
    ) -> Pod:
        """Ordinals below the partition are made from the current revision, the rest from the
        update revision (``newVersionedStatefulSetPod``)."""
        strategy = current_set["spec"].get("updateStrategy") or {}
        rolling = strategy.get("rollingUpdate")
        start = (current_set["spec"].get("ordinals") or {}).get("start", 0)
        keep_current = strategy.get("type", "RollingUpdate") == "RollingUpdate" and (
            ordinal
            < start
            + (
                rolling.get("partition", 0)
                if rolling is not None
                else (current_set.get("status") or {}).get("currentReplicas", 0)
            )
        )
        source, revision = (
            (current_set, current_revision) if keep_current else (update_set, update_revision)
        )
        name = f"{source['metadata']['name']}-{ordinal}"
        pod = pod_from_template(source["spec"].get("template") or {}, source, name=name)
        pod["metadata"]["namespace"] = source["metadata"]["namespace"]
        labels = pod["metadata"].setdefault("labels", {})
        labels[POD_NAME_LABEL] = name
        labels[POD_INDEX_LABEL] = str(ordinal)
        labels[REVISION_HASH_LABEL] = revision["metadata"]["name"]
        pod["spec"]["hostname"] = name
        if source["spec"].get("serviceName"):
            pod["spec"]["subdomain"] = source["spec"]["serviceName"]
        claims = {
            t["metadata"]["name"]: claim_name(t, source["metadata"]["name"], ordinal)
            for t in source["spec"].get("volumeClaimTemplates") or []
        }
        pod["spec"]["volumes"] = [
            {"name": volume, "persistentVolumeClaim": {"claimName": claim_for}}
            for volume, claim_for in claims.items()
        ] + [v for v in pod["spec"].get("volumes") or [] if v.get("name") not in claims]
        return pod

    def _process_replica(
        self, sts: dict[str, Any], update_set: dict[str, Any], pod: Pod, monotonic: bool
    ) -> bool:
        """Move one ordinal forward; True when the ordered sequence must wait here."""
        if phase(pod) in ("Failed", "Succeeded"):
            if not is_terminating(pod):
                self._delete_pod(sts, pod)
            return True
        if not is_created(pod):
            if self._claims_terminating(sts, pod):
                return True
            self._create_pod(sts, update_set, pod)
            return monotonic
        if phase(pod) == "Pending":
            self._create_claims(sts, pod)
        if monotonic and (
            is_terminating(pod)
            or not is_running_and_ready(pod)
            or not is_available(pod, sts["spec"].get("minReadySeconds", 0), self.client.clock.now())
        ):
            return True
        self._fix_identity(sts, pod)
        self._sync_claim_owners(update_set, pod)
        return False

    def _process_condemned(
        self, sts: dict[str, Any], pod: Pod, first_unhealthy: Pod | None, monotonic: bool
    ) -> bool:
        """Remove one pod beyond ``replicas``; True when the ordered sequence must wait."""
        if is_terminating(pod):
            return monotonic
        available = is_available(
            pod, sts["spec"].get("minReadySeconds", 0), self.client.clock.now()
        )
        if monotonic and not available and pod is not first_unhealthy:
            return True
        self._delete_pod(sts, pod)
        return True

    def _rolling_update(
        self,
        sts: dict[str, Any],
        replicas: list[Pod],
        update_revision: dict[str, Any],
        status: dict[str, Any],
    ) -> dict[str, Any]:
        """Delete outdated pods from the highest ordinal down to ``partition``, no more than
        ``maxUnavailable`` unavailable at once; the next pass recreates them updated."""
        rolling = (sts["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
        partition = rolling.get("partition", 0)
        max_unavailable = max(
            scaled_value(rolling.get("maxUnavailable", 1), len(replicas), round_up=False), 1
        )
        now = self.client.clock.now()
        min_ready = sts["spec"].get("minReadySeconds", 0)
        unavailable = sum(
            1 for p in replicas if is_terminating(p) or not is_available(p, min_ready, now)
        )
        budget = max_unavailable - unavailable
        for pod in reversed(replicas[partition:]):
            if budget <= 0:
                break
            if revision_of(pod) != update_revision["metadata"]["name"] and not is_terminating(pod):
                self._delete_pod(sts, pod)
                status["currentReplicas"] = status.get("currentReplicas", 0) - 1
                budget -= 1
        return status

    # --- pods and claims ---------------------------------------------------------------------

    def _create_pod(self, sts: dict[str, Any], update_set: dict[str, Any], pod: Pod) -> None:
        """Claims first, then the pod (``CreateStatefulPod``)."""
        problem = self._create_claims(sts, pod)
        created = None
        if problem is None:
            try:
                created = self.client.create(PODS, sts["metadata"]["namespace"], pod)
            except APIError as error:
                if error.code == 409:
                    return
                problem = error.message
        if created is not None:
            self._sync_claim_owners(update_set, created)
        self._record_pod_event(sts, "create", pod, problem)

    def _delete_pod(self, sts: dict[str, Any], pod: Pod) -> None:
        meta = pod["metadata"]
        problem = None
        try:
            self.client.delete(PODS, meta["namespace"], meta["name"], uid=meta.get("uid"))
        except APIError as error:
            problem = error.message
        self._record_pod_event(sts, "delete", pod, problem)

    def _fix_identity(self, sts: dict[str, Any], pod: Pod) -> None:
        """Restore the pod's name label and index label if someone changed them (on a copy:
        ``pod`` is the lister's shared object)."""
        wanted = {POD_NAME_LABEL: pod["metadata"]["name"], POD_INDEX_LABEL: str(ordinal_of(pod))}
        if all((pod["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items()):
            return
        pod = copy_object(pod)
        pod["metadata"].setdefault("labels", {}).update(wanted)
        problem = None
        try:
            self.client.update(PODS, pod)
        except APIError as error:
            problem = error.message
        self._record_pod_event(sts, "update", pod, problem)

    def _record_pod_event(
        self, sts: dict[str, Any], verb: str, pod: Pod, problem: str | None
    ) -> None:
        name, set_name = pod["metadata"]["name"], sts["metadata"]["name"]
        if problem is None:
            self.events.record(
                sts,
                "Normal",
                f"Successful{verb.title()}",
                f"{verb} Pod {name} in StatefulSet {set_name} successful",
            )
        else:
            self.events.record(
                sts,
                "Warning",
                f"Failed{verb.title()}",
                f"{verb} Pod {name} in StatefulSet {set_name} failed error: {problem}",
            )

    def _claims_for(self, sts: dict[str, Any], pod: Pod) -> list[dict[str, Any]]:
        """The PersistentVolumeClaims the pod's ordinal should have, from the templates."""
        claims = []
        match_labels = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
        for template in sts["spec"].get("volumeClaimTemplates") or []:
            pvc = {
                key: copy.deepcopy(value)
                for key, value in template.items()
                if key in ("metadata", "spec")
            }
            meta = pvc.setdefault("metadata", {})
            meta["name"] = claim_name(template, sts["metadata"]["name"], ordinal_of(pod))
            meta["namespace"] = sts["metadata"]["namespace"]
            meta["labels"] = {**(meta.get("labels") or {}), **match_labels}
            claims.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim", **pvc})
        return claims

    def _create_claims(self, sts: dict[str, Any], pod: Pod) -> str | None:
        """Create the pod's missing claims; the reason it failed, or None."""
        problems = []
        namespace = sts["metadata"]["namespace"]
        for pvc in self._claims_for(sts, pod):
            name = pvc["metadata"]["name"]
            existing = self.client.get(CLAIMS, namespace, name)
            if existing is not None:
                if is_terminating(existing):
                    problems.append(f"pvc {name} is being deleted")
                continue
            try:
                self.client.create(CLAIMS, namespace, pvc)
            except APIError as error:
                problems.append(f"failed to create PVC {name}: {error.message}")
                self.events.record(
                    sts,
                    "Warning",
                    "FailedCreate",
                    f"create Claim {name} for Pod {pod['metadata']['name']} in "
                    f"StatefulSet {sts['metadata']['name']} failed error: "
                    f"{error.message}",
                )
                continue
            self.events.record(
                sts,
                "Normal",
                "SuccessfulCreate",
                f"create Claim {name} Pod {pod['metadata']['name']} in "
                f"StatefulSet {sts['metadata']['name']} success",
            )
        return "; ".join(problems) or None

    def _claims_terminating(self, sts: dict[str, Any], pod: Pod) -> bool:
        """A claim of this ordinal is still being deleted: wait for it to go first."""
        namespace = sts["metadata"]["namespace"]
        return any(
            (existing := self.client.get(CLAIMS, namespace, pvc["metadata"]["name"])) is not None
            and is_terminating(existing)
            for pvc in self._claims_for(sts, pod)
        )

    def _sync_claim_owners(self, sts: dict[str, Any], pod: Pod) -> None:
        """Make the claims' owners follow ``persistentVolumeClaimRetentionPolicy``: owned by
        the StatefulSet when they go with it (``whenDeleted: Delete``), by the pod when they
        go with a scale-down (``whenScaled: Delete``), by nobody when they are retained; the
        garbage collector does the deleting."""
        policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
        start = (sts["spec"].get("ordinals") or {}).get("start", 0)
        scaled_down = not start <= ordinal_of(pod) < start + sts["spec"].get("replicas", 1)
        wanted = []
        if policy.get("whenScaled") == "Delete" and scaled_down:
            wanted.append(pod)
        elif policy.get("whenDeleted") == "Delete":
            wanted.append(sts)
        pod = {**pod, "apiVersion": "v1", "kind": "Pod"}
        namespace = sts["metadata"]["namespace"]
        for pvc in self._claims_for(sts, pod):
            existing = self.client.get(CLAIMS, namespace, pvc["metadata"]["name"])
            if existing is None:
                continue
            references = existing["metadata"].get("ownerReferences") or []
            ours = [r for r in references if _refers_to(r, sts) or _refers_to(r, pod)]
            others = [r for r in references if r not in ours]
            if any(r.get("controller") for r in others) or any(
                r.get("uid") not in (sts["metadata"]["uid"], pod["metadata"]["uid"]) for r in ours
            ):
                continue  # managed by something else, or by an earlier incarnation: hands off
            updated = others + [controller_reference(owner) for owner in wanted]
            if updated == references:
                continue
            existing["metadata"]["ownerReferences"] = updated
            self.client.update(CLAIMS, existing)

    # --- status ------------------------------------------------------------------------------

    def _status(
        self,
        sts: dict[str, Any],
        current_revision: dict[str, Any],
        update_revision: dict[str, Any],
        pods: list[Pod],
    ) -> dict[str, Any]:
        now = self.client.clock.now()
        min_ready = sts["spec"].get("minReadySeconds", 0)
        current, update = current_revision["metadata"]["name"], update_revision["metadata"]["name"]
        created = [p for p in pods if is_created(p)]
        alive = [p for p in created if not is_terminating(p)]
        return {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(created),
            "readyReplicas": sum(1 for p in created if is_running_and_ready(p)),
            "availableReplicas": sum(
                1 for p in created if is_running_and_ready(p) and is_available(p, min_ready, now)
            ),
            "currentReplicas": sum(1 for p in alive if revision_of(p) == current),
            "updatedReplicas": sum(1 for p in alive if revision_of(p) == update),
            "currentRevision": current,
            "updateRevision": update,
        }

    def _write_status(self, sts: dict[str, Any], status: dict[str, Any]) -> None:
        """Finish a completed rolling update, then write what changed."""
        desired = sts["spec"].get("replicas", 1)
        strategy = sts["spec"].get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") == "RollingUpdate" and (
            status["updatedReplicas"] == status["readyReplicas"] == status["replicas"] == desired
        ):
            status["currentReplicas"] = status["updatedReplicas"]
            status["currentRevision"] = status["updateRevision"]
        if (sts.get("status") or {}).get("conditions"):
            status["conditions"] = sts["status"]["conditions"]
        omit_zero(
            status,
            (
                "observedGeneration",
                "readyReplicas",
                "currentReplicas",
                "updatedReplicas",
                "currentRevision",
                "updateRevision",
            ),
        )
        if status != sts.get("status"):
            sts["status"] = status
            self.client.update_status(STATEFUL_SETS, sts)


def _selector(sts: dict[str, Any]) -> Selector | None:
    selector = sts["spec"].get("selector")
    return None if selector is None else selector_from_object(selector)


def _refers_to(reference: dict[str, Any], obj: dict[str, Any]) -> bool:
    return reference.get("kind") == obj["kind"] and reference.get("name") == obj["metadata"]["name"]
