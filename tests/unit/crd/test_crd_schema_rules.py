"""What a CRD's schema must look like to be accepted: structural, and within OpenAPI's rules."""

from __future__ import annotations

from kubelab.cluster.api.structural import schema_errors

ROOT = "spec.versions[0].schema.openAPIV3Schema"


def errors(schema, status=False):
    return [str(error) for error in schema_errors(schema, ROOT, status)]


def obj(**properties):
    return {"type": "object", "properties": properties}


def test_a_structural_schema_is_accepted():
    assert errors(obj(spec=obj(n={"type": "integer", "default": 1}))) == []


def test_every_field_needs_a_type():
    assert errors(obj(spec={"properties": {"n": {"type": "integer"}}})) == [
        f"{ROOT}.properties[spec].type: Required value: must not be empty for specified object "
        "fields"
    ]
    assert errors(obj(list={"type": "array"})) == [
        f"{ROOT}.properties[list].items: Required value: must be specified"
    ]
    assert errors({"properties": {}}) == [
        f"{ROOT}.type: Required value: must not be empty at the root"
    ]


def test_root_rules():
    assert f'{ROOT}.type: Invalid value: "string": must be object at the root' in errors(
        {"type": "string"}
    )
    assert errors({"type": "object", "additionalProperties": {"type": "string"}}) == [
        f"{ROOT}.additionalProperties: Forbidden: must not be used at the root"
    ]
    assert errors(obj(metadata=obj(labels=obj()))) == [
        f"{ROOT}.properties[metadata]: Forbidden: must not specify anything other than name and "
        "generateName, but metadata is implicitly specified"
    ]
    assert errors(obj(metadata=obj(name={"type": "string", "maxLength": 10}))) == []


def test_value_validation_branches_may_not_add_structure():
    schema = obj(n={"type": "integer", "anyOf": [{"type": "integer", "minimum": 1}]})
    assert errors(schema) == [
        f"{ROOT}.properties[n].anyOf[0].type: Forbidden: must be empty to be structural"
    ]
    incomplete = {**obj(spec=obj()), "allOf": [{"properties": {"x": {"minimum": 1}}}]}
    assert errors(incomplete) == [
        f"{ROOT}.properties[x]: Required value: because it is defined in "
        f"{ROOT}.allOf[0].properties[x]"
    ]


def test_openapi_features_crds_do_not_support():
    found = errors(obj(a={"type": "string", "$ref": "#/x"}, b={"type": "null"}))
    assert f"{ROOT}.properties[a].$ref: Forbidden: $ref is not supported" in found
    assert (
        f"{ROOT}.properties[b].type: Forbidden: type cannot be set to null, use nullable as an "
        "alternative"
    ) in found
    assert errors(obj(a={"type": "array", "uniqueItems": True, "items": {"type": "string"}})) == [
        f"{ROOT}.properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since "
        "the runtime complexity becomes quadratic"
    ]
    assert errors(obj(a={"type": "object", "x-kubernetes-preserve-unknown-fields": False})) == [
        f"{ROOT}.properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: false: "
        "must be true or undefined"
    ]


def test_defaults_must_be_valid_and_pruned_and_not_in_metadata():
    assert errors(obj(n={"type": "integer", "default": "one"})) == [
        f'{ROOT}.properties[n].default: Invalid value: "string":  in body must be of type '
        'integer: "string"'
    ]
    assert errors(obj(spec={"type": "object", "default": {"x": 1}})) == [
        f'{ROOT}.properties[spec].default: Invalid value: {{"x":1}}: must not have unknown fields'
    ]
    assert errors(obj(metadata={"type": "object", "default": {}})) == [
        f"{ROOT}.properties[metadata].default: Forbidden: must not be set in top-level metadata"
    ]


def test_list_type_rules():
    found = errors(
        obj(
            ports={
                "type": "array",
                "x-kubernetes-list-type": "map",
                "items": {"type": "object", "properties": {"port": {"type": "integer"}}},
            }
        )
    )
    assert found == [
        f"{ROOT}.properties[ports].x-kubernetes-list-map-keys: Required value: must not be empty "
        "if x-kubernetes-list-type is map"
    ]
    keyed = errors(
        obj(
            ports={
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["port"],
                "items": {"type": "object", "properties": {"port": {"type": "integer"}}},
            }
        )
    )
    assert keyed == [
        f"{ROOT}.properties[ports].items.properties[port].default: Required value: this property "
        "is in x-kubernetes-list-map-keys, so it must have a default or be a required property"
    ]


def test_status_subresource_restricts_the_root():
    assert errors({"type": "object", "anyOf": [{"required": ["spec"]}]}, status=True)[0].startswith(
        f"{ROOT}: Invalid value: "
    )


def test_cel_rules_must_compile_and_be_well_formed():
    broken = obj(
        spec={
            "type": "object",
            "x-kubernetes-validations": [{"rule": "self.a <="}, {"rule": "", "message": "m"}],
        }
    )
    found = errors(broken)
    assert found[0] == (
        f"{ROOT}.properties[spec].x-kubernetes-validations[1].rule: Required value: rule is not "
        "specified"
    )
    assert found[1].startswith(
        f'{ROOT}.properties[spec].x-kubernetes-validations[0].rule: Invalid value: {{"rule":"'
        'self.a <="}: compilation failed: ERROR: <input>:1:'
    )


def test_old_self_needs_a_correlatable_place():
    in_list = obj(
        items={
            "type": "array",
            "items": {
                "type": "string",
                "x-kubernetes-validations": [{"rule": "self == oldSelf"}],
            },
        }
    )
    assert errors(in_list) == [
        f'{ROOT}.properties[items].items.x-kubernetes-validations[0].rule: Invalid value: "self '
        f'== oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within '
        f"{ROOT}.properties[items]"
    ]
