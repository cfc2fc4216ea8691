"""IngressClasses: controller names, parameters scopes and the printer."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.ingressclass import IngressClassStrategy

STRATEGY = IngressClassStrategy()


def ingress_class(**spec) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "nginx", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"controller": "k8s.io/ingress-nginx", **spec},
    }


def messages(errors) -> list[str]:
    return [str(e) for e in errors]


def test_controller_must_be_a_domain_prefixed_path():
    assert STRATEGY.validate(ingress_class()) == []
    assert messages(STRATEGY.validate(ingress_class(controller="nginx"))) == [
        'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as '
        '"acme.io/foo")'
    ]


def test_parameters_scope():
    obj = ingress_class(parameters={"kind": "ConfigMap", "name": "conf"})
    STRATEGY.default(obj)
    assert obj["spec"]["parameters"]["scope"] == "Cluster"
    assert STRATEGY.validate(obj) == []
    namespaced = ingress_class(
        parameters={"kind": "ConfigMap", "name": "conf", "scope": "Namespace"}
    )
    assert messages(STRATEGY.validate(namespaced)) == [
        "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"
    ]


def test_controller_is_immutable():
    assert messages(
        STRATEGY.validate_update(ingress_class(controller="example.com/other"), ingress_class())
    ) == ['spec.controller: Invalid value: "example.com/other": field is immutable']


def test_row():
    now = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)
    assert STRATEGY.row(ingress_class(), now) == ["nginx", "k8s.io/ingress-nginx", "<none>", "60s"]
    obj = ingress_class(parameters={"apiGroup": "k8s.example.com", "kind": "Params", "name": "p"})
    assert STRATEGY.row(obj, now)[2] == "Params.k8s.example.com/p"
