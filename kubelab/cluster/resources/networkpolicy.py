"""NetworkPolicies (``networking.k8s.io/v1``): which traffic may reach or leave selected pods.

A policy without ``policyTypes`` is an ``Ingress`` policy, plus ``Egress`` when it has egress
rules; ports default to TCP. Each peer is a pod selector, a namespace selector (or both), or
an ``ipBlock`` on its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, forbidden_field, invalid, not_supported, required
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.fieldchecks import (
    SUPPORTED_PROTOCOLS,
    label_selector,
    messages_at,
    port_name_errors,
    port_number_errors,
)
from kubelab.cluster.resources.netchecks import cidr_errors, parse_cidr
from kubelab.cluster.resources.printing import age, format_label_selector

POLICY_TYPES = ["Ingress", "Egress"]
_PROTOCOLS = ["TCP", "UDP", "SCTP"]


def _port_errors(port: dict[str, Any], path: str) -> list[FieldError]:
    """``ValidateNetworkPolicyPort``."""
    errors: list[FieldError] = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in SUPPORTED_PROTOCOLS:
        errors.append(not_supported(f"{path}.protocol", protocol, _PROTOCOLS))
    number, end = port.get("port"), port.get("endPort")
    if number is None:
        if end is not None:
            errors.append(
                invalid(f"{path}.endPort", end, "may not be specified when `port` is not specified")
            )
    elif isinstance(number, int):
        errors += messages_at(f"{path}.port", number, port_number_errors(number))
        if end is not None:
            if end < number:
                errors.append(
                    invalid(f"{path}.endPort", number, "must be greater than or equal to `port`")
                )
            errors += messages_at(f"{path}.endPort", end, port_number_errors(end))
    else:
        if end is not None:
            errors.append(
                invalid(f"{path}.endPort", end, "may not be specified when `port` is non-numeric")
            )
        errors += messages_at(f"{path}.port", number, port_name_errors(number))
    return errors


def _ip_block_errors(block: dict[str, Any], path: str) -> list[FieldError]:
    """``ValidateIPBlock``: a CIDR and exceptions strictly inside it."""
    cidr = block.get("cidr") or ""
    if not cidr:
        return [required(f"{path}.cidr")]
    errors = cidr_errors(f"{path}.cidr", cidr, canonical=False)
    network = parse_cidr(cidr)
    if network is None:
        return errors
    for i, value in enumerate(block.get("except") or []):
        at = f"{path}.except[{i}]"
        problems = cidr_errors(at, value, canonical=False)
        errors += problems
        excepted = parse_cidr(value)
        if excepted is None:
            continue
        inside = excepted.version == network.version and excepted.network_address in network
        if not inside or network.prefixlen >= excepted.prefixlen:
            errors.append(invalid(at, value, "must be a strict subset of `cidr`"))
    return errors


def _peer_errors(peer: dict[str, Any], path: str) -> list[FieldError]:
    """``ValidateNetworkPolicyPeer``."""
    errors: list[FieldError] = []
    peers = 0
    for key in ("podSelector", "namespaceSelector"):
        if peer.get(key) is not None:
            peers += 1
            errors += label_selector(peer[key], f"{path}.{key}")
    if peer.get("ipBlock") is not None:
        peers += 1
        errors += _ip_block_errors(peer["ipBlock"] or {}, f"{path}.ipBlock")
    if peers == 0:
        errors.append(required(path, "must specify a peer"))
    elif peers > 1 and peer.get("ipBlock") is not None:
        errors.append(forbidden_field(path, "may not specify both ipBlock and another peer"))
    return errors


def validate_policy_spec(spec: dict[str, Any]) -> list[FieldError]:
    """``ValidateNetworkPolicySpec``."""
    errors = label_selector(spec.get("podSelector"), "spec.podSelector")
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(spec.get(direction) or []):
            rule = rule or {}
            path = f"spec.{direction}[{i}]"
            for j, port in enumerate(rule.get("ports") or []):
                errors += _port_errors(port or {}, f"{path}.ports[{j}]")
            for j, peer in enumerate(rule.get(peers_key) or []):
                errors += _peer_errors(peer or {}, f"{path}.{peers_key}[{j}]")
    types = spec.get("policyTypes") or []
    if len(types) > len(POLICY_TYPES):
        return [
            *errors,
            invalid("spec.policyTypes", types, "may not specify more than two policyTypes"),
        ]
    for i, kind in enumerate(types):
        if kind not in POLICY_TYPES:
            errors.append(not_supported(f"spec.policyTypes[{i}]", kind, POLICY_TYPES))
    return errors


class NetworkPolicyStrategy(ResourceStrategy):
    group = "networking.k8s.io"
    kind = "NetworkPolicy"
    plural = "networkpolicies"
    short_names = ("netpol",)
    columns = (
        NAME_COLUMN,
        Column(
            "Pod-Selector",
            description=field_doc("api.networking.v1.NetworkPolicySpec", "podSelector"),
        ),
        AGE_COLUMN,
    )

    @property
    def tracks_generation(self) -> bool:
        """Spec changes count in the generation, though there is no status."""
        return True

    def default(self, obj: dict[str, Any]) -> None:
        spec = obj.get("spec") or {}
        obj["spec"] = spec
        for direction in ("ingress", "egress"):
            for rule in spec.get(direction) or []:
                for port in (rule or {}).get("ports") or []:
                    if isinstance(port, dict) and port.get("protocol") is None:
                        port["protocol"] = "TCP"
        if not spec.get("policyTypes"):
            spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return validate_policy_spec(obj.get("spec") or {})

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        selector = (obj.get("spec") or {}).get("podSelector")
        return [obj["metadata"]["name"], format_label_selector(selector), age(obj, now)]


STRATEGIES = [NetworkPolicyStrategy()]
