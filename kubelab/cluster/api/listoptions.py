"""The query parameters of LIST and WATCH requests, read and checked as kube-apiserver does.

kube-apiserver turns the query string into ``ListOptions`` in three steps, and a bad value
fails at the step that first reads it, with that step's kind of error:

1. decoding (``url.Values`` to ``ListOptions``): an integer that does not parse, or a selector
   with bad syntax, is a 400 BadRequest carrying the parser's own text;
2. defaulting and validation: a forbidden combination of ``resourceVersionMatch``,
   ``sendInitialEvents`` and ``continue`` is a 422 Invalid ``ListOptions.meta.k8s.io``;
3. storage: a ``resourceVersion`` or ``continue`` token that does not parse is a 400
   BadRequest, and a continue token older than the last compaction is a 410 Expired.

Both the list and the watch handler read their options here, so the two agree.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from kubelab.cluster.api import errors
from kubelab.cluster.api.selectors import (
    FieldSelector,
    Selector,
    parse_field_selector,
    parse_label_selector,
)

NOT_OLDER_THAN = "NotOlderThan"
EXACT = "Exact"
CONTINUE_VERSION = "meta.k8s.io/v1"
#: The teaching cluster serves streaming lists, as kube-apiserver with WatchList on does.
WATCH_LIST_ENABLED = True

_GO_INT = re.compile(r"[+-]?[0-9]+")
_GO_UINT = re.compile(r"[0-9]+")
_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1
_RAW_URL_BASE64 = re.compile(r"[A-Za-z0-9_-]*")

CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in the list."
)


def go_quote(text: str) -> str:
    """A string as Go's ``%q`` prints it (close enough for the ASCII that queries carry)."""
    return json.dumps(text, ensure_ascii=False)


def parse_go_int(text: str) -> int:
    """Read an integer query value as Go's ``strconv.ParseInt(s, 10, 64)`` does; its error
    text is what kube-apiserver sends back, as a 400 BadRequest."""
    if not _GO_INT.fullmatch(text):
        raise errors.bad_request(f"strconv.ParseInt: parsing {go_quote(text)}: invalid syntax")
    value = int(text)
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        raise errors.bad_request(f"strconv.ParseInt: parsing {go_quote(text)}: value out of range")
    return value


def parse_go_bool(text: str) -> bool:
    """A boolean query value: only ``0`` and ``false`` (any case) are false, as in
    apimachinery's conversion; ``watch=yes`` and even ``watch=`` mean true."""
    return not (text == "0" or text.lower() == "false")


@dataclass(frozen=True)
class ListOptions:
    """What a LIST or WATCH request asked for, after decoding and defaulting."""

    labels: Selector
    fields: FieldSelector
    watch: bool = False
    allow_watch_bookmarks: bool = False
    resource_version: str = ""
    resource_version_match: str = ""
    timeout_seconds: int | None = None
    limit: int = 0
    continue_token: str = ""
    #: None when the parameter was absent: "false" is a value, and is validated as one.
    send_initial_events: bool | None = None

    @property
    def streams_list(self) -> bool:
        """A streaming list: initial events closed by a bookmark (``isListWatchRequest``)."""
        return bool(self.send_initial_events) and self.allow_watch_bookmarks

    @property
    def page_size(self) -> int:
        """The page size a list is cut to: none for ``limit`` <= 0, and none for
        ``resourceVersion=0``, which the watch cache serves whole."""
        if self.limit <= 0 or self.resource_version == "0":
            return 0
        return self.limit


def parse(query: Mapping[str, str], watch_list_enabled: bool = WATCH_LIST_ENABLED) -> ListOptions:
    """Decode, default and validate the query of a LIST or WATCH request."""
    options = _decode(query)
    options = _defaulted(options, watch_list_enabled)
    problems = _validate(options, watch_list_enabled)
    if problems:
        raise errors.invalid_object("meta.k8s.io", "ListOptions", "", problems)
    return options


def _decode(query: Mapping[str, str]) -> ListOptions:
    """Step 1, in the order apimachinery's conversion reads the fields."""
    labels = parse_label_selector(query.get("labelSelector"))
    fields = parse_field_selector(query.get("fieldSelector"))
    timeout = query.get("timeoutSeconds")
    limit = query.get("limit")
    send_initial = query.get("sendInitialEvents")
    return ListOptions(
        labels=labels,
        fields=fields,
        watch="watch" in query and parse_go_bool(query["watch"]),
        allow_watch_bookmarks="allowWatchBookmarks" in query
        and parse_go_bool(query["allowWatchBookmarks"]),
        resource_version=query.get("resourceVersion", ""),
        resource_version_match=query.get("resourceVersionMatch", ""),
        timeout_seconds=None if timeout is None else parse_go_int(timeout),
        limit=0 if limit is None else parse_go_int(limit),
        continue_token=query.get("continue", ""),
        send_initial_events=None if send_initial is None else parse_go_bool(send_initial),
    )


def _defaulted(options: ListOptions, watch_list_enabled: bool) -> ListOptions:
    """With WatchList on, a watch from "now" (no resourceVersion, or "0") is a streaming
    list unless the client said otherwise."""
    if not watch_list_enabled or not options.watch:
        return options
    if options.send_initial_events is not None or options.resource_version_match:
        return options
    if options.resource_version not in ("", "0"):
        return options
    return replace(options, send_initial_events=True, resource_version_match=NOT_OLDER_THAN)


def _validate(options: ListOptions, watch_list_enabled: bool) -> list[errors.FieldError]:
    """Step 2: the rules of ``ValidateListOptions``, for lists and for watches."""
    match = options.resource_version_match
    problems: list[errors.FieldError] = []
    if options.watch:
        if options.send_initial_events is not None:
            if match != NOT_OLDER_THAN:
                problems.append(
                    errors.forbidden_field(
                        "resourceVersionMatch",
                        f"sendInitialEvents requires setting resourceVersionMatch to "
                        f"{NOT_OLDER_THAN}",
                    )
                )
            if not watch_list_enabled:
                problems.append(
                    errors.forbidden_field(
                        "sendInitialEvents",
                        "sendInitialEvents is forbidden for watch unless the WatchList feature "
                        "gate is enabled",
                    )
                )
        if match:
            if options.send_initial_events is None:
                problems.append(
                    errors.forbidden_field(
                        "resourceVersionMatch",
                        "resourceVersionMatch is forbidden for watch unless sendInitialEvents "
                        "is provided",
                    )
                )
            if match != NOT_OLDER_THAN:
                problems.append(
                    errors.not_supported("resourceVersionMatch", match, [NOT_OLDER_THAN])
                )
            if options.continue_token:
                problems.append(_continue_with_match())
        return problems
    if match:
        if not options.resource_version:
            problems.append(
                errors.forbidden_field(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                )
            )
        if options.continue_token:
            problems.append(_continue_with_match())
        if match not in (EXACT, NOT_OLDER_THAN):
            problems.append(
                errors.not_supported("resourceVersionMatch", match, [EXACT, NOT_OLDER_THAN, ""])
            )
        if match == EXACT and options.resource_version == "0":
            problems.append(
                errors.forbidden_field(
                    "resourceVersionMatch",
                    'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
                )
            )
    if options.send_initial_events is not None:
        problems.append(
            errors.forbidden_field("sendInitialEvents", "sendInitialEvents is forbidden for list")
        )
    return problems


def _continue_with_match() -> errors.FieldError:
    return errors.forbidden_field(
        "resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"
    )


# --- step 3: what the storage layer parses -----------------------------------------------------


def resource_version_number(text: str) -> int:
    """A ``resourceVersion`` as a number (0 for "" and "0"), as etcd3's versioner reads it."""
    if text in ("", "0"):
        return 0
    if _GO_UINT.fullmatch(text) and int(text) <= _UINT64_MAX:
        return int(text)
    reason = "value out of range" if _GO_UINT.fullmatch(text) else "invalid syntax"
    detail = f"strconv.ParseUint: parsing {go_quote(text)}: {reason}"
    raise errors.bad_request(
        f"invalid resource version: {errors.invalid('resourceVersion', text, detail)}"
    )


@dataclass(frozen=True)
class Continuation:
    """Where a paginated list goes on: after ``start``, as of ``resource_version`` (-1 for
    "the latest", which an expired token is replaced with)."""

    resource_version: int
    start: str


def encode_continue(resource_version: int, start: str) -> str:
    """A continue token as etcd3's store writes it: unpadded URL-safe base64 of JSON."""
    raw = json.dumps(
        {"v": CONTINUE_VERSION, "rv": resource_version, "start": start}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(options: ListOptions) -> Continuation | None:
    """The continuation a list asks for, or None; bad tokens get upstream's 400 texts."""
    token = options.continue_token
    if not token:
        return None
    try:
        continuation = _decode_token(token)
    except ValueError as exc:
        raise errors.bad_request(f"invalid continue token: {exc}") from None
    if options.resource_version not in ("", "0"):
        raise errors.bad_request("specifying resource version is not allowed when using continue")
    return continuation


def _decode_token(token: str) -> Continuation:
    generic = "continue key is not valid"
    data = _raw_url_base64(token, generic)
    try:
        fields = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"{generic}: invalid character looking for beginning of value") from None
    if not isinstance(fields, dict):
        raise ValueError(f"{generic}: json: cannot unmarshal into Go value of type continueToken")
    version = fields.get("v", "")
    if version != CONTINUE_VERSION:
        raise ValueError(f"{generic}: server does not recognize this encoded version {version}")
    revision, start = fields.get("rv", 0), fields.get("start", "")
    if not isinstance(revision, int) or isinstance(revision, bool) or not isinstance(start, str):
        raise ValueError(f"{generic}: json: cannot unmarshal into Go struct field of continueToken")
    if revision == 0:
        raise ValueError(
            f"{generic}: incorrect encoded start resourceVersion (version {CONTINUE_VERSION})"
        )
    if not start:
        raise ValueError(f"{generic}: encoded start key empty (version {CONTINUE_VERSION})")
    key = start if start.startswith("/") else "/" + start
    cleaned = posixpath.normpath(key)
    if cleaned.startswith("//"):
        cleaned = cleaned[1:]
    # A trailing NUL is how a start key says "just after this name"; Clean keeps it.
    if cleaned != key:
        raise ValueError(f"{generic}: {start}")
    return Continuation(revision, key[1:])


def _raw_url_base64(token: str, generic: str) -> bytes:
    """Decode as Go's ``base64.RawURLEncoding``: no padding, and the position of the first
    bad byte in the error."""
    valid = _RAW_URL_BASE64.match(token)
    bad_at = valid.end() if valid else 0
    if bad_at == len(token) and len(token) % 4 == 1:
        bad_at = len(token) - 1
    if bad_at < len(token):
        raise ValueError(f"{generic}: illegal base64 data at input byte {bad_at}")
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except binascii.Error:
        raise ValueError(f"{generic}: illegal base64 data at input byte 0") from None


#: etcd's answer to a read at a compacted revision, as kube-apiserver words it.
LIST_TOO_OLD = "The resourceVersion for the provided list is too old."


def too_large_resource_version(asked: int, current: int) -> errors.APIError:
    """504 for a version the store has not reached, after waiting for it: a Timeout that asks
    the client to retry after a second."""
    cause = {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
    return errors.APIError(
        504,
        "Timeout",
        f"Timeout: Too large resource version: {asked}, current: {current}",
        {"causes": [cause], "retryAfterSeconds": 1},
    )


class ExpiredContinue(errors.APIError):
    """410 Expired for a continue token older than the last compaction; the Status carries
    a fresh token that goes on from the same place at the latest resourceVersion."""

    def __init__(self, start: str) -> None:
        super().__init__(410, "Expired", CONTINUE_EXPIRED)
        self.fresh_token = encode_continue(-1, start)

    def status(self) -> dict[str, Any]:
        body = super().status()
        body["metadata"] = {"continue": self.fresh_token}
        return body
