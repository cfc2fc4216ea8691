"""EndpointSlices: PORTS and ENDPOINTS columns, port defaults and validation."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.endpointslice import EndpointSliceStrategy

STRATEGY = EndpointSliceStrategy()
NOW = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)


def endpoint_slice(addresses: list[str], **extra) -> dict:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "web-abcde",
            "namespace": "lesson-05",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [a], "conditions": {"ready": True}} for a in addresses],
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
        **extra,
    }


def test_identity():
    assert STRATEGY.api_version == "discovery.k8s.io/v1"
    assert STRATEGY.tracks_generation


def test_row():
    obj = endpoint_slice(["10.244.0.5", "10.244.0.6", "10.244.0.7", "10.244.0.8"])
    assert STRATEGY.row(obj, NOW) == [
        "web-abcde",
        "IPv4",
        "80",
        "10.244.0.5,10.244.0.6,10.244.0.7 + 1 more...",
        "30s",
    ]
    empty = endpoint_slice([], ports=[])
    assert STRATEGY.row(empty, NOW)[2:4] == ["<unset>", "<unset>"]


def test_port_defaults():
    obj = endpoint_slice([], ports=[{"port": 80}])
    STRATEGY.default(obj)
    assert obj["ports"] == [{"port": 80, "name": "", "protocol": "TCP"}]


def test_validation():
    obj = endpoint_slice(["10.244.0.5", "fd00::1"], addressType="IPv4")
    obj["endpoints"].append({"addresses": []})
    assert [str(e) for e in STRATEGY.validate(obj)] == [
        'endpoints[1].addresses[0]: Invalid value: "fd00::1": must be an IPv4 address',
        "endpoints[2].addresses: Required value: must contain at least 1 address",
    ]
    assert [str(e) for e in STRATEGY.validate(endpoint_slice([], addressType="IP"))] == [
        'addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"'
    ]


def test_address_type_is_immutable():
    old = endpoint_slice(["10.244.0.5"])
    new = endpoint_slice([], addressType="IPv6")
    assert [str(e) for e in STRATEGY.validate_update(new, old)] == [
        'addressType: Invalid value: "IPv6": field is immutable'
    ]
