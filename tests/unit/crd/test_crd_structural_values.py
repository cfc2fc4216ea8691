"""Value validation of custom resources: kube-apiserver's OpenAPI validator messages, turned
into field errors the way upstream does."""

from __future__ import annotations

import pytest

from kubelab.cluster.api.structural import validate


def messages(value, schema, base=""):
    return [str(error) for error in validate(value, schema, base)]


SPEC = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["size"],
            "properties": {
                "size": {"type": "string", "enum": ["small", "large"]},
                "replicas": {"type": "integer", "minimum": 0, "maximum": 10},
                "ratio": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
                "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "ports": {"type": "array", "minItems": 1, "items": {"type": "integer"}},
                "port": {"x-kubernetes-int-or-string": True},
                "note": {"type": "string", "nullable": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}


def spec(**fields):
    return {"spec": {"size": "small", **fields}}


def test_a_valid_object_has_no_errors():
    assert messages(spec(replicas=3, name="abc", tags=["a"], port="http"), SPEC) == []


def test_wrong_type_names_the_json_type_it_got():
    assert messages(spec(replicas="two"), SPEC) == [
        'spec.replicas: Invalid value: "string": spec.replicas in body must be of type '
        'integer: "string"'
    ]
    assert messages(spec(tags="a"), SPEC) == [
        'spec.tags: Invalid value: "string": spec.tags in body must be of type array: "string"'
    ]


def test_integral_floats_count_as_integers_and_integers_as_numbers():
    assert messages(spec(replicas=3.0, ratio=2), SPEC) == []
    assert messages(spec(replicas=2.5), SPEC) == [
        'spec.replicas: Invalid value: "number": spec.replicas in body must be of type '
        'integer: "number"'
    ]


def test_missing_required_field():
    assert messages({"spec": {}}, SPEC) == ["spec.size: Required value"]


def test_enum_lists_the_supported_values():
    assert messages(spec(size="medium"), SPEC) == [
        'spec.size: Unsupported value: "medium": supported values: "small", "large"'
    ]
    numbers = {"type": "integer", "enum": [1, 2]}
    assert messages(3, numbers, "spec.n") == [
        'spec.n: Unsupported value: 3: supported values: "1", "2"'
    ]


def test_bounds():
    assert messages(spec(replicas=-1), SPEC) == [
        "spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or "
        "equal to 0"
    ]
    assert messages(spec(replicas=11), SPEC) == [
        "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"
    ]
    assert messages(spec(ratio=0), SPEC) == [
        "spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0"
    ]


def test_string_checks_stop_at_the_first_failure():
    assert messages(spec(name="abcdefg"), SPEC) == [
        "spec.name: Too long: may not be more than 5 bytes"
    ]
    assert messages(spec(name="a"), SPEC) == [
        'spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long'
    ]
    assert messages(spec(name="AB"), SPEC) == [
        "spec.name: Invalid value: \"AB\": spec.name in body should match '^[a-z]+$'"
    ]


def test_array_sizes():
    assert messages(spec(tags=["a", "b", "c"]), SPEC) == [
        "spec.tags: Too many: 3: must have at most 2 items"
    ]
    assert messages(spec(ports=[]), SPEC) == [
        "spec.ports: Invalid value: 0: spec.ports in body should have at least 1 items"
    ]


def test_item_and_map_value_paths():
    assert messages(spec(tags=["a", 2]), SPEC) == [
        'spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: '
        '"integer"'
    ]
    assert messages(spec(labels={"app": 1}), SPEC) == [
        'spec.labels.app: Invalid value: "integer": spec.labels.app in body must be of type '
        'string: "integer"'
    ]


def test_int_or_string():
    assert messages(spec(port=8080), SPEC) == []
    assert messages(spec(port=True), SPEC) == [
        'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: '
        '"boolean"'
    ]


def test_nullable_allows_null_and_others_do_not():
    assert messages(spec(note=None), SPEC) == []
    assert messages(spec(tags=[None]), SPEC) == [
        'spec.tags[0]: Invalid value: "null": spec.tags[0] in body must be of type string: "null"'
    ]


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("email", "a@example.com", "nobody"),
        ("ipv4", "10.0.0.1", "10.0.0.300"),
        ("uuid", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "6ba7"),
        ("date-time", "2026-01-02T03:04:05Z", "yesterday"),
        ("date", "2026-01-02", "2026-13-40"),
        ("byte", "aGVsbG8=", "%%%"),
        ("hostname", "example.com", "-bad-"),
    ],
)
def test_formats(fmt, good, bad):
    schema = {"type": "object", "properties": {"v": {"type": "string", "format": fmt}}}
    assert messages({"v": good}, schema) == []
    assert messages({"v": bad}, schema) == [
        f'v: Invalid value: "{bad}": v in body must be of type {fmt}: "{bad}"'
    ]


def test_a_value_checked_on_its_own_is_named_by_its_base_path_only():
    """Upstream's validator has no name for the value it was given, hence the blank."""
    assert messages("x", {"type": "integer"}, "spec.default") == [
        'spec.default: Invalid value: "string":  in body must be of type integer: "string"'
    ]


def test_unknown_formats_are_ignored():
    assert messages("anything", {"type": "string", "format": "colour"}, "spec.v") == []


def test_status_is_validated_relative_to_its_own_schema():
    status = {"type": "object", "properties": {"replicas": {"type": "integer"}}}
    assert messages({"replicas": "one"}, status, "status") == [
        'status.replicas: Invalid value: "string": replicas in body must be of type integer: '
        '"string"'
    ]


def test_composition_failures_read_as_upstream():
    schema = {"type": "string", "anyOf": [{"pattern": "^a"}, {"pattern": "^b"}]}
    assert messages("c", schema, "spec.v")[0] == (
        '<nil>: Invalid value: "": "" must validate at least one schema (anyOf)'
    )
    negated = {"type": "string", "not": {"enum": ["x"]}}
    assert messages("x", negated, "spec.v") == [
        '<nil>: Invalid value: "": "" must not validate the schema (not)'
    ]
