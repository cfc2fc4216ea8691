"""The CustomResourceDefinition kind: defaults, validation, status, deletion and its table."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from kubelab.cluster.resources.customresourcedefinition import (
    CLEANUP_FINALIZER,
    CustomResourceDefinitionStrategy,
    condition,
    set_condition,
)

STRATEGY = CustomResourceDefinitionStrategy()
NOW = datetime(2026, 1, 1, 0, 1, 0, tzinfo=UTC)


def crd(**spec_changes) -> dict:
    spec = {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object"}},
            }
        ],
    }
    spec.update(spec_changes)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": spec,
    }


def created(obj: dict) -> dict:
    STRATEGY.default(obj)
    STRATEGY.prepare_for_create(obj)
    return obj


def errors(obj: dict, old: dict | None = None) -> list[str]:
    found = STRATEGY.validate(obj) if old is None else STRATEGY.validate_update(obj, old)
    return [str(error) for error in found]


def test_identity():
    assert STRATEGY.group == "apiextensions.k8s.io"
    assert STRATEGY.short_names == ("crd", "crds")
    assert STRATEGY.categories == ("api-extensions",)
    assert not STRATEGY.namespaced
    assert STRATEGY.subresources == ("status",)


def test_defaults_and_initial_status():
    obj = created(crd())
    assert obj["spec"]["names"]["singular"] == "widget"
    assert obj["spec"]["names"]["listKind"] == "WidgetList"
    assert obj["spec"]["conversion"] == {"strategy": "None"}
    assert obj["status"] == {
        "acceptedNames": {"kind": "", "plural": ""},
        "conditions": None,
        "storedVersions": ["v1"],
    }
    assert errors(obj) == []


def test_name_must_be_plural_dot_group():
    obj = created(crd())
    obj["metadata"]["name"] = "gadgets.example.com"
    assert errors(obj) == [
        'metadata.name: Invalid value: "gadgets.example.com": must be '
        'spec.names.plural+"."+spec.group'
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"group": "example"},
            'spec.group: Invalid value: "example": should be a domain with at least one dot',
        ),
        (
            {"scope": "Global"},
            'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
        ),
        ({"scope": ""}, "spec.scope: Required value"),
    ],
)
def test_group_and_scope(change, expected):
    obj = created(crd(**change))
    if "group" in change:
        obj["metadata"]["name"] = f"widgets.{change['group']}"
    assert expected in errors(obj)


def test_exactly_one_storage_version_and_a_schema_for_each():
    obj = created(crd())
    obj["spec"]["versions"].append({"name": "v2", "served": True, "storage": True})
    found = errors(obj)
    assert "spec.versions[1].schema.openAPIV3Schema: Required value" in found
    assert any(e.endswith("must have exactly one version marked as storage version") for e in found)


def test_names_rules():
    obj = created(crd(names={"plural": "widgets", "kind": "Widget", "listKind": "Widget"}))
    assert (
        'spec.names.listKind: Invalid value: "Widget": kind and listKind may not be the same'
        in (errors(obj))
    )
    bad_short = created(crd(names={"plural": "widgets", "kind": "Widget", "shortNames": ["W!"]}))
    assert any(
        e.startswith('spec.names.shortNames[0]: Invalid value: "W!": a DNS-1035 label')
        for e in errors(bad_short)
    )


def test_printer_columns_and_scale_paths():
    obj = created(crd())
    version = obj["spec"]["versions"][0]
    version["additionalPrinterColumns"] = [{"name": "X", "type": "text", "jsonPath": "spec.x"}]
    version["subresources"] = {"scale": {"specReplicasPath": ".status.n", "statusReplicasPath": ""}}
    assert errors(obj) == [
        'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".status.n": '
        "should be a json path under .spec",
        "spec.versions[0].subresources.scale.statusReplicasPath: Required value",
        'spec.versions[0].additionalPrinterColumns[0].type: Invalid value: "text": must be one '
        "of boolean,date,integer,number,string",
        'spec.versions[0].additionalPrinterColumns[0].JSONPath: Invalid value: "spec.x": must be '
        "a simple json path starting with .",
    ]


def test_protected_groups_need_api_approval():
    obj = created(crd(group="widgets.k8s.io"))
    obj["metadata"]["name"] = "widgets.widgets.k8s.io"
    [error] = errors(obj)
    assert error.startswith(
        "metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups "
        'must have approval annotation "api-approved.kubernetes.io"'
    )
    obj["metadata"]["annotations"] = {"api-approved.kubernetes.io": "unapproved, testing"}
    assert errors(obj) == []


def test_updates_keep_group_plural_and_once_established_scope_and_kind():
    old = created(crd())
    set_condition(old, {"type": "Established", "status": "True", "reason": "x", "message": ""}, "t")
    new = copy.deepcopy(old)
    new["spec"]["group"] = "other.com"
    new["spec"]["scope"] = "Cluster"
    found = errors(new, old)
    assert 'spec.scope: Invalid value: "Cluster": field is immutable' in found
    assert 'spec.group: Invalid value: "other.com": field is immutable' in found


def test_updates_keep_status_and_record_new_storage_versions():
    old = created(crd())
    old["status"]["conditions"] = [{"type": "Established", "status": "True"}]
    new = copy.deepcopy(old)
    new["status"] = {}
    new["spec"]["versions"][0]["storage"] = False
    new["spec"]["versions"].append(
        {
            "name": "v2",
            "served": True,
            "storage": True,
            "schema": {"openAPIV3Schema": {"type": "object"}},
        }
    )
    STRATEGY.prepare_for_update(new, old)
    assert new["status"]["conditions"] == [{"type": "Established", "status": "True"}]
    assert new["status"]["storedVersions"] == ["v1", "v2"]


def test_deletion_adds_the_cleanup_finalizer_and_terminating_condition():
    obj = created(crd())
    assert STRATEGY.deletion_blocked(obj)
    obj["metadata"].update(deletionTimestamp="2026-01-01T00:01:00Z", deletionGracePeriodSeconds=0)
    STRATEGY.on_delete(obj)
    assert obj["metadata"]["finalizers"] == [CLEANUP_FINALIZER]
    assert "deletionGracePeriodSeconds" not in obj["metadata"]
    terminating = condition(obj, "Terminating")
    assert terminating["reason"] == "InstanceDeletionPending"
    assert terminating["message"] == (
        "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon"
    )
    assert not STRATEGY.deletion_blocked(obj)


def test_conditions_keep_their_transition_time_until_the_status_changes():
    obj = {}
    set_condition(obj, {"type": "A", "status": "True", "reason": "r", "message": "m"}, "t1")
    set_condition(obj, {"type": "A", "status": "True", "reason": "r2", "message": "m2"}, "t2")
    assert condition(obj, "A")["lastTransitionTime"] == "t1"
    set_condition(obj, {"type": "A", "status": "False", "reason": "r3", "message": "m3"}, "t3")
    assert condition(obj, "A") == {
        "type": "A",
        "status": "False",
        "reason": "r3",
        "message": "m3",
        "lastTransitionTime": "t3",
    }


def test_row_and_columns():
    obj = created(crd())
    obj["spec"]["versions"].append({"name": "v1beta1", "served": True, "storage": False})
    names = [column.name for column in STRATEGY.columns]
    assert names == [
        "Name",
        "Scope",
        "Versions",
        "Created At",
        "Group",
        "Kind",
        "ShortNames",
        "Established",
    ]
    assert STRATEGY.row(obj, NOW) == [
        "widgets.example.com",
        "Namespaced",
        "v1(storage),v1beta1",
        "2026-01-01T00:00:00Z",
        "example.com",
        "Widget",
        "wd",
        False,
    ]


def test_warnings_name_unrecognized_formats():
    obj = created(crd())
    obj["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = {
        "type": "object",
        "properties": {"a": {"type": "string", "format": "colour"}},
    }
    assert STRATEGY.warnings(obj) == ['unrecognized format "colour"']
