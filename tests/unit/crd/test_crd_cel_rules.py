"""CEL validation rules (``x-kubernetes-validations``) on custom resources."""

from __future__ import annotations

import pytest

from kubelab.cluster.api.cel import compile_errors, validate


def rules(*rules: dict, **schema) -> dict:
    return {"type": "object", "x-kubernetes-validations": list(rules), **schema}


def spec_schema(*node_rules: dict, **properties) -> dict:
    return {
        "type": "object",
        "properties": {"spec": rules(*node_rules, properties=properties)},
    }


def messages(obj, schema, old=None):
    return [str(error) for error in validate(obj, old, schema)]


NUMBERS = {"min": {"type": "integer"}, "max": {"type": "integer"}}


@pytest.mark.parametrize(
    ("rule", "good", "bad"),
    [
        ("self.min <= self.max", {"min": 1, "max": 2}, {"min": 3, "max": 2}),
        ("has(self.name)", {"name": "a"}, {}),
        ("size(self.name) > 0", {"name": "a"}, {"name": ""}),
        ("self.tier in ['web', 'db']", {"tier": "db"}, {"tier": "cache"}),
        ("self.name.matches('^[a-z]+$')", {"name": "abc"}, {"name": "ABC"}),
        ("self.tags.all(t, t.startsWith('x-'))", {"tags": ["x-a"]}, {"tags": ["y"]}),
        ("self.name.lowerAscii() == self.name", {"name": "abc"}, {"name": "Abc"}),
    ],
)
def test_common_rule_forms(rule, good, bad):
    schema = spec_schema({"rule": rule})
    assert messages({"spec": good}, schema) == []
    assert messages({"spec": bad}, schema) == [f"spec: Invalid value: failed rule: {rule}"]


def test_message_reason_and_field_path():
    schema = spec_schema(
        {
            "rule": "self.min <= self.max",
            "message": "min must not exceed max",
            "fieldPath": ".min",
            "reason": "FieldValueForbidden",
        },
        **NUMBERS,
    )
    assert messages({"spec": {"min": 5, "max": 1}}, schema) == [
        "spec.min: Forbidden: min must not exceed max"
    ]


def test_message_expression_builds_the_message():
    schema = spec_schema(
        {
            "rule": "self.min <= self.max",
            "messageExpression": "'min ' + string(self.min) + ' is too big'",
        },
        **NUMBERS,
    )
    assert messages({"spec": {"min": 5, "max": 1}}, schema) == [
        "spec: Invalid value: min 5 is too big"
    ]


def test_scalar_rules_show_the_value():
    schema = {
        "type": "object",
        "properties": {
            "name": {
                "type": "string",
                "x-kubernetes-validations": [{"rule": "self.size() <= 3", "message": "too long"}],
            }
        },
    }
    assert messages({"name": "abcd"}, schema) == ['name: Invalid value: "abcd": too long']


def test_transition_rules_run_only_on_updates():
    schema = {
        "type": "object",
        "properties": {
            "mode": {
                "type": "string",
                "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "immutable"}],
            }
        },
    }
    assert messages({"mode": "a"}, schema) == []
    assert messages({"mode": "a"}, schema, old={"mode": "a"}) == []
    assert messages({"mode": "b"}, schema, old={"mode": "a"}) == [
        'mode: Invalid value: "b": immutable'
    ]


def test_unchanged_values_are_not_rechecked_on_update():
    schema = spec_schema({"rule": "self.min <= self.max"}, **NUMBERS)
    stale = {"spec": {"min": 3, "max": 2}}
    assert messages(stale, schema, old=stale) == []


def test_runtime_errors_name_the_rule():
    schema = spec_schema({"rule": "self.missing > 1"})
    assert messages({"spec": {}}, schema) == [
        'spec: Invalid value: "object": no such key: missing evaluating rule: self.missing > 1'
    ]


def test_number_fields_are_doubles():
    schema = spec_schema({"rule": "self.ratio > 0.5"}, ratio={"type": "number"})
    assert messages({"spec": {"ratio": 1}}, schema) == []


def test_root_rules_see_metadata():
    schema = rules({"rule": "self.metadata.name.startsWith('web-')"})
    assert messages({"metadata": {"name": "web-1"}}, schema) == []
    assert len(messages({"metadata": {"name": "db-1"}}, schema)) == 1


def test_compile_errors_point_at_the_rule():
    [error] = compile_errors({"rule": "self.a <="}, "x-kubernetes-validations[0]")
    assert error.field == "x-kubernetes-validations[0].rule"
    assert error.detail.startswith("compilation failed: ERROR: <input>:1:")
    assert compile_errors({"rule": "self.a <= 1"}, "x") == []


def test_selecting_an_undeclared_field_does_not_compile():
    schema = {
        "type": "object",
        "properties": {
            "max": {"type": "integer"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    [error] = compile_errors({"rule": "self.mx > 1 && self.labels.any > ''"}, "r", schema)
    assert error.detail == (
        "compilation failed: ERROR: <input>:1:5: undefined field 'mx'\n"
        " | self.mx > 1 && self.labels.any > ''\n"
        " | ....^"
    )
    assert (
        compile_errors({"rule": "self.metadata.name != ''"}, "r", schema, resource_root=True) == []
    )


def test_rules_at_the_root_report_no_field():
    schema = rules({"rule": "has(self.spec)", "message": "spec is needed"})
    assert messages({"metadata": {"name": "w"}}, schema) == ["<nil>: Invalid value: spec is needed"]
