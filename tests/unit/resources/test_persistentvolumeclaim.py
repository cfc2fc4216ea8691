"""PersistentVolumeClaims: requirements, what may change after creation, and the printer."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from kubelab.cluster.resources.persistentvolumeclaim import PersistentVolumeClaimStrategy

STRATEGY = PersistentVolumeClaimStrategy()
NOW = datetime(2026, 1, 1, 0, 0, 20, tzinfo=UTC)


def claim(**spec) -> dict:
    base = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": "data",
            "namespace": "lesson-10",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": {**base, **spec},
    }


def created(obj: dict) -> dict:
    STRATEGY.default(obj)
    STRATEGY.prepare_for_create(obj)
    return obj


def bound(obj: dict) -> dict:
    obj["spec"]["volumeName"] = "pv1"
    obj["status"] = {
        "phase": "Bound",
        "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": "1Gi"},
    }
    return obj


def update_errors(new: dict, old: dict) -> list[str]:
    STRATEGY.default(new)
    STRATEGY.prepare_for_update(new, old)
    return [str(e) for e in STRATEGY.validate_update(new, old)]


def test_identity_and_defaults():
    assert STRATEGY.short_names == ("pvc",)
    obj = created(claim())
    assert obj["spec"]["volumeMode"] == "Filesystem"
    assert obj["status"] == {"phase": "Pending"}
    assert STRATEGY.validate(obj) == []


def test_required_fields():
    obj = created(claim(accessModes=[], resources={}))
    assert [str(e) for e in STRATEGY.validate(obj)] == [
        "spec.accessModes: Required value: at least 1 access mode is required",
        "spec.resources[storage]: Required value",
    ]
    zero = created(claim(resources={"requests": {"storage": "0"}}))
    assert [str(e) for e in STRATEGY.validate(zero)] == [
        'spec.resources[storage]: Invalid value: "0": must be greater than zero'
    ]


def test_spec_is_immutable_after_creation():
    old = created(claim())
    new = copy.deepcopy(old)
    new["spec"]["accessModes"] = ["ReadWriteMany"]
    errors = update_errors(new, old)
    assert len(errors) == 1
    assert errors[0].startswith(
        "spec: Forbidden: spec is immutable after creation except resources.requests and "
        "volumeAttributesClassName for bound claims\n"
    )
    assert '- \tAccessModes: ["ReadWriteOnce"],' in errors[0]


def test_an_unbound_claim_cannot_grow():
    old = created(claim())
    new = copy.deepcopy(old)
    new["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert update_errors(new, old)[0].startswith("spec: Forbidden: spec is immutable")


def test_a_bound_claim_can_grow_but_not_shrink_below_its_capacity():
    old = bound(created(claim()))
    grown = copy.deepcopy(old)
    grown["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert update_errors(grown, old) == []
    shrunk = copy.deepcopy(old)
    shrunk["spec"]["resources"]["requests"]["storage"] = "512Mi"
    assert update_errors(shrunk, old) == [
        "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"
    ]


def test_volume_name_and_storage_class_may_be_set_once():
    old = created(claim())
    new = copy.deepcopy(old)
    new["spec"]["volumeName"] = "pv1"
    new["spec"]["storageClassName"] = "standard"
    assert update_errors(new, old) == []
    old = bound(created(claim()))
    new = copy.deepcopy(old)
    new["spec"]["volumeName"] = "pv2"
    assert update_errors(new, old)[0].startswith("spec: Forbidden")


def test_same_size_in_another_unit_is_no_change():
    old = created(claim())
    new = copy.deepcopy(old)
    new["spec"]["resources"]["requests"]["storage"] = "1024Mi"
    assert update_errors(new, old) == []


def test_rows():
    pending = created(claim(storageClassName="standard"))
    assert STRATEGY.row(pending, NOW) == [
        "data",
        "Pending",
        "",
        "",
        "",
        "standard",
        "<unset>",
        "20s",
        "Filesystem",
    ]
    assert STRATEGY.row(bound(pending), NOW)[1:5] == ["Bound", "pv1", "1Gi", "RWO"]
