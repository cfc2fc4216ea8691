"""The strategy a CRD's version is served with: decoding, validation, storage, tables, OpenAPI."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.resources.custom import (
    CustomResourceStrategy,
    JSONPath,
    strategies_for,
    version_priority,
)

NOW = datetime(2026, 1, 1, 0, 2, 0, tzinfo=UTC)
SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["size"],
            "x-kubernetes-validations": [{"rule": "self.replicas <= 10"}],
            "properties": {
                "size": {"type": "string", "enum": ["small", "large"]},
                "replicas": {"type": "integer", "default": 1},
            },
        },
        "status": {
            "type": "object",
            "properties": {
                "replicas": {"type": "integer"},
                "conditions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"type": {"type": "string"}, "status": {"type": "string"}},
                    },
                },
            },
        },
    },
}


def crd(**version_fields) -> dict:
    version = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": SCHEMA},
        "subresources": {
            "status": {},
            "scale": {
                "specReplicasPath": ".spec.replicas",
                "statusReplicasPath": ".status.replicas",
            },
        },
        **version_fields,
    }
    names = {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"}
    return {
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": names,
            "versions": [version],
        },
        "status": {
            "acceptedNames": {**names, "shortNames": ["wd"], "categories": ["all"]},
            "conditions": [{"type": "Established", "status": "True"}],
            "storedVersions": ["v1"],
        },
    }


def strategy(definition: dict | None = None, version: int = 0) -> CustomResourceStrategy:
    definition = definition or crd()
    return CustomResourceStrategy(definition, definition["spec"]["versions"][version])


def widget(**spec) -> dict:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "ns", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"size": "small", **spec},
    }


def test_identity_comes_from_the_accepted_names():
    served = strategy()
    assert (served.group, served.version, served.kind, served.plural) == (
        "example.com",
        "v1",
        "Widget",
        "widgets",
    )
    assert served.singular == "widget"
    assert served.list_kind == "WidgetList"
    assert served.short_names == ("wd",)
    assert served.categories == ("all",)
    assert served.subresources == ("status", "scale")
    assert served.key == "example.com/widgets"
    assert served.tracks_generation
    assert not served.supports_strategic_merge_patch


def test_decoding_prunes_defaults_and_reports_unknown_fields():
    served = strategy()
    obj = widget(color="red")
    obj["metadata"]["bogus"] = 1
    decoded, warnings = served.check_fields(obj, "Warn")
    assert warnings == ['unknown field "metadata.bogus"', 'unknown field "spec.color"']
    assert decoded["spec"] == {"size": "small", "replicas": 1}
    with pytest.raises(APIError) as raised:
        served.check_fields(widget(color="red"), "Strict")
    assert raised.value.code == 400
    assert raised.value.message == (
        'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown '
        'field "spec.color"'
    )
    assert served.check_fields(widget(color="red"), "Ignore")[1] == []


def test_validation_blocks_cel_rules_on_broken_objects():
    served = strategy()
    assert [str(e) for e in served.validate(widget(replicas=11))] == [
        "spec: Invalid value: failed rule: self.replicas <= 10"
    ]
    assert [str(e) for e in served.validate(widget(size="huge", replicas=11))] == [
        'spec.size: Unsupported value: "huge": supported values: "small", "large"',
        "<nil>: Invalid value: null: some validation rules were not checked because the object "
        "was invalid; correct the existing errors to complete validation",
    ]


def test_without_rules_nothing_is_left_unchecked():
    """A schema with no x-kubernetes-validations has no CEL validator, so a broken object gets
    only its own errors."""
    definition = crd()
    schema = copy.deepcopy(SCHEMA)
    del schema["properties"]["spec"]["x-kubernetes-validations"]
    definition["spec"]["versions"][0]["schema"] = {"openAPIV3Schema": schema}
    assert [str(e) for e in strategy(definition).validate(widget(size="huge"))] == [
        'spec.size: Unsupported value: "huge": supported values: "small", "large"'
    ]


def test_scale_paths_must_hold_non_negative_integers():
    served = strategy()
    assert [str(e) for e in served.validate(widget(replicas=-1))] == [
        ".spec.replicas: Invalid value: -1: should be a non-negative integer"
    ]


def test_status_updates_validate_only_the_status():
    served = strategy()
    old = widget()
    new = copy.deepcopy(old)
    new["status"] = {"replicas": "two"}
    assert [str(e) for e in served.validate_status_update(new, old)] == [
        'status.replicas: Invalid value: "string": replicas in body must be of type integer: '
        '"string"',
        ".status.replicas: Invalid value: 0: status.replicas accessor error: two is of the type "
        "string, expected int64",
        "<nil>: Invalid value: null: some validation rules were not checked because the object "
        "was invalid; correct the existing errors to complete validation",
    ]


def test_schema_errors_about_unchanged_values_are_ratcheted():
    served = strategy()
    stored = widget(size="medium")
    updated = copy.deepcopy(stored)
    updated["metadata"]["labels"] = {"a": "b"}
    assert served.validate_update(updated, stored) == []


def test_versions_share_storage_and_only_apiversion_changes():
    definition = crd()
    beta = copy.deepcopy(definition["spec"]["versions"][0])
    beta.update(name="v1beta1", storage=False)
    beta["schema"] = {
        "openAPIV3Schema": {
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {"size": {"type": "string"}}}},
        }
    }
    definition["spec"]["versions"].append(beta)
    stable, old = strategy(definition, 0), strategy(definition, 1)
    assert old.key == stable.key
    stored = old.to_storage(widget())
    assert stored["apiVersion"] == "example.com/v1"
    read_as_beta = old.from_storage(copy.deepcopy(stored))
    assert read_as_beta["spec"] == {"size": "small"}
    read_as_stable = stable.from_storage(copy.deepcopy(stored))
    assert read_as_stable["spec"] == {"size": "small", "replicas": 1}


def test_table_columns_default_to_name_and_age():
    served = strategy()
    assert [c.name for c in served.columns] == ["Name", "Age"]
    assert served.row(widget(), NOW) == ["w", "2m"]


def test_printer_columns_follow_their_json_paths():
    columns = [
        {"name": "Size", "type": "string", "jsonPath": ".spec.size"},
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
        {
            "name": "Ready",
            "type": "string",
            "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
        },
        {"name": "Spec", "type": "string", "jsonPath": ".spec", "priority": 1},
        {"name": "Missing", "type": "string", "jsonPath": ".status.nothing"},
    ]
    served = strategy(crd(additionalPrinterColumns=columns))
    assert [c.definition()["priority"] for c in served.columns] == [0, 0, 0, 0, 1, 0]
    assert served.columns[1].description == (
        "Custom resource definition column (in JSONPath format): .spec.size"
    )
    obj = widget(replicas=3)
    obj["status"] = {
        "conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}]
    }
    assert served.row(obj, NOW) == ["w", "small", 3, "True", '{"replicas":3,"size":"small"}', None]


def test_json_path_forms():
    obj = {"a": {"b.c": [{"n": 1}, {"n": 2}]}, "list": [1, 2, 3]}
    assert JSONPath(".a['b.c'][1].n").find(obj) == [2]
    assert JSONPath(".list[-1]").find(obj) == [3]
    assert JSONPath(".a['b.c'][*].n").find(obj) == [1, 2]
    assert JSONPath("..n").find(obj) == [1, 2]
    assert JSONPath(".a['b.c'][?(@.n > 1)].n").find(obj) == [2]


def test_published_schema_has_type_and_object_meta():
    published = strategy().openapi_schema()
    props = published["properties"]
    assert props["metadata"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    ]
    assert props["apiVersion"]["type"] == "string"
    assert props["kind"]["description"].startswith("Kind is a string value")
    assert props["spec"]["required"] == ["size"]


def test_a_terminating_crd_refuses_new_objects():
    definition = crd()
    definition["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    served = strategy(definition)
    assert "create" not in served.verbs
    with pytest.raises(APIError) as raised:
        served.prepare_for_create(widget())
    assert raised.value.code == 403
    assert raised.value.message == (
        'widgets.example.com "w" is forbidden: create not allowed while custom resource '
        "definition is terminating"
    )


def test_only_established_crds_are_served_preferred_version_first():
    definition = crd()
    alpha = copy.deepcopy(definition["spec"]["versions"][0])
    alpha.update(name="v1alpha1", storage=False)
    hidden = copy.deepcopy(alpha)
    hidden.update(name="v2", served=False)
    definition["spec"]["versions"] = [alpha, definition["spec"]["versions"][0], hidden]
    assert [s.version for s in strategies_for(definition)] == ["v1", "v1alpha1"]
    definition["status"]["conditions"] = []
    assert strategies_for(definition) == []


def test_version_priority():
    names = ["v1alpha1", "v2", "foo", "v1", "v1beta2", "v1beta1", "v10"]
    assert sorted(names, key=version_priority) == [
        "v10",
        "v2",
        "v1",
        "v1beta2",
        "v1beta1",
        "v1alpha1",
        "foo",
    ]
