"""List and watch query parameters: decoded, defaulted and validated as kube-apiserver does."""

from __future__ import annotations

import pytest

from kubelab.cluster.api import listoptions
from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.listoptions import (
    ExpiredContinue,
    decode_continue,
    encode_continue,
    parse,
    parse_go_bool,
    parse_go_int,
    resource_version_number,
)


def refused(query: dict[str, str], watch_list_enabled: bool = True) -> APIError:
    with pytest.raises(APIError) as caught:
        parse(query, watch_list_enabled)
    return caught.value


@pytest.mark.parametrize(
    ("text", "value"),
    [("5", 5), ("+5", 5), ("-1", -1), ("0", 0), ("9223372036854775807", 2**63 - 1)],
)
def test_integers_parse_as_go_reads_them(text: str, value: int) -> None:
    assert parse_go_int(text) == value


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("abc", "invalid syntax"),
        ("", "invalid syntax"),
        (" 5", "invalid syntax"),
        ("1_000", "invalid syntax"),
        ("1.5", "invalid syntax"),
        ("9223372036854775808", "value out of range"),
    ],
)
def test_bad_limit_is_a_bad_request_with_go_text(text: str, why: str) -> None:
    error = refused({"limit": text})
    assert (error.code, error.reason) == (400, "BadRequest")
    assert error.message == f'strconv.ParseInt: parsing "{text}": {why}'


def test_bad_timeout_is_a_bad_request() -> None:
    error = refused({"watch": "true", "timeoutSeconds": "ten"})
    assert (error.code, error.message) == (400, 'strconv.ParseInt: parsing "ten": invalid syntax')


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("1", True), ("yes", True), ("", True), ("FALSE", False), ("0", False)],
)
def test_booleans_are_true_unless_false_or_zero(text: str, value: bool) -> None:
    assert parse_go_bool(text) is value
    assert parse({"watch": text}).watch is value


def test_negative_limit_means_no_pages() -> None:
    assert parse({"limit": "-1"}).page_size == 0
    assert parse({"limit": "5"}).page_size == 5
    assert parse({"limit": "5", "resourceVersion": "0"}).page_size == 0


def test_match_without_resource_version_is_forbidden() -> None:
    error = refused({"resourceVersionMatch": "NotOlderThan"})
    assert (error.code, error.reason) == (422, "Invalid")
    assert error.message == (
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
        "resourceVersionMatch is forbidden unless resourceVersion is provided"
    )
    assert error.details == {
        "name": "",
        "kind": "ListOptions",
        "group": "meta.k8s.io",
        "causes": [
            {
                "reason": "FieldValueForbidden",
                "message": "Forbidden: resourceVersionMatch is forbidden unless resourceVersion "
                "is provided",
                "field": "resourceVersionMatch",
            }
        ],
    }


def test_exact_at_zero_is_forbidden() -> None:
    error = refused({"resourceVersionMatch": "Exact", "resourceVersion": "0"})
    assert error.message.endswith(
        'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for '
        'resourceVersion "0"'
    )


def test_unknown_match_lists_the_supported_values_and_every_problem() -> None:
    error = refused({"resourceVersionMatch": "Newest", "continue": "x"})
    assert error.message == (
        'ListOptions.meta.k8s.io "" is invalid: ['
        "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
        "resourceVersion is provided, "
        "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is "
        "provided, "
        'resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", '
        '"NotOlderThan", ""]'
    )
    assert len(error.details["causes"]) == 3


def test_send_initial_events_is_forbidden_for_list_even_when_false() -> None:
    error = refused({"sendInitialEvents": "false"})
    assert error.message.endswith(
        "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"
    )


def test_send_initial_events_needs_not_older_than() -> None:
    error = refused({"watch": "1", "sendInitialEvents": "true"})
    assert error.message.endswith(
        "resourceVersionMatch: Forbidden: sendInitialEvents requires setting "
        "resourceVersionMatch to NotOlderThan"
    )


def test_send_initial_events_needs_the_watch_list_gate() -> None:
    query = {"watch": "1", "sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan"}
    assert parse(query).streams_list is False  # no bookmarks asked for
    error = refused(query, watch_list_enabled=False)
    assert error.message == (
        'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: '
        "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"
    )


def test_watch_match_needs_send_initial_events() -> None:
    error = refused({"watch": "1", "resourceVersion": "5", "resourceVersionMatch": "Exact"})
    assert error.message == (
        'ListOptions.meta.k8s.io "" is invalid: ['
        "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless "
        "sendInitialEvents is provided, "
        'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]'
    )


def test_watch_from_now_defaults_to_a_streaming_list() -> None:
    options = parse({"watch": "true", "allowWatchBookmarks": "true"})
    assert (options.send_initial_events, options.resource_version_match) == (True, "NotOlderThan")
    assert options.streams_list
    assert parse({"watch": "true", "resourceVersion": "7"}).send_initial_events is None
    legacy = parse({"watch": "true"}, watch_list_enabled=False)
    assert legacy.send_initial_events is None and not legacy.streams_list


def test_resource_version_must_be_a_number() -> None:
    assert resource_version_number("") == 0
    assert resource_version_number("42") == 42
    with pytest.raises(APIError) as caught:
        resource_version_number("abc")
    assert (caught.value.code, caught.value.message) == (
        400,
        'invalid resource version: resourceVersion: Invalid value: "abc": '
        'strconv.ParseUint: parsing "abc": invalid syntax',
    )


def test_continue_tokens_round_trip_without_padding() -> None:
    token = encode_continue(12, "ns/web\x00")
    assert "=" not in token
    continuation = decode_continue(parse({"continue": token}))
    assert continuation is not None
    assert (continuation.resource_version, continuation.start) == (12, "ns/web\x00")


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("%%%", "continue key is not valid: illegal base64 data at input byte 0"),
        ("abcde", "continue key is not valid: illegal base64 data at input byte 4"),
        (
            encode_continue(0, "web\x00"),
            "continue key is not valid: incorrect encoded start resourceVersion "
            "(version meta.k8s.io/v1)",
        ),
        (
            encode_continue(3, ""),
            "continue key is not valid: encoded start key empty (version meta.k8s.io/v1)",
        ),
        (encode_continue(3, "../secrets/x"), "continue key is not valid: ../secrets/x"),
    ],
)
def test_bad_continue_tokens_are_bad_requests(token: str, message: str) -> None:
    with pytest.raises(APIError) as caught:
        decode_continue(parse({"continue": token}))
    assert (caught.value.code, caught.value.reason) == (400, "BadRequest")
    assert caught.value.message == f"invalid continue token: {message}"


def test_continue_with_a_resource_version_is_refused() -> None:
    options = parse({"continue": encode_continue(3, "web\x00"), "resourceVersion": "3"})
    with pytest.raises(APIError) as caught:
        decode_continue(options)
    assert caught.value.message == "specifying resource version is not allowed when using continue"


def test_expired_continue_carries_a_fresh_token() -> None:
    status = ExpiredContinue("web\x00").status()
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"] == listoptions.CONTINUE_EXPIRED
    fresh = decode_continue(parse({"continue": status["metadata"]["continue"]}))
    assert fresh is not None and (fresh.resource_version, fresh.start) == (-1, "web\x00")
