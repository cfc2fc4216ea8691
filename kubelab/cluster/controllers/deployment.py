"""The Deployment controller: rolls pod templates out through ReplicaSets.

A Deployment never creates pods itself. For every distinct pod template it owns a ReplicaSet
named ``<deployment>-<pod-template-hash>``, and a rollout is nothing but resizing those
ReplicaSets: the *new* one (whose template is the Deployment's) grows, the *old* ones shrink.

* **RollingUpdate** grows the new ReplicaSet while all of them together stay within
  ``replicas + maxSurge`` pods, and shrinks old ones only while at least
  ``replicas - maxUnavailable`` pods stay available (unhealthy old pods go first).
* **Recreate** scales every old ReplicaSet to zero, waits until their pods are gone, then
  scales the new one up.
* Changing ``replicas`` in the middle of a rollout spreads the difference over the ReplicaSets
  in proportion to their sizes, and a paused Deployment only scales, it does not roll.
* ``kubectl rollout undo`` puts an old template back into the Deployment; the controller finds
  the old ReplicaSet with that template and gives it the next revision number.

The outcome is reported in ``status`` and in the ``Available`` and ``Progressing`` conditions,
which time out with ``ProgressDeadlineExceeded`` when a rollout stops making progress.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.selectors import selector_from_object
from kubelab.cluster.client import PODS, Resource
from kubelab.cluster.controllers import deployment_util as util
from kubelab.cluster.controllers.base import Controller, Key
from kubelab.cluster.controllers.listers import list_shared
from kubelab.cluster.controllers.ownership import (
    claim,
    controller_of,
    controller_reference,
    is_controlled_by,
)
from kubelab.cluster.controllers.pods import TERMINAL_PHASES, phase
from kubelab.cluster.controllers.replicaset import REPLICA_SETS
from kubelab.cluster.controllers.template_hash import template_hash
from kubelab.cluster.events import EventRecorder

DEPLOYMENTS: Resource = ("apps", "v1", "deployments")

RS = dict[str, Any]


class DeploymentController(Controller):
    name = "deployment-controller"
    watches = (DEPLOYMENTS, REPLICA_SETS)

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.events = EventRecorder(client, self.name)

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> list[Key]:
        """A Deployment for itself; a ReplicaSet for its Deployment, or, if it is an orphan,
        for every Deployment whose selector matches it."""
        meta = obj["metadata"]
        namespace = meta.get("namespace", "")
        if resource == DEPLOYMENTS:
            return [(namespace, meta["name"])]
        reference = controller_of(obj)
        if reference is not None:
            return [(namespace, reference["name"])] if reference.get("kind") == "Deployment" else []
        return [
            (namespace, d["metadata"]["name"])
            for d in self.client.list(DEPLOYMENTS, namespace)
            if d["spec"].get("selector")
            and selector_from_object(d["spec"]["selector"]).matches(meta.get("labels"))
        ]

    # --- the loop ----------------------------------------------------------------------------

    async def reconcile(self, namespace: str, name: str) -> float | None:
        d = self.client.get(DEPLOYMENTS, namespace, name)
        if d is None:
            return None
        if not d["spec"].get("selector"):
            self.events.record(
                d,
                "Warning",
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            )
            status = d.setdefault("status", {})
            if status.get("observedGeneration", 0) < d["metadata"].get("generation", 1):
                status["observedGeneration"] = d["metadata"].get("generation", 1)
                self._update_status(d)
            return None
        rs_list = self._claim_replica_sets(d)
        if any(_catching_up(rs) for rs in rs_list):
            return None  # the ReplicaSet controller has not acted on our last change yet
        if d["metadata"].get("deletionTimestamp"):
            d, new_rs, old_rss = self._replica_sets_and_sync_revision(d, rs_list, create=False)
            self._sync_deployment_status([*old_rss, new_rs], new_rs, d)
            return None
        d = self._check_paused_conditions(d)
        if d["spec"].get("paused") or self._is_scaling_event(d, rs_list):
            return self._sync(d, rs_list)
        if util.is_rolling_update(d):
            return self._rollout_rolling(d, rs_list)
        return self._rollout_recreate(d, rs_list)

    def _claim_replica_sets(self, d: dict[str, Any]) -> list[RS]:
        selector = selector_from_object(d["spec"]["selector"])
        candidates = self.client.list(REPLICA_SETS, d["metadata"]["namespace"])
        return claim(
            self.client,
            REPLICA_SETS,
            d,
            candidates,
            lambda rs: selector.matches(rs["metadata"].get("labels")),
        )

    def _sync(self, d: dict[str, Any], rs_list: list[RS]) -> None:
        """Scaling and pausing: resize the ReplicaSets that exist, roll nothing out."""
        d, new_rs, old_rss = self._replica_sets_and_sync_revision(d, rs_list, create=False)
        self._scale(d, new_rs, old_rss)
        if d["spec"].get("paused"):
            self._cleanup(d, old_rss)
        self._sync_deployment_status([*old_rss, new_rs], new_rs, d)

    def _is_scaling_event(self, d: dict[str, Any], rs_list: list[RS]) -> bool:
        """``replicas`` changed since the ReplicaSets were last sized (their
        ``desired-replicas`` annotation says another number)."""
        d, new_rs, old_rss = self._replica_sets_and_sync_revision(d, rs_list, create=False)
        for rs in util.active([*old_rss, new_rs]):
            desired = (rs["metadata"].get("annotations") or {}).get(
                util.DESIRED_REPLICAS_ANNOTATION
            )
            if desired is not None and desired != str(util.replicas(d)):
                return True
        return False

    # --- rolling update ----------------------------------------------------------------------

    def _rollout_rolling(self, d: dict[str, Any], rs_list: list[RS]) -> float | None:
        d, new_rs, old_rss = self._replica_sets_and_sync_revision(d, rs_list, create=True)
        all_rss = [*old_rss, new_rs]
        if self._reconcile_new_replica_set(all_rss, new_rs, d):
            return self._sync_rollout_status(all_rss, new_rs, d)
        if self._reconcile_old_replica_sets(all_rss, util.active(old_rss), new_rs, d):
            return self._sync_rollout_status(all_rss, new_rs, d)
        if util.deployment_complete(d, d.get("status") or {}):
            self._cleanup(d, old_rss)
        return self._sync_rollout_status(all_rss, new_rs, d)

    def _reconcile_new_replica_set(self, all_rss: list[RS], new_rs: RS, d: dict[str, Any]) -> bool:
        """Scale the new ReplicaSet up as far as ``maxSurge`` allows (or down to the
        Deployment's size)."""
        if util.replicas(new_rs) == util.replicas(d):
            return False
        if util.replicas(new_rs) > util.replicas(d):
            return self._scale_and_record(new_rs, util.replicas(d), d)[0]
        return self._scale_and_record(new_rs, util.new_rs_new_replicas(d, all_rss, new_rs), d)[0]

    def _reconcile_old_replica_sets(
        self, all_rss: list[RS], old_rss: list[RS], new_rs: RS, d: dict[str, Any]
    ) -> bool:
        """Scale old ReplicaSets down without dropping below ``replicas - maxUnavailable``
        available pods. New pods that are not available yet count against the budget, so a
        broken new template cannot eat the old, working pods."""
        if util.total_replicas(old_rss) == 0:
            return False
        min_available = util.replicas(d) - util.max_unavailable(d)
        new_unavailable = util.replicas(new_rs) - util.status_count(new_rs, "availableReplicas")
        max_scaled_down = util.total_replicas(all_rss) - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        old_rss, cleaned = self._cleanup_unhealthy_replicas(old_rss, d, max_scaled_down)
        scaled = self._scale_down_old_replica_sets([*old_rss, new_rs], old_rss, d)
        return cleaned + scaled > 0

    def _cleanup_unhealthy_replicas(
        self, old_rss: list[RS], d: dict[str, Any], max_cleanup: int
    ) -> tuple[list[RS], int]:
        """First remove old pods that are not available anyway: that costs no availability."""
        old_rss = sorted(old_rss, key=util.creation_order)
        total = 0
        for index, rs in enumerate(old_rss):
            if total >= max_cleanup:
                break
            unhealthy = util.replicas(rs) - util.status_count(rs, "availableReplicas")
            if util.replicas(rs) == 0 or unhealthy <= 0:
                continue
            count = min(max_cleanup - total, unhealthy)
            _, old_rss[index] = self._scale_and_record(rs, util.replicas(rs) - count, d)
            total += count
        return old_rss, total

    def _scale_down_old_replica_sets(
        self, all_rss: list[RS], old_rss: list[RS], d: dict[str, Any]
    ) -> int:
        """Then scale old ReplicaSets down, oldest first, by the available pods above the
        minimum."""
        min_available = util.replicas(d) - util.max_unavailable(d)
        available = util.total_status(all_rss, "availableReplicas")
        if available <= min_available:
            return 0
        budget = available - min_available
        total = 0
        for rs in sorted(old_rss, key=util.creation_order):
            if total >= budget:
                break
            if util.replicas(rs) == 0:
                continue
            count = min(util.replicas(rs), budget - total)
            self._scale_and_record(rs, util.replicas(rs) - count, d)
            total += count
        return total

    # --- recreate ----------------------------------------------------------------------------

    def _rollout_recreate(self, d: dict[str, Any], rs_list: list[RS]) -> float | None:
        d, new_rs, old_rss = self._replica_sets_and_sync_revision(d, rs_list, create=False)
        all_rss = [*old_rss, new_rs]
        scaled_down = False
        for rs in util.active(old_rss):
            scaled_down = self._scale_and_record(rs, 0, d)[0] or scaled_down
        if scaled_down or self._old_pods_running(d, new_rs, old_rss):
            return self._sync_rollout_status(all_rss, new_rs, d)
        if new_rs is None:
            d, new_rs, old_rss = self._replica_sets_and_sync_revision(d, rs_list, create=True)
            all_rss = [*old_rss, new_rs]
        self._scale_and_record(new_rs, util.replicas(d), d)
        if util.deployment_complete(d, d.get("status") or {}):
            self._cleanup(d, old_rss)
        return self._sync_rollout_status(all_rss, new_rs, d)

    def _old_pods_running(self, d: dict[str, Any], new_rs: RS | None, old_rss: list[RS]) -> bool:
        """Whether any pod of an old ReplicaSet still exists and has not finished."""
        if util.total_status(old_rss, "replicas") > 0:
            return True
        return any(
            phase(pod) not in TERMINAL_PHASES
            for pod in list_shared(self.client, PODS, d["metadata"]["namespace"])
            for rs in old_rss
            if is_controlled_by(pod, rs)
        )

    # --- the new ReplicaSet and revisions ----------------------------------------------------

    def _replica_sets_and_sync_revision(
        self, d: dict[str, Any], rs_list: list[RS], create: bool
    ) -> tuple[dict[str, Any], RS | None, list[RS]]:
        """``(deployment, new ReplicaSet or None, old ReplicaSets)``, with revisions synced."""
        current = util.find_new_replica_set(d, rs_list)
        old_rss = [
            rs
            for rs in rs_list
            if current is None or rs["metadata"]["uid"] != current["metadata"]["uid"]
        ]
        d, new_rs = self._new_replica_set(d, rs_list, old_rss, create)
        return d, new_rs, old_rss

    def _new_replica_set(
        self, d: dict[str, Any], rs_list: list[RS], old_rss: list[RS], create: bool
    ) -> tuple[dict[str, Any], RS | None]:
        """Find the ReplicaSet for the current template (giving it the next revision if it is
        an old one brought back) or, if ``create``, make it."""
        new_revision = max((util.revision(rs) for rs in old_rss), default=0) + 1
        existing = util.find_new_replica_set(d, rs_list)
        if existing is not None:
            rs = copy.deepcopy(existing)
            annotations_changed = util.set_new_rs_annotations(d, rs, new_revision, exists=True)
            min_ready = d["spec"].get("minReadySeconds", 0)
            if annotations_changed or rs["spec"].get("minReadySeconds", 0) != min_ready:
                rs["spec"]["minReadySeconds"] = min_ready
                return d, self.client.update(REPLICA_SETS, rs)
            needs_update = util.set_deployment_revision(
                d, rs["metadata"]["annotations"].get(util.REVISION_ANNOTATION, "")
            )
            status = d.setdefault("status", {})
            if util.has_progress_deadline(d) and util.get_condition(status, "Progressing") is None:
                util.set_condition(
                    status,
                    self._condition(
                        "Progressing",
                        "True",
                        util.FOUND_NEW_RS,
                        f'Found new replica set "{rs["metadata"]["name"]}"',
                    ),
                )
                needs_update = True
            return (self._update_status(d) if needs_update else d), rs
        if not create:
            return d, None
        return self._create_new_replica_set(d, old_rss, new_revision)

    def _create_new_replica_set(
        self, d: dict[str, Any], old_rss: list[RS], new_revision: int
    ) -> tuple[dict[str, Any], RS]:
        meta, status = d["metadata"], d.setdefault("status", {})
        template = copy.deepcopy(d["spec"]["template"])
        pod_hash = template_hash(d["spec"]["template"], status.get("collisionCount"))
        template.setdefault("metadata", {}).setdefault("labels", {})[
            util.POD_TEMPLATE_HASH_LABEL
        ] = pod_hash
        selector = copy.deepcopy(d["spec"]["selector"])
        selector.setdefault("matchLabels", {})[util.POD_TEMPLATE_HASH_LABEL] = pod_hash
        new_rs: RS = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{pod_hash}",
                "namespace": meta["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "ownerReferences": [controller_reference(d)],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": d["spec"].get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
        }
        count = util.new_rs_new_replicas(d, [*old_rss, new_rs], new_rs)
        new_rs["spec"]["replicas"] = count
        util.set_new_rs_annotations(d, new_rs, new_revision, exists=False)
        already_exists = False
        try:
            created = self.client.create(REPLICA_SETS, meta["namespace"], new_rs)
        except APIError as error:
            if error.code == 409:
                found = self.client.get(REPLICA_SETS, meta["namespace"], new_rs["metadata"]["name"])
                if found is None or not (
                    is_controlled_by(found, d)
                    and util.equal_ignore_hash(found["spec"]["template"], d["spec"]["template"])
                ):
                    status["collisionCount"] = status.get("collisionCount", 0) + 1
                    self._update_status(d)
                    raise
                created, already_exists = found, True
            else:
                self._report_create_failure(d, new_rs, error)
                raise
        if not already_exists and count > 0:
            self.events.record(
                d,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled up replica set {created['metadata']['name']} from 0 to {count}",
            )
        needs_update = util.set_deployment_revision(d, str(new_revision))
        if not already_exists and util.has_progress_deadline(d):
            util.set_condition(
                status,
                self._condition(
                    "Progressing",
                    "True",
                    util.NEW_REPLICA_SET,
                    f'Created new replica set "{created["metadata"]["name"]}"',
                ),
            )
            needs_update = True
        return (self._update_status(d) if needs_update else d), created

    def _report_create_failure(self, d: dict[str, Any], new_rs: RS, error: APIError) -> None:
        if "because it is being terminated" in error.message:
            return
        message = (
            f'Failed to create new replica set "{new_rs["metadata"]["name"]}": {error.message}'
        )
        if util.has_progress_deadline(d):
            util.set_condition(
                d["status"], self._condition("Progressing", "False", util.FAILED_RS_CREATE, message)
            )
            with contextlib.suppress(APIError):  # the failure to report matters more
                self._update_status(d)
        self.events.record(d, "Warning", util.FAILED_RS_CREATE, message)

    # --- scaling -----------------------------------------------------------------------------

    def _scale(self, d: dict[str, Any], new_rs: RS | None, old_rss: list[RS]) -> None:
        """Resize for a changed ``replicas``: all of it to a lone ReplicaSet, otherwise spread
        over the ReplicaSets in proportion to their size (``scale``)."""
        lone = util.find_active_or_latest(new_rs, old_rss)
        if lone is not None:
            if util.replicas(lone) != util.replicas(d):
                self._scale_and_record(lone, util.replicas(d), d)
            return
        if util.is_saturated(d, new_rs):
            for rs in util.active(old_rss):
                self._scale_and_record(rs, 0, d)
            return
        if not util.is_rolling_update(d):
            return
        all_rss = util.active([*old_rss, new_rs])
        allowed = util.replicas(d) + util.max_surge(d) if util.replicas(d) > 0 else 0
        to_add = allowed - util.total_replicas(all_rss)
        operation = "up" if to_add > 0 else "down"
        # Bigger first; between equals, scale the newer up first and the older down first.
        all_rss.sort(key=util.creation_order, reverse=to_add > 0)
        all_rss.sort(key=util.replicas, reverse=True)
        sizes = {}
        added = 0
        for rs in all_rss:
            share = util.proportion(rs, d, to_add, added)
            sizes[rs["metadata"]["name"]] = util.replicas(rs) + share
            added += share
        if all_rss and to_add:
            largest = all_rss[0]["metadata"]["name"]
            sizes[largest] = max(sizes[largest] + to_add - added, 0)
        for rs in all_rss:
            self._scale_replica_set(rs, sizes[rs["metadata"]["name"]], d, operation)

    def _scale_and_record(self, rs: RS, size: int, d: dict[str, Any]) -> tuple[bool, RS]:
        if util.replicas(rs) == size:
            return False, rs
        return self._scale_replica_set(rs, size, d, "up" if util.replicas(rs) < size else "down")

    def _scale_replica_set(
        self, rs: RS, size: int, d: dict[str, Any], operation: str
    ) -> tuple[bool, RS]:
        """Resize one ReplicaSet, stamping the Deployment's current size on it, and record
        ``ScalingReplicaSet`` on the Deployment."""
        old_size = util.replicas(rs)
        annotations = rs["metadata"].get("annotations") or {}
        wanted = util.replicas_annotations(d)
        if old_size == size and all(annotations.get(k) == v for k, v in wanted.items()):
            return False, rs
        updated = copy.deepcopy(rs)
        updated["spec"]["replicas"] = size
        util.set_replicas_annotations(updated, d)
        updated = self.client.update(REPLICA_SETS, updated)
        if old_size == size:
            return False, updated
        self.events.record(
            d,
            "Normal",
            "ScalingReplicaSet",
            f"Scaled {operation} replica set {rs['metadata']['name']} from {old_size} to {size}",
        )
        return True, updated

    def _cleanup(self, d: dict[str, Any], old_rss: list[RS]) -> None:
        """Delete the oldest empty ReplicaSets beyond ``revisionHistoryLimit``."""
        limit = d["spec"].get("revisionHistoryLimit", 10)
        if limit is None or limit == util.INT32_MAX:
            return
        cleanable = [rs for rs in old_rss if not rs["metadata"].get("deletionTimestamp")]
        surplus = len(cleanable) - limit
        for rs in sorted(cleanable, key=lambda r: (util.revision(r), util.creation_order(r))):
            if surplus <= 0:
                break
            surplus -= 1
            if util.status_count(rs, "replicas") or util.replicas(rs) or _catching_up(rs):
                continue
            self.client.delete(REPLICA_SETS, rs["metadata"]["namespace"], rs["metadata"]["name"])

    # --- status ------------------------------------------------------------------------------

    def _check_paused_conditions(self, d: dict[str, Any]) -> dict[str, Any]:
        """Mark pausing and resuming in ``Progressing``, so time spent paused never counts
        toward the progress deadline."""
        if not util.has_progress_deadline(d):
            return d
        status = d.setdefault("status", {})
        condition = util.get_condition(status, "Progressing")
        if condition is not None and condition.get("reason") == util.TIMED_OUT:
            return d
        paused_recorded = condition is not None and condition.get("reason") == util.PAUSED
        if d["spec"].get("paused") and not paused_recorded:
            util.set_condition(
                status,
                self._condition("Progressing", "Unknown", util.PAUSED, "Deployment is paused"),
            )
        elif not d["spec"].get("paused") and paused_recorded:
            util.set_condition(
                status,
                self._condition("Progressing", "Unknown", util.RESUMED, "Deployment is resumed"),
            )
        else:
            return d
        return self._update_status(d)

    def _sync_deployment_status(
        self, all_rss: list[RS | None], new_rs: RS | None, d: dict[str, Any]
    ) -> None:
        status = util.calculate_status(all_rss, new_rs, d, self.client.clock.now())
        if status != d.get("status"):
            d["status"] = status
            self._update_status(d)

    def _sync_rollout_status(
        self, all_rss: list[RS | None], new_rs: RS | None, d: dict[str, Any]
    ) -> float | None:
        """Write the status with the ``Progressing`` verdict; return when to check the
        progress deadline again."""
        now = self.client.clock.now()
        status = util.calculate_status(all_rss, new_rs, d, now)
        if not util.has_progress_deadline(d):
            util.remove_condition(status, "Progressing")
        current = util.get_condition(d.get("status") or {}, "Progressing")
        complete = (
            status.get("replicas", 0) == status.get("updatedReplicas", 0)
            and current is not None
            and current.get("reason") == util.NEW_RS_AVAILABLE
        )
        subject = (
            f'ReplicaSet "{new_rs["metadata"]["name"]}"'
            if new_rs is not None
            else f'Deployment "{d["metadata"]["name"]}"'
        )
        if util.has_progress_deadline(d) and not complete:
            if util.deployment_complete(d, status):
                util.set_condition(
                    status,
                    self._condition(
                        "Progressing",
                        "True",
                        util.NEW_RS_AVAILABLE,
                        f"{subject} has successfully progressed.",
                    ),
                )
            elif util.deployment_progressing(d, status):
                condition = self._condition(
                    "Progressing", "True", util.REPLICA_SET_UPDATED, f"{subject} is progressing."
                )
                if current is not None:
                    if current["status"] == "True":
                        condition["lastTransitionTime"] = current.get("lastTransitionTime")
                    util.remove_condition(status, "Progressing")
                util.set_condition(status, condition)
            elif util.deployment_timed_out(d, status, now):
                util.set_condition(
                    status,
                    self._condition(
                        "Progressing",
                        "False",
                        util.TIMED_OUT,
                        f"{subject} has timed out progressing.",
                    ),
                )
        failure = _replica_failure(all_rss, new_rs)
        if failure is not None:
            util.set_condition(status, failure)
        else:
            util.remove_condition(status, "ReplicaFailure")
        if status != d.get("status"):
            d["status"] = status
            self._update_status(d)
        return self._seconds_until_deadline(d, status, now)

    def _seconds_until_deadline(
        self, d: dict[str, Any], status: dict[str, Any], now: Any
    ) -> float | None:
        condition = util.get_condition(status, "Progressing")
        if (
            condition is None
            or util.deployment_complete(d, status)
            or (condition.get("reason") == util.TIMED_OUT)
        ):
            return None
        deadline = util.progress_deadline_at(d, status)
        if deadline is None:
            return None
        return max((deadline - now).total_seconds(), 0) + 1

    def _condition(self, kind: str, state: str, reason: str, message: str) -> dict[str, Any]:
        return util.new_condition(kind, state, reason, message, self.client.clock.now())

    def _update_status(self, d: dict[str, Any]) -> dict[str, Any]:
        """Write the Deployment's status, and its revision annotation if that changed (the
        revision is metadata, which a status write leaves alone)."""
        meta = d["metadata"]
        stored = self.client.get(DEPLOYMENTS, meta["namespace"], meta["name"])
        if stored is None:
            return d
        revision = (meta.get("annotations") or {}).get(util.REVISION_ANNOTATION)
        if (
            revision
            and (stored["metadata"].get("annotations") or {}).get(util.REVISION_ANNOTATION)
            != revision
        ):
            stored = self.client.patch(
                DEPLOYMENTS,
                meta["namespace"],
                meta["name"],
                {"metadata": {"annotations": {util.REVISION_ANNOTATION: revision}}},
            )
        stored["status"] = d.get("status") or {}
        return self.client.update_status(DEPLOYMENTS, stored)


def _catching_up(rs: RS) -> bool:
    """The ReplicaSet's status does not yet reflect its latest spec."""
    return (rs.get("status") or {}).get("observedGeneration", 0) < rs["metadata"].get(
        "generation", 1
    )


def _replica_failure(all_rss: list[RS | None], new_rs: RS | None) -> dict[str, Any] | None:
    """A ``ReplicaFailure`` of the new ReplicaSet, else of any other, as the Deployment's."""
    for rs in [new_rs, *all_rss]:
        for condition in ((rs or {}).get("status") or {}).get("conditions") or []:
            if condition.get("type") == "ReplicaFailure":
                return {
                    "type": "ReplicaFailure",
                    "status": condition["status"],
                    "lastUpdateTime": condition.get("lastTransitionTime"),
                    "lastTransitionTime": condition.get("lastTransitionTime"),
                    "reason": condition.get("reason"),
                    "message": condition.get("message"),
                }
    return None
