"""Keeping N copies of a pod running: the loop ReplicaSets and ReplicationControllers share.

kube-controller-manager runs the ReplicationController through the ReplicaSet code; here both
controllers are this one class, and each kind only says how to read its selector. One pass:

1. list the namespace's pods (shared from the cache, see :mod:`.listers`) and **claim** the
   active ones the selector matches (adopting orphans, releasing pods whose labels changed);
2. compare their number with ``spec.replicas``: create the missing pods from the template, or
   delete the surplus, the least valuable first (see :func:`deletion_order`);
3. write ``status``: how many pods exist, carry the template's labels, are ready, and have been
   ready for ``minReadySeconds`` (available), plus a ``ReplicaFailure`` condition when pods
   could not be created or deleted (for example when a ResourceQuota is exhausted).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.selectors import Selector, selector_from_map
from kubelab.cluster.client import PODS, Resource
from kubelab.cluster.controllers.base import Controller, Key
from kubelab.cluster.controllers.listers import list_shared
from kubelab.cluster.controllers.ownership import claim, controller_of, is_controlled_by
from kubelab.cluster.controllers.pods import (
    TERMINAL_PHASES,
    PodControl,
    is_active,
    is_available,
    is_ready,
    is_terminating,
    phase,
    pod_from_template,
    ready_since,
    restart_count,
    seconds_until_available,
)
from kubelab.cluster.controllers.status_fields import omit_zero
from kubelab.cluster.events import EventRecorder
from kubelab.cluster.resources.printing import format_time, parse_time

#: At most this many pods are created or deleted in one pass (``BurstReplicas``).
BURST_REPLICAS = 500
#: Pods with a lower cost are deleted first when scaling down.
DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost"
#: How long (cluster seconds) to wait before retrying after pods could not be created.
RETRY_AFTER_FAILURE = 5.0

_PHASE_ORDER = {"Pending": 0, "Unknown": 1, "Running": 2}


class ReplicaManager(Controller):
    """The replica loop; subclasses set :attr:`watches` (their kind, then pods) and
    :meth:`selector`."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.events = EventRecorder(client, self.name)
        self.pod_control = PodControl(client, self.events)

    @property
    def owner_resource(self) -> Resource:
        return self.watches[0]

    def selector(self, owner: dict[str, Any]) -> Selector | None:
        """The owner's pod selector; None selects nothing."""
        raise NotImplementedError

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> Iterable[Key]:
        """An owner for itself; a pod for its controller, or, if it is an orphan, for every
        owner whose selector matches it (one of them may adopt it)."""
        meta = obj["metadata"]
        namespace = meta.get("namespace", "")
        if resource == self.owner_resource:
            return [(namespace, meta["name"])]
        reference = controller_of(obj)
        if reference is not None:
            kind = self.client.strategy(self.owner_resource).kind
            return [(namespace, reference["name"])] if reference.get("kind") == kind else []
        return [
            (namespace, owner["metadata"]["name"])
            for owner in self.client.list(self.owner_resource, namespace)
            if self._matches(self.selector(owner), obj)
        ]

    @staticmethod
    def _matches(selector: Selector | None, pod: dict[str, Any]) -> bool:
        return selector is not None and selector.matches(pod["metadata"].get("labels"))

    async def reconcile(self, namespace: str, name: str) -> float | None:
        owner = self.client.get(self.owner_resource, namespace, name)
        if owner is None:
            return None
        selector = self.selector(owner)
        everything = list_shared(self.client, PODS, namespace)
        pods = claim(
            self.client,
            PODS,
            owner,
            [p for p in everything if is_active(p)],
            lambda pod: self._matches(selector, pod),
        )
        failure = None
        if selector is not None and not owner["metadata"].get("deletionTimestamp"):
            pods, failure = self.manage_replicas(owner, pods, everything)
        now = self.client.clock.now()
        terminating = [
            p
            for p in everything
            if is_terminating(p)
            and phase(p) not in TERMINAL_PHASES
            and is_controlled_by(p, owner)
            and self._matches(selector, p)
        ]
        self._write_status(owner, replica_status(owner, pods, terminating, failure, now))
        if failure is not None:
            return RETRY_AFTER_FAILURE
        min_ready = owner["spec"].get("minReadySeconds", 0)
        return seconds_until_available(pods, min_ready, now) if min_ready else None

    def manage_replicas(
        self, owner: dict[str, Any], pods: list[dict[str, Any]], everything: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Create or delete pods until their number matches ``spec.replicas``.

        Returns the pods the owner now has, and why it could not finish (the API's error
        message) or None. Pods are created one after another and creation stops at the first
        refusal: with room for two more pods under a quota, two are created and the third
        attempt is the failure reported."""
        pods = list(pods)
        diff = len(pods) - owner["spec"].get("replicas", 1)
        if diff < 0:
            template = owner["spec"].get("template") or {}
            for _ in range(min(-diff, BURST_REPLICAS)):
                try:
                    pods.append(self.pod_control.create(owner, pod_from_template(template, owner)))
                except APIError as error:
                    return pods, error.message
        elif diff > 0:
            related = self._related_pods(owner, everything)
            now = self.client.clock.now()
            for pod in deletion_order(pods, related, now)[: min(diff, BURST_REPLICAS)]:
                try:
                    self.pod_control.delete(owner, pod)
                except APIError as error:
                    if error.code != 404:
                        return pods, error.message
                pods.remove(pod)
        return pods, None

    def _related_pods(
        self, owner: dict[str, Any], everything: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Active pods of this owner and of its siblings (owners with the same controller,
        such as the ReplicaSets of one Deployment): they count when spreading deletions."""
        parent = controller_of(owner)
        siblings = {owner["metadata"]["uid"]}
        if parent is not None:
            siblings |= {
                other["metadata"]["uid"]
                for other in self.client.list(self.owner_resource, owner["metadata"]["namespace"])
                if (controller_of(other) or {}).get("uid") == parent.get("uid")
            }
        return [
            p
            for p in everything
            if is_active(p) and (controller_of(p) or {}).get("uid") in siblings
        ]

    def _write_status(self, owner: dict[str, Any], status: dict[str, Any]) -> None:
        if owner.get("status") != status:
            owner["status"] = status
            self.client.update_status(self.owner_resource, owner)


def replica_status(
    owner: dict[str, Any],
    pods: list[dict[str, Any]],
    terminating: list[dict[str, Any]],
    failure: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The owner's new status from the pods it controls (``calculateStatus``)."""
    spec = owner["spec"]
    template_labels = selector_from_map(
        (spec.get("template") or {}).get("metadata", {}).get("labels")
    )
    min_ready = spec.get("minReadySeconds", 0)
    status: dict[str, Any] = {
        "replicas": len(pods),
        "fullyLabeledReplicas": sum(
            1 for p in pods if template_labels.matches(p["metadata"].get("labels"))
        ),
        "readyReplicas": sum(1 for p in pods if is_ready(p)),
        "availableReplicas": sum(1 for p in pods if is_available(p, min_ready, now)),
        "terminatingReplicas": len(terminating),
        "observedGeneration": owner["metadata"].get("generation", 1),
    }
    conditions = [c for c in (owner.get("status") or {}).get("conditions") or []]
    failing = next((c for c in conditions if c.get("type") == "ReplicaFailure"), None)
    if failure is not None and failing is None:
        reason = "FailedCreate" if len(pods) < spec.get("replicas", 1) else "FailedDelete"
        conditions.append(
            {
                "type": "ReplicaFailure",
                "status": "True",
                "lastTransitionTime": format_time(now),
                "reason": reason,
                "message": failure,
            }
        )
    elif failure is None and failing is not None:
        conditions.remove(failing)
    if conditions:
        status["conditions"] = conditions
    return omit_zero(
        status, ("fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration")
    )


def deletion_order(
    pods: list[dict[str, Any]], related: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """Pods sorted so that the ones to delete first come first (``ActivePodsWithRanks``):

    unscheduled before scheduled; Pending before Unknown before Running; not ready before ready;
    lower ``pod-deletion-cost`` first; pods sharing a node with more related pods first; then
    the more recently ready, the more restarted, and the newer. Ages are compared on a
    logarithmic scale, so pods of about the same age count as equally old.
    """
    on_node = Counter(p["spec"].get("nodeName") for p in related if p["spec"].get("nodeName"))

    def rank(pod: dict[str, Any]) -> tuple[int, ...]:
        node = pod["spec"].get("nodeName")
        ready = is_ready(pod)
        return (
            1 if node else 0,
            _PHASE_ORDER.get(phase(pod), 0),
            1 if ready else 0,
            _deletion_cost(pod),
            -on_node[node] if node else 0,
            _age_bucket(ready_since(pod), now) if ready else 0,
            -restart_count(pod),
            _age_bucket(parse_time(pod["metadata"].get("creationTimestamp")), now),
        )

    return sorted(pods, key=rank)


def _deletion_cost(pod: dict[str, Any]) -> int:
    try:
        return int((pod["metadata"].get("annotations") or {}).get(DELETION_COST_ANNOTATION, 0))
    except ValueError:
        return 0


def _age_bucket(moment: datetime | None, now: datetime) -> int:
    """``log2`` of an age in nanoseconds, as upstream's logarithmic scale-down compares it."""
    if moment is None:
        return -1
    nanoseconds = (now - moment).total_seconds() * 1e9
    return int(math.log2(nanoseconds)) if nanoseconds > 0 else -1
