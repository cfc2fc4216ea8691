"""The arithmetic and bookkeeping of Deployments, kept apart from the rollout loop.

Everything here is a pure function of a Deployment and its ReplicaSets: how many pods a rolling
update may add or take away (``maxSurge``/``maxUnavailable``), which ReplicaSet is the new one,
the annotations that record revisions and sizes on ReplicaSets, the ``Available`` and
``Progressing`` conditions, and the status counts. ``kubectl`` uses the same rules on its side
(``rollout history``, ``rollout undo``), so the names and texts here are Kubernetes' own.
"""

from __future__ import annotations

import copy
import math
from datetime import datetime, timedelta
from typing import Any

from kubelab.cluster.controllers.status_fields import omit_zero
from kubelab.cluster.resources.podspec import int_or_percent_value
from kubelab.cluster.resources.printing import format_time, parse_time

POD_TEMPLATE_HASH_LABEL = "pod-template-hash"
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"
#: Deployment annotations that are not copied to its ReplicaSets.
ANNOTATIONS_NOT_COPIED = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION_ANNOTATION,
        REVISION_HISTORY_ANNOTATION,
        DESIRED_REPLICAS_ANNOTATION,
        MAX_REPLICAS_ANNOTATION,
        "deprecated.deployment.rollback.to",
    }
)
#: The longest ``revision-history`` annotation kept (older revisions drop off the front).
MAX_REVISION_HISTORY_CHARS = 2000
#: ``progressDeadlineSeconds`` and ``revisionHistoryLimit`` at this value mean "never".
INT32_MAX = 2**31 - 1

# Progressing condition reasons.
REPLICA_SET_UPDATED = "ReplicaSetUpdated"
FAILED_RS_CREATE = "ReplicaSetCreateError"
NEW_REPLICA_SET = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
# Available condition reasons.
MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"


# --- sizes ---------------------------------------------------------------------------------


def replicas(obj: dict[str, Any] | None) -> int:
    """``spec.replicas`` of a Deployment or ReplicaSet (0 for a missing ReplicaSet)."""
    if obj is None:
        return 0
    value = obj["spec"].get("replicas")
    return 1 if value is None else int(value)


def status_count(obj: dict[str, Any] | None, field: str) -> int:
    return int(((obj or {}).get("status") or {}).get(field) or 0)


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """An int-or-percent resolved against ``total`` (``GetScaledValueFromIntOrPercent``)."""
    number, is_percent = int_or_percent_value(value)
    if not is_percent:
        return number
    exact = number * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def is_rolling_update(deployment: dict[str, Any]) -> bool:
    return (deployment["spec"].get("strategy") or {}).get("type", "RollingUpdate") == (
        "RollingUpdate"
    )


def _rolling_parameters(deployment: dict[str, Any]) -> dict[str, Any]:
    return (deployment["spec"].get("strategy") or {}).get("rollingUpdate") or {}


def resolve_fenceposts(deployment: dict[str, Any]) -> tuple[int, int]:
    """``(maxSurge, maxUnavailable)`` as numbers: surge rounds up, unavailability rounds down,
    and if both come out 0, one pod may be unavailable (surge might be blocked by quota)."""
    parameters = _rolling_parameters(deployment)
    desired = replicas(deployment)
    surge = scaled_value(parameters.get("maxSurge", "25%"), desired, round_up=True)
    unavailable = scaled_value(parameters.get("maxUnavailable", "25%"), desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(deployment: dict[str, Any]) -> int:
    return resolve_fenceposts(deployment)[0] if is_rolling_update(deployment) else 0


def max_unavailable(deployment: dict[str, Any]) -> int:
    desired = replicas(deployment)
    if not is_rolling_update(deployment) or desired == 0:
        return 0
    return min(resolve_fenceposts(deployment)[1], desired)


def total_replicas(replica_sets: list[dict[str, Any] | None]) -> int:
    """The sum of ``spec.replicas``: the pods the ReplicaSets are asked for."""
    return sum(replicas(rs) for rs in replica_sets if rs is not None)


def total_status(replica_sets: list[dict[str, Any] | None], field: str) -> int:
    """The sum of one status count (``replicas``, ``readyReplicas``, ...)."""
    return sum(status_count(rs, field) for rs in replica_sets if rs is not None)


def active(replica_sets: list[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """ReplicaSets asked for at least one pod."""
    return [rs for rs in replica_sets if rs is not None and replicas(rs) > 0]


def new_rs_new_replicas(
    deployment: dict[str, Any], all_rss: list[dict[str, Any]], new_rs: dict[str, Any]
) -> int:
    """How big the new ReplicaSet may be now (``NewRSNewReplicas``): under RollingUpdate, as
    big as keeps every ReplicaSet together within ``replicas + maxSurge``; under Recreate, all
    of it."""
    desired = replicas(deployment)
    if not is_rolling_update(deployment):
        return desired
    surge = scaled_value(_rolling_parameters(deployment).get("maxSurge", "25%"), desired, True)
    current = total_replicas(all_rss)
    if current >= desired + surge:
        return replicas(new_rs)
    return replicas(new_rs) + min(desired + surge - current, desired - replicas(new_rs))


# --- which ReplicaSet is which ---------------------------------------------------------------


def creation_order(rs: dict[str, Any]) -> tuple[str, int, str]:
    """Oldest first; the revision breaks ties between ReplicaSets made in the same second."""
    return (rs["metadata"].get("creationTimestamp", ""), revision(rs), rs["metadata"]["name"])


def revision(rs: dict[str, Any]) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION, 0))
    except ValueError:
        return 0


def _semantic(value: Any) -> Any:
    """A value with empty maps, lists and strings dropped: Go sees absent and empty alike."""
    if isinstance(value, dict):
        cleaned = {k: _semantic(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, {}, [], "")}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def equal_ignore_hash(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Whether two pod templates are the same once the ``pod-template-hash`` label is ignored."""

    def without_hash(template: dict[str, Any]) -> Any:
        template = copy.deepcopy(template)
        ((template.get("metadata") or {}).get("labels") or {}).pop(POD_TEMPLATE_HASH_LABEL, None)
        return _semantic(template)

    return without_hash(first) == without_hash(second)


def find_new_replica_set(
    deployment: dict[str, Any], replica_sets: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The oldest ReplicaSet whose template is the Deployment's (``FindNewReplicaSet``)."""
    template = deployment["spec"].get("template") or {}
    for rs in sorted(replica_sets, key=creation_order):
        if equal_ignore_hash(rs["spec"].get("template") or {}, template):
            return rs
    return None


def find_active_or_latest(
    new_rs: dict[str, Any] | None, old_rss: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The only ReplicaSet with pods, or the newest if none has any; None if several do."""
    if new_rs is None and not old_rss:
        return None
    newest_first = sorted(old_rss, key=creation_order, reverse=True)
    running = active([*newest_first, new_rs])
    if len(running) == 1:
        return running[0]
    if not running:
        return new_rs if new_rs is not None else newest_first[0]
    return None


def is_saturated(deployment: dict[str, Any], rs: dict[str, Any] | None) -> bool:
    """The ReplicaSet alone runs the whole Deployment, every pod available."""
    if rs is None:
        return False
    desired = replicas(deployment)
    annotated = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS_ANNOTATION)
    return (
        annotated == str(desired)
        and replicas(rs) == desired
        and status_count(rs, "availableReplicas") == desired
    )


# --- annotations -----------------------------------------------------------------------------


def set_new_rs_annotations(
    deployment: dict[str, Any], rs: dict[str, Any], new_revision: int, exists: bool
) -> bool:
    """Copy the Deployment's annotations to its new ReplicaSet and give it ``new_revision``
    (remembering the revisions it had before in ``revision-history``, as after a rollback).
    Returns whether anything changed."""
    annotations = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in (deployment["metadata"].get("annotations") or {}).items():
        if key not in ANNOTATIONS_NOT_COPIED and annotations.get(key) != value:
            annotations[key] = value
            changed = True
    old_text = annotations.get(REVISION_ANNOTATION)
    try:
        old_revision = int(old_text) if old_text else 0
    except ValueError:
        return False
    if old_revision < new_revision:
        annotations[REVISION_ANNOTATION] = str(new_revision)
        changed = True
        if old_text:
            _append_revision_history(annotations, old_text)
    if not exists and set_replicas_annotations(rs, deployment):
        changed = True
    return changed


def _append_revision_history(annotations: dict[str, str], old_revision: str) -> None:
    history = [r for r in annotations.get(REVISION_HISTORY_ANNOTATION, "").split(",") if r]
    history.append(old_revision)
    while history and len(",".join(history)) > MAX_REVISION_HISTORY_CHARS:
        history.pop(0)
    if history:
        annotations[REVISION_HISTORY_ANNOTATION] = ",".join(history)


def replicas_annotations(deployment: dict[str, Any]) -> dict[str, str]:
    """``desired-replicas`` and ``max-replicas``: the Deployment's size when the ReplicaSet
    was last scaled, which proportional scaling needs later."""
    desired = replicas(deployment)
    return {
        DESIRED_REPLICAS_ANNOTATION: str(desired),
        MAX_REPLICAS_ANNOTATION: str(desired + max_surge(deployment)),
    }


def set_replicas_annotations(rs: dict[str, Any], deployment: dict[str, Any]) -> bool:
    annotations = rs["metadata"].setdefault("annotations", {})
    wanted = replicas_annotations(deployment)
    if all(annotations.get(k) == v for k, v in wanted.items()):
        return False
    annotations.update(wanted)
    return True


def set_deployment_revision(deployment: dict[str, Any], value: str) -> bool:
    annotations = deployment["metadata"].setdefault("annotations", {})
    if annotations.get(REVISION_ANNOTATION) == value:
        return False
    annotations[REVISION_ANNOTATION] = value
    return True


# --- proportional scaling --------------------------------------------------------------------


def proportion(rs: dict[str, Any], deployment: dict[str, Any], to_add: int, added: int) -> int:
    """This ReplicaSet's share of a change in size (``GetProportion``): its size scaled by how
    much the Deployment's maximum grew or shrank, never more than what is left to hand out."""
    if replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _fraction(rs, deployment)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _fraction(rs: dict[str, Any], deployment: dict[str, Any]) -> int:
    if replicas(deployment) == 0:
        return -replicas(rs)
    new_max = replicas(deployment) + max_surge(deployment)
    try:
        old_max = int((rs["metadata"].get("annotations") or {}).get(MAX_REPLICAS_ANNOTATION, 0))
    except ValueError:
        old_max = 0
    if old_max == 0:
        old_max = status_count(deployment, "replicas")
        if old_max == 0:
            return 0
    return _round_half_away(replicas(rs) * new_max / old_max) - replicas(rs)


def _round_half_away(value: float) -> int:
    return int(math.floor(value + 0.5)) if value >= 0 else -int(math.floor(-value + 0.5))


# --- conditions and status -------------------------------------------------------------------


def has_progress_deadline(deployment: dict[str, Any]) -> bool:
    deadline = deployment["spec"].get("progressDeadlineSeconds", 600)
    return deadline is not None and deadline != INT32_MAX


def get_condition(status: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == kind:
            return condition
    return None


def new_condition(
    kind: str, state: str, reason: str, message: str, now: datetime
) -> dict[str, Any]:
    stamp = format_time(now)
    return {
        "type": kind,
        "status": state,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def set_condition(status: dict[str, Any], condition: dict[str, Any]) -> None:
    """Record a condition (``SetDeploymentCondition``): the same status and reason again
    changes nothing; the same status keeps its ``lastTransitionTime``."""
    current = get_condition(status, condition["type"])
    if (
        current is not None
        and current["status"] == condition["status"]
        and (current.get("reason") == condition["reason"])
    ):
        return
    if current is not None and current["status"] == condition["status"]:
        condition["lastTransitionTime"] = current.get("lastTransitionTime")
    remove_condition(status, condition["type"])
    status.setdefault("conditions", []).append(condition)


def remove_condition(status: dict[str, Any], kind: str) -> None:
    remaining = [c for c in status.get("conditions") or [] if c.get("type") != kind]
    if remaining:
        status["conditions"] = remaining
    else:
        status.pop("conditions", None)


def calculate_status(
    all_rss: list[dict[str, Any] | None],
    new_rs: dict[str, Any] | None,
    deployment: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The Deployment's status from its ReplicaSets, with the ``Available`` condition."""
    available = total_status(all_rss, "availableReplicas")
    old_status = deployment.get("status") or {}
    status: dict[str, Any] = {
        "observedGeneration": deployment["metadata"].get("generation", 1),
        "replicas": total_status(all_rss, "replicas"),
        "updatedReplicas": total_status([new_rs], "replicas"),
        "readyReplicas": total_status(all_rss, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": max(total_replicas(all_rss) - available, 0),
    }
    if any(rs is not None for rs in all_rss):
        status["terminatingReplicas"] = total_status(all_rss, "terminatingReplicas")
    if old_status.get("collisionCount") is not None:
        status["collisionCount"] = old_status["collisionCount"]
    if old_status.get("conditions"):
        status["conditions"] = copy.deepcopy(old_status["conditions"])
    omit_zero(
        status,
        (
            "observedGeneration",
            "replicas",
            "updatedReplicas",
            "readyReplicas",
            "availableReplicas",
            "unavailableReplicas",
        ),
    )
    if available >= replicas(deployment) - max_unavailable(deployment):
        set_condition(
            status,
            new_condition(
                "Available",
                "True",
                MINIMUM_REPLICAS_AVAILABLE,
                "Deployment has minimum availability.",
                now,
            ),
        )
    else:
        set_condition(
            status,
            new_condition(
                "Available",
                "False",
                MINIMUM_REPLICAS_UNAVAILABLE,
                "Deployment does not have minimum availability.",
                now,
            ),
        )
    return status


def deployment_complete(deployment: dict[str, Any], status: dict[str, Any]) -> bool:
    desired = replicas(deployment)
    return (
        status.get("updatedReplicas", 0) == desired
        and status.get("replicas", 0) == desired
        and status.get("availableReplicas", 0) == desired
        and status.get("observedGeneration", 0) >= deployment["metadata"].get("generation", 1)
    )


def deployment_progressing(deployment: dict[str, Any], status: dict[str, Any]) -> bool:
    """Did anything move since the last status: more updated, ready or available pods, or
    fewer old ones?"""
    old = deployment.get("status") or {}

    def old_pods(s: dict[str, Any]) -> int:
        return s.get("replicas", 0) - s.get("updatedReplicas", 0)

    return (
        status.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
        or old_pods(status) < old_pods(old)
        or status.get("readyReplicas", 0) > old.get("readyReplicas", 0)
        or status.get("availableReplicas", 0) > old.get("availableReplicas", 0)
    )


def progress_deadline_at(deployment: dict[str, Any], status: dict[str, Any]) -> datetime | None:
    """When the current ``Progressing`` condition runs out of time, if it can."""
    condition = get_condition(status, "Progressing")
    if not has_progress_deadline(deployment) or condition is None:
        return None
    updated = parse_time(condition.get("lastUpdateTime"))
    if updated is None:
        return None
    return updated + timedelta(seconds=deployment["spec"].get("progressDeadlineSeconds", 600))


def deployment_timed_out(deployment: dict[str, Any], status: dict[str, Any], now: datetime) -> bool:
    condition = get_condition(status, "Progressing")
    if (
        not has_progress_deadline(deployment)
        or condition is None
        or (condition.get("reason") == NEW_RS_AVAILABLE)
    ):
        return False
    if condition.get("reason") == TIMED_OUT:
        return True
    deadline = progress_deadline_at(deployment, status)
    return deadline is not None and deadline < now
