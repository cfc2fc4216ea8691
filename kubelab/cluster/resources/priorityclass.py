"""PriorityClass (``priorityclasses.scheduling.k8s.io``): named pod priorities.

User classes go up to one billion; names starting with ``system-`` are reserved for the two
classes every cluster creates at start-up, whose definitions are :data:`SYSTEM_PRIORITY_CLASSES`
for the cluster to seed. :func:`resolve_pod_priority` is what the Priority admission plugin does
to a new pod with these classes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, forbidden_field, invalid, not_supported, required
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.podspec import FIELD_IMMUTABLE, schema_doc
from kubelab.cluster.resources.printing import age

HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY
SYSTEM_PREFIX = "system-"
PREEMPTION_POLICIES = ["PreemptLowerPriority", "Never"]
DEFAULT_PREEMPTION_POLICY = "PreemptLowerPriority"

SYSTEM_PRIORITY_CLASSES: tuple[dict[str, Any], ...] = (
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "system-node-critical"},
        "value": SYSTEM_CRITICAL_PRIORITY + 1000,
        "description": "Used for system critical pods that must not be moved from their "
        "current node.",
        "preemptionPolicy": DEFAULT_PREEMPTION_POLICY,
    },
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "system-cluster-critical"},
        "value": SYSTEM_CRITICAL_PRIORITY,
        "description": "Used for system critical pods that must run in the cluster, but can "
        "be moved to another node if necessary.",
        "preemptionPolicy": DEFAULT_PREEMPTION_POLICY,
    },
)
"""The built-in classes as objects to create (``scheduling/v1.SystemPriorityClasses``)."""

_DOC = "io.k8s.api.scheduling.v1.PriorityClass"


class PriorityClassStrategy(ResourceStrategy):
    group = "scheduling.k8s.io"
    kind = "PriorityClass"
    plural = "priorityclasses"
    namespaced = False
    short_names = ("pc",)
    columns = (
        NAME_COLUMN,
        Column("Value", type="integer", description=schema_doc(_DOC, "value")),
        Column("Global-Default", type="boolean", description=schema_doc(_DOC, "globalDefault")),
        AGE_COLUMN,
        Column("PreemptionPolicy", priority=1, description=schema_doc(_DOC, "preemptionPolicy")),
    )

    def default(self, obj: dict[str, Any]) -> None:
        if obj.get("preemptionPolicy") is None:
            obj["preemptionPolicy"] = DEFAULT_PREEMPTION_POLICY

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        """``ValidatePriorityClass``: reserved names and the user priority ceiling."""
        errors: list[FieldError] = []
        name = str((obj.get("metadata") or {}).get("name") or "")
        value = obj.get("value", 0)
        if name.startswith(SYSTEM_PREFIX):
            problem = _system_class_problem(name, value, bool(obj.get("globalDefault")))
            if problem:
                errors.append(
                    forbidden_field(
                        "metadata.name",
                        f"priority class names with '{SYSTEM_PREFIX}' prefix are reserved for "
                        f"system use only. error: {problem}",
                    )
                )
        elif isinstance(value, int) and value > HIGHEST_USER_DEFINABLE_PRIORITY:
            errors.append(
                forbidden_field(
                    "value",
                    "maximum allowed value of a user defined priority is "
                    f"{HIGHEST_USER_DEFINABLE_PRIORITY}",
                )
            )
        policy = obj.get("preemptionPolicy")
        if policy is not None:
            if not policy:
                errors.append(required("preemptionPolicy"))
            elif policy not in PREEMPTION_POLICIES:
                errors.append(not_supported("preemptionPolicy", policy, PREEMPTION_POLICIES))
        return errors

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        """``ValidatePriorityClassUpdate``: value and preemption policy are fixed."""
        errors: list[FieldError] = []
        if obj.get("value") != old.get("value"):
            errors.append(forbidden_field("value", "may not be changed in an update."))
        if obj.get("preemptionPolicy") != old.get("preemptionPolicy"):
            errors.append(invalid("preemptionPolicy", obj.get("preemptionPolicy"), FIELD_IMMUTABLE))
        return errors

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return [
            obj["metadata"]["name"],
            obj.get("value", 0),
            bool(obj.get("globalDefault")),
            age(obj, now),
            obj.get("preemptionPolicy") or "",
        ]


def _system_class_problem(name: str, value: Any, global_default: bool) -> str | None:
    """``IsKnownSystemPriorityClass``: why a ``system-`` class is not the built-in one."""
    for known in SYSTEM_PRIORITY_CLASSES:
        if known["metadata"]["name"] == name:
            if known["value"] != value:
                return f"value of {name} PriorityClass must be {known['value']}"
            if global_default:
                return f"globalDefault of {name} PriorityClass must be false"
            return None
    return f"{name} is not a known system priority class"


def resolve_pod_priority(pod_spec: dict[str, Any], classes: list[dict[str, Any]]) -> str | None:
    """The Priority admission plugin: set a new pod's priority from its class.

    Without a ``priorityClassName`` the cluster's global default class applies (or priority 0
    when there is none). Returns the reason the pod must be refused, or None once the spec
    carries ``priority`` and ``preemptionPolicy``.
    """
    name = pod_spec.get("priorityClassName")
    policy: str | None = DEFAULT_PREEMPTION_POLICY
    if not name:
        defaults = [c for c in classes if c.get("globalDefault")]
        chosen = min(defaults, key=lambda c: c.get("value", 0)) if defaults else None
        priority = chosen.get("value", 0) if chosen else 0
        if chosen:
            pod_spec["priorityClassName"] = chosen["metadata"]["name"]
            policy = chosen.get("preemptionPolicy")
    else:
        found = next((c for c in classes if c["metadata"]["name"] == name), None)
        if found is None:
            return f"no PriorityClass with name {name} was found"
        priority, policy = found.get("value", 0), found.get("preemptionPolicy")
    given = pod_spec.get("priority")
    if given is not None and given != priority:
        return (
            f"the integer value of priority ({given}) must not be provided in pod spec; "
            f"priority admission controller computed {priority} from the given PriorityClass name"
        )
    pod_spec["priority"] = priority
    if policy is not None:
        given_policy = pod_spec.get("preemptionPolicy")
        if given_policy is not None and given_policy != policy:
            return (
                f"the string value of PreemptionPolicy ({given_policy}) must not be provided in "
                f"pod spec; priority admission controller computed {policy} from the given "
                "PriorityClass name"
            )
        pod_spec["preemptionPolicy"] = policy
    return None


STRATEGIES = [PriorityClassStrategy()]
