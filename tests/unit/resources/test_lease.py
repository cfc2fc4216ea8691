"""Leases: the HOLDER column and the spec checks."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.lease import LeaseStrategy

STRATEGY = LeaseStrategy()


def lease(**spec) -> dict:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": "kubelab",
            "namespace": "kube-node-lease",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": spec,
    }


def test_row():
    now = datetime(2026, 1, 1, 0, 0, 40, tzinfo=UTC)
    assert STRATEGY.row(lease(holderIdentity="kubelab"), now) == ["kubelab", "kubelab", "40s"]
    assert STRATEGY.row(lease(), now)[1] == ""


def test_validation():
    assert STRATEGY.validate(lease(leaseDurationSeconds=40)) == []
    assert [
        str(e) for e in STRATEGY.validate(lease(leaseDurationSeconds=0, leaseTransitions=-1))
    ] == [
        "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
        "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
    ]
