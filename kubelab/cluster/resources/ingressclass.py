"""IngressClasses (``networking.k8s.io/v1``): which controller serves Ingresses of a class.

The ``controller`` is a domain-prefixed path such as ``k8s.io/ingress-nginx`` and cannot change;
optional ``parameters`` point at a configuration object, cluster-scoped unless said otherwise.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import (
    FieldError,
    forbidden_field,
    invalid,
    not_supported,
    required,
    too_long,
)
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.fieldchecks import immutable, messages_at
from kubelab.cluster.resources.ingress import typed_reference_errors
from kubelab.cluster.resources.printing import NONE, age
from kubelab.cluster.resources.validation import dns1123_label_errors, dns1123_subdomain_errors

MAX_CONTROLLER_LENGTH = 250
SCOPES = ["Cluster", "Namespace"]
_HTTP_PATH_FORMAT = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+"
_HTTP_PATH = re.compile(f"^{_HTTP_PATH_FORMAT}$")


def domain_prefixed_path_errors(value: str, path: str) -> list[FieldError]:
    """``IsDomainPrefixedPath``: ``example.com/some/path``."""
    if not value:
        return [required(path)]
    host, slash, rest = value.partition("/")
    if not slash or not host or not rest:
        return [invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    errors = messages_at(path, host, dns1123_subdomain_errors(host))
    if not _HTTP_PATH.match(rest):
        errors.append(
            invalid(
                path, rest, f"Invalid path (regex used for validation is '{_HTTP_PATH_FORMAT}')"
            )
        )
    return errors


def _parameters_errors(params: dict[str, Any]) -> list[FieldError]:
    """``validateIngressClassParametersReference``."""
    path = "spec.parameters"
    errors = typed_reference_errors(params, path)
    scope = params.get("scope")
    if scope is None:
        return [*errors, required(f"{path}.scope")]
    if scope not in SCOPES:
        return [*errors, not_supported(f"{path}.scope", scope, SCOPES)]
    namespace = params.get("namespace")
    if scope == "Namespace":
        if namespace is None:
            errors.append(required(f"{path}.namespace", "`parameters.scope` is set to 'Namespace'"))
        else:
            errors += messages_at(f"{path}.namespace", namespace, dns1123_label_errors(namespace))
    elif namespace is not None:
        errors.append(
            forbidden_field(f"{path}.namespace", "`parameters.scope` is set to 'Cluster'")
        )
    return errors


class IngressClassStrategy(ResourceStrategy):
    group = "networking.k8s.io"
    kind = "IngressClass"
    plural = "ingressclasses"
    namespaced = False
    columns = (
        NAME_COLUMN,
        Column("Controller", description="Controller that is responsible for handling this class"),
        Column("Parameters", description="A reference to a resource with additional parameters"),
        AGE_COLUMN,
    )

    @property
    def tracks_generation(self) -> bool:
        """Spec changes count in the generation, though there is no status."""
        return True

    def default(self, obj: dict[str, Any]) -> None:
        params = (obj.get("spec") or {}).get("parameters")
        if isinstance(params, dict) and params.get("scope") is None:
            params["scope"] = "Cluster"

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        spec = obj.get("spec") or {}
        controller = spec.get("controller") or ""
        errors: list[FieldError] = []
        if len(controller) > MAX_CONTROLLER_LENGTH:
            errors.append(too_long("spec.controller", MAX_CONTROLLER_LENGTH))
        errors += domain_prefixed_path_errors(controller, "spec.controller")
        if spec.get("parameters") is not None:
            errors += _parameters_errors(spec["parameters"] or {})
        return errors

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        controller = (obj.get("spec") or {}).get("controller")
        old_controller = (old.get("spec") or {}).get("controller")
        return immutable("spec.controller", controller, old_controller) + self.validate(obj)

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec = obj.get("spec") or {}
        params = spec.get("parameters")
        parameters = NONE
        if params:
            group = f".{params['apiGroup']}" if params.get("apiGroup") is not None else ""
            parameters = f"{params.get('kind', '')}{group}/{params.get('name', '')}"
        return [obj["metadata"]["name"], spec.get("controller", ""), parameters, age(obj, now)]


STRATEGIES = [IngressClassStrategy()]
