"""The Swagger 2.0 document as a gnostic ``openapi.v2.Document`` protobuf message.

kubectl reads ``/openapi/v2`` only in this form (``Accept:
application/com.github.proto-openapi.spec.v2@v1.0+protobuf``): to validate the items of a
``kind: List`` file, and when a manifest names a kind its apiVersion does not serve (kubectl
downloads the models before it can say "no matches for kind"). kube-apiserver parses its JSON
document into gnostic's messages and marshals them; this module does the same walk over the
JSON document the teaching cluster already builds.

The field numbers come from gnostic's ``OpenAPIv2.proto``, kept in
``gnostic_openapiv2.json``: for each message, the JSON key of each field with its number and
type, where a type is a scalar (``string``, ``bool``, ``double``, ``int64``), ``Any`` (a value
carried as YAML text), another message, or ``map:T`` (a JSON object carried as repeated
``Named<T>`` pairs of ``name`` = 1 and ``value`` = 2). Four keys stand for more than one JSON
key: ``x-*`` takes the vendor extensions, ``/*`` the paths, ``*`` every key of a map-shaped
message, and ``[]`` the JSON value itself (a string or an array of them, as in ``type``). The
messages that are a ``oneof`` choose their member from the JSON value, as gnostic's compiler
does. As in any proto3 encoding, scalars equal to their zero value are left out.
"""

from __future__ import annotations

import functools
import json
import struct
from collections.abc import Callable
from importlib import resources
from typing import Any

import yaml

from kubelab.cluster.api.protobuf import FIXED64, LENGTH_DELIMITED, VARINT

#: The media type of the response (kubectl asks for the older ``...spec.v2@v1.0+protobuf``).
CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

FieldSpec = list[Any]  # [number, type] or [number, type, "repeated"]

_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@functools.cache
def messages() -> dict[str, dict[str, FieldSpec]]:
    """The message table: message name → JSON key → field spec."""
    text = resources.files(__package__).joinpath("gnostic_openapiv2.json").read_text()
    return json.loads(text)


# --- wire format ------------------------------------------------------------------------------


def varint(value: int) -> bytes:
    """A base-128 varint; negative numbers take ten bytes, as int64 two's complement."""
    value &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def tag(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def length_delimited(number: int, payload: bytes) -> bytes:
    return tag(number, LENGTH_DELIMITED) + varint(len(payload)) + payload


# --- values -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _yaml_text(json_text: str) -> str:
    """The YAML gnostic keeps in an ``Any``; a lone scalar gets no document-end marker."""
    text = yaml.dump(
        json.loads(json_text),
        Dumper=_YAML_DUMPER,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=1 << 30,
    )
    return text.removesuffix("...\n")


def _any(value: Any) -> bytes:
    """An ``openapi.v2.Any``: field 2 holds the value as YAML."""
    text = _yaml_text(json.dumps(value, sort_keys=True))
    return length_delimited(2, text.encode())


def _scalar(number: int, type_name: str, value: Any) -> bytes:
    """A proto3 scalar field, or nothing when the value is its type's zero."""
    if type_name == "string":
        return length_delimited(number, str(value).encode()) if value != "" else b""
    if type_name == "bool":
        return tag(number, VARINT) + b"\x01" if value is True else b""
    if type_name == "int64":
        return tag(number, VARINT) + varint(int(value)) if value else b""
    if type_name == "double":
        return tag(number, FIXED64) + struct.pack("<d", float(value)) if value else b""
    raise ValueError(f"unknown scalar type {type_name!r}")


_SCALARS = frozenset({"string", "bool", "int64", "double"})


def _field(number: int, type_name: str, value: Any) -> bytes:
    """One occurrence of a field holding ``value``."""
    if type_name in _SCALARS:
        return _scalar(number, type_name, value)
    if type_name == "Any":
        return length_delimited(number, _any(value))
    return length_delimited(number, encode_message(type_name, value))


def _repeated(number: int, type_name: str, value: Any) -> bytes:
    """One element of a repeated field: unlike a lone scalar, an empty string is still sent."""
    if type_name == "string":
        return length_delimited(number, str(value).encode())
    return _field(number, type_name, value)


def _named(type_name: str, name: str, value: Any) -> bytes:
    """A ``Named<T>`` pair: the key, then the value as a ``T``."""
    return length_delimited(1, name.encode()) + _field(2, type_name, value)


# --- oneof members ----------------------------------------------------------------------------

_NON_BODY_MEMBERS = {
    "header": (1, "HeaderParameterSubSchema"),
    "formData": (2, "FormDataParameterSubSchema"),
    "query": (3, "QueryParameterSubSchema"),
    "path": (4, "PathParameterSubSchema"),
}
_OAUTH2_MEMBERS = {
    "implicit": (3, "Oauth2ImplicitSecurity"),
    "password": (4, "Oauth2PasswordSecurity"),
    "application": (5, "Oauth2ApplicationSecurity"),
    "accessCode": (6, "Oauth2AccessCodeSecurity"),
}


def _reference_or(member: tuple[int, str]) -> Callable[[Any], tuple[int, str] | None]:
    return lambda value: (2, "JsonReference") if "$ref" in value else member


def _security_member(value: Any) -> tuple[int, str] | None:
    kind = value.get("type")
    if kind == "basic":
        return 1, "BasicAuthenticationSecurity"
    if kind == "apiKey":
        return 2, "ApiKeySecurity"
    if kind == "oauth2":
        return _OAUTH2_MEMBERS.get(value.get("flow", ""))
    return None


#: For each ``oneof`` message, the member (field number and type) a JSON value becomes;
#: None when the value fits none of them (gnostic rejects such documents).
ONEOFS: dict[str, Callable[[Any], tuple[int, str] | None]] = {
    "AdditionalPropertiesItem": lambda value: (
        (2, "bool") if isinstance(value, bool) else (1, "Schema")
    ),
    "ParametersItem": _reference_or((1, "Parameter")),
    "Parameter": lambda value: (
        (1, "BodyParameter") if value.get("in") == "body" else (2, "NonBodyParameter")
    ),
    "NonBodyParameter": lambda value: _NON_BODY_MEMBERS.get(value.get("in", "")),
    "ResponseValue": _reference_or((1, "Response")),
    "SchemaItem": lambda value: (2, "FileSchema") if value.get("type") == "file" else (1, "Schema"),
    "SecurityDefinitionsItem": _security_member,
}


def _oneof(name: str, value: Any) -> bytes:
    member = ONEOFS[name](value)
    if member is None:
        raise ValueError(f"{name}: no member fits {json.dumps(value)[:80]}")
    number, type_name = member
    if type_name == "bool":
        return tag(number, VARINT) + (b"\x01" if value else b"\x00")
    return _field(number, type_name, value)


# --- messages ---------------------------------------------------------------------------------


def _spec_for(table: dict[str, FieldSpec], key: str) -> tuple[FieldSpec | None, bool]:
    """The field a JSON key belongs in, and whether the key is a map entry's name."""
    if key in table:
        return table[key], False
    if key.startswith("x-") and "x-*" in table:
        return table["x-*"], True
    if key.startswith("/") and "/*" in table:
        return table["/*"], True
    if "*" in table:
        return table["*"], True
    return None, False


def encode_message(name: str, value: Any) -> bytes:
    """The encoded message ``name`` for its JSON form ``value``, fields in number order.

    Keys with no place in the message are left out, as they have no field to go in.
    """
    if name in ONEOFS:
        return _oneof(name, value)
    table = messages()[name]
    if "[]" in table:
        number, type_name = table["[]"][:2]
        items = value if isinstance(value, list) else [value]
        return b"".join(length_delimited(number, _element(type_name, item)) for item in items)
    fields: dict[int, list[bytes]] = {}
    for key in sorted(value):
        spec, named = _spec_for(table, key)
        if spec is None:
            continue
        number, type_name = spec[0], spec[1]
        item = value[key]
        if named:
            encoded = [length_delimited(number, _named(type_name.removeprefix("map:"), key, item))]
        elif len(spec) > 2:
            encoded = [_repeated(number, type_name, element) for element in item]
        else:
            encoded = [_field(number, type_name, item)]
        fields.setdefault(number, []).extend(encoded)
    return b"".join(b"".join(fields[number]) for number in sorted(fields))


def _element(type_name: str, item: Any) -> bytes:
    """The payload of one element of a ``[]`` message (a string, or a message)."""
    if type_name == "string":
        return str(item).encode()
    return encode_message(type_name, item)


def encode_document(document: dict[str, Any]) -> bytes:
    """The gnostic ``openapi.v2.Document`` for a Swagger 2.0 document."""
    return encode_message("Document", document)
