"""The CronJob controller: creates a Job each time a CronJob's schedule comes round.

Each Job is named after the time it was scheduled for (``<cronjob>-<minutes since the
epoch>``), so one scheduled run can never start twice, even if the controller restarts between
creating the Job and recording it in ``status.active``. When the controller was away for
several scheduled times, only the most recent one is run; ``startingDeadlineSeconds`` says how
late a run may still start. ``concurrencyPolicy`` decides what happens when the previous Job is
still running: ``Allow`` starts another, ``Forbid`` skips this run, ``Replace`` deletes the old
Job first. Finished Jobs beyond ``successfulJobsHistoryLimit``/``failedJobsHistoryLimit`` are
deleted, oldest first.

Schedules are read in ``spec.timeZone`` (UTC if unset) and follow the cluster clock, so a
cluster running 60 times faster than real time fires an every-minute CronJob every second.
"""

from __future__ import annotations

import copy
import re
import zoneinfo
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from croniter import croniter

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import LocalClient, Resource
from kubelab.cluster.controllers.base import Controller
from kubelab.cluster.controllers.job import JOBS, controller_of, finished_condition
from kubelab.cluster.events import EventRecorder
from kubelab.cluster.resources.printing import format_time, parse_time

CRONJOBS: Resource = ("batch", "v1", "cronjobs")
SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"
#: Look again a little after the next scheduled time, so as not to wake up just before it.
NEXT_SCHEDULE_DELTA = 0.1
#: More missed start times than this suggests a clock problem and earns a warning.
TOO_MANY_MISSED = 100
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_GO_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


class Schedule:
    """A five-field cron schedule or an ``@every <duration>`` interval, in a time zone."""

    def __init__(self, text: str, zone: tzinfo) -> None:
        self.zone = zone
        self.interval: float | None = None
        if text.startswith("@every "):
            self.interval = max(_go_duration(text[len("@every ") :]), 1.0)
        elif not croniter.is_valid(text):
            raise ValueError(f"unparseable schedule: {text}")
        self.text = text

    def next_after(self, moment: datetime) -> datetime:
        if self.interval is not None:
            return (moment + timedelta(seconds=self.interval)).replace(microsecond=0)
        return croniter(self.text, moment.astimezone(self.zone)).get_next(datetime)

    def most_recent(self, earliest: datetime, now: datetime) -> tuple[datetime | None, int]:
        """The latest scheduled time after ``earliest`` and not after ``now``, and how many
        such times there were (counting stops just past :data:`TOO_MANY_MISSED`)."""
        latest, missed = None, 0
        moment = self.next_after(earliest)
        while moment <= now:
            latest, missed = moment, missed + 1
            if missed > TOO_MANY_MISSED:
                return self._latest_before(now), missed
            moment = self.next_after(moment)
        return latest, missed

    def _latest_before(self, now: datetime) -> datetime:
        if self.interval is not None:
            return now.replace(microsecond=0)
        latest = croniter(self.text, now.astimezone(self.zone)).get_prev(datetime)
        following = self.next_after(latest)
        return following if following <= now else latest


def _go_duration(text: str) -> float:
    """Seconds in a Go duration such as ``1h30m`` or ``90s``."""
    parts = _GO_DURATION_PART.findall(text)
    if not text or "".join(a + b for a, b in parts) != text:
        raise ValueError(f"invalid duration: {text}")
    return sum(float(number) * _GO_DURATION_UNITS[unit] for number, unit in parts)


def rfc3339(moment: datetime) -> str:
    """Go's ``time.RFC3339`` form: ``Z`` in UTC, else the zone's offset."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    offset = moment.utcoffset() or timedelta(0)
    if not offset:
        return text + "Z"
    sign, minutes = ("-", -offset) if offset < timedelta(0) else ("+", offset)
    hours, rest = divmod(int(minutes.total_seconds()) // 60, 60)
    return f"{text}{sign}{hours:02d}:{rest:02d}"


def job_name(cronjob: dict[str, Any], scheduled: datetime) -> str:
    return f"{cronjob['metadata']['name']}-{int(scheduled.timestamp()) // 60}"


def job_reference(job: dict[str, Any]) -> dict[str, Any]:
    meta = job["metadata"]
    return {
        "kind": "Job",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": "batch/v1",
        "resourceVersion": meta["resourceVersion"],
    }


class CronJobController(Controller):
    name = "cronjob-controller"
    watches = (CRONJOBS, JOBS)

    def __init__(self, client: LocalClient) -> None:
        super().__init__(client)
        self.events = EventRecorder(client, self.name)

    async def reconcile(self, namespace: str, name: str) -> float | None:
        cronjob = self.client.get(CRONJOBS, namespace, name)
        if cronjob is None:
            return None
        uid = cronjob["metadata"]["uid"]
        jobs = [
            j
            for j in self.client.list(JOBS, namespace)
            if (controller_of(j) or {}).get("uid") == uid
        ]
        original = copy.deepcopy(cronjob.get("status") or {})
        cronjob.setdefault("status", {})
        self._follow_jobs(cronjob, jobs)
        self._remove_old_jobs(cronjob, jobs)
        again = None
        if not cronjob["metadata"].get("deletionTimestamp"):
            again = self._start_due_job(cronjob)
        if not cronjob["status"].get("active"):
            cronjob["status"].pop("active", None)
        if cronjob["status"] != original:
            self.client.update_status(CRONJOBS, cronjob)
        return again

    # --- the Jobs it made ----------------------------------------------------------------------

    def _follow_jobs(self, cronjob: dict[str, Any], jobs: list[dict[str, Any]]) -> None:
        """Drop finished and vanished Jobs from ``status.active``; note the latest success."""
        status = cronjob["status"]
        active = status.setdefault("active", [])
        for job in jobs:
            meta, finished = job["metadata"], finished_condition(job)
            listed = any(ref.get("uid") == meta["uid"] for ref in active)
            if not listed and not finished:
                self.events.record(
                    cronjob,
                    "Warning",
                    "UnexpectedJob",
                    f"Saw a job that the controller did not create or forgot: {meta['name']}",
                )
            elif listed and finished:
                active[:] = [ref for ref in active if ref.get("uid") != meta["uid"]]
                self.events.record(
                    cronjob,
                    "Normal",
                    "SawCompletedJob",
                    f"Saw completed job: {meta['name']}, status: {finished}",
                )
            completed = (job.get("status") or {}).get("completionTime")
            last = status.get("lastSuccessfulTime")
            if finished == "Complete" and completed and (not last or completed > last):
                status["lastSuccessfulTime"] = completed
        existing = {j["metadata"]["uid"] for j in jobs}
        for ref in list(active):
            if ref.get("uid") not in existing:
                active.remove(ref)
                self.events.record(
                    cronjob, "Normal", "MissingJob", f"Active job went missing: {ref.get('name')}"
                )

    def _remove_old_jobs(self, cronjob: dict[str, Any], jobs: list[dict[str, Any]]) -> None:
        """Keep the newest finished Jobs up to the history limits; delete the rest."""
        spec = cronjob["spec"]
        limits = (
            ("Complete", spec.get("successfulJobsHistoryLimit")),
            ("Failed", spec.get("failedJobsHistoryLimit")),
        )
        for outcome, limit in limits:
            if limit is None:
                continue
            finished = [
                j
                for j in jobs
                if finished_condition(j) == outcome and not j["metadata"].get("deletionTimestamp")
            ]
            finished.sort(
                key=lambda j: (
                    not j["status"].get("startTime"),
                    j["status"].get("startTime") or "",
                    j["metadata"]["name"],
                )
            )
            for job in finished[: max(len(finished) - limit, 0)]:
                self._delete_job(cronjob, job)

    def _delete_job(self, cronjob: dict[str, Any], job: dict[str, Any]) -> None:
        meta = job["metadata"]
        try:
            self.client.delete(JOBS, meta["namespace"], meta["name"], "Background")
        except APIError as error:
            self.events.record(cronjob, "Warning", "FailedDelete", f"Deleted job: {error.message}")
            return
        active = cronjob["status"].get("active") or []
        active[:] = [ref for ref in active if ref.get("uid") != meta["uid"]]
        self.events.record(cronjob, "Normal", "SuccessfulDelete", f"Deleted job {meta['name']}")

    # --- starting the next one -------------------------------------------------------------------

    def _start_due_job(self, cronjob: dict[str, Any]) -> float | None:
        """Start the Job for the most recent unmet scheduled time, if policy allows; return
        the seconds until the next scheduled time."""
        spec, status = cronjob["spec"], cronjob["status"]
        if spec.get("suspend"):
            return None
        schedule = self._schedule(cronjob)
        if schedule is None:
            return None
        now = self.client.clock.now()
        again = (schedule.next_after(now) - now).total_seconds() + NEXT_SCHEDULE_DELTA
        earliest = parse_time(status.get("lastScheduleTime")) or parse_time(
            cronjob["metadata"]["creationTimestamp"]
        )
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now - timedelta(seconds=deadline))
        scheduled, missed = schedule.most_recent(earliest, now)
        if scheduled is None:
            return again
        if missed > TOO_MANY_MISSED:
            self.events.record(
                cronjob,
                "Warning",
                "TooManyMissedTimes",
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds "
                "or check clock skew",
            )
        name = job_name(cronjob, scheduled)
        active = status.setdefault("active", [])
        if any(ref.get("name") == name for ref in active):
            return again
        if spec.get("concurrencyPolicy") == "Forbid" and active:
            self.events.record(
                cronjob,
                "Normal",
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy "
                "is Forbid",
            )
            return again
        if spec.get("concurrencyPolicy") == "Replace":
            for ref in list(active):
                running = self.client.get(JOBS, ref["namespace"], ref["name"])
                if running is not None:
                    self._delete_job(cronjob, running)
        job = self._create_job(cronjob, name, scheduled, schedule.zone)
        if job is not None:
            active.append(job_reference(job))
            status["lastScheduleTime"] = format_time(scheduled)
        return again

    def _schedule(self, cronjob: dict[str, Any]) -> Schedule | None:
        spec = cronjob["spec"]
        zone_name = spec.get("timeZone")
        try:
            zone = zoneinfo.ZoneInfo(zone_name) if zone_name else UTC
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.events.record(
                cronjob,
                "Warning",
                "UnknownTimeZone",
                f'invalid timeZone: "{zone_name}": unknown time zone {zone_name}',
            )
            return None
        try:
            return Schedule(spec["schedule"], zone)
        except ValueError as error:
            self.events.record(
                cronjob,
                "Warning",
                "UnparseableSchedule",
                f'unparseable schedule: "{spec["schedule"]}" : {error}',
            )
            return None

    def _create_job(
        self, cronjob: dict[str, Any], name: str, scheduled: datetime, zone: tzinfo
    ) -> dict[str, Any] | None:
        """Create the Job for one scheduled time; None when there is none to record."""
        meta, template = cronjob["metadata"], copy.deepcopy(cronjob["spec"]["jobTemplate"])
        template_meta = template.get("metadata") or {}
        annotations = dict(template_meta.get("annotations") or {})
        annotations[SCHEDULED_TIMESTAMP] = rfc3339(scheduled.astimezone(zone))
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "labels": dict(template_meta.get("labels") or {}),
                "annotations": annotations,
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "CronJob",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": template.get("spec") or {},
        }
        try:
            created = self.client.create(JOBS, meta["namespace"], job)
        except APIError as error:
            if error.code != 409:
                self.events.record(
                    cronjob, "Warning", "FailedCreate", f"Error creating job: {error.message}"
                )
                return None
            existing = self.client.get(JOBS, meta["namespace"], name)
            if existing is None or (controller_of(existing) or {}).get("uid") != meta["uid"]:
                return None
            return existing
        self.events.record(cronjob, "Normal", "SuccessfulCreate", f"Created job {name}")
        return created
