"""Decode Kubernetes protobuf request bodies into the JSON the same client would have sent.

kubectl 1.32 and newer send ``application/vnd.kubernetes.protobuf`` bodies from their typed
clients (``kubectl create deployment``, ``auth can-i``, ``drain``, ``create token`` ...). The
teaching cluster works on JSON objects, so a body is turned into exactly the object the client
would have written as JSON, and everything after decoding cannot tell the two apart.

A body is the magic ``k8s\\x00`` followed by a ``runtime.Unknown`` envelope whose ``raw`` field
holds the object, encoded by the field numbers of the upstream ``generated.proto`` files. Those
numbers, with the Go struct facts that decide the JSON form, are in ``protobuf_messages.json``
(written by ``tools/generate_protobuf_messages.py``).

Reproducing the JSON means reproducing what Go does on both ends: the protobuf marshaller writes
every non-pointer field, even when zero, and ``encoding/json`` then drops zero values only for
``omitempty``/``omitzero`` fields, never drops a struct for ``omitempty``, writes ``null`` for a
nil pointer, slice or map without ``omitempty``, and keeps an explicit zero behind a pointer
(``replicas: 0``). The apimachinery types with their own JSON form (``Time``, ``MicroTime``,
``Duration``, ``IntOrString``, ``Quantity``, ``RawExtension``, ``FieldsV1``) are converted by
hand. Bad input raises :class:`~kubelab.cluster.api.errors.APIError` with kube-apiserver's
texts; no other exception escapes.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from kubelab.cluster.api.errors import APIError, bad_request

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

#: The scheme kube-apiserver names in "no kind is registered" errors.
SCHEME_NAME = "pkg/api/legacyscheme/scheme.go:30"

# --- wire format ------------------------------------------------------------------------------

VARINT, FIXED64, LENGTH_DELIMITED, START_GROUP, END_GROUP, FIXED32 = range(6)

#: gogo-protobuf's error texts, which kube-apiserver passes on to the client.
UNEXPECTED_EOF = "unexpected EOF"
INTEGER_OVERFLOW = "proto: integer overflow"
NEGATIVE_LENGTH = "proto: negative length found during unmarshaling"

Value = int | bytes


class WireError(ValueError):
    """Malformed protobuf data; the message is the text Go's unmarshaller would give."""


@dataclass(frozen=True)
class WireField:
    """One field occurrence: its number, wire type and raw value (an int, or bytes)."""

    number: int
    wire_type: int
    value: Value


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """Read a base-128 varint at ``pos``: its unsigned 64-bit value and the next position."""
    value = 0
    for shift in range(0, 70, 7):
        if pos >= len(data):
            raise WireError(UNEXPECTED_EOF)
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value & 0xFFFFFFFFFFFFFFFF, pos
    raise WireError(INTEGER_OVERFLOW)


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    """Read a length prefix and check it against the data, as Go's ``int`` conversion does."""
    length, pos = read_varint(data, pos)
    if length >= 1 << 63:
        raise WireError(NEGATIVE_LENGTH)
    if pos + length > len(data):
        raise WireError(UNEXPECTED_EOF)
    return length, pos


def _read_value(data: bytes, pos: int, wire_type: int) -> tuple[Value, int]:
    if wire_type == VARINT:
        return read_varint(data, pos)
    if wire_type in (FIXED64, FIXED32):
        size = 8 if wire_type == FIXED64 else 4
        if pos + size > len(data):
            raise WireError(UNEXPECTED_EOF)
        return int.from_bytes(data[pos : pos + size], "little"), pos + size
    if wire_type == LENGTH_DELIMITED:
        length, pos = _read_length(data, pos)
        return data[pos : pos + length], pos + length
    raise WireError(f"proto: illegal wireType {wire_type}")


def _skip_group(data: bytes, pos: int) -> int:
    """Skip a (deprecated) group up to its matching end marker, as gogo's skip does."""
    depth = 1
    while depth:
        tag, pos = read_varint(data, pos)
        wire_type = tag & 7
        if wire_type == START_GROUP:
            depth += 1
        elif wire_type == END_GROUP:
            depth -= 1
        else:
            _, pos = _read_value(data, pos, wire_type)
    return pos


def read_fields(data: bytes, message: str = "") -> list[WireField]:
    """Split encoded message bytes into field occurrences, in wire order.

    Groups are skipped and reported with an empty value, so that a known field sent as a
    group still fails its wire-type check. ``message`` names the message in error texts.
    """
    fields: list[WireField] = []
    pos = 0
    while pos < len(data):
        tag, pos = read_varint(data, pos)
        number, wire_type = tag >> 3, tag & 7
        if wire_type == END_GROUP:
            raise WireError(f"proto: {message}: wiretype end group for non-group")
        if number <= 0 or number >= 1 << 31:
            raise WireError(f"proto: {message}: illegal tag {number} (wire type {tag})")
        if wire_type == START_GROUP:
            pos = _skip_group(data, pos)
            fields.append(WireField(number, wire_type, b""))
            continue
        value, pos = _read_value(data, pos, wire_type)
        fields.append(WireField(number, wire_type, value))
    return fields


def _signed(value: int, bits: int) -> int:
    """The two's-complement value of the low ``bits`` bits (Go's int32()/int64() of a varint)."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


# --- message tables ---------------------------------------------------------------------------

SCALAR_ZERO: dict[str, Any] = {"string": "", "int32": 0, "int64": 0, "bool": False}


@dataclass(frozen=True)
class Field:
    """One message field with the Go facts that decide its JSON form."""

    number: int
    json_name: str
    type: str  # a scalar proto type or a full message name
    map_value: str | None  # the value type of a ``map<string, ...>`` field
    repeated: bool
    pointer: bool
    omitempty: bool
    omitzero: bool
    inline: bool
    hidden: bool  # ``json:"-"``

    @property
    def go_name(self) -> str:
        return self.json_name[:1].upper() + self.json_name[1:]


@dataclass(frozen=True)
class Message:
    name: str
    fields: tuple[Field, ...]
    by_number: dict[int, Field]
    is_list: bool  # a Go named slice type such as ``ExtraValue``: JSON is the items array

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[1]


@dataclass(frozen=True)
class Tables:
    messages: dict[str, Message]
    kinds: dict[str, dict[str, str]]  # apiVersion -> kind -> message
    group_version_kinds: dict[str, str]  # kinds in every served apiVersion
    unversioned_kinds: dict[str, str]  # kinds under any apiVersion

    def message_for(self, api_version: str, kind: str) -> str | None:
        """The message of a kind, found the way a runtime.Scheme finds registered types."""
        served = self.kinds.get(api_version)
        if served is not None and kind in served:
            return served[kind]
        if served is not None and kind in self.group_version_kinds:
            return self.group_version_kinds[kind]
        return self.unversioned_kinds.get(kind)


def _qualify(package: str, type_name: str) -> str:
    if type_name in SCALAR_ZERO or type_name == "bytes" or "." in type_name:
        return type_name
    return f"{package}.{type_name}"


def _field(package: str, record: list[Any]) -> Field:
    number, json_name, type_value, *rest = record
    flags = rest[0] if rest else ""
    is_map = isinstance(type_value, list)
    return Field(
        number=number,
        json_name=json_name,
        type="map" if is_map else _qualify(package, type_value),
        map_value=_qualify(package, type_value[1]) if is_map else None,
        repeated="r" in flags,
        pointer="p" in flags,
        omitempty="o" in flags,
        omitzero="z" in flags,
        inline="i" in flags,
        hidden="x" in flags,
    )


@functools.cache
def tables() -> Tables:
    """The message tables, loaded once from ``protobuf_messages.json``."""
    text = resources.files(__package__).joinpath("protobuf_messages.json").read_text()
    data = json.loads(text)
    messages: dict[str, Message] = {}
    kinds: dict[str, dict[str, str]] = {}
    for package, entry in data["packages"].items():
        lists = set(entry.get("lists", ()))
        for name, records in entry["messages"].items():
            fields = tuple(_field(package, record) for record in records)
            messages[f"{package}.{name}"] = Message(
                f"{package}.{name}", fields, {f.number: f for f in fields}, name in lists
            )
        if "apiVersion" in entry:
            kinds[entry["apiVersion"]] = {k: f"{package}.{k}" for k in entry["kinds"]}
    return Tables(
        messages=messages,
        kinds=kinds,
        group_version_kinds={n.rsplit(".", 1)[1]: n for n in data["groupVersionKinds"]},
        unversioned_kinds={n.rsplit(".", 1)[1]: n for n in data["unversionedKinds"]},
    )


# --- apimachinery types with their own JSON form ------------------------------------------------

#: ``time.Time{}`` as Unix seconds: the zero time, written as JSON ``null``.
ZERO_TIME_SECONDS = -62135596800
NANOS = 1_000_000_000


def _civil_date(days: int) -> tuple[int, int, int]:
    """Proleptic Gregorian (year, month, day) of a day count from 1970-01-01, for any year."""
    days += 719468  # days from 0000-03-01, so that leap days end each 400-year era
    era, day_of_era = divmod(days, 146097)
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    return era * 400 + year_of_era + (month <= 2), month, day


def format_time(total_nanos: int, micro: bool) -> str:
    """RFC 3339 in UTC as Go's ``Time``/``MicroTime`` write it (``...05Z``/``...05.000000Z``)."""
    seconds, nanos = divmod(total_nanos, NANOS)
    days, second_of_day = divmod(seconds, 86400)
    year, month, day = _civil_date(days)
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    sign = "-" if year < 0 else ""
    text = f"{sign}{abs(year):04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    if micro:
        text += f".{nanos // 1000:06d}"
    return text + "Z"


def _time(fields: dict[str, Value], micro: bool = False) -> str | None:
    """``metav1.Time``: whole seconds only (its Unmarshal drops nanos); zero time is null."""
    if not fields:
        return None
    seconds = _signed(_int(fields.get("seconds", 0)), 64)
    nanos = _signed(_int(fields.get("nanos", 0)), 32) if micro else 0
    # Go's Duration.Truncate rounds toward zero, also for (invalid) negative nanos.
    nanos -= nanos % 1000 if nanos >= 0 else -(-nanos % 1000)
    total = seconds * NANOS + nanos
    if total == ZERO_TIME_SECONDS * NANOS:
        return None
    return format_time(total, micro)


def _micro_time(fields: dict[str, Value]) -> str | None:
    """``metav1.MicroTime``: nanos truncated to microseconds, as its Unmarshal does."""
    return _time(fields, micro=True)


def format_duration(nanos: int) -> str:
    """Go's ``time.Duration.String()``: ``1h0m0s``, ``1.5s``, ``250ms``, ``0s``."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    value = abs(nanos)
    if value < NANOS:
        for unit, size in (("ns", 1), ("µs", 1000), ("ms", 1_000_000)):
            if value < size * 1000:
                return sign + _decimal(value, size) + unit
    text = _decimal(value % (60 * NANOS), NANOS) + "s"
    minutes = value // (60 * NANOS)
    if minutes:
        text = f"{minutes % 60}m{text}"
        if minutes >= 60:
            text = f"{minutes // 60}h{text}"
    return sign + text


def _decimal(value: int, unit: int) -> str:
    whole, fraction = divmod(value, unit)
    digits = len(str(unit)) - 1
    fraction_text = f"{fraction:0{digits}d}".rstrip("0") if digits else ""
    return f"{whole}.{fraction_text}" if fraction_text else str(whole)


def _duration(fields: dict[str, Value]) -> str:
    return format_duration(_signed(_int(fields.get("Duration", 0)), 64))


def _int_or_string(fields: dict[str, Value]) -> int | str:
    kind = _signed(_int(fields.get("Type", 0)), 64)
    if kind == 0:
        return _signed(_int(fields.get("IntVal", 0)), 32)
    if kind == 1:
        return _text(fields.get("StrVal", b""))
    raise WireError("impossible IntOrString.Type")


def _quantity(fields: dict[str, Value]) -> str:
    """``resource.Quantity``: its string form; an unset quantity is ``0``."""
    return _text(fields["string"]) if "string" in fields else "0"


def _raw_extension(fields: dict[str, Value]) -> Any:
    """``runtime.RawExtension``: embedded JSON, or a nested protobuf object, or null."""
    raw = fields.get("raw")
    if raw is None:
        return None
    raw = _bytes(raw)
    if raw.startswith(MAGIC):
        return _decode_envelope(raw)
    if raw[:1] and raw[:1] in b'\t\r\n {["-0123456789ntf':
        return _parse_json(raw, "failed to parse RawExtension bytes as JSON")
    raise WireError("cannot convert RawExtension with unrecognized content type to unstructured")


def _fields_v1(fields: dict[str, Value]) -> Any:
    """``metav1.FieldsV1``: the managed-fields set, itself JSON."""
    raw = fields.get("Raw")
    return None if raw is None else _parse_json(_bytes(raw), "invalid FieldsV1")


def _parse_json(raw: bytes, what: str) -> Any:
    def reject(constant: str) -> Any:
        raise ValueError(f"invalid character '{constant[0]}' looking for beginning of value")

    try:
        return json.loads(raw, parse_constant=reject)
    except (ValueError, UnicodeDecodeError) as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise WireError(f"{what}: {detail}") from None


_META = "k8s.io.apimachinery.pkg.apis.meta.v1."
SPECIAL_TYPES: dict[str, Callable[[dict[str, Value]], Any]] = {
    _META + "Time": _time,
    _META + "MicroTime": _micro_time,
    _META + "Duration": _duration,
    _META + "FieldsV1": _fields_v1,
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": _int_or_string,
    "k8s.io.apimachinery.pkg.api.resource.Quantity": _quantity,
    "k8s.io.apimachinery.pkg.api.resource.QuantityValue": _quantity,
    "k8s.io.apimachinery.pkg.runtime.RawExtension": _raw_extension,
}


# --- messages to JSON ---------------------------------------------------------------------------


def _int(value: Value) -> int:
    if not isinstance(value, int):
        raise WireError("proto: wrong wireType")
    return value


def _bytes(value: Value) -> bytes:
    if not isinstance(value, bytes):
        raise WireError("proto: wrong wireType")
    return value


def _text(value: Value) -> str:
    """A Go string as ``encoding/json`` writes it (invalid UTF-8 becomes U+FFFD)."""
    return _bytes(value).decode("utf-8", errors="replace")


def _check_wire_type(field: Field, occurrence: WireField) -> None:
    if field.type == "map" or field.type not in SCALAR_ZERO or field.type == "string":
        expected = LENGTH_DELIMITED
    else:
        expected = VARINT
    allowed = {expected, LENGTH_DELIMITED} if field.repeated else {expected}
    if occurrence.wire_type not in allowed:
        raise WireError(f"proto: wrong wireType = {occurrence.wire_type} for field {field.go_name}")


def _scalar(type_name: str, value: Value) -> Any:
    if type_name == "string":
        return _text(value)
    if type_name == "bytes":
        return base64.b64encode(_bytes(value)).decode("ascii")
    if type_name == "int32":
        return _signed(_int(value), 32)
    if type_name == "int64":
        return _signed(_int(value), 64)
    return _int(value) != 0  # bool


def _value(type_name: str, value: Value) -> Any:
    """The JSON of one scalar or message value of a repeated or map field."""
    if type_name in SCALAR_ZERO or type_name == "bytes":
        return _scalar(type_name, value)
    return decode_message(type_name, _bytes(value))


def _packed(type_name: str, occurrences: list[WireField]) -> list[Any]:
    """Repeated numbers, which Go accepts both one per field and packed into one field."""
    values: list[Any] = []
    for occurrence in occurrences:
        if occurrence.wire_type == VARINT:
            values.append(_scalar(type_name, occurrence.value))
            continue
        data, pos = _bytes(occurrence.value), 0
        while pos < len(data):
            number, pos = read_varint(data, pos)
            values.append(_scalar(type_name, number))
    return values


def _map_entry(field: Field, data: bytes) -> tuple[str, Any]:
    key: Value = b""
    value: Value | None = None
    for entry in read_fields(data, "MapEntry"):
        if entry.number == 1:
            key = entry.value
        elif entry.number == 2:
            value = entry.value
    value_type = field.map_value or ""
    if value is None:
        return _text(key), _zero_value(value_type)
    return _text(key), _value(value_type, value)


def _zero_value(type_name: str) -> Any:
    """A map value that was left out: Go's zero value of the value type."""
    if type_name in SCALAR_ZERO:
        return SCALAR_ZERO[type_name]
    if type_name == "bytes":
        return ""
    return decode_message(type_name, b"")


@functools.cache
def _zero_json(message_name: str) -> Any:
    """The JSON of a message's zero value, to test Go's ``omitzero`` on a struct."""
    return decode_message(message_name, b"")


def _field_json(field: Field, occurrences: list[WireField]) -> tuple[bool, Any]:
    """Whether Go's ``encoding/json`` writes the field, and the value it writes."""
    absent = (not (field.omitempty or field.omitzero), None)  # a nil pointer, slice or map
    if field.type == "map":
        if not occurrences:
            return absent
        entries = dict(_map_entry(field, _bytes(o.value)) for o in occurrences)
        return not (field.omitempty and not entries), entries
    if field.repeated:
        if field.type in SCALAR_ZERO and field.type != "string":
            items = _packed(field.type, occurrences)
        else:
            items = [_value(field.type, o.value) for o in occurrences]
        return absent if not items else (True, items)
    if field.type == "bytes":
        if not occurrences:
            return absent
        raw = _bytes(occurrences[-1].value)
        return not (field.omitempty and not raw), _scalar("bytes", raw)
    if field.type in SCALAR_ZERO:
        if not occurrences:
            if field.pointer:
                return absent
            return not (field.omitempty or field.omitzero), SCALAR_ZERO[field.type]
        value = _scalar(field.type, occurrences[-1].value)
        zero = value == SCALAR_ZERO[field.type]
        return field.pointer or not (zero and (field.omitempty or field.omitzero)), value
    message = tables().messages[field.type]
    if message.is_list and not occurrences:
        return absent
    if field.pointer and not occurrences:
        return absent
    # Occurrences of a message field merge, which is what concatenating their bytes means.
    value = decode_message(field.type, b"".join(_bytes(o.value) for o in occurrences))
    if message.is_list:
        return not (field.omitempty and not value), value
    if not field.pointer and field.omitzero and value == _zero_json(field.type):
        return False, None
    return True, value


def _native_fields(message: Message, data: bytes) -> dict[str, Value]:
    """Last-wins raw values by field name, for the types converted by hand."""
    values: dict[str, Value] = {}
    for occurrence in read_fields(data, message.short_name):
        field = message.by_number.get(occurrence.number)
        if field is not None:
            _check_wire_type(field, occurrence)
            values[field.json_name] = occurrence.value
    return values


def decode_message(name: str, data: bytes) -> Any:
    """The JSON form of an encoded message, named in full (``k8s.io.api.apps.v1.Deployment``)."""
    message = tables().messages[name]
    if name in SPECIAL_TYPES:
        return SPECIAL_TYPES[name](_native_fields(message, data))
    grouped: dict[int, list[WireField]] = {}
    for occurrence in read_fields(data, message.short_name):
        field = message.by_number.get(occurrence.number)
        if field is not None:
            _check_wire_type(field, occurrence)
            grouped.setdefault(field.number, []).append(occurrence)
    if message.is_list:
        (items_field,) = message.fields
        return [_value(items_field.type, o.value) for o in grouped.get(items_field.number, [])]
    result: dict[str, Any] = {}
    for field in message.fields:
        if field.hidden:
            continue
        emit, value = _field_json(field, grouped.get(field.number, []))
        if emit and field.inline:
            result.update(value or {})
        elif emit:
            result[field.json_name] = value
    return result


# --- the envelope -------------------------------------------------------------------------------

UNKNOWN = "k8s.io.apimachinery.pkg.runtime.Unknown"
TYPE_META = "k8s.io.apimachinery.pkg.runtime.TypeMeta"


class DecodeError(Exception):
    """A failure with the full message kube-apiserver would answer with."""

    def __init__(self, message: str, code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _decode_envelope(data: bytes) -> dict[str, Any]:
    if not data:
        raise DecodeError("empty data")
    if not data.startswith(MAGIC):
        raise DecodeError(
            "provided data does not appear to be a protobuf message, expected prefix "
            f"[{' '.join(str(b) for b in MAGIC)}]"
        )
    if len(data) == len(MAGIC):
        raise DecodeError("empty body")
    try:
        envelope = _native_fields(tables().messages[UNKNOWN], data[len(MAGIC) :])
        type_meta = _native_fields(
            tables().messages[TYPE_META], _bytes(envelope.get("typeMeta", b""))
        )
        api_version = _text(type_meta.get("apiVersion", b""))
        kind = _text(type_meta.get("kind", b""))
        content_type = _text(envelope.get("ContentType", b""))
        content_encoding = _text(envelope.get("ContentEncoding", b""))
    except WireError as exc:
        raise DecodeError(str(exc)) from None
    described = f"runtime.TypeMeta{{APIVersion:{_go_quote(api_version)}, Kind:{_go_quote(kind)}}}"
    if not kind:
        raise DecodeError(f"Object 'Kind' is missing in '{described}'")
    if not api_version.rpartition("/")[2]:
        raise DecodeError(f"Object 'apiVersion' is missing in '{described}'")
    if content_encoding or content_type not in ("", CONTENT_TYPE):
        raise DecodeError(
            f'the protobuf envelope of {kind} declares content type "{content_type}" and '
            f'encoding "{content_encoding}"; only unencoded {CONTENT_TYPE} is supported',
            code=415,
        )
    name = tables().message_for(api_version, kind)
    if name is None:
        raise DecodeError(
            f"no kind {_go_quote(kind)} is registered for version {_go_quote(api_version)} "
            f"in scheme {_go_quote(SCHEME_NAME)}"
        )
    try:
        body = decode_message(name, _bytes(envelope.get("raw", b"")))
    except WireError as exc:
        version = api_version.rpartition("/")[2]
        raise DecodeError(
            f"{kind} in version {_go_quote(version)} cannot be handled as a {kind}: {exc}"
        ) from None
    return {"apiVersion": api_version, "kind": kind, **body}


def decode_object(data: bytes) -> dict[str, Any]:
    """Decode a protobuf request body into the JSON object the client would have sent.

    Raises :class:`APIError` (400 ``BadRequest``, or 415 for an envelope holding another
    encoding) for anything that is not a well-formed object of a known kind.
    """
    try:
        return _decode_envelope(bytes(data))
    except DecodeError as exc:
        if exc.code == 415:
            raise APIError(415, "UnsupportedMediaType", exc.message) from None
        raise bad_request(exc.message) from None
    except RecursionError:
        raise bad_request("object nesting exceeds the maximum depth") from None
