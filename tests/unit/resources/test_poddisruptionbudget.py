"""PodDisruptionBudget and PriorityClass: validation texts, rows and the Priority admission."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kubelab.cluster.resources.poddisruptionbudget import PodDisruptionBudgetStrategy
from kubelab.cluster.resources.priorityclass import (
    SYSTEM_PRIORITY_CLASSES,
    PriorityClassStrategy,
    resolve_pod_priority,
)

PDB = PodDisruptionBudgetStrategy()
PC = PriorityClassStrategy()
NOW = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)


def budget(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec},
    }


def test_pdb_validation() -> None:
    assert PDB.validate(budget(minAvailable="50%")) == []
    assert [str(e) for e in PDB.validate(budget(minAvailable=1, maxUnavailable="120%"))] == [
        'spec: Invalid value: {"MinAvailable":1,"Selector":{"matchLabels":{"app":"web"}},'
        '"MaxUnavailable":"120%","UnhealthyPodEvictionPolicy":null}: minAvailable and '
        "maxUnavailable cannot be both set",
        'spec.maxUnavailable: Invalid value: "120%": must not be greater than 100%',
    ]
    assert [
        str(e) for e in PDB.validate(budget(minAvailable=-1, unhealthyPodEvictionPolicy="Never"))
    ] == [
        "spec.minAvailable: Invalid value: -1: must be greater than or equal to 0",
        'spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": supported values: '
        '"AlwaysAllow", "IfHealthyBudget"',
    ]


def test_pdb_row() -> None:
    obj = budget(minAvailable=2)
    obj["status"] = {"disruptionsAllowed": 1}
    assert PDB.row(obj, NOW) == ["web", "2", "N/A", 1, "30s"]
    assert PDB.row(budget(maxUnavailable="25%"), NOW)[1:4] == ["N/A", "25%", 0]


def priority_class(name: str, value: int, **fields: Any) -> dict[str, Any]:
    obj = {
        "metadata": {"name": name, "creationTimestamp": "2026-01-01T00:00:00Z"},
        "value": value,
        **fields,
    }
    PC.default(obj)
    return obj


def test_priority_class_rules() -> None:
    assert not PC.namespaced and PC.short_names == ("pc",)
    high = priority_class("high", 1000)
    assert high["preemptionPolicy"] == "PreemptLowerPriority"
    assert PC.validate(high) == []
    assert [str(e) for e in PC.validate(priority_class("huge", 2_000_000_000))] == [
        "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"
    ]
    assert [str(e) for e in PC.validate(priority_class("system-mine", 5))] == [
        "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for "
        "system use only. error: system-mine is not a known system priority class"
    ]
    changed = dict(high, value=2000)
    assert [str(e) for e in PC.validate_update(changed, high)] == [
        "value: Forbidden: may not be changed in an update."
    ]


def test_system_classes_pass_their_own_validation() -> None:
    names = [c["metadata"]["name"] for c in SYSTEM_PRIORITY_CLASSES]
    assert names == ["system-node-critical", "system-cluster-critical"]
    assert [c["value"] for c in SYSTEM_PRIORITY_CLASSES] == [2000001000, 2000000000]
    for known in SYSTEM_PRIORITY_CLASSES:
        assert PC.validate(dict(known)) == []
    assert PC.row(priority_class("high", 10), NOW) == [
        "high",
        10,
        False,
        "30s",
        "PreemptLowerPriority",
    ]


def test_pod_priority_resolution() -> None:
    classes = [priority_class("high", 1000), priority_class("default", 5, globalDefault=True)]
    named = {"priorityClassName": "high"}
    assert resolve_pod_priority(named, classes) is None
    assert (named["priority"], named["preemptionPolicy"]) == (1000, "PreemptLowerPriority")
    unnamed: dict[str, Any] = {}
    assert resolve_pod_priority(unnamed, classes) is None
    assert (unnamed["priorityClassName"], unnamed["priority"]) == ("default", 5)
    plain: dict[str, Any] = {}
    assert resolve_pod_priority(plain, []) is None
    assert plain == {"priority": 0, "preemptionPolicy": "PreemptLowerPriority"}
    assert resolve_pod_priority({"priorityClassName": "nope"}, classes) == (
        "no PriorityClass with name nope was found"
    )
    assert resolve_pod_priority({"priorityClassName": "high", "priority": 7}, classes) == (
        "the integer value of priority (7) must not be provided in pod spec; priority admission "
        "controller computed 1000 from the given PriorityClass name"
    )
