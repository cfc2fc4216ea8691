"""Deployment: defaults, the selector rules, strategy checks, the row and the scale selector."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from kubelab.cluster.api.errors import invalid_object
from kubelab.cluster.resources.deployment import DeploymentStrategy

STRATEGY = DeploymentStrategy()


def deployment(**spec: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {
            "name": "web",
            "namespace": "lesson-05",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
            **spec,
        },
    }
    STRATEGY.default(obj)
    return obj


def errors(obj: dict[str, Any]) -> list[str]:
    return [str(e) for e in STRATEGY.validate(obj)]


def test_identity() -> None:
    assert (STRATEGY.group, STRATEGY.version, STRATEGY.plural) == ("apps", "v1", "deployments")
    assert STRATEGY.short_names == ("deploy",)
    assert STRATEGY.subresources == ("status", "scale")
    assert [c.name for c in STRATEGY.columns] == [
        "Name",
        "Ready",
        "Up-to-date",
        "Available",
        "Age",
        "Containers",
        "Images",
        "Selector",
    ]


def test_defaults() -> None:
    spec = deployment()["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    assert errors(deployment()) == []


def test_recreate_gets_no_rolling_update_defaults() -> None:
    spec = deployment(strategy={"type": "Recreate"})["spec"]
    assert spec["strategy"] == {"type": "Recreate"}


def test_missing_selector_gives_both_upstream_errors() -> None:
    obj = deployment()
    del obj["spec"]["selector"]
    error = invalid_object("apps", "Deployment", "web", STRATEGY.validate(obj))
    assert error.message == (
        'Deployment.apps "web" is invalid: [spec.selector: Required value, '
        'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not '
        "match template `labels`]"
    )


def test_selector_must_match_template_labels() -> None:
    obj = deployment(selector={"matchLabels": {"app": "x"}})
    assert errors(obj) == [
        'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match '
        "template `labels`"
    ]


def test_empty_and_unconvertible_selectors() -> None:
    assert errors(deployment(selector={})) == [
        "spec.selector: Invalid value: {}: empty selector is invalid for deployment"
    ]
    bad = {"matchExpressions": [{"key": "app", "operator": "In", "values": []}]}
    assert errors(deployment(selector=bad)) == [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when "
        "`operator` is 'In' or 'NotIn'",
        'spec.selector: Invalid value: {"matchExpressions":[{"key":"app","operator":"In",'
        '"values":[]}]}: invalid label selector',
    ]


def test_template_must_restart_always() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    obj["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 10
    assert errors(obj) == [
        'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: '
        '"Always"',
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in "
        "ReplicaSet is not Supported",
    ]


def test_template_pod_spec_is_validated() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = ""
    assert errors(obj) == ["spec.template.spec.containers[0].image: Required value"]


def test_replicas_strategy_and_deadlines() -> None:
    obj = deployment(
        replicas=-1,
        minReadySeconds=700,
        strategy={
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"},
        },
    )
    assert errors(obj) == [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when '
        "`maxSurge` is 0",
        "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds",
    ]


def test_bad_percentages_and_strategy_types() -> None:
    obj = deployment(
        strategy={
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "25", "maxUnavailable": "150%"},
        }
    )
    assert errors(obj) == [
        'spec.strategy.rollingUpdate.maxSurge: Invalid value: "25": a valid percent string '
        "must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used "
        "for validation is '[0-9]+%')",
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater '
        "than 100%",
    ]
    assert errors(deployment(strategy={"type": "recreate"})) == [
        'spec.strategy: Unsupported value: {"Type":"recreate","RollingUpdate":null}: supported '
        'values: "Recreate", "RollingUpdate"'
    ]
    assert errors(deployment(strategy={"type": "Recreate", "rollingUpdate": {}})) == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is "
        "'Recreate'"
    ]


def test_selector_is_immutable() -> None:
    old = deployment()
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "web2"}}
    new["spec"]["template"]["metadata"]["labels"] = {"app": "web2"}
    assert [str(e) for e in STRATEGY.validate_update(new, old)] == [
        'spec.selector: Invalid value: {"matchLabels":{"app":"web2"}}: field is immutable'
    ]
    scaled = copy.deepcopy(old)
    scaled["spec"]["replicas"] = 5
    assert STRATEGY.validate_update(scaled, old) == []


def test_row_and_scale_selector() -> None:
    obj = deployment(replicas=3)
    obj["status"] = {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}
    now = datetime(2026, 1, 1, 0, 2, 30, tzinfo=UTC)
    assert STRATEGY.row(obj, now) == ["web", "2/3", 3, 2, "2m30s", "web", "nginx:1.27", "app=web"]
    assert STRATEGY.scale_selector(obj) == "app=web"


def test_template_warnings() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"memory": "0.5"}}
    assert STRATEGY.warnings(obj) == [
        "spec.template.spec.containers[0].resources.requests[memory]: fractional byte value "
        '"500m" is invalid, must be an integer'
    ]
