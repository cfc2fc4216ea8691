"""Namespaces: the kubernetes finalizer, the Active phase, the name label and the row."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.namespace import NamespaceStrategy

STRATEGY = NamespaceStrategy()
NOW = datetime(2026, 1, 1, 0, 0, 45, tzinfo=UTC)


def namespace(**spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "lesson-01", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": spec,
    }


def created(obj: dict) -> dict:
    STRATEGY.default(obj)
    STRATEGY.prepare_for_create(obj)
    return obj


def test_identity():
    assert STRATEGY.short_names == ("ns",)
    assert not STRATEGY.namespaced
    assert STRATEGY.subresources == ("status", "finalize")
    assert "deletecollection" not in STRATEGY.verbs
    assert STRATEGY.name_rule == "label"


def test_create_adds_finalizer_phase_and_name_label():
    obj = created(namespace())
    assert obj["spec"] == {"finalizers": ["kubernetes"]}
    assert obj["status"] == {"phase": "Active"}
    assert obj["metadata"]["labels"] == {"kubernetes.io/metadata.name": "lesson-01"}
    assert STRATEGY.validate(obj) == []


def test_create_ignores_a_client_status_and_keeps_other_finalizers():
    obj = namespace(finalizers=["example.com/cleanup"])
    obj["status"] = {"phase": "Terminating"}
    created(obj)
    assert obj["spec"]["finalizers"] == ["example.com/cleanup", "kubernetes"]
    assert obj["status"] == {"phase": "Active"}


def test_finalizer_names_are_validated():
    obj = created(namespace(finalizers=["cleanup"]))
    assert [str(e) for e in STRATEGY.validate(obj)] == [
        'spec.finalizers: Invalid value: "cleanup": name is neither a standard finalizer name '
        "nor is it fully qualified"
    ]


def test_update_keeps_finalizers_and_status():
    old = created(namespace())
    new = namespace(finalizers=[])
    STRATEGY.default(new)
    STRATEGY.prepare_for_update(new, old)
    assert new["spec"] == {"finalizers": ["kubernetes"]}
    assert new["status"] == {"phase": "Active"}
    assert STRATEGY.validate_update(new, old) == []


def test_status_phase_must_match_deletion():
    old = created(namespace())
    new = created(namespace())
    new["status"] = {"phase": "Terminating"}
    assert [str(e) for e in STRATEGY.validate_status_update(new, old)] == [
        "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if "
        "`deletionTimestamp` is empty"
    ]
    new["metadata"]["deletionTimestamp"] = "2026-01-01T00:01:00Z"
    assert STRATEGY.validate_status_update(new, old) == []


def test_row_and_field_selectors():
    obj = created(namespace())
    assert STRATEGY.row(obj, NOW) == ["lesson-01", "Active", "45s"]
    values = STRATEGY.field_values(obj)
    assert values["status.phase"] == "Active"
    assert values["name"] == "lesson-01"
    assert "metadata.namespace" not in values
