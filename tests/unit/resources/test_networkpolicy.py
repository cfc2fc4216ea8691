"""NetworkPolicies: defaults, peers, ports and the POD-SELECTOR column."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.networkpolicy import NetworkPolicyStrategy

STRATEGY = NetworkPolicyStrategy()


def policy(**spec) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "db-access",
            "namespace": "lesson-12",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": {"podSelector": {"matchLabels": {"app": "db"}}, **spec},
    }


def messages(obj: dict) -> list[str]:
    STRATEGY.default(obj)
    return [str(e) for e in STRATEGY.validate(obj)]


def test_defaults():
    ingress_only = policy(ingress=[{"ports": [{"port": 5432}]}])
    STRATEGY.default(ingress_only)
    assert ingress_only["spec"]["policyTypes"] == ["Ingress"]
    assert ingress_only["spec"]["ingress"][0]["ports"] == [{"port": 5432, "protocol": "TCP"}]
    both = policy(egress=[{}])
    STRATEGY.default(both)
    assert both["spec"]["policyTypes"] == ["Ingress", "Egress"]


def test_peers():
    obj = policy(
        ingress=[
            {"from": [{}, {"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]},
            {"from": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": ["192.168.0.0/24"]}}]},
        ]
    )
    assert messages(obj) == [
        "spec.ingress[0].from[0]: Required value: must specify a peer",
        "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer",
        'spec.ingress[1].from[0].ipBlock.except[0]: Invalid value: "192.168.0.0/24": must be a '
        "strict subset of `cidr`",
    ]


def test_ports_and_types():
    obj = policy(
        egress=[{"ports": [{"port": 8000, "endPort": 7000}, {"port": "http", "endPort": 90}]}],
        policyTypes=["Egress", "Outbound"],
    )
    assert messages(obj) == [
        "spec.egress[0].ports[0].endPort: Invalid value: 8000: must be greater than or equal to "
        "`port`",
        "spec.egress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is "
        "non-numeric",
        'spec.policyTypes[1]: Unsupported value: "Outbound": supported values: "Ingress", "Egress"',
    ]


def test_row_and_generation():
    assert STRATEGY.short_names == ("netpol",)
    assert STRATEGY.tracks_generation
    now = datetime(2026, 1, 1, 0, 0, 9, tzinfo=UTC)
    assert STRATEGY.row(policy(), now) == ["db-access", "app=db", "9s"]
    assert STRATEGY.row(policy(podSelector={}), now)[1] == "<none>"
