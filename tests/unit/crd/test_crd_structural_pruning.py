"""Pruning, null removal and defaulting: what decoding does to a custom resource."""

from __future__ import annotations

from kubelab.cluster.api.structural import (
    apply_defaults,
    drop_nulls,
    embedded_resource_errors,
    list_errors,
    prune,
    unfold,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "replicas": {"type": "integer", "default": 1},
                "tags": {"type": "array", "items": {"type": "string"}},
                "env": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "value": {"type": "string", "default": "none"},
                        },
                    },
                },
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "template": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"spec": {"type": "object"}},
                },
                "note": {"type": "string", "nullable": True},
                "mode": {"type": "string", "default": "auto"},
            },
        }
    },
}


def test_unknown_fields_are_dropped_and_reported_sorted():
    obj = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"replicas": 2, "zeta": 1, "alpha": {"x": 1}, "env": [{"name": "A", "typo": 1}]},
        "other": True,
    }
    assert prune(obj, SCHEMA) == ["other", "spec.alpha", "spec.env[0].typo", "spec.zeta"]
    assert obj == {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"replicas": 2, "env": [{"name": "A"}]},
    }


def test_preserve_unknown_fields_keeps_what_the_schema_does_not_know():
    obj = {"spec": {"extra": {"anything": {"goes": [1, 2]}}}}
    assert prune(obj, SCHEMA) == []
    assert obj == {"spec": {"extra": {"anything": {"goes": [1, 2]}}}}


def test_maps_keep_every_key_and_embedded_resources_keep_their_meta():
    obj = {
        "spec": {
            "labels": {"app": "web", "tier": "front"},
            "template": {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p"},
                "spec": {},
                "junk": 1,
            },
        }
    }
    assert prune(obj, SCHEMA) == ["spec.template.junk"]
    assert obj["spec"]["labels"] == {"app": "web", "tier": "front"}
    assert set(obj["spec"]["template"]) == {"apiVersion", "kind", "metadata", "spec"}


def test_nulls_without_nullable_or_default_are_dropped():
    obj = {"spec": {"tags": None, "note": None, "mode": None}}
    drop_nulls(obj, SCHEMA)
    assert obj == {"spec": {"note": None, "mode": None}}


def test_defaults_fill_absent_fields_and_non_nullable_nulls():
    obj = {"spec": {"env": [{"name": "A"}, {"name": "B", "value": "b"}], "mode": None}}
    apply_defaults(obj, SCHEMA)
    assert obj["spec"]["replicas"] == 1
    assert obj["spec"]["mode"] == "auto"
    assert obj["spec"]["env"] == [{"name": "A", "value": "none"}, {"name": "B", "value": "b"}]


def test_defaults_do_not_create_absent_parents():
    obj = {}
    apply_defaults(obj, SCHEMA)
    assert obj == {}


def test_embedded_resources_need_api_version_and_kind():
    obj = {"spec": {"template": {"metadata": {"name": "Bad_Name"}, "spec": {}}}}
    found = [str(e) for e in embedded_resource_errors(obj, SCHEMA)]
    assert "spec.template.apiVersion: Required value" in found
    assert "spec.template.kind: Required value" in found


def test_set_and_map_lists_reject_duplicates():
    schema = {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "ports": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["port"],
                "items": {"type": "object", "properties": {"port": {"type": "integer"}}},
            },
        },
    }
    obj = {"tags": ["a", "b", "a"], "ports": [{"port": 80}, {"port": 80}]}
    assert [str(e) for e in list_errors(obj, schema)] == [
        'tags[2]: Duplicate value: "a"',
        'ports[1]: Duplicate value: {"port":80}',
    ]


def test_int_or_string_is_published_with_its_alternatives():
    published = unfold(
        {"type": "object", "properties": {"p": {"x-kubernetes-int-or-string": True}}}
    )
    assert published["properties"]["p"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
