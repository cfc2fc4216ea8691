"""``/openapi/v2`` in gnostic protobuf, the form the real kubectl downloads it in.

kubectl validates the items of a ``kind: List`` file against it and reads it before saying that
a manifest's apiVersion does not serve its kind. The served message is also decoded here with a
small decoder of its own, which knows gnostic's field numbers for the few messages a schema
uses, and must give back exactly the definitions of the JSON document.
"""

from __future__ import annotations

import json
import struct
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient

from tests.crd_manifests import crd_manifest, served_version

PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
RETURNED_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def fetch(api_client: ApiClient, accept: str, **headers: str) -> Any:
    request = api_client.param_serialize(
        "GET",
        "/openapi/v2",
        header_params={"Accept": accept, **headers},
        auth_settings=["BearerToken"],
    )
    response = api_client.call_api(*request)
    response.read()
    return response


# --- an independent decoder for the messages a schema is made of -------------------------------


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def wire_fields(data: bytes) -> list[tuple[int, Any]]:
    """(field number, value) pairs: ints for varints, bytes for the rest."""
    found, pos = [], 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = read_varint(data, pos)
        elif wire_type == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire_type == 2:
            length, pos = read_varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        else:
            raise AssertionError(f"unexpected wire type {wire_type}")
        found.append((number, value))
    return found


def first(data: bytes, number: int) -> Any:
    return next((value for n, value in wire_fields(data) if n == number), None)


def any_value(data: bytes) -> Any:
    """``openapi.v2.Any``: the value is YAML text in field 2."""
    return yaml.safe_load(first(data, 2).decode())


def named(data: bytes) -> tuple[str, bytes]:
    return first(data, 1).decode(), first(data, 2)


SCHEMA_STRINGS = {1: "$ref", 2: "format", 3: "title", 4: "description", 13: "pattern"}
SCHEMA_NUMBERS = {7: "maximum", 9: "minimum"}
SCHEMA_INTEGERS = {11: "maxLength", 12: "minLength", 14: "maxItems", 15: "minItems"}
SCHEMA_BOOLEANS = {16: "uniqueItems", 27: "readOnly"}


def decode_schema(data: bytes) -> dict[str, Any]:
    """``openapi.v2.Schema`` back to its JSON form (field numbers from gnostic's proto)."""
    schema: dict[str, Any] = {}
    for number, value in wire_fields(data):
        if number in SCHEMA_STRINGS:
            schema[SCHEMA_STRINGS[number]] = value.decode()
        elif number in SCHEMA_NUMBERS:
            number_value = struct.unpack("<d", value)[0]
            schema[SCHEMA_NUMBERS[number]] = int(number_value)
        elif number in SCHEMA_INTEGERS:
            schema[SCHEMA_INTEGERS[number]] = value
        elif number in SCHEMA_BOOLEANS:
            schema[SCHEMA_BOOLEANS[number]] = bool(value)
        elif number == 5:
            schema["default"] = any_value(value)
        elif number == 19:
            schema.setdefault("required", []).append(value.decode())
        elif number == 20:
            schema.setdefault("enum", []).append(any_value(value))
        elif number == 21:
            member, inner = wire_fields(value)[0]
            schema["additionalProperties"] = decode_schema(inner) if member == 1 else bool(inner)
        elif number == 22:
            types = [v.decode() for _, v in wire_fields(value)]
            schema["type"] = types[0] if len(types) == 1 else types
        elif number == 23:
            items = [decode_schema(v) for _, v in wire_fields(value)]
            schema["items"] = items[0] if len(items) == 1 else items
        elif number == 25:
            schema["properties"] = {
                name: decode_schema(sub)
                for name, sub in (named(entry) for _, entry in wire_fields(value))
            }
        elif number == 31:
            name, extension = named(value)
            schema[name] = any_value(extension)
        else:
            raise AssertionError(f"Schema field {number} is not expected in these definitions")
    return schema


def decode_definitions(document: bytes) -> dict[str, dict[str, Any]]:
    """``Document.definitions`` (field 9): ``NamedSchema`` pairs in field 1."""
    definitions = first(document, 9)
    return {
        name: decode_schema(schema)
        for name, schema in (named(entry) for _, entry in wire_fields(definitions))
    }


def without_zero_scalars(schema: Any) -> Any:
    """proto3 leaves out scalars equal to zero; so must the JSON side of a comparison."""
    if isinstance(schema, list):
        return [without_zero_scalars(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    scalars = {*SCHEMA_STRINGS.values(), *SCHEMA_NUMBERS.values(), *SCHEMA_INTEGERS.values()}
    scalars |= set(SCHEMA_BOOLEANS.values())
    cleaned = {}
    for key, value in schema.items():
        if key in scalars and value in ("", 0, False):
            continue
        if key in ("properties",):
            cleaned[key] = {name: without_zero_scalars(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties"):
            cleaned[key] = without_zero_scalars(value)
        else:
            cleaned[key] = value
    return cleaned


# --- a custom resource of this module's own ---------------------------------------------------


@pytest.fixture()
def gadgets(kubectl: Any) -> Iterator[str]:
    """A CRD ``Gadget`` in a fresh group; yields the group and deletes the CRD afterwards."""
    group = f"t{uuid.uuid4().hex[:8]}.example.com"
    spec = {
        "type": "object",
        "required": ["size", "note"],
        "properties": {
            "size": {"type": "integer", "minimum": 1, "maximum": 9, "default": 3},
            "colour": {"type": "string", "enum": ["red", "blue"]},
            "note": {"type": "string", "nullable": True},
            "tags": {"type": "array", "items": {"type": "string"}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "free": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": {"known": {"type": "string"}},
            },
        },
    }
    names = {"kind": "Gadget", "plural": "gadgets", "singular": "gadget"}
    schema = {"type": "object", "properties": {"spec": spec}}
    crd = crd_manifest(group, names, [served_version(schema)])
    kubectl("apply", "-f", "-", input=json.dumps(crd))
    kubectl("wait", "--for=condition=Established", f"crd/gadgets.{group}", "--timeout=30s")
    yield group
    kubectl.run("delete", "crd", f"gadgets.{group}", "--wait=false", check=False)


def wait_for_definition(api_client: ApiClient, name: str, present: bool = True) -> bytes:
    deadline = time.monotonic() + 30
    while True:
        body = fetch(api_client, PROTOBUF).data
        if (name in decode_definitions(body)) == present:
            return body
        assert time.monotonic() < deadline, f"{name} never {'appeared' if present else 'went'}"
        time.sleep(0.2)


def write(path: Path, document: dict[str, Any]) -> str:
    path.write_text(yaml.safe_dump(document))
    return str(path)


# --- tests ------------------------------------------------------------------------------------


def test_kubectl_applies_a_list_file_with_validation_on(kubectl, namespace, tmp_path):
    items = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"settings-{n}", "namespace": namespace},
            "data": {"count": str(n)},
        }
        for n in (1, 2)
    ]
    manifest = write(tmp_path / "list.yaml", {"apiVersion": "v1", "kind": "List", "items": items})
    result = kubectl.run("apply", "-f", manifest)
    assert result.stdout.splitlines() == [
        "configmap/settings-1 created",
        "configmap/settings-2 created",
    ]
    assert kubectl.json("get", "configmap", "settings-2", "-n", namespace)["data"] == {"count": "2"}


def test_kubectl_validates_list_items_against_the_models(kubectl, namespace, tmp_path):
    item = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "typo", "namespace": namespace},
        "datta": {"n": "1"},
    }
    manifest = write(tmp_path / "list.yaml", {"apiVersion": "v1", "kind": "List", "items": [item]})
    result = kubectl.run("apply", "-f", manifest, check=False)
    assert result.returncode == 1
    assert (
        'error validating data: ValidationError(ConfigMap): unknown field "datta" in '
        "io.k8s.api.core.v1.ConfigMap" in result.stderr
    )
    assert kubectl.run("get", "configmap", "typo", "-n", namespace, check=False).returncode == 1


def test_a_kind_in_the_wrong_api_version_gets_the_upstream_message(kubectl, namespace, tmp_path):
    manifest = write(
        tmp_path / "deployment.yaml",
        {
            "apiVersion": "v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": namespace},
        },
    )
    result = kubectl.run("apply", "-f", manifest, check=False)
    assert result.returncode == 1
    assert result.stderr == (
        f'error: resource mapping not found for name: "web" namespace: "{namespace}" from '
        f'"{manifest}": no matches for kind "Deployment" in version "v1"\n'
        "ensure CRDs are installed first\n"
    )


def test_kubectl_explain_still_reads_the_models(kubectl):
    out = kubectl("explain", "deployment.spec.replicas")
    assert "KIND:       Deployment" in out
    assert "FIELD: replicas <integer>" in out


def test_the_protobuf_definitions_are_the_json_definitions(api_client):
    response = fetch(api_client, PROTOBUF)
    assert response.status == 200
    assert response.headers["Content-Type"] == RETURNED_PROTOBUF
    document = response.data
    assert first(document, 1) == b"2.0"
    info = first(document, 2)
    assert (first(info, 1), first(info, 2)) == (b"Kubernetes", b"v1.37.0")
    served = json.loads(fetch(api_client, "application/json").data)
    decoded = decode_definitions(document)
    assert list(decoded) == sorted(served["definitions"])
    for name, schema in served["definitions"].items():
        assert decoded[name] == without_zero_scalars(schema), name
    paths = [named(entry)[0] for n, entry in wire_fields(first(document, 8)) if n == 2]
    assert paths == sorted(served["paths"])


def test_operations_carry_their_kind(api_client):
    document = fetch(api_client, PROTOBUF).data
    entries = dict(named(entry) for n, entry in wire_fields(first(document, 8)) if n == 2)
    post = first(entries["/apis/apps/v1/namespaces/{namespace}/deployments"], 4)
    assert first(post, 5) == b"createAppsV1NamespacedDeployment"
    extensions = dict(named(entry) for n, entry in wire_fields(post) if n == 13)
    assert any_value(extensions["x-kubernetes-action"]) == "post"
    assert any_value(extensions["x-kubernetes-group-version-kind"]) == {
        "group": "apps",
        "kind": "Deployment",
        "version": "v1",
    }
    body_parameter = first(first(first(post, 8), 1), 1)
    assert (first(body_parameter, 2), first(body_parameter, 3)) == (b"body", b"body")


def test_custom_resources_appear_and_are_validated(
    api_client, kubectl, gadgets, namespace, tmp_path
):
    name = f"{'.'.join(reversed(gadgets.split('.')))}.v1.Gadget"
    decoded = decode_definitions(wait_for_definition(api_client, name))
    spec = decoded[name]["properties"]["spec"]
    served = json.loads(fetch(api_client, "application/json").data)["definitions"][name]
    assert decoded[name] == without_zero_scalars(served)
    assert spec["properties"]["size"] == {
        "default": 3,
        "maximum": 9,
        "minimum": 1,
        "type": "integer",
    }
    assert spec["properties"]["note"] == {}, "a nullable field loses its type, as upstream"
    assert spec["required"] == ["size"], "a nullable field is not required in the v2 models"
    assert spec["properties"]["free"] == {"x-kubernetes-preserve-unknown-fields": True}

    def gadget(name: str, **spec: Any) -> dict[str, Any]:
        return {
            "apiVersion": f"{gadgets}/v1",
            "kind": "Gadget",
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }

    good = [
        gadget("one", size=2, note="plain", free={"anything": 1}),
        gadget("two", size=4, note="", tags=["a"], labels={"k": "v"}),
    ]
    manifest = write(tmp_path / "good.yaml", {"apiVersion": "v1", "kind": "List", "items": good})
    assert kubectl("apply", "-f", manifest).splitlines() == [
        f"gadget.{gadgets}/one created",
        f"gadget.{gadgets}/two created",
    ]
    bad = [gadget("three", size=2, note="", sise=3)]
    manifest = write(tmp_path / "bad.yaml", {"apiVersion": "v1", "kind": "List", "items": bad})
    result = kubectl.run("apply", "-f", manifest, check=False)
    assert f'unknown field "sise" in {name}.spec' in result.stderr


def test_the_document_follows_custom_resource_definitions(api_client, kubectl):
    group = f"t{uuid.uuid4().hex[:8]}.example.com"
    name = f"{'.'.join(reversed(group.split('.')))}.v1.Sprocket"
    fetch(api_client, PROTOBUF)
    names = {"kind": "Sprocket", "plural": "sprockets"}
    crd = crd_manifest(group, names, [served_version({"type": "object"})], scope="Cluster")
    kubectl("apply", "-f", "-", input=json.dumps(crd))
    try:
        wait_for_definition(api_client, name)
    finally:
        kubectl("delete", "crd", f"sprockets.{group}")
    wait_for_definition(api_client, name, present=False)


def test_negotiation_etag_and_not_acceptable(api_client):
    as_json = fetch(api_client, "application/json")
    as_protobuf = fetch(api_client, f"{PROTOBUF}, application/json")
    assert as_json.headers["Content-Type"] == "application/json"
    assert as_protobuf.headers["Content-Type"] == RETURNED_PROTOBUF
    assert as_json.headers["ETag"] == as_protobuf.headers["ETag"]
    assert "Accept" in as_json.headers["Vary"]
    preferred = fetch(api_client, f"{PROTOBUF};q=0.5, application/json")
    assert preferred.headers["Content-Type"] == "application/json"
    cached = fetch(api_client, PROTOBUF, **{"If-None-Match": as_protobuf.headers["ETag"]})
    assert (cached.status, cached.data) == (304, b"")
    refused = fetch(api_client, "text/html")
    assert (refused.status, refused.data) == (406, b"")


def test_gzip_for_clients_that_accept_it(api_client):
    plain = fetch(api_client, PROTOBUF)
    compressed = fetch(api_client, PROTOBUF, **{"Accept-Encoding": "gzip"})
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert compressed.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"'
    assert compressed.data == plain.data, "the client's gzip decoding gives the same message"
    assert "Content-Encoding" not in plain.headers
    refused = fetch(api_client, PROTOBUF, **{"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
