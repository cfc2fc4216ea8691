"""The protobuf body decoder: wire format, Go's JSON rules per field, special types, envelope.

Messages are built here with a tiny encoder; field numbers are the upstream ``generated.proto``
facts for the messages used. Expected JSON is what Go's ``encoding/json`` writes for the same
struct, so each case pins one rule (pointer zero kept, ``omitempty`` zero dropped, nil slice
without ``omitempty`` written as null, ...).
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.protobuf import (
    FIXED32,
    FIXED64,
    LENGTH_DELIMITED,
    MAGIC,
    START_GROUP,
    VARINT,
    WireError,
    WireField,
    decode_message,
    decode_object,
    format_duration,
    format_time,
    read_fields,
    read_varint,
    tables,
)

CORE = "k8s.io.api.core.v1."
APPS = "k8s.io.api.apps.v1."
META = "k8s.io.apimachinery.pkg.apis.meta.v1."


# --- a minimal encoder -------------------------------------------------------------------------


def varint(value: int) -> bytes:
    """Base-128 varint; negative numbers as their 64-bit two's complement, like Go."""
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def tag(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def num(number: int, value: int) -> bytes:
    return tag(number, VARINT) + varint(value)


def msg(number: int, *parts: bytes | str) -> bytes:
    payload = b"".join(p.encode() if isinstance(p, str) else p for p in parts)
    return tag(number, LENGTH_DELIMITED) + varint(len(payload)) + payload


def entry(number: int, key: str, value: bytes | str) -> bytes:
    return msg(number, msg(1, key), msg(2, value))


def envelope(api_version: str, kind: str, raw: bytes, **extra: str) -> bytes:
    type_meta = msg(1, msg(1, api_version), msg(2, kind))
    fields = {"contentEncoding": 3, "contentType": 4}
    rest = b"".join(msg(fields[name], value) for name, value in extra.items())
    return MAGIC + type_meta + msg(2, raw) + rest


def decode_error(data: bytes) -> APIError:
    with pytest.raises(APIError) as caught:
        decode_object(data)
    return caught.value


# --- wire format --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b"\x00", 0),
        (b"\x7f", 127),
        (b"\xac\x02", 300),
        (b"\xff" * 9 + b"\x01", 2**64 - 1),
        (varint(-1), 2**64 - 1),
    ],
)
def test_read_varint(data: bytes, value: int) -> None:
    assert read_varint(data + b"rest", 0) == (value, len(data))


def test_read_varint_errors_like_gogo() -> None:
    with pytest.raises(WireError, match="^unexpected EOF$"):
        read_varint(b"\x80\x80", 0)
    with pytest.raises(WireError, match="^proto: integer overflow$"):
        read_varint(b"\xff" * 10 + b"\x01", 0)


def test_read_fields_all_wire_types_and_skips_groups() -> None:
    group = tag(5, START_GROUP) + num(1, 7) + tag(6, START_GROUP) + tag(6, 4) + tag(5, 4)
    data = (
        num(1, 150)
        + tag(2, FIXED64) + (2**40).to_bytes(8, "little")
        + msg(3, "hi")
        + tag(4, FIXED32) + (7).to_bytes(4, "little")
        + group
        + num(7, 1)
    )  # fmt: skip

    assert read_fields(data) == [
        WireField(1, VARINT, 150),
        WireField(2, FIXED64, 2**40),
        WireField(3, LENGTH_DELIMITED, b"hi"),
        WireField(4, FIXED32, 7),
        WireField(5, START_GROUP, b""),
        WireField(7, VARINT, 1),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tag(3, 4), "proto: Pod: wiretype end group for non-group"),
        (varint(0) + varint(1), "proto: Pod: illegal tag 0 (wire type 0)"),
        (tag(1, 7), "proto: illegal wireType 7"),
        (tag(1, LENGTH_DELIMITED) + varint(2**63), "proto: negative length found"),
        (tag(1, LENGTH_DELIMITED) + varint(5) + b"abc", "unexpected EOF"),
        (tag(1, FIXED64) + b"\x00" * 7, "unexpected EOF"),
        (tag(1, START_GROUP) + num(2, 1), "unexpected EOF"),
    ],
)
def test_read_fields_rejects_malformed_data(data: bytes, message: str) -> None:
    with pytest.raises(WireError, match=f"^{re.escape(message)}"):
        read_fields(data, "Pod")


# --- Go's JSON rules ----------------------------------------------------------------------------


def test_pointer_zero_is_kept_and_omitempty_zero_dropped() -> None:
    spec = decode_message(APPS + "DeploymentSpec", num(1, 0) + num(5, 0) + num(7, 0))

    assert spec == {
        "replicas": 0,
        # Nil pointers and slices without omitempty are null; structs are never dropped.
        "selector": None,
        "template": {"metadata": {}, "spec": {"containers": None}},
        "strategy": {},
    }


def test_unset_pointer_is_left_out() -> None:
    assert "replicas" not in decode_message(APPS + "DeploymentSpec", b"")


def test_fields_without_omitempty_keep_their_zero() -> None:
    port = decode_message(CORE + "ServicePort", msg(1, "http"))
    container_port = decode_message(CORE + "ContainerPort", num(3, 0) + msg(1, ""))

    assert port == {"name": "http", "port": 0, "targetPort": 0}
    assert container_port == {"containerPort": 0}


def test_negative_and_wide_integers() -> None:
    assert decode_message(CORE + "ServicePort", num(3, -1))["port"] == -1
    # int32 keeps the low 32 bits of a wider varint, as Go's generated code does.
    assert decode_message(CORE + "ServicePort", num(3, 2**32 + 5))["port"] == 5
    context = decode_message(CORE + "PodSecurityContext", num(2, -(2**63)))
    assert context == {"runAsUser": -(2**63)}


def test_booleans_and_pointer_false() -> None:
    config = decode_message(CORE + "ConfigMap", num(4, 0))
    spec = decode_message(CORE + "PodSpec", num(11, 2) + num(12, 0))

    assert config == {"metadata": {}, "immutable": False}
    assert spec["hostNetwork"] is True and "hostPID" not in spec


def test_nil_slice_without_omitempty_is_null() -> None:
    assert decode_message("k8s.io.api.rbac.v1.PolicyRule", b"") == {"verbs": None}


def test_repeated_numbers_packed_and_unpacked() -> None:
    packed = msg(4, varint(1) + varint(2))
    unpacked = num(4, 3) + num(4, -4)

    context = decode_message(CORE + "PodSecurityContext", packed + unpacked)

    assert context == {"supplementalGroups": [1, 2, 3, -4]}


def test_repeated_messages_keep_order() -> None:
    spec = decode_message(CORE + "PodSpec", msg(2, msg(1, "a")) + msg(2, msg(1, "b")))

    assert [c["name"] for c in spec["containers"]] == ["a", "b"]


def test_last_scalar_wins_and_message_occurrences_merge() -> None:
    data = msg(1, msg(1, "old"), entry(11, "a", "1")) + msg(1, msg(1, "new"), entry(11, "b", "2"))

    pod = decode_message(CORE + "Pod", data)

    assert pod["metadata"] == {"name": "new", "labels": {"a": "1", "b": "2"}}


def test_unknown_fields_are_skipped() -> None:
    data = num(99, 1) + msg(98, "x") + tag(97, FIXED32) + b"\x00" * 4 + msg(1, "web")

    assert decode_message(META + "ObjectMeta", data) == {"name": "web"}


def test_empty_strings_and_invalid_utf8() -> None:
    meta = decode_message(META + "ObjectMeta", msg(1, "") + msg(3, b"a\xffb"))

    assert meta == {"namespace": "a\ufffdb"}


def test_maps_of_strings_bytes_and_quantities() -> None:
    secret = decode_message(
        CORE + "Secret",
        entry(2, "key", b"\x00\xff") + msg(2, msg(1, "nothing")) + entry(4, "plain", ""),
    )
    resources = decode_message(
        CORE + "ResourceRequirements",
        entry(1, "cpu", msg(1, "500m")) + msg(1, msg(1, "memory"), msg(2, b"")),
    )

    assert secret == {"metadata": {}, "data": {"key": "AP8=", "nothing": ""},
                      "stringData": {"plain": ""}}  # fmt: skip
    assert resources == {"limits": {"cpu": "500m", "memory": "0"}}


def test_bytes_field_without_omitempty() -> None:
    allocation = CORE + "RangeAllocation"

    assert decode_message(allocation, b"")["data"] is None
    assert decode_message(allocation, msg(3, b""))["data"] == ""
    assert decode_message(allocation, msg(3, b"\x01\x02"))["data"] == "AQI="


def test_present_empty_bytes_differ_from_absent() -> None:
    assert decode_message(CORE + "ConfigMap", msg(3, msg(1, "k"), msg(2, b""))) == {
        "metadata": {},
        "binaryData": {"k": ""},
    }


def test_named_slice_types_become_arrays() -> None:
    review = decode_message(
        "k8s.io.api.authorization.v1.SubjectAccessReviewSpec",
        entry(5, "scopes", msg(1, "a") + msg(1, "b")) + msg(5, msg(1, "none")),
    )
    unset = decode_message(META + "APIResource", msg(1, "pods"))
    empty = decode_message(META + "APIResource", msg(1, "pods") + msg(4, b""))

    assert review == {"extra": {"scopes": ["a", "b"], "none": []}}
    assert unset["verbs"] is None and empty["verbs"] == []


def test_embedded_structs_are_inlined() -> None:
    volume = decode_message(CORE + "Volume", msg(1, "cache") + msg(2, msg(2, msg(1, "Memory"))))
    probe = decode_message(
        CORE + "Probe", msg(1, msg(2, msg(1, "/healthz"), msg(2, num(2, 8080)))) + num(4, 5)
    )

    assert volume == {"name": "cache", "emptyDir": {"medium": "Memory"}}
    assert probe == {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5}


def test_wrong_wire_type_for_a_known_field() -> None:
    with pytest.raises(WireError, match="^proto: wrong wireType = 0 for field Metadata$"):
        decode_message(APPS + "Deployment", num(1, 1))
    with pytest.raises(WireError, match="^proto: wrong wireType = 3 for field Replicas$"):
        decode_message(APPS + "DeploymentSpec", tag(1, START_GROUP) + tag(1, 4))


# --- apimachinery types with their own JSON ---------------------------------------------------


def test_time_keeps_whole_seconds_and_zero_time_is_null_or_omitted() -> None:
    stamp = msg(1, num(1, 1_700_000_000), num(2, 999))
    meta = decode_message(META + "ObjectMeta", msg(8, num(1, 1_700_000_000), num(2, 999)))
    zero = decode_message(META + "ObjectMeta", msg(8, b"") + msg(9, b""))
    # Time's Unmarshal drops nanos, so this is still the zero time.
    explicit_zero = decode_message(
        META + "ObjectMeta", msg(8, num(1, -62135596800), num(2, 5_000_000))
    )

    assert decode_message(META + "Time", stamp[2:]) == "2023-11-14T22:13:20Z"
    assert meta == {"creationTimestamp": "2023-11-14T22:13:20Z"}
    # creationTimestamp is omitzero; deletionTimestamp is a pointer, set to a zero time.
    assert zero == {"deletionTimestamp": None}
    assert explicit_zero == {}


def test_micro_time_truncates_to_microseconds() -> None:
    lease = decode_message(
        "k8s.io.api.coordination.v1.LeaseSpec",
        msg(3, num(1, 0), num(2, 123_456_789)) + num(2, 0),
    )

    assert lease == {"leaseDurationSeconds": 0, "acquireTime": "1970-01-01T00:00:00.123456Z"}


@settings(max_examples=300)
@given(st.integers(min_value=-62135596800, max_value=253402300799), st.integers(0, 999_999_999))
def test_format_time_agrees_with_the_calendar(seconds: int, nanos: int) -> None:
    moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        seconds=seconds, microseconds=nanos // 1000
    )

    date = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}"

    assert format_time(seconds * 10**9, micro=False) == f"{date}Z"
    assert format_time(seconds * 10**9 + nanos, micro=True) == (f"{date}.{moment.microsecond:06d}Z")


def test_format_time_beyond_four_digit_years() -> None:
    assert format_time(253402300800 * 10**9, micro=False) == "10000-01-01T00:00:00Z"
    assert format_time(-62135596801 * 10**9, micro=False) == "0000-12-31T23:59:59Z"
    assert format_time(-62198755200 * 10**9, micro=False) == "-0001-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("nanos", "text"),
    [
        (0, "0s"),
        (1, "1ns"),
        (1500, "1.5µs"),
        (1_500_000, "1.5ms"),
        (100_000_000, "100ms"),
        (1_000_000_000, "1s"),
        (90 * 10**9, "1m30s"),
        (3600 * 10**9, "1h0m0s"),
        (3661 * 10**9 + 500_000_000, "1h1m1.5s"),
        (-1_500_000_000, "-1.5s"),
        (2**63 - 1, "2562047h47m16.854775807s"),
        (-(2**63), "-2562047h47m16.854775808s"),
    ],
)
def test_format_duration_like_go(nanos: int, text: str) -> None:
    assert format_duration(nanos) == text
    assert decode_message(META + "Duration", num(1, nanos)) == text


def test_int_or_string() -> None:
    def port(data: bytes) -> object:
        return decode_message(CORE + "ServicePort", num(3, 80) + msg(4, data))["targetPort"]

    assert port(num(1, 0) + num(2, 8080)) == 8080
    assert port(num(2, -5)) == -5
    assert port(num(1, 1) + msg(3, "http")) == "http"
    assert port(num(1, 1)) == ""
    with pytest.raises(WireError, match="^impossible IntOrString.Type$"):
        port(num(1, 2))


def test_quantity_pointer_and_unset_string() -> None:
    empty_dir = decode_message(CORE + "EmptyDirVolumeSource", msg(2, b""))
    sized = decode_message(CORE + "EmptyDirVolumeSource", msg(2, msg(1, "1Gi")))

    assert empty_dir == {"sizeLimit": "0"}
    assert sized == {"sizeLimit": "1Gi"}


def test_raw_extension_holds_json_or_a_nested_object() -> None:
    nested = envelope("v1", "ConfigMap", msg(1, msg(1, "inner")) + entry(2, "k", "v"))
    items = msg(2, msg(1, b' {"kind": "Pod", "apiVersion": "v1"}')) + msg(2, msg(1, nested))

    listed = decode_object(envelope("v1", "List", items))

    assert listed == {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {},
        "items": [
            {"kind": "Pod", "apiVersion": "v1"},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "inner"},
             "data": {"k": "v"}},
        ],
    }  # fmt: skip
    assert decode_object(envelope("v1", "List", msg(2, b""))).get("items") == [None]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a": ', "failed to parse RawExtension bytes as JSON"),
        (b"NaN", "cannot convert RawExtension with unrecognized content type"),
        (b"\xd9\xd9\xf7\xa0", "cannot convert RawExtension with unrecognized content type"),
        (b"[Infinity]", "failed to parse RawExtension bytes as JSON"),
    ],
)
def test_raw_extension_rejects_what_go_cannot_write_as_json(raw: bytes, message: str) -> None:
    error = decode_error(envelope("v1", "List", msg(2, msg(1, raw))))

    assert error.code == 400
    assert error.message.startswith(f'List in version "v1" cannot be handled as a List: {message}')


def test_managed_fields_v1_is_json() -> None:
    managed = msg(1, "kubectl") + msg(4, num(1, 0)) + msg(7, msg(1, b'{"f:data":{}}'))

    meta = decode_message(META + "ObjectMeta", msg(17, managed))

    assert meta == {"managedFields": [{"manager": "kubectl", "time": "1970-01-01T00:00:00Z",
                                       "fieldsV1": {"f:data": {}}}]}  # fmt: skip


# --- the envelope -------------------------------------------------------------------------------


def test_decode_object_sets_type_from_the_envelope() -> None:
    spec = num(1, 0) + msg(2, entry(1, "app", "web"))
    body = envelope("apps/v1", "Deployment", msg(1, msg(1, "web")) + msg(2, spec))

    assert decode_object(body) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {}, "spec": {"containers": None}},
            "strategy": {},
        },
        "status": {},
    }


def test_decode_object_finds_meta_kinds_like_a_scheme() -> None:
    options = decode_object(envelope("apps/v1", "DeleteOptions", num(1, 0)))
    status = decode_object(envelope("example.com/v9", "Status", num(6, 409)))

    assert options == {"apiVersion": "apps/v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0}
    assert status == {"apiVersion": "example.com/v9", "kind": "Status", "metadata": {},
                      "code": 409}  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty data"),
        (
            b'{"kind":"Pod"}',
            "provided data does not appear to be a protobuf message, "
            "expected prefix [107 56 115 0]",
        ),
        (b"k8s", "provided data does not appear to be a protobuf message"),
        (MAGIC, "empty body"),
        (MAGIC + b"\x0a\x05ab", "unexpected EOF"),
        (
            envelope("v1", "", b""),
            """Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:"v1", Kind:""}'""",
        ),
        (
            envelope("", "Pod", b""),
            """Object 'apiVersion' is missing in 'runtime.TypeMeta{APIVersion:"", Kind:"Pod"}'""",
        ),
        (
            envelope("apps/v1", "Pod", b""),
            'no kind "Pod" is registered for version "apps/v1" in scheme '
            '"pkg/api/legacyscheme/scheme.go:30"',
        ),
        (
            envelope("v1", "DeploymentSpec", b""),
            'no kind "DeploymentSpec" is registered for version "v1"',
        ),
        (
            envelope("apps/v1", "Deployment", msg(1, b"\x0a\x09web")),
            'Deployment in version "v1" cannot be handled as a Deployment: unexpected EOF',
        ),
    ],
)
def test_decode_object_errors_read_like_kube_apiserver(data: bytes, message: str) -> None:
    error = decode_error(data)

    assert (error.code, error.reason) == (400, "BadRequest")
    assert error.message.startswith(message)
    assert error.status()["message"] == error.message


def test_envelope_declaring_another_encoding_is_unsupported() -> None:
    json_inside = envelope("v1", "Pod", b"{}", contentType="application/json")
    gzipped = envelope("v1", "Pod", b"", contentEncoding="gzip")

    for data in (json_inside, gzipped):
        error = decode_error(data)
        assert (error.code, error.reason) == (415, "UnsupportedMediaType")
    assert decode_object(
        envelope("v1", "Pod", b"", contentType="application/vnd.kubernetes.protobuf")
    )


def test_deep_nesting_is_a_bad_request() -> None:
    body = b"[]"
    for _ in range(2000):
        body = envelope("v1", "List", msg(2, msg(1, body)))

    assert decode_error(body).code == 400


VALID_BODY = envelope(
    "apps/v1",
    "Deployment",
    msg(1, msg(1, "web"), entry(11, "app", "web"), msg(8, num(1, 1_700_000_000)))
    + msg(2, num(1, 2) + msg(3, msg(2, msg(2, msg(1, "nginx"), msg(2, "nginx:1.27"))))),
)


@settings(max_examples=400)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_escape_as_anything_but_api_error(data: bytes) -> None:
    for body in (data, MAGIC + data, envelope("apps/v1", "Deployment", data)):
        try:
            result = decode_object(body)
        except APIError as error:
            assert error.code in (400, 415)
        else:
            json.dumps(result)


@settings(max_examples=400)
@given(st.data())
def test_corrupted_bodies_never_escape_as_anything_but_api_error(data: st.DataObject) -> None:
    body = bytearray(VALID_BODY)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(len(MAGIC), len(body) - 1))
        body[position] = data.draw(st.integers(0, 255))
    body = body[: data.draw(st.integers(len(MAGIC), len(body)))]
    try:
        json.dumps(decode_object(bytes(body)))
    except APIError as error:
        assert error.code in (400, 415)


# --- the generated tables -----------------------------------------------------------------------


def test_every_referenced_message_and_kind_exists() -> None:
    known = tables().messages
    for message in known.values():
        for field in message.fields:
            for type_name in (field.type, field.map_value):
                if type_name and "." in type_name:
                    assert type_name in known, f"{message.name}.{field.json_name}: {type_name}"
    for by_kind in tables().kinds.values():
        assert all(name in known for name in by_kind.values())


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("v1", "ConfigMap"),
        ("v1", "Secret"),
        ("v1", "Service"),
        ("v1", "Namespace"),
        ("v1", "ServiceAccount"),
        ("v1", "ResourceQuota"),
        ("apps/v1", "Deployment"),
        ("batch/v1", "Job"),
        ("batch/v1", "CronJob"),
        ("networking.k8s.io/v1", "Ingress"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("policy/v1", "PodDisruptionBudget"),
        ("policy/v1", "Eviction"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
        ("authentication.k8s.io/v1", "TokenRequest"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("coordination.k8s.io/v1", "Lease"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
        ("autoscaling/v1", "Scale"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("meta.k8s.io/v1", "PartialObjectMetadata"),
    ],
)
def test_served_kinds_are_registered(api_version: str, kind: str) -> None:
    assert tables().message_for(api_version, kind) is not None
