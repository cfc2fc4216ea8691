"""PersistentVolumes: defaults, the one-source rule, immutable sources and the printer."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from kubelab.cluster.resources.persistentvolume import PersistentVolumeStrategy

STRATEGY = PersistentVolumeStrategy()
NOW = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)


def volume(**spec) -> dict:
    base = {
        "capacity": {"storage": "1Gi"},
        "accessModes": ["ReadWriteOnce"],
        "hostPath": {"path": "/data/pv1"},
    }
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "pv1", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {**base, **spec},
    }


def created(obj: dict) -> dict:
    STRATEGY.default(obj)
    STRATEGY.prepare_for_create(obj)
    return obj


def messages(obj: dict) -> list[str]:
    return [str(e) for e in STRATEGY.validate(obj)]


def test_identity():
    assert STRATEGY.short_names == ("pv",)
    assert not STRATEGY.namespaced
    assert not STRATEGY.tracks_generation


def test_defaults_and_pending_status():
    obj = created(volume())
    assert obj["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert obj["spec"]["volumeMode"] == "Filesystem"
    assert obj["spec"]["hostPath"] == {"path": "/data/pv1", "type": ""}
    assert obj["status"] == {"phase": "Pending", "lastPhaseTransitionTime": "2026-01-01T00:00:00Z"}
    assert messages(obj) == []


def test_required_fields():
    obj = created(volume(capacity=None, accessModes=None))
    assert messages(obj) == [
        "spec.accessModes: Required value",
        "spec.capacity: Required value",
        'spec.capacity: Unsupported value: null: supported values: "storage"',
    ]


def test_capacity_must_be_positive_storage():
    assert messages(created(volume(capacity={"storage": "0"}))) == [
        'spec.capacity[storage]: Invalid value: "0": must be greater than zero'
    ]


def test_exactly_one_source():
    none = created(volume(hostPath=None))
    assert messages(none) == ["spec: Required value: must specify a volume type"]
    two = created(volume(nfs={"server": "nfs.example", "path": "/exports"}))
    assert messages(two) == ["spec.nfs: Forbidden: may not specify more than 1 volume type"]
    assert messages(created(volume(hostPath={"path": ""}))) == [
        "spec.hostPath.path: Required value"
    ]


def test_modes_and_policies():
    obj = created(
        volume(
            accessModes=["ReadWriteOnce", "ReadWriteOncePod"], persistentVolumeReclaimPolicy="Keep"
        )
    )
    assert messages(obj) == [
        "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes",
        'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: '
        '"Delete", "Recycle", "Retain"',
    ]
    assert messages(created(volume(accessModes=["RWO"]))) == [
        'spec.accessModes: Unsupported value: "RWO": supported values: "ReadOnlyMany", '
        '"ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"'
    ]


def test_local_volumes_need_node_affinity():
    obj = created(volume(hostPath=None, local={"path": "/mnt/disk"}))
    assert messages(obj) == [
        "spec.nodeAffinity: Required value: Local volume requires node affinity"
    ]


def test_the_source_is_immutable():
    old = created(volume())
    new = copy.deepcopy(old)
    new["spec"]["hostPath"]["path"] = "/data/other"
    errors = [str(e) for e in STRATEGY.validate_update(new, old)]
    assert len(errors) == 1
    assert errors[0].startswith(
        "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after "
        "creation\n  core.PersistentVolumeSource{\n"
    )
    resized = copy.deepcopy(old)
    resized["spec"]["capacity"] = {"storage": "2Gi"}
    assert STRATEGY.validate_update(resized, old) == []


def test_rows():
    obj = created(volume(storageClassName="manual"))
    assert STRATEGY.row(obj, NOW) == [
        "pv1",
        "1Gi",
        "RWO",
        "Retain",
        "Pending",
        "",
        "manual",
        "<unset>",
        "",
        "5m",
        "Filesystem",
    ]
    obj["spec"]["claimRef"] = {"namespace": "lesson-10", "name": "data"}
    obj["spec"]["accessModes"] = ["ReadWriteMany", "ReadWriteOnce"]
    obj["status"] = {"phase": "Bound"}
    obj["metadata"]["annotations"] = {"volume.beta.kubernetes.io/storage-class": "legacy"}
    assert STRATEGY.row(obj, NOW)[2:7] == ["RWO,RWX", "Retain", "Bound", "lesson-10/data", "legacy"]
    obj["metadata"]["deletionTimestamp"] = "2026-01-01T00:04:00Z"
    assert STRATEGY.row(obj, NOW)[4] == "Terminating"
