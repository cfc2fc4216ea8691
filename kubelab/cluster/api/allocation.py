"""Service cluster IPs and node ports, allocated when a Service is written.

kube-apiserver, not a controller, hands out a Service's virtual IP from the service CIDR
(``10.96.0.0/12`` on minikube and kubeadm clusters, where ``10.96.0.1`` is the ``kubernetes``
Service) and, for NodePort and LoadBalancer Services, a port in 30000-32767 on every node.
Addresses are picked at random like upstream's allocator; what is in use is read from the
stored Services, so nothing can drift out of step after a crash.
"""

from __future__ import annotations

import ipaddress
import random
from typing import Any

from kubelab.cluster.api import errors
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.resources.base import ResourceStrategy

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
KUBERNETES_SERVICE_IP = "10.96.0.1"
NODE_PORT_RANGE = range(30000, 32768)
_NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


def _services(api: ObjectAPI) -> list[dict[str, Any]]:
    return api.store.list("/services")


def _ips_in_use(api: ObjectAPI, skip_uid: str) -> set[str]:
    used = set()
    for service in _services(api):
        if service["metadata"].get("uid") == skip_uid:
            continue
        for ip in service.get("spec", {}).get("clusterIPs") or []:
            used.add(ip)
    return used


def _ports_in_use(api: ObjectAPI, skip_uid: str) -> set[int]:
    used = set()
    for service in _services(api):
        if service["metadata"].get("uid") == skip_uid:
            continue
        for port in service.get("spec", {}).get("ports") or []:
            if port.get("nodePort"):
                used.add(int(port["nodePort"]))
    return used


def _allocate_ip(api: ObjectAPI, spec: dict[str, Any], uid: str) -> None:
    requested = spec.get("clusterIP") or (spec.get("clusterIPs") or [""])[0]
    if requested == "None":
        spec["clusterIP"], spec["clusterIPs"] = "None", ["None"]
        return
    used = _ips_in_use(api, uid)
    if requested:
        address = ipaddress.ip_address(requested)
        if address not in SERVICE_CIDR:
            raise _invalid_ip(
                requested,
                f"failed to allocate IP {requested}: provided IP "
                f"({requested}) is not in the valid range. The range of valid "
                f"IPs is {SERVICE_CIDR}",
            )
        if requested in used:
            raise _invalid_ip(
                requested, f"failed to allocate IP {requested}: provided IP is already allocated"
            )
        chosen = requested
    else:
        hosts = SERVICE_CIDR.num_addresses - 2
        while True:
            chosen = str(SERVICE_CIDR.network_address + random.randint(11, hosts))
            if chosen not in used:
                break
    spec["clusterIP"], spec["clusterIPs"] = chosen, [chosen]


def _invalid_ip(ip: str, detail: str) -> errors.APIError:
    field = errors.invalid("spec.clusterIPs", [ip], detail)
    field.value = [ip]
    return errors.invalid_object("", "Service", "", [field])


def _allocate_node_ports(api: ObjectAPI, spec: dict[str, Any], name: str, uid: str) -> None:
    used = _ports_in_use(api, uid)
    for index, port in enumerate(spec.get("ports") or []):
        wanted = port.get("nodePort")
        if wanted:
            if wanted not in NODE_PORT_RANGE:
                raise errors.invalid_object(
                    "",
                    "Service",
                    name,
                    [
                        errors.invalid(
                            f"spec.ports[{index}].nodePort",
                            wanted,
                            "provided port is not in the valid range. The range of valid ports is "
                            "30000-32767",
                        )
                    ],
                )
            if wanted in used:
                raise errors.invalid_object(
                    "",
                    "Service",
                    name,
                    [
                        errors.invalid(
                            f"spec.ports[{index}].nodePort",
                            wanted,
                            "provided port is already allocated",
                        )
                    ],
                )
        else:
            free = [p for p in NODE_PORT_RANGE if p not in used]
            wanted = random.choice(free)
            port["nodePort"] = wanted
        used.add(wanted)


def allocate_service_addresses(
    api: ObjectAPI, strategy: ResourceStrategy, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """Admission for Services: give each a cluster IP and, if needed, node ports."""
    if strategy.kind != "Service" or strategy.group:
        return
    spec = obj.setdefault("spec", {})
    meta = obj["metadata"]
    uid = meta.get("uid", "")
    if spec.get("type") == "ExternalName":
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
        return
    if old is not None and old.get("spec", {}).get("clusterIP") and not spec.get("clusterIP"):
        spec["clusterIP"] = old["spec"]["clusterIP"]
        spec["clusterIPs"] = old["spec"].get("clusterIPs", [spec["clusterIP"]])
    if not spec.get("clusterIP") or old is None:
        _allocate_ip(api, spec, uid)
    if spec.get("type") in _NODE_PORT_TYPES:
        _allocate_node_ports(api, spec, meta.get("name", ""), uid)
    else:
        for port in spec.get("ports") or []:
            port.pop("nodePort", None)
