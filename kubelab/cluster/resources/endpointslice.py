"""EndpointSlices (``discovery.k8s.io/v1``): the addresses behind a Service, in slices.

The EndpointSlice controller writes one or more slices per Service; learners read them with
``kubectl get endpointslices`` (PORTS and ENDPOINTS columns, three entries then ``+ N
more...``) or label-select them with ``kubernetes.io/service-name``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, duplicate, invalid, not_supported, required
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.fieldchecks import (
    SUPPORTED_PROTOCOLS,
    dns1123_label,
    immutable,
    messages_at,
    qualified_name,
)
from kubelab.cluster.resources.netchecks import (
    ip_errors,
    ip_family,
    non_special_ip_errors,
    parse_ip,
)
from kubelab.cluster.resources.printing import age
from kubelab.cluster.resources.validation import dns1123_subdomain_errors, validate_labels

ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"]
SHOWN_ENTRIES = 3
UNSET = "<unset>"

_SLICE = "api.discovery.v1.EndpointSlice"


def _list_with_more(entries: list[str]) -> str:
    """``listWithMoreString``: the first three entries, then ``+ N more...``."""
    text = ",".join(entries[:SHOWN_ENTRIES])
    if len(entries) > SHOWN_ENTRIES:
        return f"{text} + {len(entries) - SHOWN_ENTRIES} more..."
    return text or UNSET


def format_ports(ports: list[dict[str, Any]]) -> str:
    """``formatDiscoveryPorts``: the port number, else its name, else ``*``."""
    entries = []
    for port in ports:
        if port.get("port") is not None:
            entries.append(str(port["port"]))
        elif port.get("name") is not None:
            entries.append(port["name"])
        else:
            entries.append("*")
    return _list_with_more(entries)


def format_endpoints(endpoints: list[dict[str, Any]]) -> str:
    """``formatDiscoveryEndpoints``: every address of every endpoint."""
    return _list_with_more(
        [address for endpoint in endpoints for address in endpoint.get("addresses") or []]
    )


def _address_errors(address: str, address_type: str, path: str) -> list[FieldError]:
    """IP addresses must parse, match the slice's family and not be special addresses."""
    if address_type not in ("IPv4", "IPv6"):
        return []
    errors = ip_errors(path, address, canonical=False)
    if errors:
        return errors
    ip = parse_ip(address)
    if ip is not None and ip_family(ip) != address_type:
        errors.append(invalid(path, address, f"must be an {address_type} address"))
    return errors + non_special_ip_errors(path, address)


def _endpoint_errors(endpoint: dict[str, Any], address_type: str, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    addresses = endpoint.get("addresses") or []
    if not addresses:
        errors.append(required(f"{path}.addresses", "must contain at least 1 address"))
    for i, address in enumerate(addresses):
        errors += _address_errors(address, address_type, f"{path}.addresses[{i}]")
    if endpoint.get("nodeName") is not None:
        node = endpoint["nodeName"]
        errors += messages_at(f"{path}.nodeName", node, dns1123_subdomain_errors(node))
    errors += validate_labels(endpoint.get("deprecatedTopology"), f"{path}.deprecatedTopology")
    if endpoint.get("hostname") is not None:
        errors += dns1123_label(endpoint["hostname"], f"{path}.hostname")
    return errors


def _port_errors(ports: list[dict[str, Any]]) -> list[FieldError]:
    errors: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        path = f"ports[{i}]"
        name = port.get("name") or ""
        if name:
            errors += dns1123_label(name, f"{path}.name")
        if name in names:
            errors.append(duplicate(f"{path}.name", name))
        names.add(name)
        protocol = port.get("protocol")
        if protocol is None:
            errors.append(required(f"{path}.protocol"))
        elif protocol not in SUPPORTED_PROTOCOLS:
            errors.append(not_supported(f"{path}.protocol", protocol, SUPPORTED_PROTOCOLS))
        if port.get("appProtocol") is not None:
            errors += qualified_name(port["appProtocol"], f"{path}.appProtocol")
    return errors


class EndpointSliceStrategy(ResourceStrategy):
    group = "discovery.k8s.io"
    kind = "EndpointSlice"
    plural = "endpointslices"
    columns = (
        NAME_COLUMN,
        Column("AddressType", description=field_doc(_SLICE, "addressType")),
        Column("Ports", description=field_doc(_SLICE, "ports")),
        Column("Endpoints", description=field_doc(_SLICE, "endpoints")),
        AGE_COLUMN,
    )

    @property
    def tracks_generation(self) -> bool:
        """Slices count changes in their generation although they have no status."""
        return True

    def default(self, obj: dict[str, Any]) -> None:
        for port in obj.get("ports") or []:
            if isinstance(port, dict):
                if port.get("name") is None:
                    port["name"] = ""
                port["protocol"] = port.get("protocol") or "TCP"

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        errors: list[FieldError] = []
        address_type = obj.get("addressType") or ""
        if not address_type:
            errors.append(required("addressType"))
        elif address_type not in ADDRESS_TYPES:
            errors.append(not_supported("addressType", address_type, ADDRESS_TYPES))
        for i, endpoint in enumerate(obj.get("endpoints") or []):
            errors += _endpoint_errors(endpoint or {}, address_type, f"endpoints[{i}]")
        return errors + _port_errors([p or {} for p in obj.get("ports") or []])

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return self.validate(obj) + immutable(
            "addressType", obj.get("addressType"), old.get("addressType")
        )

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return [
            obj["metadata"]["name"],
            obj.get("addressType", ""),
            format_ports(obj.get("ports") or []),
            format_endpoints(obj.get("endpoints") or []),
            age(obj, now),
        ]


STRATEGIES = [EndpointSliceStrategy()]
