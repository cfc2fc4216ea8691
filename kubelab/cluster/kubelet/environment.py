"""A container's environment, resolved the way the kubelet resolves it.

``env`` entries may take their value from a ConfigMap or Secret key, from the pod's own fields
(``fieldRef``) or from the container's resources (``resourceFieldRef``); ``envFrom`` imports
whole ConfigMaps and Secrets. A missing ConfigMap, Secret or key stops the container from being
created (``CreateContainerConfigError``) unless the reference is optional; the message names what
is missing, exactly as a learner will see it in ``kubectl describe pod``.

Like a real kubelet, every container also learns where the Services are: the ``kubernetes``
Service in ``default`` always, and the Services of the pod's own namespace unless the pod sets
``enableServiceLinks: false``. These are the docker-links style variables
(``NAME_SERVICE_HOST``, ``NAME_PORT_80_TCP``, ...) and, being fixed when the container starts,
they never include a Service created later. Explicit ``env`` and ``envFrom`` values win over them.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from kubelab.cluster.client import LocalClient, Resource
from kubelab.cluster.quantity import Quantity

CONFIG_MAPS: Resource = ("", "v1", "configmaps")
SECRETS: Resource = ("", "v1", "secrets")
SERVICES: Resource = ("", "v1", "services")
MASTER_SERVICE_NAMESPACE = "default"
MASTER_SERVICE_NAME = "kubernetes"
_VARIABLE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\$")


class ConfigError(Exception):
    """A container cannot be created because its configuration is incomplete."""


def _source(client: LocalClient, kind: str, namespace: str, name: str) -> dict[str, str] | None:
    if kind == "configmap":
        cm = client.get(CONFIG_MAPS, namespace, name)
        if cm is None:
            return None
        values = dict(cm.get("data") or {})
        for key, value in (cm.get("binaryData") or {}).items():
            values[key] = base64.b64decode(value).decode(errors="replace")
        return values
    secret = client.get(SECRETS, namespace, name)
    if secret is None:
        return None
    return {
        k: base64.b64decode(v).decode(errors="replace")
        for k, v in (secret.get("data") or {}).items()
    }


def field_value(pod: dict[str, Any], path: str) -> str:
    """The value behind a downward-API ``fieldPath`` such as ``status.podIP``."""
    meta, spec, status = pod["metadata"], pod.get("spec", {}), pod.get("status", {})
    match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if match:
        return str((meta.get(match.group(1)) or {}).get(match.group(2), ""))
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.hostIP": status.get("hostIP", ""),
        "status.podIP": status.get("podIP", ""),
        "status.hostIPs": ",".join(i["ip"] for i in status.get("hostIPs") or []),
        "status.podIPs": ",".join(i["ip"] for i in status.get("podIPs") or []),
    }
    if path in ("metadata.labels", "metadata.annotations"):
        items = meta.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{v}"' for k, v in sorted(items.items()))
    return str(simple.get(path, ""))


def resource_value(
    container: dict[str, Any], resource: str, divisor: str | None, node_allocatable: dict[str, str]
) -> str:
    """A ``resourceFieldRef`` value: the limit (or request), defaulting to node allocatable."""
    kind, _, name = resource.partition(".")
    values = (container.get("resources") or {}).get(kind) or {}
    raw = values.get(name) or (node_allocatable.get(name) if kind == "limits" else None) or "0"
    amount = Quantity.parse(raw)
    unit = Quantity.parse(divisor or "1")
    milli, unit_milli = amount.milli_value(), max(unit.milli_value(), 1)
    return str(-(-milli // unit_milli))


def expand(value: str, env: dict[str, str]) -> str:
    """Expand ``$(VAR)`` references to earlier variables; ``$$`` escapes a dollar."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env.get(name, match.group(0))

    return _VARIABLE.sub(replace, value)


def expand_command_and_args(spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """The container spec with ``$(VAR)`` in ``command`` and ``args`` replaced from its final
    environment, as the kubelet does just before it starts the container (an unknown name stays
    as written). Only the kubelet's copy changes; the pod's spec keeps what the user wrote."""
    expanded = dict(spec)
    for field in ("command", "args"):
        if spec.get(field):
            expanded[field] = [expand(part, env) for part in spec[field]]
    return expanded


def _has_cluster_ip(service: dict[str, Any]) -> bool:
    cluster_ip = (service.get("spec") or {}).get("clusterIP") or ""
    return cluster_ip not in ("", "None") and bool(service["spec"].get("ports"))


def _variable_name(name: str) -> str:
    return name.replace("-", "_").upper()


def _link_variables(service: dict[str, Any]) -> dict[str, str]:
    """One Service's variables, in the form Docker links gave them."""
    spec = service["spec"]
    ip = spec["clusterIP"]
    host = f"[{ip}]" if ":" in ip else ip
    prefix = _variable_name(service["metadata"]["name"])
    ports = spec["ports"]
    env = {
        f"{prefix}_SERVICE_HOST": ip,
        f"{prefix}_SERVICE_PORT": str(ports[0]["port"]),
    }
    for port in ports:
        if port.get("name"):
            env[f"{prefix}_SERVICE_PORT_{_variable_name(port['name'])}"] = str(port["port"])
    for index, port in enumerate(ports):
        protocol = port.get("protocol") or "TCP"
        url = f"{protocol.lower()}://{host}:{port['port']}"
        if index == 0:
            env[f"{prefix}_PORT"] = url
        port_prefix = f"{prefix}_PORT_{port['port']}_{protocol.upper()}"
        env[port_prefix] = url
        env[f"{port_prefix}_PROTO"] = protocol.lower()
        env[f"{port_prefix}_PORT"] = str(port["port"])
        env[f"{port_prefix}_ADDR"] = ip
    return env


def service_environment(client: LocalClient, pod: dict[str, Any]) -> dict[str, str]:
    """The Service variables a container of ``pod`` starts with, from the Services existing now.

    The master Service is always included; a Service of the same name in the pod's namespace
    replaces it when service links are enabled, as in the kubelet.
    """
    namespace = pod["metadata"]["namespace"]
    services: dict[str, dict[str, Any]] = {}
    master = client.get(SERVICES, MASTER_SERVICE_NAMESPACE, MASTER_SERVICE_NAME)
    if master is not None and _has_cluster_ip(master):
        services[MASTER_SERVICE_NAME] = master
    if (pod.get("spec") or {}).get("enableServiceLinks") is not False:
        for service in client.list(SERVICES, namespace):
            if _has_cluster_ip(service):
                services[service["metadata"]["name"]] = service
    env: dict[str, str] = {}
    for service in services.values():
        env.update(_link_variables(service))
    return env


def resolve_environment(
    client: LocalClient,
    pod: dict[str, Any],
    container: dict[str, Any],
    node_allocatable: dict[str, str],
) -> dict[str, str]:
    """The container's environment, or :class:`ConfigError` with the kubelet's message."""
    namespace = pod["metadata"]["namespace"]
    services = service_environment(client, pod)
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        for kind, ref_key in (("configmap", "configMapRef"), ("secret", "secretRef")):
            ref = source.get(ref_key)
            if not ref:
                continue
            values = _source(client, kind, namespace, ref.get("name", ""))
            if values is None:
                if ref.get("optional"):
                    continue
                raise ConfigError(f'{kind} "{ref.get("name", "")}" not found')
            for key, value in values.items():
                env[prefix + key] = value
    for variable in container.get("env") or []:
        name = variable["name"]
        if "value" in variable or "valueFrom" not in variable:
            env[name] = expand(str(variable.get("value", "")), services | env)
            continue
        value_from = variable["valueFrom"]
        if "fieldRef" in value_from:
            env[name] = field_value(pod, value_from["fieldRef"].get("fieldPath", ""))
        elif "resourceFieldRef" in value_from:
            ref = value_from["resourceFieldRef"]
            env[name] = resource_value(
                container, ref.get("resource", ""), ref.get("divisor"), node_allocatable
            )
        else:
            resolved = _key_ref(client, namespace, value_from)
            if resolved is not None:
                env[name] = resolved
    return services | env


def _key_ref(client: LocalClient, namespace: str, value_from: dict[str, Any]) -> str | None:
    for kind, ref_key, label in (
        ("configmap", "configMapKeyRef", "ConfigMap"),
        ("secret", "secretKeyRef", "Secret"),
    ):
        ref = value_from.get(ref_key)
        if not ref:
            continue
        name, key = ref.get("name", ""), ref.get("key", "")
        values = _source(client, kind, namespace, name)
        if values is None:
            if ref.get("optional"):
                return None
            raise ConfigError(f'{kind} "{name}" not found')
        if key not in values:
            if ref.get("optional"):
                return None
            raise ConfigError(f"couldn't find key {key} in {label} {namespace}/{name}")
        return values[key]
    return None
