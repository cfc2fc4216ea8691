"""DaemonSet and ControllerRevision: defaults, update strategy rules, template generation, rows."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from kubelab.cluster.resources.controllerrevision import ControllerRevisionStrategy
from kubelab.cluster.resources.daemonset import TEMPLATE_GENERATION_ANNOTATION, DaemonSetStrategy

DS = DaemonSetStrategy()
CR = ControllerRevisionStrategy()
NOW = datetime(2026, 1, 2, 0, 0, 0, tzinfo=UTC)


def daemon_set(**spec: Any) -> dict[str, Any]:
    obj = {
        "metadata": {"name": "agent", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {
                    "nodeSelector": {"disk": "ssd"},
                    "containers": [{"name": "agent", "image": "fluentd"}],
                },
            },
            **spec,
        },
    }
    DS.default(obj)
    return obj


def errors(obj: dict[str, Any]) -> list[str]:
    return [str(e) for e in DS.validate(obj)]


def test_defaults() -> None:
    spec = daemon_set()["spec"]
    assert spec["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert errors(daemon_set()) == []


def test_missing_selector_only_reports_the_mismatch() -> None:
    obj = daemon_set()
    del obj["spec"]["selector"]
    assert errors(obj) == [
        'spec.template.metadata.labels: Invalid value: {"app":"agent"}: `selector` does not match '
        "template `labels`"
    ]
    assert errors(daemon_set(selector={})) == [
        "spec.selector: Invalid value: {}: empty selector is invalid for daemonset"
    ]


def test_rolling_update_needs_exactly_one_non_zero() -> None:
    both = daemon_set(
        updateStrategy={
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1},
        }
    )
    assert errors(both) == [
        "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when "
        "maxUnavailable is non-zero"
    ]
    none = daemon_set(
        updateStrategy={
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0},
        }
    )
    assert errors(none) == [
        "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when "
        "maxSurge is 0"
    ]
    assert errors(daemon_set(updateStrategy={"type": "Recreate"})) == [
        'spec.updateStrategy: Unsupported value: {"Type":"Recreate","RollingUpdate":null}: '
        'supported values: "RollingUpdate", "OnDelete"'
    ]


def test_template_generation_annotation() -> None:
    obj = daemon_set()
    DS.prepare_for_create(obj)
    assert obj["metadata"]["annotations"][TEMPLATE_GENERATION_ANNOTATION] == "1"
    relabeled = copy.deepcopy(obj)
    relabeled["metadata"]["labels"] = {"team": "ops"}
    relabeled["metadata"]["annotations"][TEMPLATE_GENERATION_ANNOTATION] = "7"
    DS.prepare_for_update(relabeled, obj)
    assert relabeled["metadata"]["annotations"][TEMPLATE_GENERATION_ANNOTATION] == "1"
    updated = copy.deepcopy(obj)
    updated["spec"]["template"]["spec"]["containers"][0]["image"] = "fluentd:2"
    DS.prepare_for_update(updated, obj)
    assert updated["metadata"]["annotations"][TEMPLATE_GENERATION_ANNOTATION] == "2"


def test_selector_is_immutable() -> None:
    old = daemon_set()
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "agent", "v": "2"}}
    new["spec"]["template"]["metadata"]["labels"]["v"] = "2"
    assert [str(e) for e in DS.validate_update(new, old)] == [
        'spec.selector: Invalid value: {"matchLabels":{"app":"agent","v":"2"}}: field is immutable'
    ]


def test_daemonset_row() -> None:
    obj = daemon_set()
    obj["status"] = {
        "desiredNumberScheduled": 3,
        "currentNumberScheduled": 3,
        "numberReady": 2,
        "updatedNumberScheduled": 3,
        "numberAvailable": 2,
    }
    assert DS.row(obj, NOW) == [
        "agent",
        3,
        3,
        2,
        3,
        2,
        "disk=ssd",
        "24h",
        "agent",
        "fluentd",
        "app=agent",
    ]


def test_controller_revision() -> None:
    revision = {
        "metadata": {
            "name": "agent-6d4b",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "controller": True}
            ],
        },
        "data": {"spec": {}},
        "revision": 2,
    }
    assert CR.validate(revision) == []
    assert CR.row(revision, NOW) == ["agent-6d4b", "daemonset.apps/agent", 2, "24h"]
    changed = copy.deepcopy(revision)
    changed["data"] = {"spec": {"x": 1}}
    assert [str(e) for e in CR.validate_update(changed, revision)] == [
        'data: Invalid value: {"spec":{"x":1}}: field is immutable'
    ]
    assert [str(e) for e in CR.validate({"metadata": {"name": "x"}, "revision": -1})] == [
        "data: Required value: data is mandatory",
        "revision: Invalid value: -1: must be greater than or equal to 0",
    ]
    orphan = {"metadata": {"name": "x", "creationTimestamp": "2026-01-01T00:00:00Z"}, "revision": 1}
    assert CR.row(orphan, NOW)[1] == "<none>"
