"""Log request options: decoded like the parameter codec, validated like the registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.streaming.logs import LogOptions, format_timestamp, select
from kubelab.cluster.api.streaming.params import parse_bool, parse_int, parse_time
from kubelab.cluster.runtime.logs import LogEntry

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "value"),
    [(None, False), ("true", True), ("1", True), ("yes", True), ("0", False), ("FALSE", False)],
)
def test_booleans_are_true_unless_zero_or_false(text, value):
    assert parse_bool(text) is value


def test_numbers_fail_with_gos_parse_errors():
    assert parse_int("-5") == -5
    with pytest.raises(APIError) as garbled:
        parse_int("ten")
    assert (garbled.value.code, garbled.value.message) == (
        400,
        'strconv.ParseInt: parsing "ten": invalid syntax',
    )
    with pytest.raises(APIError, match="value out of range"):
        parse_int("9" * 30)


def test_times_are_rfc3339():
    assert parse_time("2026-01-02T03:04:05Z") == START
    assert parse_time("2026-01-02T04:04:05.5+01:00") == START + timedelta(seconds=0.5)
    assert parse_time("") is None and parse_time("null") is None
    with pytest.raises(APIError) as short:
        parse_time("2026-01-02")
    assert short.value.message == (
        'parsing time "2026-01-02" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"'
    )
    with pytest.raises(APIError) as month:
        parse_time("2026-13-02T03:04:05Z")
    assert month.value.message == 'parsing time "2026-13-02T03:04:05Z": month out of range'


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"tailLines": "-1"},
            'PodLogOptions "web" is invalid: tailLines: Invalid value: -1: '
            "must be greater than or equal to 0",
        ),
        (
            {"limitBytes": "0"},
            'PodLogOptions "web" is invalid: limitBytes: Invalid value: 0: must be greater than 0',
        ),
        (
            {"sinceSeconds": "0"},
            'PodLogOptions "web" is invalid: sinceSeconds: Invalid value: 0: '
            "must be greater than 0",
        ),
        (
            {"sinceSeconds": "5", "sinceTime": "2026-01-02T03:04:05Z"},
            'PodLogOptions "web" is invalid: Forbidden: at most one of `sinceTime` or '
            "`sinceSeconds` may be specified",
        ),
    ],
)
def test_invalid_options(query, message):
    with pytest.raises(APIError) as invalid:
        LogOptions.from_query(query, "web")
    assert (invalid.value.code, invalid.value.reason) == (422, "Invalid")
    assert invalid.value.message == message


def test_since_seconds_counts_back_from_now():
    options = LogOptions.from_query({"sinceSeconds": "10", "follow": "true"}, "web")
    assert options.follow and options.since(START) == START - timedelta(seconds=10)


def test_tail_then_since():
    entries = [LogEntry(START + timedelta(seconds=i), "stdout", f"line {i}") for i in range(5)]
    assert [e.line for e in select(entries, 2, None)] == ["line 3", "line 4"]
    assert select(entries, 0, None) == []
    assert select(entries, 50, None) == entries
    since = START + timedelta(seconds=4)
    assert [e.line for e in select(entries, 3, since)] == ["line 4"]
    assert [e.line for e in select(entries, None, since)] == ["line 4"]


def test_timestamps_drop_trailing_zeros_of_the_fraction():
    assert format_timestamp(START) == "2026-01-02T03:04:05Z"
    assert format_timestamp(START + timedelta(microseconds=120000)) == "2026-01-02T03:04:05.12Z"
    assert format_timestamp(START + timedelta(microseconds=7)) == "2026-01-02T03:04:05.000007Z"
