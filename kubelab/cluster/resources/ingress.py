"""Ingresses (``networking.k8s.io/v1``): HTTP routes from hosts and paths to Services.

What learners get wrong here is mostly the v1 shape: every path needs a ``pathType``, and a
backend is ``service: {name, port: {number}}`` with either a port number or a port name. The
deprecated ``kubernetes.io/ingress.class`` annotation still works but earns a warning.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, invalid, not_supported, required
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.fieldchecks import (
    dns1123_subdomain,
    messages_at,
    port_name_errors,
    port_number_errors,
    wildcard_subdomain_errors,
)
from kubelab.cluster.resources.netchecks import parse_ip
from kubelab.cluster.resources.printing import NONE, age
from kubelab.cluster.resources.validation import (
    dns1035_label_errors,
    dns1123_subdomain_errors,
    path_segment_errors,
)

CLASS_ANNOTATION = "kubernetes.io/ingress.class"
PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]
INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
INVALID_PATH_SUFFIXES = ("/..", "/.")
SHOWN_HOSTS = 3


def typed_reference_errors(ref: dict[str, Any], path: str) -> list[FieldError]:
    """``validateIngressTypedLocalObjectReference`` (resource backends, class parameters)."""
    errors: list[FieldError] = []
    if ref.get("apiGroup") is not None:
        errors += dns1123_subdomain(ref["apiGroup"], f"{path}.apiGroup")
    for key in ("kind", "name"):
        value = ref.get(key) or ""
        if not value:
            errors.append(required(f"{path}.{key}", f"{key} is required"))
        else:
            errors += messages_at(f"{path}.{key}", value, path_segment_errors(value))
    return errors


def _backend_errors(backend: dict[str, Any], path: str) -> list[FieldError]:
    """``validateIngressBackend``: exactly one of a Service (name and port) or a resource."""
    resource, service = backend.get("resource"), backend.get("service")
    if resource is not None and service is not None:
        return [invalid(path, "", "cannot set both resource and service backends")]
    if resource is not None:
        return typed_reference_errors(resource, f"{path}.resource")
    if service is None:
        return [invalid(path, "", "resource or service backend is required")]
    errors: list[FieldError] = []
    name = service.get("name") or ""
    if not name:
        errors.append(required(f"{path}.service.name"))
    else:
        errors += messages_at(f"{path}.service.name", name, dns1035_label_errors(name))
    port = service.get("port") or {}
    port_name, number = port.get("name") or "", port.get("number") or 0
    if port_name and number:
        errors.append(invalid(path, "", "cannot set both port name & port number"))
    elif port_name:
        errors += messages_at(f"{path}.service.port.name", port_name, port_name_errors(port_name))
    elif number:
        errors += messages_at(f"{path}.service.port.number", number, port_number_errors(number))
    else:
        errors.append(required(path, "port name or number is required"))
    return errors


def _http_path_errors(item: dict[str, Any], path: str) -> list[FieldError]:
    """``validateHTTPIngressPath``."""
    kind = item.get("pathType")
    if kind is None:
        return [required(f"{path}.pathType", "pathType must be specified")]
    errors: list[FieldError] = []
    value = item.get("path") or ""
    if kind in ("Exact", "Prefix"):
        if not value.startswith("/"):
            errors.append(invalid(f"{path}.path", value, "must be an absolute path"))
        for sequence in INVALID_PATH_SEQUENCES if value else ():
            if sequence in value:
                errors.append(invalid(f"{path}.path", value, f"must not contain '{sequence}'"))
        for suffix in INVALID_PATH_SUFFIXES if value else ():
            if value.endswith(suffix):
                errors.append(invalid(f"{path}.path", value, f"cannot end with '{suffix}'"))
    elif kind == "ImplementationSpecific":
        if value and not value.startswith("/"):
            errors.append(invalid(f"{path}.path", value, "must be an absolute path"))
    else:
        errors.append(not_supported(f"{path}.pathType", kind, PATH_TYPES))
    return errors + _backend_errors(item.get("backend") or {}, f"{path}.backend")


def _host_errors(host: str, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if parse_ip(host) is not None:
        errors.append(invalid(path, host, "must be a DNS name, not an IP address"))
    if "*" in host:
        return errors + messages_at(path, host, wildcard_subdomain_errors(host))
    return errors + dns1123_subdomain(host, path)


def _rule_errors(rules: list[dict[str, Any]]) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, rule in enumerate(rules):
        path = f"spec.rules[{i}]"
        if rule.get("host"):
            errors += _host_errors(rule["host"], f"{path}.host")
        http = rule.get("http")
        if http is None:
            continue
        paths = http.get("paths") or []
        if not paths:
            errors.append(required(f"{path}.http.paths"))
        for j, item in enumerate(paths):
            errors += _http_path_errors(item or {}, f"{path}.http.paths[{j}]")
    return errors


def _tls_errors(tls: list[dict[str, Any]]) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, item in enumerate(tls):
        for j, host in enumerate(item.get("hosts") or []):
            at = f"spec.tls[{i}].hosts[{j}]"
            problems = (
                wildcard_subdomain_errors(host) if "*" in host else dns1123_subdomain_errors(host)
            )
            errors += messages_at(at, host, problems)
        if item.get("secretName"):
            errors += dns1123_subdomain(item["secretName"], f"spec.tls[{i}].secretName")
    return errors


def validate_ingress_spec(spec: dict[str, Any]) -> list[FieldError]:
    """``ValidateIngressSpec``."""
    errors: list[FieldError] = []
    rules = [rule or {} for rule in spec.get("rules") or []]
    if not rules and spec.get("defaultBackend") is None:
        errors.append(
            invalid(
                "spec", spec.get("rules"), "either `defaultBackend` or `rules` must be specified"
            )
        )
    if spec.get("defaultBackend") is not None:
        errors += _backend_errors(spec["defaultBackend"] or {}, "spec.defaultBackend")
    errors += _rule_errors(rules)
    errors += _tls_errors([item or {} for item in spec.get("tls") or []])
    if spec.get("ingressClassName") is not None:
        errors += dns1123_subdomain(spec["ingressClassName"], "spec.ingressClassName")
    return errors


def format_hosts(rules: list[dict[str, Any]]) -> str:
    """``formatHosts``: up to three hosts, ``*`` when no rule names one."""
    hosts: list[str] = []
    more = False
    for rule in rules:
        more = more or len(hosts) == SHOWN_HOSTS
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    if not hosts:
        return "*"
    text = ",".join(hosts)
    return f"{text} + {len(rules) - SHOWN_HOSTS} more..." if more else text


def load_balancer_address(obj: dict[str, Any]) -> str:
    """The ADDRESS cell: the sorted IPs or host names the ingress controller published."""
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    found = {p.get("ip") or p.get("hostname") for p in ingress if p.get("ip") or p.get("hostname")}
    return ",".join(sorted(found))


class IngressStrategy(ResourceStrategy):
    group = "networking.k8s.io"
    kind = "Ingress"
    plural = "ingresses"
    short_names = ("ing",)
    subresources = ("status",)
    columns = (
        NAME_COLUMN,
        Column(
            "Class",
            description="The name of the IngressClass resource that should be used for "
            "additional configuration",
        ),
        Column(
            "Hosts",
            description="Hosts that incoming requests are matched against before the ingress rule",
        ),
        Column(
            "Address",
            description="Address is a list containing ingress points for the load-balancer",
        ),
        Column("Ports", description="Ports of TLS configurations that open"),
        AGE_COLUMN,
    )

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        obj["status"] = {"loadBalancer": {}}

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        spec = obj.get("spec") or {}
        errors = validate_ingress_spec(spec)
        annotation = (obj.get("metadata", {}).get("annotations") or {}).get(CLASS_ANNOTATION)
        class_name = spec.get("ingressClassName")
        if annotation is not None and class_name is not None and annotation != class_name:
            errors.append(
                invalid(
                    f"annotations.{CLASS_ANNOTATION}",
                    annotation,
                    "must match `ingressClassName` when both are specified",
                )
            )
        return errors

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return validate_ingress_spec(obj.get("spec") or {})

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        if CLASS_ANNOTATION in (obj.get("metadata", {}).get("annotations") or {}):
            return [
                f'annotation "{CLASS_ANNOTATION}" is deprecated, please use '
                "'spec.ingressClassName' instead"
            ]
        return []

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec = obj.get("spec") or {}
        class_name = spec.get("ingressClassName")
        return [
            obj["metadata"]["name"],
            class_name if class_name is not None else NONE,
            format_hosts([rule or {} for rule in spec.get("rules") or []]),
            load_balancer_address(obj),
            "80, 443" if spec.get("tls") else "80",
            age(obj, now),
        ]


STRATEGIES = [IngressStrategy()]
