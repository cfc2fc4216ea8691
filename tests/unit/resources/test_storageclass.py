"""StorageClasses: defaults, the (default) marker and what updates may not touch."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.storageclass import StorageClassStrategy

STRATEGY = StorageClassStrategy()
NOW = datetime(2026, 1, 1, 0, 3, tzinfo=UTC)


def storage_class(**fields) -> dict:
    obj = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "standard", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "provisioner": "k8s.io/minikube-hostpath",
        **fields,
    }
    STRATEGY.default(obj)
    return obj


def test_identity_and_defaults():
    assert STRATEGY.short_names == ("sc",)
    assert not STRATEGY.namespaced
    obj = storage_class()
    assert obj["reclaimPolicy"] == "Delete"
    assert obj["volumeBindingMode"] == "Immediate"
    assert STRATEGY.validate(obj) == []


def test_row_marks_the_default_class():
    obj = storage_class()
    assert STRATEGY.row(obj, NOW) == [
        "standard",
        "k8s.io/minikube-hostpath",
        "Delete",
        "Immediate",
        False,
        "3m",
    ]
    obj["metadata"]["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
    assert STRATEGY.row(obj, NOW)[0] == "standard (default)"


def test_validation():
    obj = storage_class(provisioner="", reclaimPolicy="Recycle", volumeBindingMode="Lazy")
    assert [str(e) for e in STRATEGY.validate(obj)] == [
        "provisioner: Required value",
        'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
        'volumeBindingMode: Unsupported value: "Lazy": supported values: "Immediate", '
        '"WaitForFirstConsumer"',
    ]


def test_updates():
    old = storage_class(parameters={"type": "ssd"})
    new = storage_class(
        provisioner="example.com/other",
        parameters={"type": "hdd"},
        reclaimPolicy="Retain",
        volumeBindingMode="WaitForFirstConsumer",
        allowVolumeExpansion=True,
    )
    assert [str(e) for e in STRATEGY.validate_update(new, old)] == [
        "parameters: Forbidden: updates to parameters are forbidden.",
        "provisioner: Forbidden: updates to provisioner are forbidden.",
        "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
        'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable',
    ]
    expandable = storage_class(parameters={"type": "ssd"}, allowVolumeExpansion=True)
    assert STRATEGY.validate_update(expandable, old) == []
