"""Ingresses: the v1 path and backend rules learners trip over, warnings and the row."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.ingress import IngressStrategy

STRATEGY = IngressStrategy()
NOW = datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)


def path(backend: dict | None = None, **fields) -> dict:
    default = {"service": {"name": "web", "port": {"number": 80}}}
    return {"path": "/", "pathType": "Prefix", "backend": backend or default, **fields}


def ingress(*paths: dict, host: str | None = "web.example.com", **spec) -> dict:
    rule: dict = {"http": {"paths": list(paths) or [path()]}}
    if host is not None:
        rule["host"] = host
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "web",
            "namespace": "lesson-06",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": {"rules": [rule], **spec},
    }


def messages(obj: dict) -> list[str]:
    return [str(e) for e in STRATEGY.validate(obj)]


def test_identity():
    assert STRATEGY.api_version == "networking.k8s.io/v1"
    assert STRATEGY.short_names == ("ing",)
    assert STRATEGY.tracks_generation
    assert messages(ingress()) == []


def test_path_type_is_required():
    item = path()
    del item["pathType"]
    assert messages(ingress(item)) == [
        "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"
    ]
    assert messages(ingress(path(pathType="Regex"))) == [
        'spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: '
        '"Exact", "ImplementationSpecific", "Prefix"'
    ]


def test_paths_must_be_absolute():
    assert messages(ingress(path(path="api"))) == [
        'spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path'
    ]


def test_backends():
    assert messages(ingress(path({"service": {"name": "web"}}))) == [
        "spec.rules[0].http.paths[0].backend: Required value: port name or number is required"
    ]
    assert messages(
        ingress(path({"service": {"name": "web", "port": {"number": 80, "name": "http"}}}))
    ) == [
        'spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both port name & '
        "port number"
    ]
    assert messages(ingress(path({"serviceName": "web"}))) == [
        'spec.rules[0].http.paths[0].backend: Invalid value: "": resource or service backend is '
        "required"
    ]
    assert messages(ingress(path({"service": {"port": {"number": 80}}}))) == [
        "spec.rules[0].http.paths[0].backend.service.name: Required value"
    ]


def test_rules_or_default_backend():
    obj = ingress()
    obj["spec"] = {}
    assert messages(obj) == [
        "spec: Invalid value: null: either `defaultBackend` or `rules` must be specified"
    ]


def test_hosts():
    assert messages(ingress(host="10.0.0.1"))[0] == (
        'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address'
    )
    assert messages(ingress(host="*.example.com")) == []


def test_class_annotation():
    obj = ingress(ingressClassName="nginx")
    obj["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "traefik"}
    assert messages(obj) == [
        'annotations.kubernetes.io/ingress.class: Invalid value: "traefik": must match '
        "`ingressClassName` when both are specified"
    ]
    assert STRATEGY.warnings(obj) == [
        'annotation "kubernetes.io/ingress.class" is deprecated, please use '
        "'spec.ingressClassName' instead"
    ]


def test_rows():
    obj = ingress(ingressClassName="nginx")
    STRATEGY.prepare_for_create(obj)
    assert obj["status"] == {"loadBalancer": {}}
    assert STRATEGY.row(obj, NOW) == ["web", "nginx", "web.example.com", "", "80", "5s"]
    obj["spec"]["tls"] = [{"hosts": ["web.example.com"], "secretName": "web-tls"}]
    obj["status"] = {"loadBalancer": {"ingress": [{"ip": "192.168.49.2"}]}}
    assert STRATEGY.row(obj, NOW)[3:5] == ["192.168.49.2", "80, 443"]
    no_host = ingress(host=None)
    assert STRATEGY.row(no_host, NOW)[1:3] == ["<none>", "*"]
    many = ingress()
    many["spec"]["rules"] = [{"host": f"h{i}.example"} for i in range(5)]
    assert STRATEGY.row(many, NOW)[2] == "h0.example,h1.example,h2.example + 2 more..."
