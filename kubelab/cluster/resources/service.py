"""Services: defaults, validation and the ``kubectl get svc`` table.

A learner's Service is mostly defaults: ``type: ClusterIP``, ``protocol: TCP``, ``targetPort``
equal to ``port``, the traffic policies and the IP family fields. Validation catches what is
commonly wrong (missing or unnamed ports, bad port numbers, a changed clusterIP, a nodePort
outside 30000-32767) with kube-apiserver's texts. Cluster IPs and node ports are allocated
elsewhere; this module only keeps already-allocated values across updates, as the Service REST
storage does, and clears those a new type no longer uses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import (
    FieldError,
    duplicate,
    forbidden_field,
    invalid,
    not_supported,
    required,
)
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.fieldchecks import (
    SUPPORTED_PROTOCOLS,
    dns1123_label,
    dns1123_subdomain,
    messages_at,
    port_number_errors,
    port_number_or_name,
    qualified_name,
)
from kubelab.cluster.resources.netchecks import (
    cidr_errors,
    ip_errors,
    ip_family,
    non_special_ip_errors,
    parse_ip,
)
from kubelab.cluster.resources.printing import NONE, UNKNOWN, age, format_map_selector
from kubelab.cluster.resources.validation import validate_labels

CLUSTER_IP = "ClusterIP"
NODE_PORT = "NodePort"
LOAD_BALANCER = "LoadBalancer"
EXTERNAL_NAME = "ExternalName"
SERVICE_TYPES = [CLUSTER_IP, EXTERNAL_NAME, LOAD_BALANCER, NODE_PORT]
HEADLESS = "None"

SINGLE_STACK = "SingleStack"
PREFER_DUAL_STACK = "PreferDualStack"
REQUIRE_DUAL_STACK = "RequireDualStack"
IP_FAMILY_POLICIES = [PREFER_DUAL_STACK, REQUIRE_DUAL_STACK, SINGLE_STACK]
IP_FAMILIES = ["IPv4", "IPv6"]
#: The teaching cluster's service network is single-stack IPv4 (``10.96.0.0/12``).
CLUSTER_IP_FAMILIES = ("IPv4",)

#: Node ports come from kube-apiserver's default ``--service-node-port-range``.
NODE_PORT_RANGE = (30000, 32767)
NODE_PORT_RANGE_MSG = (
    "provided port is not in the valid range. The range of valid ports is "
    f"{NODE_PORT_RANGE[0]}-{NODE_PORT_RANGE[1]}"
)
KUBELET_PORT = 10250
DEFAULT_AFFINITY_TIMEOUT = 10800
MAX_AFFINITY_TIMEOUT = 86400
TRAFFIC_POLICIES = ["Cluster", "Local"]
TRAFFIC_DISTRIBUTIONS = ["PreferClose", "PreferSameNode", "PreferSameZone"]
SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"

_SPEC = "api.core.v1.ServiceSpec"


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("spec") or {}


def _ports(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [port or {} for port in spec.get("ports") or []]


def is_headless(spec: dict[str, Any]) -> bool:
    ips = spec.get("clusterIPs") or []
    return len(ips) == 1 and ips[0] == HEADLESS


def externally_accessible(spec: dict[str, Any]) -> bool:
    kind = spec.get("type")
    return kind in (LOAD_BALANCER, NODE_PORT) or (
        kind == CLUSTER_IP and bool(spec.get("externalIPs"))
    )


def needs_health_check(spec: dict[str, Any]) -> bool:
    return spec.get("type") == LOAD_BALANCER and spec.get("externalTrafficPolicy") == "Local"


def _needs_cluster_ip(spec: dict[str, Any]) -> bool:
    return spec.get("type") != EXTERNAL_NAME


def _needs_node_ports(spec: dict[str, Any]) -> bool:
    return spec.get("type") in (NODE_PORT, LOAD_BALANCER)


# --- defaulting ---------------------------------------------------------------------------


def _default_spec(spec: dict[str, Any]) -> None:
    """``SetDefaults_Service`` on the spec."""
    spec["sessionAffinity"] = spec.get("sessionAffinity") or "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        client_ip = (spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}
        if client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {
                "clientIP": {"timeoutSeconds": DEFAULT_AFFINITY_TIMEOUT}
            }
    spec["type"] = spec.get("type") or CLUSTER_IP
    for port in spec.get("ports") or []:
        if not isinstance(port, dict):
            continue
        port["protocol"] = port.get("protocol") or "TCP"
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port", 0)
    if externally_accessible(spec) and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and spec["type"] in (
        NODE_PORT,
        LOAD_BALANCER,
        CLUSTER_IP,
    ):
        spec["internalTrafficPolicy"] = "Cluster"
    if spec["type"] == LOAD_BALANCER and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True


def _default_status(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    if spec.get("type") != LOAD_BALANCER:
        return
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    for point in ingress:
        if isinstance(point, dict) and point.get("ip") and point.get("ipMode") is None:
            point["ipMode"] = "VIP"


# --- REST-level preparation (what the Service storage does before validation) ----------------


def _normalize_cluster_ips(spec: dict[str, Any], old_spec: dict[str, Any] | None) -> None:
    """Keep ``clusterIP`` and ``clusterIPs`` in step, for clients that set only one of them."""
    if old_spec is not None:
        if old_spec.get("clusterIPs") and spec.get("clusterIPs") and not spec.get("clusterIP"):
            spec.pop("clusterIPs", None)
        old_ip, new_ip = old_spec.get("clusterIP"), spec.get("clusterIP")
        ips, old_ips = spec.get("clusterIPs") or [], old_spec.get("clusterIPs") or []
        if old_ip and new_ip and old_ip != new_ip and ips and old_ips and ips[0] == old_ips[0]:
            spec["clusterIPs"] = [new_ip, *ips[1:]]
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]


def _patch_allocated_values(spec: dict[str, Any], old_spec: dict[str, Any]) -> None:
    """Keep allocated IPs and node ports a client left out of an update (``kubectl replace``)."""
    if _needs_cluster_ip(old_spec) and _needs_cluster_ip(spec):
        if not spec.get("clusterIP") and old_spec.get("clusterIP"):
            spec["clusterIP"] = old_spec["clusterIP"]
        if not spec.get("clusterIPs") and old_spec.get("clusterIPs"):
            spec["clusterIPs"] = list(old_spec["clusterIPs"])
    if _needs_node_ports(old_spec) and _needs_node_ports(spec):
        used = {p.get("nodePort") for p in _ports(old_spec)} & {
            p.get("nodePort") for p in _ports(spec)
        }
        by_name = {p.get("name", ""): p.get("nodePort", 0) for p in _ports(old_spec)}
        for port in _ports(spec):
            if not port.get("nodePort"):
                old_value = by_name.get(port.get("name", ""), 0)
                if old_value and old_value not in used:
                    port["nodePort"] = old_value
    if (
        needs_health_check(old_spec)
        and needs_health_check(spec)
        and not spec.get("healthCheckNodePort")
    ):
        spec["healthCheckNodePort"] = old_spec.get("healthCheckNodePort", 0)


def _drop_type_dependent_fields(spec: dict[str, Any], old_spec: dict[str, Any]) -> None:
    """Clear what the old type needed and the new one does not, unless the client changed it."""

    def same(key: str) -> bool:
        return spec.get(key) == old_spec.get(key)

    if _needs_cluster_ip(old_spec) and not _needs_cluster_ip(spec):
        if same("clusterIP") and same("clusterIPs"):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        if same("ipFamilies"):
            spec.pop("ipFamilies", None)
        if same("ipFamilyPolicy"):
            spec.pop("ipFamilyPolicy", None)
    old_node_ports = [p.get("nodePort") for p in _ports(old_spec)]
    if (
        _needs_node_ports(old_spec)
        and not _needs_node_ports(spec)
        and [p.get("nodePort") for p in _ports(spec)] == old_node_ports
    ):
        for port in _ports(spec):
            port.pop("nodePort", None)
    if (
        needs_health_check(old_spec)
        and not needs_health_check(spec)
        and same("healthCheckNodePort")
    ):
        spec.pop("healthCheckNodePort", None)
    if old_spec.get("type") == LOAD_BALANCER and spec.get("type") != LOAD_BALANCER:
        for key in ("allocateLoadBalancerNodePorts", "loadBalancerClass"):
            if same(key):
                spec.pop(key, None)
    if (
        externally_accessible(old_spec)
        and not externally_accessible(spec)
        and same("externalTrafficPolicy")
    ):
        spec.pop("externalTrafficPolicy", None)


def _init_ip_families(spec: dict[str, Any], old_spec: dict[str, Any] | None) -> None:
    """Default ``ipFamilyPolicy`` and ``ipFamilies`` as the Service IP allocator does."""
    if spec.get("type") == EXTERNAL_NAME:
        return
    headless_without_selector = spec.get("clusterIP") == HEADLESS and not spec.get("selector")
    if not spec.get("ipFamilyPolicy"):
        if old_spec and old_spec.get("ipFamilyPolicy"):
            spec["ipFamilyPolicy"] = old_spec["ipFamilyPolicy"]
        elif headless_without_selector:
            spec["ipFamilyPolicy"] = REQUIRE_DUAL_STACK
        else:
            spec["ipFamilyPolicy"] = SINGLE_STACK
    families = list(spec.get("ipFamilies") or [])
    for i, value in enumerate(spec.get("clusterIPs") or []):
        if value == HEADLESS:
            break
        ip = parse_ip(value) if isinstance(value, str) else None
        if ip is None:
            return
        if i >= len(families):
            families.append(ip_family(ip))
    if headless_without_selector:
        families = families or [CLUSTER_IP_FAMILIES[0]]
        if len(families) < 2 and spec["ipFamilyPolicy"] != SINGLE_STACK:
            families.append("IPv6" if families[0] == "IPv4" else "IPv4")
    elif not families:
        families = [CLUSTER_IP_FAMILIES[0]]
    spec["ipFamilies"] = families


# --- validation -----------------------------------------------------------------------------


def _port_errors(
    port: dict[str, Any], path: str, require_name: bool, names: set[str]
) -> list[FieldError]:
    """``validateServicePort``."""
    errors: list[FieldError] = []
    name = port.get("name") or ""
    if require_name and not name:
        errors.append(required(f"{path}.name"))
    elif name:
        errors += dns1123_label(name, f"{path}.name")
        if name in names:
            errors.append(duplicate(f"{path}.name", name))
        names.add(name)
    number = port.get("port", 0)
    errors += messages_at(f"{path}.port", number, port_number_errors(number))
    protocol = port.get("protocol") or ""
    if not protocol:
        errors.append(required(f"{path}.protocol"))
    elif protocol not in SUPPORTED_PROTOCOLS:
        errors.append(not_supported(f"{path}.protocol", protocol, SUPPORTED_PROTOCOLS))
    errors += port_number_or_name(port.get("targetPort", 0), f"{path}.targetPort")
    if port.get("appProtocol") is not None:
        errors += qualified_name(port["appProtocol"], f"{path}.appProtocol")
    return errors


def _type_errors(spec: dict[str, Any]) -> list[FieldError]:
    """The per-type rules at the top of ``ValidateService``."""
    errors: list[FieldError] = []
    kind = spec.get("type")
    ips = spec.get("clusterIPs") or []
    if kind == LOAD_BALANCER:
        for i, port in enumerate(_ports(spec)):
            if port.get("port") == KUBELET_PORT:
                errors.append(
                    invalid(
                        f"spec.ports[{i}]",
                        KUBELET_PORT,
                        f"may not expose port {KUBELET_PORT} externally since it is used by "
                        "kubelet",
                    )
                )
    if kind in (LOAD_BALANCER, NODE_PORT) and is_headless(spec):
        errors.append(
            invalid("spec.clusterIPs[0]", ips[0], f"may not be set to 'None' for {kind} services")
        )
    if kind == EXTERNAL_NAME:
        for key in ("clusterIPs", "ipFamilies"):
            if spec.get(key):
                errors.append(
                    forbidden_field(f"spec.{key}", "may not be set for ExternalName services")
                )
        if spec.get("ipFamilyPolicy") is not None:
            errors.append(
                forbidden_field("spec.ipFamilyPolicy", "may not be set for ExternalName services")
            )
        cname = (spec.get("externalName") or "").removesuffix(".")
        if cname:
            errors += dns1123_subdomain(cname, "spec.externalName")
        else:
            errors.append(required("spec.externalName"))
    return errors


def _affinity_errors(spec: dict[str, Any]) -> list[FieldError]:
    affinity = spec.get("sessionAffinity") or ""
    if not affinity:
        return [required("spec.sessionAffinity")]
    if affinity not in ("ClientIP", "None"):
        return [not_supported("spec.sessionAffinity", affinity, ["ClientIP", "None"])]
    config = spec.get("sessionAffinityConfig")
    if affinity == "None":
        if config is not None:
            return [
                forbidden_field(
                    "spec.sessionAffinityConfig", "must not be set when session affinity is None"
                )
            ]
        return []
    when = "when session affinity type is ClientIP"
    if config is None:
        return [required("spec.sessionAffinityConfig", when)]
    if config.get("clientIP") is None:
        return [required("spec.sessionAffinityConfig.clientIP", when)]
    timeout = config["clientIP"].get("timeoutSeconds")
    path = "spec.sessionAffinityConfig.clientIP.timeoutSeconds"
    if timeout is None:
        return [required(path, when)]
    if not 0 < timeout <= MAX_AFFINITY_TIMEOUT:
        return [
            invalid(path, timeout, f"must be greater than 0 and less than {MAX_AFFINITY_TIMEOUT}")
        ]
    return []


def cluster_ip_errors(spec: dict[str, Any]) -> list[FieldError]:
    """``ValidateServiceClusterIPsRelatedFields``, plus the allocator's single-stack checks."""
    if spec.get("type") == EXTERNAL_NAME:
        return []
    errors: list[FieldError] = []
    cluster_ip, ips = spec.get("clusterIP") or "", spec.get("clusterIPs") or []
    if cluster_ip:
        if not ips:
            errors.append(required("spec.clusterIPs"))
        elif ips[0] != cluster_ip:
            errors.append(invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"))
    elif ips:
        errors.append(
            invalid("spec.clusterIPs", ips, "must be empty when `clusterIP` is not specified")
        )
    families = spec.get("ipFamilies") or []
    for i, family in enumerate(families):
        if family not in IP_FAMILIES:
            errors.append(not_supported(f"spec.ipFamilies[{i}]", family, IP_FAMILIES))
        if family in families[:i]:
            errors.append(duplicate(f"spec.ipFamilies[{i}]", family))
    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in IP_FAMILY_POLICIES:
        errors.append(not_supported("spec.ipFamilyPolicy", policy, IP_FAMILY_POLICIES))
    bad_ips = False
    for i, value in enumerate(ips):
        if i == 0 and value == HEADLESS:
            if len(ips) > 1:
                bad_ips = True
                errors.append(
                    invalid("spec.clusterIPs", ips, "'None' must be the first and only value")
                )
            continue
        problems = ip_errors(f"spec.clusterIPs[{i}]", value)
        bad_ips = bad_ips or bool(problems)
        errors += problems
    if len(ips) > 2:
        errors.append(invalid("spec.clusterIPs", ips, "may only hold up to 2 values"))
    if bad_ips:
        return errors
    families_of_ips = {ip_family(ip) for ip in map(parse_ip, ips) if ip is not None}
    if len(ips) > 1 and families_of_ips != set(IP_FAMILIES):
        errors.append(
            invalid("spec.clusterIPs", ips, "may specify no more than one IP for each IP family")
        )
    if not is_headless(spec):
        for i, (value, family) in enumerate(zip(ips, families, strict=False)):
            ip = parse_ip(value)
            if ip is not None and family in IP_FAMILIES and ip_family(ip) != family:
                errors.append(
                    invalid(
                        f"spec.clusterIPs[{i}]",
                        value,
                        f"expected an {family} value as indicated by `ipFamilies[{i}]`",
                    )
                )
    return errors + _cluster_stack_errors(spec)


def _cluster_stack_errors(spec: dict[str, Any]) -> list[FieldError]:
    """What a single-stack cluster cannot provide (the allocator's ``initIPFamilyFields``)."""
    ips = spec.get("clusterIPs") or []
    errors = []
    for i, value in enumerate(ips):
        ip = parse_ip(value) if value != HEADLESS else None
        if ip is not None and ip_family(ip) not in CLUSTER_IP_FAMILIES:
            errors.append(
                invalid(
                    f"spec.clusterIPs[{i}]",
                    ips,
                    f"{ip_family(ip)} is not configured on this cluster",
                )
            )
    if errors or (spec.get("clusterIP") == HEADLESS and not spec.get("selector")):
        return errors
    if spec.get("ipFamilyPolicy") == REQUIRE_DUAL_STACK and len(CLUSTER_IP_FAMILIES) < 2:
        errors.append(
            invalid(
                "spec.ipFamilyPolicy",
                REQUIRE_DUAL_STACK,
                "this cluster is not configured for dual-stack services",
            )
        )
    for i, family in enumerate(spec.get("ipFamilies") or []):
        if family in IP_FAMILIES and family not in CLUSTER_IP_FAMILIES:
            errors.append(
                invalid(f"spec.ipFamilies[{i}]", family, "not configured on this cluster")
            )
    return errors


def _port_collision_errors(spec: dict[str, Any]) -> list[FieldError]:
    """Duplicate (protocol, nodePort) and (protocol, port) pairs, and node port ranges."""
    errors: list[FieldError] = []
    node_ports: set[tuple[Any, Any]] = set()
    for i, port in enumerate(_ports(spec)):
        number = port.get("nodePort") or 0
        if not number:
            continue
        low, high = NODE_PORT_RANGE
        if not low <= number <= high:
            errors.append(invalid(f"spec.ports[{i}].nodePort", number, NODE_PORT_RANGE_MSG))
        key = (port.get("protocol"), number)
        if key in node_ports:
            errors.append(duplicate(f"spec.ports[{i}].nodePort", number))
        node_ports.add(key)
    seen: set[tuple[Any, Any]] = set()
    for i, port in enumerate(_ports(spec)):
        key = (port.get("protocol"), port.get("port"))
        if key in seen:
            errors.append(duplicate(f"spec.ports[{i}]", _port_key(port)))
        seen.add(key)
    return errors


def _port_key(port: dict[str, Any]) -> dict[str, Any]:
    """The (protocol, port) key upstream reports for a duplicate port, as its JSON shows it."""
    return {
        "Name": "",
        "Protocol": port.get("protocol", ""),
        "AppProtocol": None,
        "Port": port.get("port", 0),
        "TargetPort": 0,
        "NodePort": 0,
    }


def _source_range_errors(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj)
    errors: list[FieldError] = []
    ranges = spec.get("loadBalancerSourceRanges") or []
    annotations = obj.get("metadata", {}).get("annotations") or {}
    lb_only = "may only be used when `type` is 'LoadBalancer'"
    if ranges:
        path = "spec.LoadBalancerSourceRanges"
        if spec.get("type") != LOAD_BALANCER:
            errors.append(forbidden_field(path, lb_only))
        for i, value in enumerate(ranges):
            errors += cidr_errors(f"{path}[{i}]", value.strip())
    elif SOURCE_RANGES_ANNOTATION in annotations:
        path = f"metadata.annotations[{SOURCE_RANGES_ANNOTATION}]"
        if spec.get("type") != LOAD_BALANCER:
            errors.append(forbidden_field(path, lb_only))
        value = annotations[SOURCE_RANGES_ANNOTATION].strip()
        for cidr in value.split(",") if value else []:
            errors += cidr_errors(path, cidr.strip())
    return errors


def _traffic_errors(spec: dict[str, Any]) -> list[FieldError]:
    """External and internal traffic policies, health check node port, traffic distribution."""
    errors: list[FieldError] = []
    external = spec.get("externalTrafficPolicy") or ""
    if not externally_accessible(spec):
        if external:
            errors.append(
                invalid(
                    "spec.externalTrafficPolicy",
                    external,
                    "may only be set for externally-accessible services",
                )
            )
    elif not external:
        errors.append(required("spec.externalTrafficPolicy"))
    elif external not in TRAFFIC_POLICIES:
        errors.append(not_supported("spec.externalTrafficPolicy", external, TRAFFIC_POLICIES))
    health_port = spec.get("healthCheckNodePort") or 0
    if not needs_health_check(spec):
        if health_port:
            errors.append(
                invalid(
                    "spec.healthCheckNodePort",
                    health_port,
                    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` "
                    "is 'Local'",
                )
            )
    elif health_port:
        errors += messages_at(
            "spec.healthCheckNodePort", health_port, port_number_errors(health_port)
        )
    internal = spec.get("internalTrafficPolicy")
    if internal is None:
        if spec.get("type") in (NODE_PORT, LOAD_BALANCER, CLUSTER_IP):
            errors.append(required("spec.internalTrafficPolicy"))
    elif internal not in TRAFFIC_POLICIES:
        errors.append(not_supported("spec.internalTrafficPolicy", internal, TRAFFIC_POLICIES))
    distribution = spec.get("trafficDistribution")
    if distribution is not None and distribution not in TRAFFIC_DISTRIBUTIONS:
        errors.append(
            not_supported("spec.trafficDistribution", distribution, TRAFFIC_DISTRIBUTIONS)
        )
    return errors


def _load_balancer_errors(
    spec: dict[str, Any], old_spec: dict[str, Any] | None
) -> list[FieldError]:
    errors: list[FieldError] = []
    is_lb = spec.get("type") == LOAD_BALANCER
    lb_only = "may only be used when `type` is 'LoadBalancer'"
    if spec.get("allocateLoadBalancerNodePorts") is not None and not is_lb:
        errors.append(forbidden_field("spec.allocateLoadBalancerNodePorts", lb_only))
    if is_lb and spec.get("allocateLoadBalancerNodePorts") is None:
        errors.append(required("allocateLoadBalancerNodePorts"))
    lb_class = spec.get("loadBalancerClass")
    if (
        old_spec is not None
        and old_spec.get("type") == LOAD_BALANCER
        and is_lb
        and old_spec.get("loadBalancerClass") != lb_class
    ):
        errors.append(invalid("spec.loadBalancerClass", lb_class, "may not change once set"))
    if lb_class is not None:
        if is_lb:
            errors += qualified_name(lb_class, "spec.loadBalancerClass")
        else:
            errors.append(
                forbidden_field(
                    "spec.loadBalancerClass", "may only be used when service type is 'LoadBalancer'"
                )
            )
    return errors


def validate_service(
    obj: dict[str, Any], old_spec: dict[str, Any] | None = None
) -> list[FieldError]:
    """``ValidateService``: the spec rules, in upstream's order."""
    spec = _spec(obj)
    errors: list[FieldError] = []
    ports = _ports(spec)
    if not ports and not is_headless(spec) and spec.get("type") != EXTERNAL_NAME:
        errors.append(required("spec.ports"))
    errors += _type_errors(spec)
    names: set[str] = set()
    for i, port in enumerate(ports):
        errors += _port_errors(port, f"spec.ports[{i}]", len(ports) > 1, names)
    if spec.get("selector") is not None:
        errors += validate_labels(spec["selector"], "spec.selector")
    errors += _affinity_errors(spec)
    errors += cluster_ip_errors(spec)
    for i, value in enumerate(spec.get("externalIPs") or []):
        problems = ip_errors(f"spec.externalIPs[{i}]", value)
        errors += problems or non_special_ip_errors(f"spec.externalIPs[{i}]", value)
    kind = spec.get("type") or ""
    if not kind:
        errors.append(required("spec.type"))
    elif kind not in SERVICE_TYPES:
        errors.append(not_supported("spec.type", kind, SERVICE_TYPES))
    if kind == CLUSTER_IP:
        for i, port in enumerate(ports):
            if port.get("nodePort"):
                errors.append(
                    forbidden_field(
                        f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'"
                    )
                )
    errors += _port_collision_errors(spec)
    errors += _source_range_errors(obj)
    errors += _load_balancer_errors(spec, old_spec)
    errors += _traffic_errors(spec)
    return errors


def _update_errors(spec: dict[str, Any], old_spec: dict[str, Any]) -> list[FieldError]:
    """The parts of ``ValidateServiceUpdate`` that compare with the stored Service."""
    errors: list[FieldError] = []
    if EXTERNAL_NAME not in (spec.get("type"), old_spec.get("type")) and not (
        is_headless(spec) and is_headless(old_spec)
    ):
        errors += _cluster_ips_update_errors(spec, old_spec)
        if is_headless(spec) == is_headless(old_spec) and not is_headless(spec):
            errors += _families_update_errors(spec, old_spec)
    if (
        needs_health_check(spec)
        and needs_health_check(old_spec)
        and spec.get("healthCheckNodePort") != old_spec.get("healthCheckNodePort")
    ):
        errors.append(forbidden_field("spec.healthCheckNodePort", "field is immutable"))
    return errors


def _cluster_ips_update_errors(spec: dict[str, Any], old_spec: dict[str, Any]) -> list[FieldError]:
    """``validateUpgradeDowngradeClusterIPs``: the primary cluster IP never changes."""
    ips, old_ips = spec.get("clusterIPs") or [], old_spec.get("clusterIPs") or []
    changed = "may not change once set"
    if len(ips) == len(old_ips):
        return [
            invalid(f"spec.clusterIPs[{i}]", ips, changed)
            for i, value in enumerate(old_ips)
            if value != ips[i]
        ]
    errors: list[FieldError] = []
    if len(old_ips) > len(ips):
        if not ips:
            errors.append(invalid("spec.clusterIPs[0]", ips, "primary clusterIP can not be unset"))
        elif ips[0] != old_ips[0]:
            errors.append(invalid("spec.clusterIPs[0]", ips, changed))
        if len(ips) == 1 and spec.get("ipFamilyPolicy") != SINGLE_STACK:
            errors.append(
                invalid(
                    "spec.ipFamilyPolicy",
                    spec.get("ipFamilyPolicy"),
                    "must be set to 'SingleStack' when releasing the secondary clusterIP",
                )
            )
    elif old_ips and ips[0] != old_ips[0]:
        errors.append(invalid("spec.clusterIPs[0]", ips, changed))
    return errors


def _families_update_errors(spec: dict[str, Any], old_spec: dict[str, Any]) -> list[FieldError]:
    """``validateUpgradeDowngradeIPFamilies``: the primary family never changes."""
    families, old_families = spec.get("ipFamilies") or [], old_spec.get("ipFamilies") or []
    changed = "may not change once set"
    if len(families) == len(old_families):
        return [
            invalid(f"spec.ipFamilies[{i}]", families, changed)
            for i, family in enumerate(old_families)
            if family != families[i]
        ]
    errors: list[FieldError] = []
    if len(old_families) > len(families):
        if not families:
            errors.append(
                invalid("spec.ipFamilies[0]", families, "primary ipFamily can not be unset")
            )
        elif families[0] != old_families[0]:
            errors.append(invalid("spec.ipFamilies[0]", families, changed))
        if len(families) == 1 and spec.get("ipFamilyPolicy") != SINGLE_STACK:
            errors.append(
                invalid(
                    "spec.ipFamilyPolicy",
                    spec.get("ipFamilyPolicy"),
                    "must be set to 'SingleStack' when releasing the secondary ipFamily",
                )
            )
    elif old_families and families[0] != old_families[0]:
        errors.append(invalid("spec.ipFamilies[0]", families, changed))
    return errors


# --- printing -----------------------------------------------------------------------------


def _load_balancer_addresses(obj: dict[str, Any]) -> str:
    """``loadBalancerStatusStringer`` (wide, as the server prints): sorted IPs or hostnames."""
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    found = {p.get("ip") or p.get("hostname") for p in ingress if p.get("ip") or p.get("hostname")}
    return ",".join(sorted(found))


def external_ip(obj: dict[str, Any]) -> str:
    """The EXTERNAL-IP cell: external IPs, load balancer addresses, ``<pending>`` or the name."""
    spec = _spec(obj)
    kind, external_ips = spec.get("type"), spec.get("externalIPs") or []
    if kind in (CLUSTER_IP, NODE_PORT):
        return ",".join(external_ips) if external_ips else NONE
    if kind == LOAD_BALANCER:
        addresses = _load_balancer_addresses(obj)
        if external_ips:
            return ",".join([*(addresses.split(",") if addresses else []), *external_ips])
        return addresses or "<pending>"
    if kind == EXTERNAL_NAME:
        return spec.get("externalName", "")
    return UNKNOWN


def port_string(ports: list[dict[str, Any]]) -> str:
    """``makePortString``: ``80/TCP``, or ``80:30080/TCP`` when a node port is set."""
    pieces = []
    for port in ports:
        number, protocol = port.get("port", 0), port.get("protocol", "")
        node_port = port.get("nodePort") or 0
        pieces.append(
            f"{number}:{node_port}/{protocol}" if node_port > 0 else f"{number}/{protocol}"
        )
    return ",".join(pieces)


class ServiceStrategy(ResourceStrategy):
    kind = "Service"
    plural = "services"
    returns_deleted_object = True
    short_names = ("svc",)
    categories = ("all",)
    subresources = ("status", "proxy")
    selectable_fields = ("spec.clusterIP", "spec.type")
    name_rule = "dns1035"
    columns = (
        NAME_COLUMN,
        Column("Type", description=field_doc(_SPEC, "type")),
        Column("Cluster-IP", description=field_doc(_SPEC, "clusterIP")),
        Column("External-IP", description=field_doc(_SPEC, "externalIPs")),
        Column("Port(s)", description=field_doc(_SPEC, "ports")),
        AGE_COLUMN,
        Column("Selector", priority=1, description=field_doc(_SPEC, "selector")),
    )

    @property
    def tracks_generation(self) -> bool:
        return False

    def default(self, obj: dict[str, Any]) -> None:
        spec = obj.get("spec") or {}
        obj["spec"] = spec
        _default_spec(spec)
        _default_status(obj)

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        obj["status"] = {"loadBalancer": {}}
        spec = _spec(obj)
        _normalize_cluster_ips(spec, None)
        _init_ip_families(spec, None)

    def prepare_for_update(self, obj: dict[str, Any], old: dict[str, Any]) -> None:
        super().prepare_for_update(obj, old)
        spec, old_spec = _spec(obj), _spec(old)
        _patch_allocated_values(spec, old_spec)
        _normalize_cluster_ips(spec, old_spec)
        _drop_type_dependent_fields(spec, old_spec)
        _init_ip_families(spec, old_spec)

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return validate_service(obj)

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return _update_errors(_spec(obj), _spec(old)) + validate_service(obj, _spec(old))

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        spec = _spec(obj)
        warnings = []
        if spec.get("type") == EXTERNAL_NAME and spec.get("externalIPs"):
            warnings.append('spec.externalIPs is ignored when spec.type is "ExternalName"')
        if spec.get("type") != EXTERNAL_NAME and spec.get("externalName"):
            warnings.append('spec.externalName is ignored when spec.type is not "ExternalName"')
        return warnings

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec = _spec(obj)
        ips = spec.get("clusterIPs") or []
        return [
            obj["metadata"]["name"],
            spec.get("type", ""),
            ips[0] if ips else NONE,
            external_ip(obj),
            port_string(_ports(spec)) or NONE,
            age(obj, now),
            format_map_selector(spec.get("selector")),
        ]


STRATEGIES = [ServiceStrategy()]
