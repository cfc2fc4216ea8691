"""LimitRanges: container defaults, the ordering of min/default/max and the default table."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.limitrange import LimitRangeStrategy

STRATEGY = LimitRangeStrategy()


def limit_range(*limits: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {
            "name": "defaults",
            "namespace": "lesson-11",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": {"limits": list(limits)},
    }


def messages(obj: dict) -> list[str]:
    STRATEGY.default(obj)
    return [str(e) for e in STRATEGY.validate(obj)]


def test_container_defaults_are_filled_in():
    obj = limit_range({"type": "Container", "max": {"cpu": "1"}, "min": {"memory": "64Mi"}})
    STRATEGY.default(obj)
    limit = obj["spec"]["limits"][0]
    assert limit["default"] == {"cpu": "1"}
    assert limit["defaultRequest"] == {"cpu": "1", "memory": "64Mi"}
    assert STRATEGY.validate(obj) == []


def test_min_may_not_exceed_max():
    obj = limit_range({"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}})
    assert (
        'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1'
        in (messages(obj))
    )


def test_default_request_may_not_exceed_default():
    obj = limit_range(
        {"type": "Container", "default": {"memory": "128Mi"}, "defaultRequest": {"memory": "256Mi"}}
    )
    assert messages(obj) == [
        'spec.limits[0].defaultRequest[memory]: Invalid value: "256Mi": default request value '
        "256Mi is greater than default limit value 128Mi"
    ]


def test_types_and_resource_names():
    obj = limit_range(
        {"type": "Pod", "default": {"cpu": "1"}},
        {"type": "Node", "max": {"cpu": "1"}},
        {"type": "Container", "max": {"storage": "1Gi"}},
        {"type": "Container"},
    )
    assert messages(obj) == [
        "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
        'spec.limits[1].type: Invalid value: "Node": must be a standard limit type or fully '
        "qualified",
        'spec.limits[2].max[storage]: Invalid value: "storage": must be a standard resource for '
        "containers",
        'spec.limits[2].default[storage]: Invalid value: "storage": must be a standard resource '
        "for containers",
        'spec.limits[2].defaultRequest[storage]: Invalid value: "storage": must be a standard '
        "resource for containers",
        'spec.limits[3].type: Duplicate value: "Container"',
    ]


def test_claim_limits_need_min_or_max_storage():
    assert messages(limit_range({"type": "PersistentVolumeClaim"})) == [
        "spec.limits[0].limits: Required value: either minimum or maximum storage value is "
        "required, but neither was provided"
    ]


def test_default_table():
    assert STRATEGY.short_names == ("limits",)
    assert [c.name for c in STRATEGY.columns] == ["Name", "Created At"]
    assert STRATEGY.columns[1].type == "date"
    row = STRATEGY.row(limit_range(), datetime(2026, 1, 2, tzinfo=UTC))
    assert row == ["defaults", "2026-01-01T00:00:00Z"]


def test_every_ordering_rule_names_the_field_and_both_values():
    """min <= defaultRequest <= default <= max, each pair reported as ValidateLimitRange does,
    in its order (defaulting leaves the given values alone)."""
    obj = limit_range(
        {
            "type": "Container",
            "min": {"cpu": "4"},
            "defaultRequest": {"cpu": "3"},
            "default": {"cpu": "2"},
            "max": {"cpu": "1"},
        }
    )
    prefix = "spec.limits[0]."
    assert messages(obj) == [
        f'{prefix}min[cpu]: Invalid value: "4": min value 4 is greater than max value 1',
        f'{prefix}defaultRequest[cpu]: Invalid value: "3": min value 4 is greater than default '
        "request value 3",
        f'{prefix}defaultRequest[cpu]: Invalid value: "3": default request value 3 is greater '
        "than max value 1",
        f'{prefix}defaultRequest[cpu]: Invalid value: "3": default request value 3 is greater '
        "than default limit value 2",
        f'{prefix}default[cpu]: Invalid value: "4": min value 4 is greater than default value 2',
        f'{prefix}default[cpu]: Invalid value: "1": default value 2 is greater than max value 1',
    ]
