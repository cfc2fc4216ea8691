"""ResourceQuotas: the REQUEST/LIMIT columns, resource names and scopes."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.resourcequota import ResourceQuotaStrategy

STRATEGY = ResourceQuotaStrategy()
NOW = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)


def quota(hard: dict, **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {
            "name": "compute",
            "namespace": "lesson-11",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": {"hard": hard, **spec},
    }


def test_identity_and_create_clears_status():
    assert STRATEGY.short_names == ("quota",)
    obj = quota({"pods": "10"})
    obj["status"] = {"used": {"pods": "99"}}
    STRATEGY.prepare_for_create(obj)
    assert obj["status"] == {}
    assert STRATEGY.row(obj, NOW) == ["compute", "", "", "60s"]


def test_row_shows_used_over_hard():
    obj = quota({})
    obj["status"] = {
        "hard": {"pods": "10", "requests.cpu": "1", "limits.memory": "1Gi", "limits.cpu": "2"},
        "used": {"pods": "1", "requests.cpu": "500m", "limits.cpu": "1"},
    }
    assert STRATEGY.row(obj, NOW) == [
        "compute",
        "pods: 1/10, requests.cpu: 500m/1",
        "limits.cpu: 1/2, limits.memory: 0/1Gi",
        "60s",
    ]


def test_resource_names_and_values():
    errors = [str(e) for e in STRATEGY.validate(quota({"pod": "10", "pods": "1.5", "cpu": "-1"}))]
    assert errors == [
        'spec.hard[pod]: Invalid value: "pod": must be a standard resource type or fully qualified',
        'spec.hard[pod]: Invalid value: "pod": must be a standard resource for quota',
        'spec.hard[pods]: Invalid value: "1500m": must be an integer',
        'spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0',
    ]
    fine = quota({"count/deployments.apps": "2", "requests.nvidia.com/gpu": "1", "services": "3"})
    assert STRATEGY.validate(fine) == []


def test_scopes():
    obj = quota({"pods": "1"}, scopes=["BestEffort", "NotBestEffort"])
    assert [str(e) for e in STRATEGY.validate(obj)] == [
        'spec.scopes: Invalid value: ["BestEffort","NotBestEffort"]: conflicting scopes'
    ]
    old = quota({"pods": "1"}, scopes=["BestEffort"])
    new = quota({"pods": "2"})
    assert [str(e) for e in STRATEGY.validate_update(new, old)] == [
        "spec.scopes: Invalid value: []: field is immutable"
    ]
