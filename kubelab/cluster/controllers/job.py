"""The Job controller: runs pods until enough of them succeed, or gives up.

A Job is finished when ``completions`` pods have succeeded (``Complete``), or when it fails:
more than ``backoffLimit`` failed pods, or active for longer than ``activeDeadlineSeconds``
(``Failed``). Until then the controller keeps up to ``parallelism`` pods running, never more
than the completions still missing, and waits longer and longer (10 s, 20 s, 40 s, ... at most
10 min) before replacing pods that failed.

Counting must survive pods being deleted, so every pod the controller creates carries the
``batch.kubernetes.io/job-tracking`` finalizer. A finished pod is counted in three steps: its
uid is written to ``status.uncountedTerminatedPods``, the finalizer is removed, and then the uid
moves into the ``succeeded`` or ``failed`` counter. A Job also finishes in two steps: first the
interim condition ``SuccessCriteriaMet`` or ``FailureTarget``, then ``Complete`` or ``Failed``
once no pod is left uncounted or still terminating.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import PODS, LocalClient, Resource
from kubelab.cluster.controllers.base import Controller, Key
from kubelab.cluster.controllers.listers import list_shared
from kubelab.cluster.events import EventRecorder
from kubelab.cluster.resources.job import JOB_NAME_LABEL
from kubelab.cluster.resources.printing import format_time, parse_time

JOBS: Resource = ("batch", "v1", "jobs")
TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"
#: The wait before replacing a failed pod doubles from here with each consecutive failure...
POD_FAILURE_BACKOFF = 10.0
#: ...up to this many seconds.
MAX_POD_FAILURE_BACKOFF = 600.0
FINISHED = ("Complete", "Failed")
BACKOFF_LIMIT_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"
COMPLETIONS_MESSAGE = "Reached expected number of succeeded pods"


# --- reading pods and jobs ----------------------------------------------------------------------


def finished_condition(job: dict[str, Any]) -> str | None:
    """``Complete`` or ``Failed`` when the Job is finished, else None."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in FINISHED and condition.get("status") == "True":
            return condition["type"]
    return None


def _condition(job: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return condition
    return None


def _new_condition(kind: str, status: str, reason: str, message: str, now: str) -> dict[str, Any]:
    return {
        "type": kind,
        "status": status,
        "lastProbeTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def _phase(pod: dict[str, Any]) -> str:
    return (pod.get("status") or {}).get("phase", "")


def _deleting(pod: dict[str, Any]) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_active(pod: dict[str, Any]) -> bool:
    return _phase(pod) not in ("Succeeded", "Failed") and not _deleting(pod)


def is_terminating(pod: dict[str, Any]) -> bool:
    return _phase(pod) not in ("Succeeded", "Failed") and _deleting(pod)


def is_failed(pod: dict[str, Any]) -> bool:
    """Failed, or deleted before it could succeed (a pod that never got to finish)."""
    return _phase(pod) == "Failed" or (_deleting(pod) and _phase(pod) != "Succeeded")


def is_ready(pod: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def is_tracked(pod: dict[str, Any]) -> bool:
    return TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or [])


def _sooner(first: float | None, second: float | None) -> float | None:
    """The earlier of two optional requeue delays."""
    if first is None or second is None:
        return first if second is None else second
    return min(first, second)


def _set_count(status: dict[str, Any], key: str, value: int) -> None:
    """Counters are left out of the status while they are zero, as upstream serialises them."""
    if value:
        status[key] = value
    else:
        status.pop(key, None)


def controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    for owner in obj["metadata"].get("ownerReferences") or []:
        if owner.get("controller"):
            return owner
    return None


def completion_index(pod: dict[str, Any]) -> int | None:
    value = (pod["metadata"].get("annotations") or {}).get(COMPLETION_INDEX, "")
    return int(value) if value.isdigit() else None


def finish_time(pod: dict[str, Any], now: datetime) -> datetime:
    """When the pod's last container stopped, or now if the pod does not say."""
    times = []
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (status.get("state") or {}).get("terminated") or {}
        finished = parse_time(terminated.get("finishedAt"))
        if finished is None:
            return now
        times.append(finished)
    return max(times, default=now)


def parse_indexes(text: str | None) -> set[int]:
    """``"0-2,5"`` → {0, 1, 2, 5}: the form of ``status.completedIndexes``."""
    indexes: set[int] = set()
    for part in (text or "").split(","):
        if "-" in part:
            first, last = part.split("-", 1)
            indexes.update(range(int(first), int(last) + 1))
        elif part:
            indexes.add(int(part))
    return indexes


def format_indexes(indexes: set[int]) -> str:
    """{0, 1, 2, 5} → ``"0-2,5"``."""
    runs: list[list[int]] = []
    for index in sorted(indexes):
        if runs and runs[-1][1] == index - 1:
            runs[-1][1] = index
        else:
            runs.append([index, index])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _removal_order(pod: dict[str, Any]) -> tuple[bool, bool, bool]:
    """Pods to delete first: unscheduled, then pending, then not ready."""
    return (
        bool(pod.get("spec", {}).get("nodeName")),
        _phase(pod) == "Running",
        is_ready(pod),
    )


@dataclass
class Backoff:
    """Consecutive pod failures since the last success, and when the latest one happened."""

    failures: int = 0
    last_failure: datetime | None = None

    def record(self, succeeded: list[datetime], failed: list[datetime]) -> None:
        if succeeded:
            last_success = max(succeeded)
            failed = [t for t in failed if t > last_success]
            self.failures, self.last_failure = 0, None
        if failed:
            self.failures += len(failed)
            self.last_failure = max(failed)

    def remaining(self, now: datetime) -> float:
        """Seconds to wait before the next pod may be created."""
        if not self.failures or self.last_failure is None:
            return 0.0
        delay = min(POD_FAILURE_BACKOFF * 2 ** (self.failures - 1), MAX_POD_FAILURE_BACKOFF)
        return max(delay - (now - self.last_failure).total_seconds(), 0.0)


class JobController(Controller):
    name = "job-controller"
    watches = (JOBS, PODS)

    def __init__(self, client: LocalClient) -> None:
        super().__init__(client)
        self.events = EventRecorder(client, self.name)
        self._backoffs: dict[tuple[str, str], Backoff] = {}

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> list[Key]:
        """A Job; for a pod, the Job controlling it, or the Job an orphaned pod still
        carries the tracking finalizer for."""
        meta = obj["metadata"]
        if resource == JOBS:
            return [(meta["namespace"], meta["name"])]
        owner = controller_of(obj)
        if owner is not None:
            return [(meta["namespace"], owner["name"])] if owner.get("kind") == "Job" else []
        job_name = (meta.get("labels") or {}).get(JOB_NAME_LABEL)
        return [(meta["namespace"], job_name)] if job_name and is_tracked(obj) else []

    async def reconcile(self, namespace: str, name: str) -> float | None:
        job = self.client.get(JOBS, namespace, name)
        if job is None or finished_condition(job) or job["metadata"].get("deletionTimestamp"):
            self._backoffs.pop((namespace, name), None)
            for pod in self._left_tracked(namespace, name):
                self._release(pod)
            return None
        uid = job["metadata"]["uid"]
        pods = [
            p
            for p in list_shared(self.client, PODS, namespace)
            if (controller_of(p) or {}).get("uid") == uid
        ]
        return self._sync(job, pods)

    def _left_tracked(self, namespace: str, name: str) -> list[dict[str, Any]]:
        """Pods that still carry the tracking finalizer for a Job that no longer needs it
        (finished, deleted, or the pods were orphaned)."""
        left = []
        for pod in list_shared(self.client, PODS, namespace):
            owner = controller_of(pod)
            if owner is not None:
                mine = owner.get("kind") == "Job" and owner.get("name") == name
            else:
                mine = (pod["metadata"].get("labels") or {}).get(JOB_NAME_LABEL) == name
            if mine and is_tracked(pod):
                left.append(pod)
        return left

    # --- one sync -------------------------------------------------------------------------------

    def _sync(self, job: dict[str, Any], pods: list[dict[str, Any]]) -> float | None:
        spec, meta = job["spec"], job["metadata"]
        original = copy.deepcopy(job.get("status") or {})
        status = job.setdefault("status", {})
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        now = self.client.clock.now()
        listed = set(uncounted.get("succeeded", [])) | set(uncounted.get("failed", []))
        fresh = [p for p in pods if is_tracked(p) and p["metadata"]["uid"] not in listed]
        new_succeeded = [p for p in fresh if _phase(p) == "Succeeded"]
        new_failed = [p for p in fresh if is_failed(p)]
        key = (meta["namespace"], meta["name"])
        backoff = copy.copy(self._backoffs.get(key) or Backoff())
        backoff.record(
            [finish_time(p, now) for p in new_succeeded], [finish_time(p, now) for p in new_failed]
        )
        failed = status.get("failed", 0) + len(uncounted.get("failed", [])) + len(new_failed)
        succeeded = self._succeeded(job, new_succeeded)
        if not status.get("startTime") and not spec.get("suspend"):
            status["startTime"] = format_time(now)

        active = [p for p in pods if is_active(p)]
        terminating = sum(1 for p in pods if is_terminating(p))
        finishing = self._finishing(job, pods, failed, now)
        again = self._time_left(job, now) if finishing is None else None
        if finishing is not None:
            terminating += self._delete_pods(job, active, release=False)
            active = []
        else:
            active, terminating, wait = self._manage(job, active, succeeded, terminating, backoff)
            again = _sooner(again, wait)
            completions = spec.get("completions")
            done = succeeded >= completions if completions is not None else succeeded > 0
            if done and not active:
                finishing = _new_condition(
                    "SuccessCriteriaMet",
                    "True",
                    "CompletionsReached",
                    COMPLETIONS_MESSAGE,
                    format_time(now),
                )
            else:
                self._update_suspended(job, now)

        _set_count(status, "active", len(active))
        status["ready"] = sum(1 for p in active if is_ready(p))
        status["terminating"] = terminating
        self._track(job, pods, finishing, original, now)
        self._backoffs[key] = backoff
        return again

    def _succeeded(self, job: dict[str, Any], new_succeeded: list[dict[str, Any]]) -> int:
        """Succeeded pods so far; for Indexed Jobs, succeeded indexes (recorded here)."""
        status = job["status"]
        if job["spec"].get("completionMode") != "Indexed":
            return (
                status.get("succeeded", 0)
                + len(status["uncountedTerminatedPods"].get("succeeded", []))
                + len(new_succeeded)
            )
        completions = job["spec"]["completions"]
        indexes = parse_indexes(status.get("completedIndexes"))
        indexes.update(i for p in new_succeeded if (i := completion_index(p)) is not None)
        indexes = {i for i in indexes if i < completions}
        if indexes:
            status["completedIndexes"] = format_indexes(indexes)
        _set_count(status, "succeeded", len(indexes))
        return len(indexes)

    def _finishing(
        self, job: dict[str, Any], pods: list[dict[str, Any]], failed: int, now: datetime
    ) -> dict[str, Any] | None:
        """The interim condition of a Job that is finishing: one it already has, or a new
        FailureTarget when it ran out of retries or time."""
        for kind in ("FailureTarget", "SuccessCriteriaMet"):
            existing = _condition(job, kind)
            if existing is not None and existing.get("status") == "True":
                return existing
        timestamp = format_time(now)
        if failed > job["spec"]["backoffLimit"] or self._restarts_exceed_limit(job, pods):
            return _new_condition(
                "FailureTarget", "True", "BackoffLimitExceeded", BACKOFF_LIMIT_MESSAGE, timestamp
            )
        if self._time_left(job, now) == 0:
            return _new_condition(
                "FailureTarget", "True", "DeadlineExceeded", DEADLINE_MESSAGE, timestamp
            )
        return None

    @staticmethod
    def _restarts_exceed_limit(job: dict[str, Any], pods: list[dict[str, Any]]) -> bool:
        """With ``restartPolicy: OnFailure`` failed containers restart in place; their restarts
        count toward ``backoffLimit`` instead of failed pods."""
        if job["spec"]["template"].get("spec", {}).get("restartPolicy") != "OnFailure":
            return False
        restarts = 0
        for pod in pods:
            if _phase(pod) in ("Pending", "Running"):
                status = pod.get("status") or {}
                for container in (status.get("initContainerStatuses") or []) + (
                    status.get("containerStatuses") or []
                ):
                    restarts += container.get("restartCount", 0)
        limit = job["spec"]["backoffLimit"]
        return restarts > 0 if limit == 0 else restarts >= limit

    @staticmethod
    def _time_left(job: dict[str, Any], now: datetime) -> float | None:
        """Seconds until ``activeDeadlineSeconds`` runs out (0 when it has), None without one."""
        deadline = job["spec"].get("activeDeadlineSeconds")
        start = parse_time(job["status"].get("startTime"))
        if deadline is None or start is None or job["spec"].get("suspend"):
            return None
        return max(deadline - (now - start).total_seconds(), 0.0)

    # --- pods -----------------------------------------------------------------------------------

    def _manage(
        self,
        job: dict[str, Any],
        active: list[dict[str, Any]],
        succeeded: int,
        terminating: int,
        backoff: Backoff,
    ) -> tuple[list[dict[str, Any]], int, float | None]:
        """Create or delete pods toward the wanted number; returns the pods still active, the
        terminating count and when to look again."""
        spec = job["spec"]
        if spec.get("suspend"):
            return [], terminating + self._delete_pods(job, active, release=True), None
        completions, parallelism = spec.get("completions"), spec["parallelism"]
        if completions is None:
            wanted = len(active) if succeeded > 0 else parallelism
        else:
            wanted = max(min(completions - succeeded, parallelism), 0)
        if len(active) > wanted:
            surplus = sorted(active, key=_removal_order)[: len(active) - wanted]
            terminating += self._delete_pods(job, surplus, release=True)
            return [p for p in active if p not in surplus], terminating, None
        missing = wanted - len(active)
        if missing <= 0:
            return active, terminating, None
        wait = backoff.remaining(self.client.clock.now())
        if wait > 0:
            return active, terminating, wait
        created = self._create_pods(job, active, missing)
        return active + created, terminating, None if len(created) == missing else 1.0

    def _create_pods(
        self, job: dict[str, Any], active: list[dict[str, Any]], count: int
    ) -> list[dict[str, Any]]:
        meta = job["metadata"]
        indexes: list[int | None] = [None] * count
        if job["spec"].get("completionMode") == "Indexed":
            taken = parse_indexes(job["status"].get("completedIndexes"))
            taken.update(i for p in active if (i := completion_index(p)) is not None)
            pending = [i for i in range(job["spec"]["completions"]) if i not in taken]
            indexes = list(pending[:count])
        created = []
        for index in indexes:
            pod = self._pod_from_template(job, index)
            try:
                created.append(self.client.create(PODS, meta["namespace"], pod))
            except APIError as error:
                self.events.record(
                    job, "Warning", "FailedCreate", f"Error creating: {error.message}"
                )
                break
            self.events.record(
                job, "Normal", "SuccessfulCreate", f"Created pod: {created[-1]['metadata']['name']}"
            )
        return created

    @staticmethod
    def _pod_from_template(job: dict[str, Any], index: int | None) -> dict[str, Any]:
        """A pod from ``spec.template``, owned and tracked by the Job; Indexed pods also get
        their index (annotation, label, hostname and ``JOB_COMPLETION_INDEX``)."""
        meta, template = job["metadata"], copy.deepcopy(job["spec"]["template"])
        pod_meta = template.get("metadata") or {}
        pod_spec = template["spec"]
        generate_name = f"{meta['name']}-"
        if index is not None:
            pod_meta.setdefault("annotations", {})[COMPLETION_INDEX] = str(index)
            pod_meta.setdefault("labels", {})[COMPLETION_INDEX] = str(index)
            pod_spec["hostname"] = f"{meta['name']}-{index}"
            generate_name = f"{meta['name']}-{index}-"
            for container in pod_spec.get("initContainers", []) + pod_spec["containers"]:
                env = container.setdefault("env", [])
                if not any(e.get("name") == COMPLETION_INDEX_ENV for e in env):
                    env.append(
                        {
                            "name": COMPLETION_INDEX_ENV,
                            "valueFrom": {
                                "fieldRef": {
                                    "apiVersion": "v1",
                                    "fieldPath": f"metadata.annotations['{COMPLETION_INDEX}']",
                                }
                            },
                        }
                    )
        finalizers = pod_meta.get("finalizers") or []
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "generateName": generate_name,
                "labels": pod_meta.get("labels") or {},
                "annotations": pod_meta.get("annotations") or {},
                "finalizers": finalizers + [TRACKING_FINALIZER],
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "Job",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": pod_spec,
        }

    def _delete_pods(self, job: dict[str, Any], pods: list[dict[str, Any]], release: bool) -> int:
        """Delete pods; ``release`` first removes the tracking finalizer so that pods the Job
        no longer wants (suspend, scale-down) are not counted as failures."""
        deleted = 0
        for pod in pods:
            meta = pod["metadata"]
            if release:
                self._release(pod)
            try:
                self.client.delete(PODS, meta["namespace"], meta["name"], uid=meta["uid"])
            except APIError as error:
                self.events.record(
                    job, "Warning", "FailedDelete", f"Error deleting: {error.message}"
                )
                continue
            deleted += 1
            self.events.record(job, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")
        return deleted

    def _release(self, pod: dict[str, Any]) -> bool:
        """Remove the tracking finalizer; True when it is gone (or the pod is)."""
        if not is_tracked(pod):
            return True
        meta = pod["metadata"]
        patch = {"metadata": {"$deleteFromPrimitiveList/finalizers": [TRACKING_FINALIZER]}}
        try:
            self.client.patch(PODS, meta["namespace"], meta["name"], patch, "strategic")
        except APIError as error:
            return error.code == 404
        return True

    # --- status ---------------------------------------------------------------------------------

    def _track(
        self,
        job: dict[str, Any],
        pods: list[dict[str, Any]],
        finishing: dict[str, Any] | None,
        original: dict[str, Any],
        now: datetime,
    ) -> None:
        """Count finished pods through ``uncountedTerminatedPods`` and finish the Job."""
        status = job["status"]
        uncounted = status["uncountedTerminatedPods"]
        failing = finishing is not None and finishing["type"] == "FailureTarget"
        indexed = job["spec"].get("completionMode") == "Indexed"
        listed = set(uncounted.get("succeeded", [])) | set(uncounted.get("failed", []))
        releasing = []
        for pod in filter(is_tracked, pods):
            uid = pod["metadata"]["uid"]
            if uid not in listed:
                if _phase(pod) == "Succeeded":
                    if not indexed:  # Indexed Jobs count succeeded indexes instead
                        uncounted.setdefault("succeeded", []).append(uid)
                elif is_failed(pod) or failing:
                    uncounted.setdefault("failed", []).append(uid)
                elif finishing is None:
                    continue  # still running
            releasing.append(pod)
        if finishing is not None and _condition(job, finishing["type"]) is None:
            status.setdefault("conditions", []).append(finishing)
        job = self._write_status(job, original)
        status = job["status"]
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        still_tracked = {p["metadata"]["uid"] for p in releasing if not self._release(p)}
        for outcome in ("succeeded", "failed"):
            uids = uncounted.get(outcome, [])
            counted = [u for u in uids if u not in still_tracked]
            _set_count(status, outcome, status.get(outcome, 0) + len(counted))
            uncounted[outcome] = [u for u in uids if u in still_tracked]
            if not uncounted[outcome]:
                del uncounted[outcome]
        if finishing is not None and not uncounted and not status.get("terminating"):
            self._finish(job, finishing, now)
        self._write_status(job, original)

    def _finish(self, job: dict[str, Any], interim: dict[str, Any], now: datetime) -> None:
        timestamp = format_time(now)
        kind = "Failed" if interim["type"] == "FailureTarget" else "Complete"
        job["status"]["conditions"].append(
            _new_condition(kind, "True", interim["reason"], interim["message"], timestamp)
        )
        if kind == "Complete":
            job["status"]["completionTime"] = timestamp
            self.events.record(job, "Normal", "Completed", "Job completed")
        else:
            self.events.record(job, "Warning", interim["reason"], interim["message"])

    def _update_suspended(self, job: dict[str, Any], now: datetime) -> None:
        """The ``Suspended`` condition follows ``spec.suspend``; resuming restarts the clock
        of ``activeDeadlineSeconds``."""
        suspended = bool(job["spec"].get("suspend"))
        condition = _condition(job, "Suspended")
        if suspended == (condition is not None and condition.get("status") == "True"):
            return
        timestamp = format_time(now)
        if suspended:
            new = _new_condition("Suspended", "True", "JobSuspended", "Job suspended", timestamp)
            self.events.record(job, "Normal", "Suspended", "Job suspended")
        else:
            new = _new_condition("Suspended", "False", "JobResumed", "Job resumed", timestamp)
            self.events.record(job, "Normal", "Resumed", "Job resumed")
            job["status"]["startTime"] = timestamp
        conditions = [c for c in job["status"].get("conditions") or [] if c is not condition]
        job["status"]["conditions"] = conditions + [new]

    def _write_status(self, job: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
        if job["status"] == original:
            return job
        written = self.client.update_status(JOBS, job)
        original.clear()
        original.update(copy.deepcopy(written.get("status") or {}))
        return written
