"""StatefulSet: defaults, what is validated (and what upstream leaves alone), update limits."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from kubelab.cluster.resources.statefulset import StatefulSetStrategy

STRATEGY = StatefulSetStrategy()


def stateful_set(**spec: Any) -> dict[str, Any]:
    obj = {
        "metadata": {"name": "db", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "db", "image": "postgres:16"}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1024Mi"}},
                    },
                }
            ],
            **spec,
        },
    }
    STRATEGY.default(obj)
    return obj


def errors(obj: dict[str, Any]) -> list[str]:
    return [str(e) for e in STRATEGY.validate(obj)]


def test_identity_and_name_rule() -> None:
    assert (STRATEGY.group, STRATEGY.plural, STRATEGY.short_names) == (
        "apps",
        "statefulsets",
        ("sts",),
    )
    assert STRATEGY.name_rule == "label"
    assert [c.name for c in STRATEGY.columns] == ["Name", "Ready", "Age", "Containers", "Images"]


def test_defaults() -> None:
    spec = stateful_set()["spec"]
    assert spec["replicas"] == 1
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    claim = spec["volumeClaimTemplates"][0]
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert claim["status"] == {"phase": "Pending"}
    assert errors(stateful_set()) == []


def test_pod_spec_is_not_validated_here_but_labels_are() -> None:
    obj = stateful_set()
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = ""
    assert errors(obj) == []
    obj["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    assert errors(obj) == [
        'spec.template.metadata.labels: Invalid value: {"app":"db"}: `selector` does not match '
        "template `labels`"
    ]


def test_policies_and_strategy() -> None:
    obj = stateful_set(podManagementPolicy="Serial", updateStrategy={"type": "Rolling"})
    obj["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] = "Keep"
    assert errors(obj) == [
        "spec.podManagementPolicy: Invalid value: \"Serial\": must be 'OrderedReady' or 'Parallel'",
        'spec.updateStrategy: Invalid value: {"Type":"Rolling","RollingUpdate":null}: must be '
        "'RollingUpdate' or 'OnDelete'",
        'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": '
        'supported values: "Retain", "Delete"',
    ]
    on_delete = stateful_set(updateStrategy={"type": "OnDelete", "rollingUpdate": {"partition": 1}})
    assert errors(on_delete) == [
        'spec.updateStrategy.rollingUpdate: Invalid value: {"Partition":1,"MaxUnavailable":null}: '
        "only allowed for updateStrategy 'RollingUpdate'"
    ]


def test_missing_selector() -> None:
    obj = stateful_set()
    del obj["spec"]["selector"]
    assert errors(obj) == [
        "spec.selector: Required value",
        'spec.template.metadata.labels: Invalid value: {"app":"db"}: `selector` does not match '
        "template `labels`",
    ]


def test_updates_may_change_only_some_fields() -> None:
    old = stateful_set()
    scaled = copy.deepcopy(old)
    scaled["spec"]["replicas"] = 3
    scaled["spec"]["template"]["spec"]["containers"][0]["image"] = "postgres:17"
    assert STRATEGY.validate_update(scaled, old) == []
    resized = copy.deepcopy(old)
    resized["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert [str(e) for e in STRATEGY.validate_update(resized, old)] == [
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', "
        "'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
        "'minReadySeconds' are forbidden"
    ]


def test_row_and_scale_selector() -> None:
    obj = stateful_set(replicas=3)
    obj["status"] = {"readyReplicas": 1}
    now = datetime(2026, 1, 1, 3, 0, 0, tzinfo=UTC)
    assert STRATEGY.row(obj, now) == ["db", "1/3", "3h", "db", "postgres:16"]
    assert STRATEGY.scale_selector(obj) == "app=db"
