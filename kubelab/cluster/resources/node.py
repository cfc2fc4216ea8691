"""Nodes: cluster-scoped, registered by the kubelet with their status, cordoned via the spec.

``kubectl get nodes`` derives STATUS from the Ready condition (plus ``SchedulingDisabled`` when
cordoned) and ROLES from ``node-role.kubernetes.io/<role>`` labels, as upstream's printer does.
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
from kubelab.cluster.quantity import Quantity, QuantityError
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.fieldchecks import messages_at
from kubelab.cluster.resources.netchecks import cidr_errors
from kubelab.cluster.resources.printing import NONE, UNKNOWN, age
from kubelab.cluster.resources.validation import label_value_errors, qualified_name_errors

ROLE_LABEL_PREFIX = "node-role.kubernetes.io/"
LEGACY_ROLE_LABEL = "kubernetes.io/role"
TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
NEGATIVE_MSG = "must be greater than or equal to 0"

_SYSTEM_INFO = "api.core.v1.NodeSystemInfo"
_STATUS = "api.core.v1.NodeStatus"


def node_roles(obj: dict[str, Any]) -> list[str]:
    """``findNodeRoles``: sorted roles from ``node-role.kubernetes.io/*`` or ``kubernetes.io/role``.

    Roles exist only as labels; kubeadm sets ``node-role.kubernetes.io/control-plane``.
    """
    roles = set()
    for key, value in (obj.get("metadata", {}).get("labels") or {}).items():
        if key.startswith(ROLE_LABEL_PREFIX) and key[len(ROLE_LABEL_PREFIX) :]:
            roles.add(key[len(ROLE_LABEL_PREFIX) :])
        elif key == LEGACY_ROLE_LABEL and value:
            roles.add(value)
    return sorted(roles)


def node_status(obj: dict[str, Any]) -> str:
    """The STATUS cell: ``Ready``/``NotReady``/``Unknown``, plus ``SchedulingDisabled``."""
    parts = []
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            parts = ["Ready" if condition.get("status") == "True" else "NotReady"]
    if not parts:
        parts = ["Unknown"]
    if (obj.get("spec") or {}).get("unschedulable"):
        parts.append("SchedulingDisabled")
    return ",".join(parts)


def _address(obj: dict[str, Any], kind: str) -> str:
    for address in (obj.get("status") or {}).get("addresses") or []:
        if address.get("type") == kind:
            return address.get("address", "")
    return NONE


def taint_errors(taints: list[Any], path: str) -> list[FieldError]:
    """``validateNodeTaints``: valid key, value and effect, unique per key and effect."""
    errors: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate(taints):
        taint = taint or {}
        at = f"{path}[{i}]"
        key, value, effect = taint.get("key", ""), taint.get("value", ""), taint.get("effect", "")
        errors += messages_at(f"{at}.key", key, qualified_name_errors(key))
        value_problems = label_value_errors(value)
        if value_problems:
            errors.append(invalid(f"{at}.value", value, ";".join(value_problems)))
        if not effect:
            errors.append(required(f"{at}.effect"))
        elif effect not in TAINT_EFFECTS:
            errors.append(not_supported(f"{at}.effect", effect, TAINT_EFFECTS))
        if (key, effect) in seen:
            problem = duplicate(at, taint)
            problem.detail = "taints must be unique by key and effect pair"
            errors.append(problem)
            continue
        seen.add((key, effect))
    return errors


def _resource_errors(obj: dict[str, Any]) -> list[FieldError]:
    """``ValidateNodeResources``: capacity and allocatable quantities may not be negative."""
    errors: list[FieldError] = []
    status = obj.get("status") or {}
    for part in ("capacity", "allocatable"):
        for name, value in (status.get(part) or {}).items():
            try:
                quantity = Quantity.parse(value)
            except QuantityError:
                continue
            if quantity.sign() < 0:
                errors.append(invalid(f"status.{part}.{name}", str(quantity), NEGATIVE_MSG))
    return errors


class NodeStrategy(ResourceStrategy):
    kind = "Node"
    plural = "nodes"
    namespaced = False
    short_names = ("no",)
    subresources = ("status", "proxy")
    selectable_fields = ("spec.unschedulable",)
    columns = (
        NAME_COLUMN,
        Column("Status", description="The status of the node"),
        Column("Roles", description="The roles of the node"),
        AGE_COLUMN,
        Column("Version", description=field_doc(_SYSTEM_INFO, "kubeletVersion")),
        Column("Internal-IP", priority=1, description=field_doc(_STATUS, "addresses")),
        Column("External-IP", priority=1, description=field_doc(_STATUS, "addresses")),
        Column("OS-Image", priority=1, description=field_doc(_SYSTEM_INFO, "osImage")),
        Column("Kernel-Version", priority=1, description=field_doc(_SYSTEM_INFO, "kernelVersion")),
        Column(
            "Container-Runtime",
            priority=1,
            description=field_doc(_SYSTEM_INFO, "containerRuntimeVersion"),
        ),
    )

    @property
    def tracks_generation(self) -> bool:
        return False

    def default(self, obj: dict[str, Any]) -> None:
        status = obj.get("status")
        if isinstance(status, dict) and status.get("capacity") and "allocatable" not in status:
            status["allocatable"] = dict(status["capacity"])

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        """Kubelets register their node with its status, so create keeps it."""

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        spec = obj.get("spec") or {}
        errors = taint_errors(spec.get("taints") or [], "metadata.taints")
        errors += _resource_errors(obj)
        cidrs = spec.get("podCIDRs") or []
        for i, cidr in enumerate(cidrs):
            errors += cidr_errors(f"spec.podCIDRs[{i}]", cidr)
        seen = set()
        for i, cidr in enumerate(cidrs):
            if len(cidrs) > 1 and cidr in seen:
                errors.append(duplicate(f"spec.podCIDRs[{i}]", cidr))
            seen.add(cidr)
        return errors

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        errors = self._update_errors(obj, old)
        spec, old_spec = obj.get("spec") or {}, old.get("spec") or {}
        errors += taint_errors(spec.get("taints") or [], "metadata.taints")
        if spec.get("externalID", "") != old_spec.get("externalID", ""):
            errors.append(forbidden_field("spec.externalID", "may not be updated"))
        return errors

    def validate_status_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return self._update_errors(obj, old)

    def _update_errors(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        """``ValidateNodeUpdate``, shared by spec and status writes (the kubelet uses both)."""
        errors = _resource_errors(obj)
        seen: list[Any] = []
        for i, address in enumerate((obj.get("status") or {}).get("addresses") or []):
            if address in seen:
                errors.append(duplicate(f"status.addresses[{i}]", address))
            seen.append(address)
        spec, old_spec = obj.get("spec") or {}, old.get("spec") or {}
        old_cidrs = old_spec.get("podCIDRs") or []
        if old_cidrs and old_cidrs != (spec.get("podCIDRs") or []):
            errors.append(
                forbidden_field(
                    "spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'
                )
            )
        old_provider = old_spec.get("providerID", "")
        if old_provider and old_provider != spec.get("providerID", ""):
            errors.append(
                forbidden_field(
                    "spec.providerID",
                    'node updates may not change providerID except from "" to valid',
                )
            )
        return errors

    def field_values(self, obj: dict[str, Any]) -> dict[str, str]:
        values = super().field_values(obj)
        values["spec.unschedulable"] = (
            "true" if (obj.get("spec") or {}).get("unschedulable") else "false"
        )
        return values

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        info = (obj.get("status") or {}).get("nodeInfo") or {}
        return [
            obj["metadata"]["name"],
            node_status(obj),
            ",".join(node_roles(obj)) or NONE,
            age(obj, now),
            info.get("kubeletVersion", ""),
            _address(obj, "InternalIP"),
            _address(obj, "ExternalIP"),
            info.get("osImage") or UNKNOWN,
            info.get("kernelVersion") or UNKNOWN,
            info.get("containerRuntimeVersion") or UNKNOWN,
        ]


STRATEGIES = [NodeStrategy()]
