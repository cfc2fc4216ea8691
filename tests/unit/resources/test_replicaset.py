"""ReplicaSet and ReplicationController: selectors, templates, rows and field selectors."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from kubelab.cluster.resources.replicaset import ReplicaSetStrategy
from kubelab.cluster.resources.replicationcontroller import ReplicationControllerStrategy

RS = ReplicaSetStrategy()
RC = ReplicationControllerStrategy()
NOW = datetime(2026, 1, 1, 0, 0, 45, tzinfo=UTC)
TEMPLATE = {
    "metadata": {"labels": {"app": "web", "tier": "front"}},
    "spec": {"containers": [{"name": "web", "image": "nginx"}]},
}


def replica_set(**spec: Any) -> dict[str, Any]:
    obj = {
        "metadata": {"name": "web", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": copy.deepcopy(TEMPLATE),
            **spec,
        },
    }
    RS.default(obj)
    return obj


def controller(**spec: Any) -> dict[str, Any]:
    obj = {
        "metadata": {"name": "web", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"template": copy.deepcopy(TEMPLATE), **spec},
    }
    RC.default(obj)
    return obj


def test_replicaset_defaults_and_validation() -> None:
    obj = replica_set()
    assert obj["spec"]["replicas"] == 1
    assert RS.validate(obj) == []
    assert [str(e) for e in RS.validate(replica_set(selector={}))] == [
        # Upstream's ReplicaSet check names deployments too.
        "spec.selector: Invalid value: {}: empty selector is invalid for deployment"
    ]


def test_replicaset_selector_is_immutable_and_mismatch_reported() -> None:
    old = replica_set()
    new = copy.deepcopy(old)
    new["spec"]["selector"]["matchLabels"]["tier"] = "back"
    assert [str(e) for e in RS.validate_update(new, old)] == [
        'spec.template.metadata.labels: Invalid value: {"app":"web","tier":"front"}: `selector` '
        "does not match template `labels`",
        'spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"back"}}: field is '
        "immutable",
    ]


def test_replicaset_row_and_fields() -> None:
    obj = replica_set(replicas=3)
    obj["status"] = {"replicas": 3, "readyReplicas": 1}
    assert RS.row(obj, NOW) == ["web", 3, 3, 1, "45s", "web", "nginx", "app=web"]
    assert RS.field_values(obj)["status.replicas"] == "3"
    assert RS.field_values(replica_set())["status.replicas"] == "0"
    assert RS.scale_selector(obj) == "app=web"


def test_replication_controller_defaults_selector_and_labels_from_template() -> None:
    obj = controller()
    assert obj["spec"]["selector"] == {"app": "web", "tier": "front"}
    assert obj["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert obj["spec"]["replicas"] == 1
    assert RC.validate(obj) == []
    assert RC.scale_selector(obj) == "app=web,tier=front"
    assert RC.default_propagation_policy == "Orphan"


def test_replication_controller_selector_must_match() -> None:
    obj = controller(selector={"app": "other"})
    assert [str(e) for e in RC.validate(obj)] == [
        'spec.template.metadata.labels: Invalid value: {"app":"web","tier":"front"}: `selector` '
        "does not match template `labels`"
    ]
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert str(RC.validate(obj)[-1]) == (
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'
    )


def test_replication_controller_row() -> None:
    obj = controller()
    obj["status"] = {"replicas": 1, "readyReplicas": 1}
    assert RC.row(obj, NOW) == ["web", 1, 1, 1, "45s", "web", "nginx", "app=web,tier=front"]
