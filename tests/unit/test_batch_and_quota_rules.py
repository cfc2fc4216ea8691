"""The small rules behind the batch controllers and quota: schedules, back-off, usage."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest

from kubelab.cluster.api.quota import missing_requests, pod_usage
from kubelab.cluster.controllers.cronjob import TOO_MANY_MISSED, Schedule, rfc3339
from kubelab.cluster.controllers.job import Backoff, format_indexes, parse_indexes

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_most_recent_scheduled_time_and_missed_count() -> None:
    schedule = Schedule("*/5 * * * *", UTC)
    latest, missed = schedule.most_recent(at("2026-01-01T10:00:00"), at("2026-01-01T10:17:30"))
    assert (latest, missed) == (at("2026-01-01T10:15:00"), 3)
    assert schedule.most_recent(at("2026-01-01T10:15:00"), at("2026-01-01T10:17:30")) == (None, 0)


def test_too_many_missed_times_still_finds_the_latest() -> None:
    latest, missed = Schedule("* * * * *", UTC).most_recent(
        at("2026-01-01T00:00:00"), at("2026-01-02T12:34:56")
    )
    assert latest == at("2026-01-02T12:34:00")
    assert missed > TOO_MANY_MISSED


def test_schedule_in_a_time_zone_and_descriptors() -> None:
    nine_in_berlin = Schedule("0 9 * * *", BERLIN).next_after(at("2026-01-01T10:00:00"))
    assert nine_in_berlin.astimezone(UTC) == at("2026-01-02T08:00:00")
    assert Schedule("@hourly", UTC).next_after(at("2026-01-01T10:20:00")) == at(
        "2026-01-01T11:00:00"
    )
    assert Schedule("@every 1h30m", UTC).next_after(at("2026-01-01T10:00:00")) == at(
        "2026-01-01T11:30:00"
    )
    with pytest.raises(ValueError):
        Schedule("61 * * * *", UTC)


def test_scheduled_timestamp_is_rfc3339_in_the_zone() -> None:
    moment = at("2026-07-01T08:00:00")
    assert rfc3339(moment) == "2026-07-01T08:00:00Z"
    assert rfc3339(moment.astimezone(BERLIN)) == "2026-07-01T10:00:00+02:00"


def test_completed_indexes_round_trip() -> None:
    assert format_indexes({0, 1, 2, 5, 7, 8}) == "0-2,5,7-8"
    assert parse_indexes("0-2,5,7-8") == {0, 1, 2, 5, 7, 8}
    assert parse_indexes(None) == set()


def test_backoff_doubles_from_ten_seconds_to_ten_minutes() -> None:
    start = at("2026-01-01T10:00:00")
    backoff = Backoff()
    backoff.record([], [start])
    assert backoff.remaining(start) == 10
    backoff.record([], [start])
    assert backoff.remaining(start + timedelta(seconds=5)) == 15
    backoff.record([], [start] * 10)
    assert backoff.remaining(start) == 600
    backoff.record([start + timedelta(seconds=1)], [])
    assert backoff.remaining(start) == 0


def test_pod_usage_counts_the_larger_of_containers_and_init_containers() -> None:
    pod = {
        "spec": {
            "initContainers": [{"name": "setup", "resources": {"requests": {"cpu": "2"}}}],
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
                {"name": "b", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
            ],
        },
        "status": {"phase": "Running"},
    }
    usage = {name: str(amount) for name, amount in pod_usage(pod).items()}
    assert usage["pods"] == "1"
    assert usage["requests.cpu"] == usage["cpu"] == "2"
    assert usage["requests.memory"] == "128Mi"
    assert pod_usage({**pod, "status": {"phase": "Succeeded"}}) == {}
    assert missing_requests(pod, {"requests.memory", "limits.cpu"}) == (
        "must specify limits.cpu for: a,b,setup; requests.memory for: setup"
    )
