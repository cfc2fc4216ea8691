"""The legacy v1 Endpoints object: one per Service, with the addresses traffic goes to.

Since Kubernetes 1.33 every request to v1 Endpoints is answered with a deprecation warning
pointing at EndpointSlices; ``kubectl get endpoints`` shows it on every call. The ENDPOINTS
column lists at most three ``ip:port`` pairs and then ``+ N more...``, as upstream prints it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from kubelab.cluster.api.errors import FieldError, not_supported, required
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.fieldchecks import (
    SUPPORTED_PROTOCOLS,
    dns1123_label,
    messages_at,
    port_number_errors,
    qualified_name,
)
from kubelab.cluster.resources.netchecks import ip_errors, non_special_ip_errors
from kubelab.cluster.resources.printing import NONE, age
from kubelab.cluster.resources.validation import dns1123_subdomain_errors

DEPRECATION_WARNING = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"
#: How many addresses the ENDPOINTS column shows before ``+ N more...``.
SHOWN_ENDPOINTS = 3


def format_endpoints(obj: dict[str, Any]) -> str:
    """``formatEndpoints``: ``10.244.0.5:80,10.244.0.6:80 + 1 more...`` or ``<none>``."""
    subsets = obj.get("subsets") or []
    if not subsets:
        return NONE
    shown: list[str] = []
    count = 0
    more = False
    for subset in subsets:
        addresses = [a.get("ip", "") for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        rounds = [None] if not ports else [p.get("port", 0) for p in ports]
        for port in rounds:
            count += len(addresses)
            for ip in addresses:
                if len(shown) == SHOWN_ENDPOINTS:
                    more = True
                    break
                shown.append(ip if port is None else _host_port(ip, port))
    text = ",".join(shown)
    return f"{text} + {count - SHOWN_ENDPOINTS} more..." if more else text


def _host_port(ip: str, port: int) -> str:
    """``net.JoinHostPort``: IPv6 addresses get brackets."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _address_errors(address: dict[str, Any], path: str) -> list[FieldError]:
    """``validateEndpointAddress``."""
    ip = address.get("ip") or ""
    errors = ip_errors(f"{path}.ip", ip, canonical=False)
    if address.get("hostname"):
        errors += dns1123_label(address["hostname"], f"{path}.hostname")
    if address.get("nodeName") is not None:
        node = address["nodeName"]
        errors += messages_at(f"{path}.nodeName", node, dns1123_subdomain_errors(node))
    return errors + non_special_ip_errors(f"{path}.ip", ip)


def _port_errors(port: dict[str, Any], path: str, require_name: bool) -> list[FieldError]:
    """``validateEndpointPort``."""
    errors: list[FieldError] = []
    name = port.get("name") or ""
    if require_name and not name:
        errors.append(required(f"{path}.name"))
    elif name:
        errors += dns1123_label(name, f"{path}.name")
    number = port.get("port", 0)
    errors += messages_at(f"{path}.port", number, port_number_errors(number))
    protocol = port.get("protocol") or ""
    if not protocol:
        errors.append(required(f"{path}.protocol"))
    elif protocol not in SUPPORTED_PROTOCOLS:
        errors.append(not_supported(f"{path}.protocol", protocol, SUPPORTED_PROTOCOLS))
    if port.get("appProtocol") is not None:
        errors += qualified_name(port["appProtocol"], f"{path}.appProtocol")
    return errors


class EndpointsStrategy(ResourceStrategy):
    kind = "Endpoints"
    plural = "endpoints"
    short_names = ("ep",)
    #: Sent with every response for this resource, reads included.
    deprecation_warning: ClassVar[str] = DEPRECATION_WARNING
    columns = (
        NAME_COLUMN,
        Column("Endpoints", description=field_doc("api.core.v1.Endpoints", "subsets")),
        AGE_COLUMN,
    )

    def default(self, obj: dict[str, Any]) -> None:
        for subset in obj.get("subsets") or []:
            for port in (subset or {}).get("ports") or []:
                if isinstance(port, dict) and not port.get("protocol"):
                    port["protocol"] = "TCP"

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        errors: list[FieldError] = []
        for i, subset in enumerate(obj.get("subsets") or []):
            subset = subset or {}
            path = f"subsets[{i}]"
            addresses = subset.get("addresses") or []
            not_ready = subset.get("notReadyAddresses") or []
            if not addresses and not not_ready:
                errors.append(required(path, "must specify `addresses` or `notReadyAddresses`"))
            for j, address in enumerate(addresses):
                errors += _address_errors(address or {}, f"{path}.addresses[{j}]")
            for j, address in enumerate(not_ready):
                errors += _address_errors(address or {}, f"{path}.notReadyAddresses[{j}]")
            ports = subset.get("ports") or []
            for j, port in enumerate(ports):
                errors += _port_errors(port or {}, f"{path}.ports[{j}]", len(ports) > 1)
        return errors

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        return [DEPRECATION_WARNING]

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return [obj["metadata"]["name"], format_endpoints(obj), age(obj, now)]


STRATEGIES = [EndpointsStrategy()]
