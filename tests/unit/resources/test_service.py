"""Services: defaults, validation messages, update rules and the ``kubectl get svc`` row."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from kubelab.cluster.resources.service import ServiceStrategy

STRATEGY = ServiceStrategy()
NOW = datetime(2026, 1, 1, 0, 10, tzinfo=UTC)


def service(spec: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "web",
            "namespace": "lesson-05",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            **meta,
        },
        "spec": spec,
    }


def created(spec: dict[str, Any]) -> dict[str, Any]:
    obj = service(copy.deepcopy(spec))
    STRATEGY.default(obj)
    STRATEGY.prepare_for_create(obj)
    return obj


def create_errors(spec: dict[str, Any]) -> list[str]:
    return [str(e) for e in STRATEGY.validate(created(spec))]


def allocated(obj: dict[str, Any], ip: str = "10.96.0.10") -> dict[str, Any]:
    """What the allocator adds after create."""
    obj["spec"]["clusterIP"] = ip
    obj["spec"]["clusterIPs"] = [ip]
    return obj


def updated(new_spec: dict[str, Any], old: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    new = service(copy.deepcopy(new_spec))
    STRATEGY.default(new)
    STRATEGY.prepare_for_update(new, old)
    return new, [str(e) for e in STRATEGY.validate_update(new, old)]


WEB = {"selector": {"app": "web"}, "ports": [{"port": 80}]}


def test_identity():
    assert (STRATEGY.plural, STRATEGY.short_names, STRATEGY.categories) == (
        "services",
        ("svc",),
        ("all",),
    )
    assert STRATEGY.subresources == ("status", "proxy")
    assert STRATEGY.name_rule == "dns1035"
    assert not STRATEGY.tracks_generation


def test_a_minimal_service_gets_upstream_defaults():
    obj = created(WEB)
    assert obj["spec"] == {
        "selector": {"app": "web"},
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "ipFamilyPolicy": "SingleStack",
        "ipFamilies": ["IPv4"],
    }
    assert obj["status"] == {"loadBalancer": {}}
    assert "clusterIP" not in obj["spec"]
    assert STRATEGY.validate(obj) == []


def test_named_target_port_is_kept():
    obj = created({"ports": [{"port": 80, "targetPort": "http"}], "selector": {"a": "b"}})
    assert obj["spec"]["ports"][0]["targetPort"] == "http"


def test_node_port_and_load_balancer_defaults():
    node_port = created({"type": "NodePort", "ports": [{"port": 80}]})
    assert node_port["spec"]["externalTrafficPolicy"] == "Cluster"
    balancer = created({"type": "LoadBalancer", "ports": [{"port": 80}]})
    assert balancer["spec"]["allocateLoadBalancerNodePorts"] is True
    assert balancer["spec"]["externalTrafficPolicy"] == "Cluster"


def test_client_ip_affinity_gets_its_timeout():
    obj = created({**WEB, "sessionAffinity": "ClientIP"})
    assert obj["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def test_headless_services():
    headless = created({**WEB, "clusterIP": "None"})
    assert headless["spec"]["clusterIPs"] == ["None"]
    assert headless["spec"]["ipFamilies"] == ["IPv4"]
    assert STRATEGY.validate(headless) == []
    no_selector = created({"clusterIP": "None"})
    assert no_selector["spec"]["ipFamilyPolicy"] == "RequireDualStack"
    assert no_selector["spec"]["ipFamilies"] == ["IPv4", "IPv6"]
    assert STRATEGY.validate(no_selector) == []


def test_external_name_service_needs_no_ports_and_no_ip_fields():
    obj = created({"type": "ExternalName", "externalName": "db.example.com"})
    assert "ipFamilies" not in obj["spec"]
    assert STRATEGY.validate(obj) == []
    assert create_errors({"type": "ExternalName"}) == ["spec.externalName: Required value"]


def test_ports_are_required():
    assert create_errors({"selector": {"app": "web"}}) == ["spec.ports: Required value"]


def test_several_ports_need_unique_names():
    errors = create_errors({"ports": [{"port": 80}, {"port": 443, "name": "https"}]})
    assert errors == ["spec.ports[0].name: Required value"]
    errors = create_errors({"ports": [{"name": "web", "port": 80}, {"name": "web", "port": 443}]})
    assert errors == ['spec.ports[1].name: Duplicate value: "web"']


def test_port_numbers_and_target_ports():
    # The default targetPort copies the bad port, so both are reported, as upstream does.
    assert create_errors({"ports": [{"port": 70000}]}) == [
        "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
        "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
    ]
    assert create_errors({"ports": [{"port": 80, "targetPort": "Web_Port"}]}) == [
        'spec.ports[0].targetPort: Invalid value: "Web_Port": must contain only '
        "alpha-numeric characters (a-z, 0-9), and hyphens (-)"
    ]
    assert create_errors({"ports": [{"port": 80, "protocol": "HTTP"}]}) == [
        'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'
    ]


def test_duplicate_port_and_protocol():
    errors = create_errors(
        {"ports": [{"name": "a", "port": 80}, {"name": "b", "port": 80, "targetPort": 8080}]}
    )
    assert len(errors) == 1
    assert errors[0].startswith("spec.ports[1]: Duplicate value: ")


def test_type_values():
    assert create_errors({**WEB, "type": "Nodeport"}) == [
        'spec.type: Unsupported value: "Nodeport": supported values: "ClusterIP", '
        '"ExternalName", "LoadBalancer", "NodePort"'
    ]


def test_selector_labels_are_checked():
    errors = create_errors({"ports": [{"port": 80}], "selector": {"app": "web app"}})
    assert len(errors) == 1
    assert errors[0].startswith('spec.selector: Invalid value: "web app": a valid label')


def test_node_ports():
    assert create_errors({"type": "NodePort", "ports": [{"port": 80, "nodePort": 8080}]}) == [
        "spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. "
        "The range of valid ports is 30000-32767"
    ]
    assert create_errors({**WEB, "ports": [{"port": 80, "nodePort": 30080}]}) == [
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    ]
    assert create_errors(
        {
            "type": "NodePort",
            "ports": [
                {"name": "a", "port": 80, "nodePort": 30080},
                {"name": "b", "port": 81, "nodePort": 30080},
            ],
        }
    ) == ["spec.ports[1].nodePort: Duplicate value: 30080"]


def test_cluster_ip_values():
    assert create_errors({**WEB, "clusterIP": "10.96.0"}) == [
        'spec.clusterIPs[0]: Invalid value: "10.96.0": must be a valid IP address, (e.g. '
        "10.9.8.7 or 2001:db8::ffff)"
    ]
    assert create_errors({**WEB, "clusterIP": "fd00::10"}) == [
        'spec.clusterIPs[0]: Invalid value: ["fd00::10"]: IPv6 is not configured on this cluster'
    ]
    assert create_errors({**WEB, "ipFamilyPolicy": "RequireDualStack"}) == [
        'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured '
        "for dual-stack services"
    ]
    assert create_errors({**WEB, "type": "NodePort", "clusterIP": "None"}) == [
        "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort "
        "services"
    ]


def test_external_traffic_policy_only_for_external_services():
    assert create_errors({**WEB, "externalTrafficPolicy": "Local"}) == [
        'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for '
        "externally-accessible services"
    ]


def test_the_cluster_ip_cannot_change():
    old = allocated(created(WEB))
    _, errors = updated({**WEB, "clusterIP": "10.96.0.11"}, old)
    assert errors == ['spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set']


def test_an_update_without_allocated_values_keeps_them():
    old = allocated(created({"type": "NodePort", "ports": [{"port": 80}]}))
    old["spec"]["ports"][0]["nodePort"] = 30080
    new, errors = updated({"type": "NodePort", "ports": [{"port": 80}]}, old)
    assert errors == []
    assert new["spec"]["clusterIP"] == "10.96.0.10"
    assert new["spec"]["ports"][0]["nodePort"] == 30080
    assert new["status"] == old["status"]


def test_changing_to_cluster_ip_drops_node_ports_and_external_policy():
    old = allocated(created({"type": "NodePort", "ports": [{"port": 80}]}))
    old["spec"]["ports"][0]["nodePort"] = 30080
    merged = copy.deepcopy(old["spec"])
    merged["type"] = "ClusterIP"
    new, errors = updated(merged, old)
    assert errors == []
    assert "nodePort" not in new["spec"]["ports"][0]
    assert "externalTrafficPolicy" not in new["spec"]


def test_changing_to_external_name_drops_the_cluster_ip():
    old = allocated(created(WEB))
    merged = {**copy.deepcopy(old["spec"]), "type": "ExternalName", "externalName": "x.example"}
    new, errors = updated(merged, old)
    assert errors == []
    for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        assert key not in new["spec"]


def test_rows():
    cluster_ip = allocated(created(WEB))
    assert STRATEGY.row(cluster_ip, NOW) == [
        "web",
        "ClusterIP",
        "10.96.0.10",
        "<none>",
        "80/TCP",
        "10m",
        "app=web",
    ]
    node_port = allocated(created({"type": "NodePort", "ports": [{"port": 80}]}))
    node_port["spec"]["ports"][0]["nodePort"] = 30080
    assert STRATEGY.row(node_port, NOW)[2:5] == ["10.96.0.10", "<none>", "80:30080/TCP"]
    assert STRATEGY.row(node_port, NOW)[6] == "<none>"
    balancer = allocated(created({"type": "LoadBalancer", "ports": [{"port": 80}]}))
    assert STRATEGY.row(balancer, NOW)[3] == "<pending>"
    balancer["status"] = {"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}}
    assert STRATEGY.row(balancer, NOW)[3] == "192.0.2.7"
    headless = created({**WEB, "clusterIP": "None"})
    assert STRATEGY.row(headless, NOW)[2] == "None"
    external = created({"type": "ExternalName", "externalName": "db.example.com"})
    assert STRATEGY.row(external, NOW)[1:5] == [
        "ExternalName",
        "<none>",
        "db.example.com",
        "<none>",
    ]


def test_field_selectors_and_warnings():
    obj = allocated(created(WEB))
    values = STRATEGY.field_values(obj)
    assert values["spec.clusterIP"] == "10.96.0.10"
    assert values["spec.type"] == "ClusterIP"
    assert STRATEGY.warnings(created({**WEB, "externalName": "x"})) == [
        'spec.externalName is ignored when spec.type is not "ExternalName"'
    ]
