"""The gnostic encoder: field numbers, proto3 zero values, oneof members and YAML ``Any``s.

Encoded messages are read back with the project's protobuf wire reader (which decodes
kubectl's request bodies), so these tests check the bytes, not the encoder against itself.
"""

from __future__ import annotations

import struct

import pytest
import yaml

from kubelab.cluster.api import gnostic, openapi
from kubelab.cluster.api.protobuf import FIXED64, LENGTH_DELIMITED, VARINT, read_fields


def pairs(data: bytes) -> list[tuple[int, int, object]]:
    return [(f.number, f.wire_type, f.value) for f in read_fields(data)]


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, b"\x00"), (1, b"\x01"), (300, b"\xac\x02"), (-1, b"\xff" * 9 + b"\x01")],
)
def test_varints(value, encoded):
    assert gnostic.varint(value) == encoded


def test_schema_fields_by_number_and_zero_scalars_left_out():
    encoded = gnostic.encode_message(
        "Schema",
        {
            "type": "integer",
            "description": "",
            "minimum": 0,
            "maximum": 9.5,
            "maxLength": -2,
            "uniqueItems": False,
            "readOnly": True,
            "format": "int32",
        },
    )
    assert pairs(encoded) == [
        (2, LENGTH_DELIMITED, b"int32"),
        (7, FIXED64, int.from_bytes(struct.pack("<d", 9.5), "little")),
        (11, VARINT, (1 << 64) - 2),
        (22, LENGTH_DELIMITED, b"\x0a\x07integer"),
        (27, VARINT, 1),
    ]


def test_properties_are_named_schemas_in_key_order_and_empty_messages_are_kept():
    encoded = gnostic.encode_message("Schema", {"properties": {"b": {}, "a": {"type": "string"}}})
    ((number, _, properties),) = pairs(encoded)
    assert number == 25
    entries = [pairs(value) for _, _, value in pairs(properties)]
    assert entries == [
        [(1, LENGTH_DELIMITED, b"a"), (2, LENGTH_DELIMITED, b"\xb2\x01\x08\x0a\x06string")],
        [(1, LENGTH_DELIMITED, b"b"), (2, LENGTH_DELIMITED, b"")],
    ]


def test_vendor_extensions_and_defaults_are_yaml():
    encoded = gnostic.encode_message(
        "Schema",
        {
            "default": "merge",
            "enum": ["a", ""],
            "x-kubernetes-group-version-kind": [{"group": "", "kind": "Pod", "version": "v1"}],
        },
    )
    fields = pairs(encoded)
    assert [number for number, _, _ in fields] == [5, 20, 20, 31]

    def yaml_of(any_message: bytes) -> str:
        ((number, _, text),) = pairs(any_message)
        assert number == 2
        return text.decode()

    assert yaml_of(fields[0][2]) == "merge\n"
    assert [yaml.safe_load(yaml_of(f[2])) for f in fields[1:3]] == ["a", ""]
    name, value = pairs(fields[3][2])
    assert name[2] == b"x-kubernetes-group-version-kind"
    assert yaml_of(value[2]) == "- group: ''\n  kind: Pod\n  version: v1\n"


def test_additional_properties_false_is_sent():
    encoded = gnostic.encode_message("Schema", {"additionalProperties": False})
    assert pairs(encoded) == [(21, LENGTH_DELIMITED, b"\x10\x00")]


@pytest.mark.parametrize(
    ("parameter", "path"),
    [
        ({"name": "body", "in": "body", "schema": {}}, [1, 1]),
        ({"name": "pretty", "in": "query", "type": "string"}, [1, 2, 3]),
        ({"name": "name", "in": "path", "type": "string", "required": True}, [1, 2, 4]),
        ({"$ref": "#/parameters/pretty"}, [2]),
    ],
)
def test_parameters_choose_their_oneof_member(parameter, path):
    encoded = gnostic.encode_message("ParametersItem", parameter)
    for number in path:
        ((found, _, encoded),) = pairs(encoded)
        assert found == number


def test_repeated_strings_keep_empty_ones():
    encoded = gnostic.encode_message("Operation", {"tags": ["", "core_v1"]})
    assert pairs(encoded) == [(1, LENGTH_DELIMITED, b""), (1, LENGTH_DELIMITED, b"core_v1")]


def test_keys_without_a_field_are_left_out():
    assert gnostic.encode_message("Info", {"title": "K", "colour": "red"}) == b"\x0a\x01K"


def test_every_message_type_in_the_table_exists():
    table = gnostic.messages()
    scalars = {"string", "bool", "double", "int64", "Any"}
    for name, fields in table.items():
        for key, spec in fields.items():
            type_name = spec[1].removeprefix("map:")
            known = type_name in scalars or type_name in table or type_name in gnostic.ONEOFS
            assert known, f"{name}.{key} has unknown type {type_name}"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/com.github.proto-openapi.spec.v2@v1.0+protobuf", gnostic.CONTENT_TYPE),
        ("application/com.github.proto-openapi.spec.v2.v1.0+protobuf", gnostic.CONTENT_TYPE),
        (
            "application/com.github.proto-openapi.spec.v2@v1.0+protobuf;q=0.5, */*",
            "application/json",
        ),
        ("text/html, application/*;q=0.1", "application/json"),
        ("text/html", None),
        ("application/json;q=0", None),
    ],
)
def test_v2_negotiation(accept, expected):
    assert openapi.v2_media_type(accept) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, False), ("gzip", True), ("deflate, gzip;q=0.5", True), ("gzip;q=0", False)],
)
def test_accepts_gzip(header, expected):
    assert openapi.accepts_gzip(header) is expected
