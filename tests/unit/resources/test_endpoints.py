"""v1 Endpoints: the ENDPOINTS column, defaults, validation and the deprecation warning."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.endpoints import DEPRECATION_WARNING, EndpointsStrategy

STRATEGY = EndpointsStrategy()
NOW = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)


def endpoints(*subsets: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": "web",
            "namespace": "lesson-05",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "subsets": list(subsets),
    }


def addresses(*ips: str) -> list[dict]:
    return [{"ip": ip} for ip in ips]


def test_endpoints_column():
    three = endpoints({"addresses": addresses("10.244.0.5", "10.244.0.6"), "ports": [{"port": 80}]})
    assert STRATEGY.row(three, NOW) == ["web", "10.244.0.5:80,10.244.0.6:80", "60s"]
    many = endpoints(
        {
            "addresses": addresses("10.244.0.5", "10.244.0.6", "10.244.0.7", "10.244.0.8"),
            "ports": [{"port": 80}],
        }
    )
    assert STRATEGY.row(many, NOW)[1] == "10.244.0.5:80,10.244.0.6:80,10.244.0.7:80 + 1 more..."
    assert STRATEGY.row(endpoints(), NOW)[1] == "<none>"
    headless = endpoints({"addresses": addresses("10.244.0.5")})
    assert STRATEGY.row(headless, NOW)[1] == "10.244.0.5"


def test_port_protocol_defaults_to_tcp():
    obj = endpoints({"addresses": addresses("10.244.0.5"), "ports": [{"port": 80}]})
    STRATEGY.default(obj)
    assert obj["subsets"][0]["ports"] == [{"port": 80, "protocol": "TCP"}]


def test_validation():
    obj = endpoints(
        {"ports": [{"port": 80, "protocol": "TCP"}]},
        {
            "addresses": addresses("127.0.0.1"),
            "ports": [{"port": 80, "protocol": "TCP"}, {"port": 81, "protocol": "TCP"}],
        },
    )
    assert [str(e) for e in STRATEGY.validate(obj)] == [
        "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`",
        'subsets[1].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback '
        "range (127.0.0.0/8, ::1/128)",
        "subsets[1].ports[0].name: Required value",
        "subsets[1].ports[1].name: Required value",
    ]


def test_every_write_is_warned_about():
    assert DEPRECATION_WARNING == (
        "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"
    )
    assert STRATEGY.warnings(endpoints()) == [DEPRECATION_WARNING]
    assert STRATEGY.deprecation_warning == DEPRECATION_WARNING
    assert STRATEGY.short_names == ("ep",)
