"""CronJob (``cronjobs.batch``): Jobs on a schedule.

The schedule is checked the way kube-apiserver checks it, with the standard five-field parser
of ``robfig/cron`` (plus its ``@hourly``-style descriptors), so a learner's typo gets the same
sentence it would get from a real cluster, e.g. ``expected exactly 5 fields, found 4: [*/5 * *
*]``. Time zones go in ``spec.timeZone``, never in the schedule. Computing the next run times
is the controller's job (it uses ``croniter``); exact error texts need this parser, whose rules
differ from croniter's in the details (seconds fields, ``L``/``#`` forms, ranges).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, invalid, not_supported, required
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.job import base_job_spec_errors, job_warnings
from kubelab.cluster.resources.podspec import (
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    container_cells,
    default_pod_template,
    format_label_selector,
    invalid_selector,
    non_negative,
    schema_doc,
)
from kubelab.cluster.resources.printing import age, since

CONCURRENCY_POLICIES = ["Allow", "Forbid", "Replace"]
#: Job names are ``<cronjob>-<minutes since epoch>``: 11 characters of the 63 a label allows.
MAX_NAME_LENGTH = 52
_SPEC = "io.k8s.api.batch.v1.CronJobSpec"
_STATUS = "io.k8s.api.batch.v1.CronJobStatus"


class CronJobStrategy(ResourceStrategy):
    group = "batch"
    kind = "CronJob"
    plural = "cronjobs"
    short_names = ("cj",)
    categories = ("all",)
    subresources = ("status",)
    columns = (
        NAME_COLUMN,
        Column("Schedule", description=schema_doc(_SPEC, "schedule")),
        Column("Timezone", description=schema_doc(_SPEC, "timeZone")),
        Column("Suspend", type="boolean", description=schema_doc(_SPEC, "suspend")),
        Column("Active", type="integer", description=schema_doc(_STATUS, "active")),
        Column("Last Schedule", description=schema_doc(_STATUS, "lastScheduleTime")),
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
        Column(
            "Selector",
            priority=1,
            description=schema_doc("io.k8s.api.batch.v1.JobSpec", "selector"),
        ),
    )

    def default(self, obj: dict[str, Any]) -> None:
        """``SetDefaults_CronJob``: Allow, not suspended, keep 3 successful and 1 failed Job.

        The job template gets pod template defaults only; Job defaults apply to the Jobs.
        """
        spec = obj.setdefault("spec", {})
        if not spec.get("concurrencyPolicy"):
            spec["concurrencyPolicy"] = "Allow"
        if spec.get("suspend") is None:
            spec["suspend"] = False
        if spec.get("successfulJobsHistoryLimit") is None:
            spec["successfulJobsHistoryLimit"] = 3
        if spec.get("failedJobsHistoryLimit") is None:
            spec["failedJobsHistoryLimit"] = 1
        job_spec = (spec.get("jobTemplate") or {}).get("spec")
        if isinstance(job_spec, dict):
            default_pod_template(job_spec.get("template"))

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        """``ValidateCronJobCreate``: the spec, and a name short enough for its Jobs."""
        errors = cronjob_spec_errors(obj.get("spec") or {}, None)
        name = str((obj.get("metadata") or {}).get("name") or "")
        if len(name) > MAX_NAME_LENGTH:
            errors.append(invalid("metadata.name", name, "must be no more than 52 characters"))
        return errors

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return cronjob_spec_errors(obj.get("spec") or {}, old.get("spec") or {})

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        name = str((obj.get("metadata") or {}).get("name") or "")
        job_spec = ((obj.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}
        return job_warnings(name, job_spec, "spec.jobTemplate.spec")

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
        suspend = spec.get("suspend")
        last = status.get("lastScheduleTime")
        return [
            obj["metadata"]["name"],
            spec.get("schedule", ""),
            spec.get("timeZone") if spec.get("timeZone") is not None else "<none>",
            "<unset>" if suspend is None else ("True" if suspend else "False"),
            len(status.get("active") or []),
            since(last, now) if last else "<none>",
            age(obj, now),
            *container_cells((job_spec.get("template") or {}).get("spec")),
            format_label_selector(job_spec.get("selector")),
        ]


def cronjob_spec_errors(spec: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    """``validateCronJobSpec``; ``old`` is the stored spec on update."""
    errors: list[FieldError] = []
    schedule = str(spec.get("schedule") or "")
    time_zone = spec.get("timeZone")
    if not schedule:
        errors.append(required("spec.schedule"))
    else:
        allow_tz = old is not None and "TZ" in str(old.get("schedule") or "")
        errors += schedule_errors(schedule, allow_tz, time_zone)
    if spec.get("startingDeadlineSeconds") is not None:
        errors += non_negative(spec["startingDeadlineSeconds"], "spec.startingDeadlineSeconds")
    if old is None or old.get("timeZone") != time_zone:
        errors += time_zone_errors(time_zone)
    policy = spec.get("concurrencyPolicy", "")
    if not policy:
        errors.append(required("spec.concurrencyPolicy"))
    elif policy not in CONCURRENCY_POLICIES:
        errors.append(not_supported("spec.concurrencyPolicy", policy, CONCURRENCY_POLICIES))
    errors += _job_template_errors(spec.get("jobTemplate") or {})
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        if spec.get(key) is not None:
            errors += non_negative(spec[key], f"spec.{key}")
    return errors


def _job_template_errors(template: dict[str, Any]) -> list[FieldError]:
    """``ValidateJobTemplateSpec``: a Job spec whose selector the controller will generate."""
    path = "spec.jobTemplate.spec"
    job_spec = template.get("spec") or {}
    errors = base_job_spec_errors(job_spec, path)
    if job_spec.get("selector") is not None:
        errors.append(
            invalid_selector(
                f"{path}.selector", job_spec["selector"], "`selector` will be auto-generated"
            )
        )
    if job_spec.get("manualSelector"):
        errors.append(not_supported(f"{path}.manualSelector", True, ["nil", "false"]))
    return errors


def schedule_errors(schedule: str, allow_tz: bool, time_zone: str | None) -> list[FieldError]:
    """``validateScheduleFormat``: parseable, and no time zone inside the schedule."""
    errors = []
    problem = parse_schedule_error(schedule)
    if problem:
        errors.append(invalid("spec.schedule", schedule, problem))
    if allow_tz and "TZ" in schedule and time_zone is not None:
        errors.append(
            invalid(
                "spec.schedule",
                schedule,
                "cannot use both timeZone field and TZ or CRON_TZ in schedule",
            )
        )
    elif not allow_tz and "TZ" in schedule:
        errors.append(
            invalid(
                "spec.schedule",
                schedule,
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            )
        )
    return errors


_TIME_ZONE_PART = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")


def time_zone_errors(time_zone: Any) -> list[FieldError]:
    """``validateTimeZone``: an explicit IANA zone name the server knows."""
    if time_zone is None:
        return []
    path = "spec.timeZone"
    if not time_zone:
        return [invalid(path, time_zone, "timeZone must be nil or non-empty string")]
    for part in str(time_zone).split("/"):
        if part in (".", "..") or part.startswith("-") or not _TIME_ZONE_PART.match(part):
            return [invalid(path, time_zone, f"unknown time zone {time_zone}")]
    if str(time_zone).lower() == "local":
        return [
            invalid(
                path,
                time_zone,
                "timeZone must be an explicit time zone as defined in "
                "https://www.iana.org/time-zones",
            )
        ]
    if _load_location_error(str(time_zone)):
        return [invalid(path, time_zone, f"unknown time zone {time_zone}")]
    return []


def _load_location_error(name: str) -> bool:
    if name == "UTC":
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return True
    return False


# --- the robfig/cron standard parser ---------------------------------------------------------

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_DAYS = {
    name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))
}
#: (minimum, maximum, names) of minute, hour, day of month, month and day of week.
_BOUNDS = ((0, 59, None), (0, 23, None), (1, 31, None), (1, 12, _MONTHS), (0, 6, _DAYS))
_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_DURATION_UNITS = {"ns", "us", "µs", "μs", "ms", "s", "m", "h"}
_INT64_MAX = 2**63 - 1


class _ScheduleError(ValueError):
    pass


def parse_schedule_error(schedule: str) -> str | None:
    """The error ``cron.ParseStandard`` reports for a schedule, or None when it parses."""
    try:
        _parse_standard(schedule)
    except _ScheduleError as error:
        return str(error)
    return None


def _parse_standard(spec: str) -> None:
    if not spec:
        raise _ScheduleError("empty spec string")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space = spec.find(" ")
        zone = spec[spec.index("=") + 1 : space if space >= 0 else len(spec)]
        if _load_location_error(zone):
            raise _ScheduleError(f"provided bad location {zone}: unknown time zone {zone}")
        spec = spec[space:].strip() if space >= 0 else ""
    if spec.startswith("@"):
        _parse_descriptor(spec)
        return
    fields = spec.split()
    if len(fields) != 5:
        raise _ScheduleError(
            f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
        )
    for field, bounds in zip(fields, _BOUNDS, strict=True):
        for expr in (part for part in field.split(",") if part):
            _check_range(expr, bounds)


def _check_range(expr: str, bounds: tuple[int, int, dict[str, int] | None]) -> None:
    """``getRange``: ``*``, ``n``, ``a-b`` or any of these with ``/step``."""
    low_bound, high_bound, names = bounds
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    if low_and_high[0] in ("*", "?"):
        start, end = low_bound, high_bound
    else:
        start = _int_or_name(low_and_high[0], names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], names)
        else:
            raise _ScheduleError(f"too many hyphens: {expr}")
    step = 1
    if len(range_and_step) == 2:
        step = _atoi(range_and_step[1])
        if len(low_and_high) == 1:
            end = high_bound
    elif len(range_and_step) > 2:
        raise _ScheduleError(f"too many slashes: {expr}")
    if start < low_bound:
        raise _ScheduleError(f"beginning of range ({start}) below minimum ({low_bound}): {expr}")
    if end > high_bound:
        raise _ScheduleError(f"end of range ({end}) above maximum ({high_bound}): {expr}")
    if start > end:
        raise _ScheduleError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise _ScheduleError(f"step of range should be a positive number: {expr}")


def _int_or_name(expr: str, names: dict[str, int] | None) -> int:
    if names and expr.lower() in names:
        return names[expr.lower()]
    return _atoi(expr)


def _atoi(expr: str) -> int:
    """``mustParseInt``: Go's ``strconv.Atoi``, and no negative numbers."""
    quoted = _go_quote(expr)
    if not re.fullmatch(r"[+-]?[0-9]+", expr):
        raise _ScheduleError(
            f"failed to parse int from {expr}: strconv.Atoi: parsing {quoted}: invalid syntax"
        )
    number = int(expr)
    if abs(number) > _INT64_MAX:
        raise _ScheduleError(
            f"failed to parse int from {expr}: strconv.Atoi: parsing {quoted}: value out of range"
        )
    if number < 0:
        raise _ScheduleError(f"negative number ({number}) not allowed: {expr}")
    return number


def _parse_descriptor(spec: str) -> None:
    if spec in _DESCRIPTORS:
        return
    every = "@every "
    if spec.startswith(every):
        problem = _duration_error(spec[len(every) :])
        if problem:
            raise _ScheduleError(f"failed to parse duration {spec}: {problem}")
        return
    raise _ScheduleError(f"unrecognized descriptor: {spec}")


_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")


def _duration_error(text: str) -> str | None:
    """The error of Go's ``time.ParseDuration``, or None for a valid duration."""
    quoted = _go_quote(text)
    body = text[1:] if text[:1] in ("+", "-") else text
    if body == "0":
        return None
    if not body:
        return f"time: invalid duration {quoted}"
    position = 0
    while position < len(body):
        match = _DURATION_PART.match(body, position)
        assert match is not None  # every group of the pattern may be empty
        number, unit = match.group(1), match.group(2)
        if number in ("", "."):
            return f"time: invalid duration {quoted}"
        if not unit:
            return f"time: missing unit in duration {quoted}"
        if unit not in _DURATION_UNITS:
            return f"time: unknown unit {_go_quote(unit)} in duration {quoted}"
        position = match.end()
    return None


def _go_quote(text: str) -> str:
    """Go's ``%q``/``strconv.Quote`` for the plain ASCII texts schedules contain."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


STRATEGIES = [CronJobStrategy()]
