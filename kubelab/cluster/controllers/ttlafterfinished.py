"""The TTL-after-finished controller: deletes finished Jobs once their time is up.

Finished Jobs and their pods stay around so that their logs and status can be read, which is
why clusters fill up with them. A Job with ``spec.ttlSecondsAfterFinished`` is deleted that
many seconds after it finished (its ``Complete`` or ``Failed`` condition), pods included:
the deletion cascades in the foreground, so the Job disappears after its pods.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kubelab.cluster.controllers.base import Controller
from kubelab.cluster.controllers.job import FINISHED, JOBS
from kubelab.cluster.resources.printing import parse_time


def expiry(job: dict[str, Any]) -> datetime | None:
    """When a finished Job with a TTL may be deleted; None if it has no TTL or is running."""
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    if ttl is None:
        return None
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in FINISHED and condition.get("status") == "True":
            finished = parse_time(condition.get("lastTransitionTime"))
            return finished + timedelta(seconds=ttl) if finished else None
    return None


class TTLAfterFinishedController(Controller):
    name = "ttl-after-finished-controller"
    watches = (JOBS,)

    async def reconcile(self, namespace: str, name: str) -> float | None:
        job = self.client.get(JOBS, namespace, name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return None
        expires = expiry(job)
        if expires is None:
            return None
        left = (expires - self.client.clock.now()).total_seconds()
        if left > 0:
            return left
        self.client.delete(JOBS, namespace, name, "Foreground", uid=job["metadata"]["uid"])
        return None
