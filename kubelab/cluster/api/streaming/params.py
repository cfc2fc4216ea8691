"""Query parameters decoded the way kube-apiserver's parameter codec decodes them.

The codec is lenient with booleans (anything but ``0`` and ``false`` is true) and strict with
numbers and times; a bad number or time is a 400 whose message is Go's parse error, which is
what a learner calling the API by hand would see.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from kubelab.cluster.api import errors

RFC3339_LAYOUT = "2006-01-02T15:04:05Z07:00"
INT64_MAX = 2**63 - 1

#: RFC 3339 as Go's layout reads it: (layout element, pattern of the value's part).
_ELEMENTS = (
    ("2006", r"\d{4}"),
    ("-", "-"),
    ("01", r"\d{2}"),
    ("-", "-"),
    ("02", r"\d{2}"),
    ("T", "T"),
    ("15", r"\d{2}"),
    (":", ":"),
    ("04", r"\d{2}"),
    (":", ":"),
    ("05", r"\d{2}(?:\.\d+)?"),
    ("Z07:00", r"Z|[+-]\d{2}:\d{2}"),
)


def parse_bool(value: str | None) -> bool:
    if value is None:
        return False
    return not (value == "0" or value.lower() == "false")


def parse_int(value: str | None) -> int | None:
    if value is None:
        return None
    if not re.fullmatch(r"[+-]?\d+", value):
        raise errors.bad_request(f'strconv.ParseInt: parsing "{value}": invalid syntax')
    number = int(value)
    if not -INT64_MAX - 1 <= number <= INT64_MAX:
        raise errors.bad_request(f'strconv.ParseInt: parsing "{value}": value out of range')
    return number


def _time_error(value: str, detail: str) -> errors.APIError:
    return errors.bad_request(f'parsing time "{value}" as "{RFC3339_LAYOUT}": {detail}')


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 time (``metav1.Time`` in a query); empty and ``null`` mean none."""
    if not value or value == "null":
        return None
    parts: list[str] = []
    rest = value
    for element, pattern in _ELEMENTS:
        match = re.match(pattern, rest)
        if match is None:
            raise _time_error(value, f'cannot parse "{rest}" as "{element}"')
        parts.append(match.group())
        rest = rest[match.end() :]
    if rest:
        raise errors.bad_request(f'parsing time "{value}": extra text: "{rest}"')
    year, month, day, hour, minute = (int(parts[i]) for i in (0, 2, 4, 6, 8))
    seconds = float(parts[10])
    zone = parts[11]
    offset = timedelta() if zone == "Z" else timedelta(hours=int(zone[1:3]), minutes=int(zone[4:]))
    try:
        moment = datetime(year, month, day, hour, minute, int(seconds), tzinfo=UTC)
    except ValueError as problem:
        field = str(problem).split()[0]
        raise errors.bad_request(f'parsing time "{value}": {field} out of range') from None
    sign = -1 if zone.startswith("-") else 1
    local = moment.replace(tzinfo=timezone(sign * offset))
    return (local + timedelta(seconds=seconds - int(seconds))).astimezone(UTC)
