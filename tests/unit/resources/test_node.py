"""Nodes: STATUS and ROLES as kubectl shows them, taints, and what updates may change."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.node import NodeStrategy

STRATEGY = NodeStrategy()
NOW = datetime(2026, 1, 3, tzinfo=UTC)


def node(ready: str | None = "True", **spec) -> dict:
    status: dict = {
        "addresses": [
            {"type": "InternalIP", "address": "192.168.49.2"},
            {"type": "Hostname", "address": "kubelab"},
        ],
        "nodeInfo": {
            "kubeletVersion": "v1.37.0",
            "osImage": "Ubuntu 24.04 LTS",
            "kernelVersion": "6.8.0",
            "containerRuntimeVersion": "containerd://2.1.0",
        },
        "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
    }
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": ready}]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "kubelab",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"node-role.kubernetes.io/control-plane": ""},
        },
        "spec": spec,
        "status": status,
    }


def test_identity():
    assert STRATEGY.short_names == ("no",)
    assert not STRATEGY.namespaced
    assert STRATEGY.subresources == ("status", "proxy")


def test_row_for_a_ready_control_plane_node():
    assert STRATEGY.row(node(), NOW) == [
        "kubelab",
        "Ready",
        "control-plane",
        "2d",
        "v1.37.0",
        "192.168.49.2",
        "<none>",
        "Ubuntu 24.04 LTS",
        "6.8.0",
        "containerd://2.1.0",
    ]


def test_status_cell():
    assert STRATEGY.row(node("False"), NOW)[1] == "NotReady"
    assert STRATEGY.row(node(None), NOW)[1] == "Unknown"
    assert STRATEGY.row(node(unschedulable=True), NOW)[1] == "Ready,SchedulingDisabled"


def test_roles_cell():
    obj = node()
    obj["metadata"]["labels"] = {"kubernetes.io/role": "worker", "node-role.kubernetes.io/gpu": ""}
    assert STRATEGY.row(obj, NOW)[2] == "gpu,worker"
    obj["metadata"]["labels"] = {}
    assert STRATEGY.row(obj, NOW)[2] == "<none>"


def test_create_keeps_status_and_defaults_allocatable():
    obj = node()
    STRATEGY.default(obj)
    STRATEGY.prepare_for_create(obj)
    assert obj["status"]["allocatable"] == obj["status"]["capacity"]
    assert obj["status"]["nodeInfo"]["kubeletVersion"] == "v1.37.0"


def test_taints():
    obj = node(
        taints=[
            {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
            {"key": "dedicated", "value": "other", "effect": "NoSchedule"},
            {"key": "x", "effect": "Sometimes"},
            {"key": "y"},
        ]
    )
    messages = [str(e) for e in STRATEGY.validate(obj)]
    assert messages[0].startswith("metadata.taints[1]: Duplicate value: ")
    assert messages[0].endswith(": taints must be unique by key and effect pair")
    assert messages[1:] == [
        'metadata.taints[2].effect: Unsupported value: "Sometimes": supported values: '
        '"NoSchedule", "PreferNoSchedule", "NoExecute"',
        "metadata.taints[3].effect: Required value",
    ]


def test_pod_cidr_and_provider_cannot_change():
    old = node(podCIDRs=["10.244.0.0/24"], providerID="kind://kubelab")
    new = node(podCIDRs=["10.244.1.0/24"], providerID="other")
    assert [str(e) for e in STRATEGY.validate_update(new, old)] == [
        'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
        'spec.providerID: Forbidden: node updates may not change providerID except from "" to '
        "valid",
    ]
    assert STRATEGY.validate_update(node(unschedulable=True), node()) == []


def test_unschedulable_field_selector():
    assert STRATEGY.field_values(node())["spec.unschedulable"] == "false"
    assert STRATEGY.field_values(node(unschedulable=True))["spec.unschedulable"] == "true"
