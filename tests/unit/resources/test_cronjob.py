"""CronJob: defaults, schedule and time zone validation with upstream texts, the job template."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from kubelab.cluster.resources.cronjob import CronJobStrategy, parse_schedule_error

STRATEGY = CronJobStrategy()
NOW = datetime(2026, 1, 1, 1, 0, 0, tzinfo=UTC)


def cron_job(**spec: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {"name": "backup", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {
            "schedule": "*/5 * * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "containers": [{"name": "b", "image": "busybox"}],
                        }
                    }
                }
            },
            **spec,
        },
    }
    STRATEGY.default(obj)
    return obj


def errors(obj: dict[str, Any]) -> list[str]:
    return [str(e) for e in STRATEGY.validate(obj)]


def test_identity_and_defaults() -> None:
    assert (STRATEGY.group, STRATEGY.plural, STRATEGY.short_names) == ("batch", "cronjobs", ("cj",))
    spec = cron_job()["spec"]
    assert spec["concurrencyPolicy"] == "Allow"
    assert spec["suspend"] is False
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 1)
    job_spec = spec["jobTemplate"]["spec"]
    assert "backoffLimit" not in job_spec
    assert job_spec["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
    assert errors(cron_job()) == []


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("*/5 * * *", "expected exactly 5 fields, found 4: [*/5 * * *]"),
        ("0 0 * * * *", "expected exactly 5 fields, found 6: [0 0 * * * *]"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1/2/3 * * * *", "too many slashes: 1/2/3"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        (
            "@every 5x",
            'failed to parse duration @every 5x: time: unknown unit "x" in duration "5x"',
        ),
        ("0 0 1 jan mon", None),
        ("@daily", None),
        ("@every 1h30m", None),
        ("0,30 9-17 * * MON-FRI", None),
    ],
)
def test_schedule_messages(schedule: str, message: str | None) -> None:
    assert parse_schedule_error(schedule) == message


def test_bad_schedule_error_path() -> None:
    assert errors(cron_job(schedule="every minute")) == [
        'spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: '
        "[every minute]"
    ]


def test_time_zone_belongs_in_its_own_field() -> None:
    assert errors(cron_job(schedule="CRON_TZ=UTC 0 * * * *")) == [
        'spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in '
        "schedule, use timeZone field instead"
    ]
    assert errors(cron_job(timeZone="Europe/Berlin")) == []
    assert errors(cron_job(timeZone="Mars/Olympus")) == [
        'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'
    ]
    assert errors(cron_job(timeZone="")) == [
        'spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string'
    ]


def test_policy_template_and_name_length() -> None:
    obj = cron_job(concurrencyPolicy="Never")
    obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    obj["spec"]["jobTemplate"]["spec"]["selector"] = {"matchLabels": {"a": "b"}}
    obj["metadata"]["name"] = "x" * 53
    assert errors(obj) == [
        'spec.concurrencyPolicy: Unsupported value: "Never": supported values: "Allow", '
        '"Forbid", "Replace"',
        "spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "
        '"OnFailure", "Never"',
        'spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` '
        "will be auto-generated",
        f'metadata.name: Invalid value: "{"x" * 53}": must be no more than 52 characters',
    ]


def test_updates_allow_long_names() -> None:
    old = cron_job()
    old["metadata"]["name"] = "x" * 60
    new = copy.deepcopy(old)
    new["spec"]["schedule"] = "0 * * * *"
    assert STRATEGY.validate_update(new, old) == []


def test_row() -> None:
    obj = cron_job(timeZone="Europe/Berlin")
    obj["status"] = {"active": [{"name": "backup-1"}], "lastScheduleTime": "2026-01-01T00:55:00Z"}
    assert STRATEGY.row(obj, NOW) == [
        "backup",
        "*/5 * * * *",
        "Europe/Berlin",
        "False",
        1,
        "5m",
        "60m",
        "b",
        "busybox",
        "<none>",
    ]
    fresh = cron_job()
    assert STRATEGY.row(fresh, NOW)[2:6] == ["<none>", "False", 0, "<none>"]
