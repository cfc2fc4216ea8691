"""Custom resource schemas in ``/openapi/v2`` get kube-apiserver's changes for kubectl.

kubectl validates against these models on the client, so whatever it cannot check the way
the server does (null values, unknown fields kept, arrays without items) is taken out, as
``ToStructuralOpenAPIV2`` does upstream.
"""

from __future__ import annotations

from kubelab.cluster.api.openapi import _v3_to_v2


def test_a_nullable_field_loses_type_items_properties_and_its_required_entry():
    schema = {
        "type": "object",
        "required": ["a", "b"],
        "properties": {
            "a": {"type": "object", "nullable": True, "properties": {"x": {"type": "string"}}},
            "b": {"type": "string"},
        },
    }
    assert _v3_to_v2(schema) == {
        "type": "object",
        "required": ["b"],
        "properties": {"a": {}, "b": {"type": "string"}},
    }


def test_required_goes_when_every_entry_is_nullable_or_values_may_be_null():
    only_nullable = {"type": "object", "required": ["a"], "properties": {"a": {"nullable": True}}}
    assert "required" not in _v3_to_v2(only_nullable)
    nullable_values = {
        "type": "object",
        "required": ["a"],
        "additionalProperties": {"type": "string", "nullable": True},
    }
    assert _v3_to_v2(nullable_values) == {"type": "object", "additionalProperties": {}}


def test_kept_unknown_fields_lose_properties_and_the_object_type():
    schema = {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {"known": {"type": "string"}},
    }
    assert _v3_to_v2(schema) == {"x-kubernetes-preserve-unknown-fields": True}


def test_an_array_left_without_items_loses_its_type():
    schema = {"type": "array", "x-kubernetes-preserve-unknown-fields": True, "items": {}}
    assert _v3_to_v2(schema) == {"x-kubernetes-preserve-unknown-fields": True}


def test_junctors_are_dropped_but_a_lone_reference_is_kept():
    schema = {
        "properties": {
            "metadata": {"allOf": [{"$ref": "#/components/schemas/io.k8s.Meta"}]},
            "value": {"anyOf": [{"type": "integer"}, {"type": "string"}], "allOf": [{}, {}]},
        }
    }
    assert _v3_to_v2(schema) == {
        "properties": {"metadata": {"$ref": "#/definitions/io.k8s.Meta"}, "value": {}}
    }
