"""Pod (``pods``): the strategy, the update rules and the ``kubectl get pods`` row.

A Pod is created Pending with its QoS class fixed, and after that almost nothing in its spec may
change: only container images, ``activeDeadlineSeconds``, added tolerations and a few other
fields. Learners meet that rule as the long ``pod updates may not change fields other than ...``
message, which is reproduced here with a diff of what they tried to change. The row logic is
``printPod``: init-container progress, ``CrashLoopBackOff`` and friends, ``Completed`` versus
``Running``/``NotReady``, ``Terminating``, and restarts with the age of the last one.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, forbidden_field, invalid, required
from kubelab.cluster.resources import ephemeral
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.podspec import (
    FIELD_IMMUTABLE,
    INT32_MAX,
    default_pod_only,
    default_pod_spec,
    inclusive_range,
    pod_spec_warnings,
    qos_class,
    schema_doc,
    semantic,
    validate_pod_spec,
    validate_tolerations,
)
from kubelab.cluster.resources.printing import parse_time, since
from kubelab.cluster.resources.validation import dns1123_label_errors

UPDATABLE_POD_SPEC_FIELDS = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)

SCHEDULING_GATED = "SchedulingGated"
NODE_LOST = "NodeLost"
TERMINAL_PHASES = ("Succeeded", "Failed")


class PodStrategy(ResourceStrategy):
    version = "v1"
    kind = "Pod"
    plural = "pods"
    short_names = ("po",)
    categories = ("all",)
    subresources = (
        "status",
        "log",
        "exec",
        "attach",
        "portforward",
        "proxy",
        "binding",
        "eviction",
        "ephemeralcontainers",
        "resize",
    )
    selectable_fields = (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    )
    returns_deleted_object = True
    columns = (
        NAME_COLUMN,
        Column(
            "Ready", description="The aggregate readiness state of this pod for accepting traffic."
        ),
        Column("Status", description="The aggregate status of the containers in this pod."),
        Column(
            "Restarts",
            description="The number of times the containers in this pod have been restarted "
            "and when the last container in this pod has restarted.",
        ),
        AGE_COLUMN,
        Column("IP", priority=1, description=schema_doc("io.k8s.api.core.v1.PodStatus", "podIP")),
        Column(
            "Node", priority=1, description=schema_doc("io.k8s.api.core.v1.PodSpec", "nodeName")
        ),
        Column(
            "Nominated Node",
            priority=1,
            description=schema_doc("io.k8s.api.core.v1.PodStatus", "nominatedNodeName"),
        ),
        Column(
            "Readiness Gates",
            priority=1,
            description=schema_doc("io.k8s.api.core.v1.PodSpec", "readinessGates"),
        ),
    )

    # --- lifecycle ------------------------------------------------------------------------------

    def default(self, obj: dict[str, Any]) -> None:
        spec = obj.setdefault("spec", {})
        default_pod_spec(spec)
        default_pod_only(spec)

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        """A new pod is Pending with its QoS class; gated pods say why they wait."""
        spec = obj.get("spec") or {}
        status: dict[str, Any] = {"phase": "Pending", "qosClass": qos_class(spec)}
        if spec.get("schedulingGates"):
            status["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "lastProbeTime": None,
                    "lastTransitionTime": None,
                    "reason": SCHEDULING_GATED,
                    "message": "Scheduling is blocked due to non-empty scheduling gates",
                }
            ]
        obj["status"] = status

    def prepare_for_status_update(self, obj: dict[str, Any], old: dict[str, Any]) -> None:
        """The status endpoint keeps the spec; a status without a QoS class keeps the old one."""
        super().prepare_for_status_update(obj, old)
        status = obj.setdefault("status", {})
        if not status.get("qosClass") and (old.get("status") or {}).get("qosClass"):
            status["qosClass"] = old["status"]["qosClass"]

    def prepare_for_ephemeral_update(self, obj: dict[str, Any], old: dict[str, Any]) -> None:
        """``pods/{name}/ephemeralcontainers`` changes the ephemeral containers only."""
        ephemeral.keep_only_ephemeral_changes(obj, old)
        default_pod_spec(obj["spec"])

    def validate_ephemeral_update(
        self, obj: dict[str, Any], old: dict[str, Any]
    ) -> list[FieldError]:
        return ephemeral.update_errors(obj, old)

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        """``ValidatePodCreate``."""
        spec = obj.get("spec") or {}
        errors = _pod_spec_errors(spec)
        if spec.get("ephemeralContainers"):
            errors.append(forbidden_field("spec.ephemeralContainers", "cannot be set on create"))
        if spec.get("nodeName") and spec.get("schedulingGates"):
            errors.append(
                forbidden_field(
                    "spec.nodeName", "cannot be set until all schedulingGates have been cleared"
                )
            )
        return errors

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return _pod_spec_errors(obj.get("spec") or {}) + pod_update_errors(
            obj.get("spec") or {}, old.get("spec") or {}
        )

    def validate_status_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        """``ValidatePodStatusUpdate``: the QoS class is fixed; finished containers stay so."""
        status, old_status = obj.get("status") or {}, old.get("status") or {}
        errors: list[FieldError] = []
        if status.get("qosClass") != old_status.get("qosClass"):
            errors.append(invalid("status.qosClass", status.get("qosClass"), FIELD_IMMUTABLE))
        restart = (old.get("spec") or {}).get("restartPolicy", "Always")
        for kind in ("containerStatuses", "initContainerStatuses"):
            errors += _state_transition_errors(
                status.get(kind), old_status.get(kind), f"status.{kind}", restart, old
            )
        return errors

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        meta = obj.get("metadata") or {}
        warnings = []
        name = str(meta.get("name") or "")
        messages = dns1123_label_errors(name) if name else []
        if messages:
            warnings.append(
                "metadata.name: this is used in the Pod's hostname, which can result in "
                f"surprising behavior; a DNS label is recommended: [{' '.join(messages)}]"
            )
        return warnings + pod_spec_warnings(obj.get("spec") or {}, meta)

    # --- deletion -------------------------------------------------------------------------------

    def grace_period(self, obj: dict[str, Any], requested: int | None) -> int:
        """``CheckGracefulDelete``: unscheduled and finished pods go at once."""
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        period = requested
        if period is None:
            period = spec.get("terminationGracePeriodSeconds") or 0
        if not spec.get("nodeName") or status.get("phase") in TERMINAL_PHASES:
            period = 0
        return 1 if period < 0 else period

    def deletion_may_finish(self, obj: dict[str, Any]) -> bool:
        """A pod is removed only once its grace period is down to zero.

        The kubelet brings it there: once the containers have stopped it deletes the pod again
        with a grace period of 0, as upstream's kubelet does.
        """
        grace = (obj.get("metadata") or {}).get("deletionGracePeriodSeconds")
        return super().deletion_may_finish(obj) and not grace

    # --- selection and printing -----------------------------------------------------------------

    def field_values(self, obj: dict[str, Any]) -> dict[str, str]:
        values = super().field_values(obj)
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        values["spec.hostNetwork"] = "true" if spec.get("hostNetwork") else "false"
        pod_ips = status.get("podIPs") or []
        values["status.podIP"] = str(pod_ips[0].get("ip", "")) if pod_ips else ""
        return values

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return pod_row(obj, now)


def _pod_spec_errors(spec: dict[str, Any]) -> list[FieldError]:
    """``validatePodMetadataAndSpec`` without the metadata (the pipeline checks that)."""
    errors = validate_pod_spec(spec, "spec", is_pod=True)
    if not spec.get("serviceAccountName"):
        for i, volume in enumerate(spec.get("volumes") or []):
            for j, source in enumerate(
                ((volume or {}).get("projected") or {}).get("sources") or []
            ):
                if (source or {}).get("serviceAccountToken") is not None:
                    errors.append(
                        forbidden_field(
                            f"spec.volumes[{i}].projected.sources[{j}].serviceAccountToken",
                            "must not be specified when serviceAccountName is not set",
                        )
                    )
    for kind in ("containers", "initContainers"):
        for i, container in enumerate(spec.get(kind) or []):
            image = str((container or {}).get("image") or "")
            if image != image.strip():
                errors.append(
                    invalid(
                        f"spec.{kind}[{i}].image",
                        image,
                        "must not have leading or trailing whitespace",
                    )
                )
    return errors


# --- updates -----------------------------------------------------------------------------------


def pod_update_errors(spec: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """``ValidatePodUpdate``: what may change in a running pod's spec, and nothing else."""
    errors: list[FieldError] = []
    for kind in ("containers", "initContainers"):
        new_list, old_list = spec.get(kind) or [], old.get(kind) or []
        if len(new_list) != len(old_list):
            return errors + [
                forbidden_field(f"spec.{kind}", "pod updates may not add or remove containers")
            ]
        for i, container in enumerate(new_list):
            image = str((container or {}).get("image") or "")
            if not image:
                errors.append(required(f"spec.{kind}[{i}].image"))
            if image != image.strip():
                errors.append(
                    invalid(
                        f"spec.{kind}[{i}].image",
                        image,
                        "must not have leading or trailing whitespace",
                    )
                )
    deadline, old_deadline = spec.get("activeDeadlineSeconds"), old.get("activeDeadlineSeconds")
    if deadline is not None:
        if not 0 <= deadline <= INT32_MAX:
            return errors + [
                invalid("spec.activeDeadlineSeconds", deadline, inclusive_range(0, INT32_MAX))
            ]
        if old_deadline is not None and old_deadline < deadline:
            return errors + [
                invalid(
                    "spec.activeDeadlineSeconds",
                    deadline,
                    "must be less than or equal to previous value",
                )
            ]
    elif old_deadline is not None:
        errors.append(
            invalid(
                "spec.activeDeadlineSeconds",
                None,
                "must not update from a positive integer to nil value",
            )
        )
    errors += _added_tolerations_errors(spec.get("tolerations"), old.get("tolerations"))
    errors += _removed_gates_errors(spec.get("schedulingGates"), old.get("schedulingGates"))
    if semantic(spec) == semantic(old):
        return errors
    munged = _munged_spec(spec, old)
    if semantic(munged) != semantic(old):
        errors.append(
            forbidden_field(
                "spec",
                "pod updates may not change fields other than "
                + ",".join(UPDATABLE_POD_SPEC_FIELDS)
                + "\n"
                + spec_diff(old, munged),
            )
        )
    return errors


def _munged_spec(spec: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """The new spec with every field a pod update may change put back to its old value."""
    munged = copy.deepcopy(spec)
    for kind in ("containers", "initContainers"):
        for container, old_container in zip(
            munged.get(kind) or [], old.get(kind) or [], strict=False
        ):
            if isinstance(container, dict) and isinstance(old_container, dict):
                container["image"] = old_container.get("image")
    for key in ("activeDeadlineSeconds", "schedulingGates", "tolerations"):
        if key in old:
            munged[key] = copy.deepcopy(old[key])
        else:
            munged.pop(key, None)
    old_grace, new_grace = (
        old.get("terminationGracePeriodSeconds"),
        munged.get("terminationGracePeriodSeconds"),
    )
    if isinstance(old_grace, int) and old_grace < 0 and new_grace == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    return munged


def _added_tolerations_errors(tolerations: Any, old_tolerations: Any) -> list[FieldError]:
    """``validateOnlyAddedTolerations``: old ones stay (their tolerationSeconds may change)."""
    new_list = [t for t in tolerations or [] if isinstance(t, dict)]
    for old_item in old_tolerations or []:
        wanted = {k: v for k, v in (old_item or {}).items() if k != "tolerationSeconds"}
        if not any(
            semantic({k: v for k, v in item.items() if k != "tolerationSeconds"})
            == semantic(wanted)
            for item in new_list
        ):
            return [
                forbidden_field(
                    "spec.tolerations",
                    "existing toleration can not be modified except its tolerationSeconds",
                )
            ]
    return validate_tolerations(new_list, "spec.tolerations")


def _removed_gates_errors(gates: Any, old_gates: Any) -> list[FieldError]:
    """``validateOnlyDeletedSchedulingGates``: gates may be removed, never added."""
    old_names = {(g or {}).get("name") for g in old_gates or []}
    errors = []
    for i, gate in enumerate(gates or []):
        name = (gate or {}).get("name")
        if name not in old_names:
            errors.append(
                forbidden_field(
                    f"spec.schedulingGates[{i}].name",
                    f"only deletion is allowed, but found new scheduling gate '{name}'",
                )
            )
    return errors


def _state_transition_errors(
    statuses: Any, old_statuses: Any, path: str, restart_policy: str, old_pod: dict[str, Any]
) -> list[FieldError]:
    """A terminated container of a pod that will not restart it stays terminated."""
    if restart_policy == "Always":
        return []
    sidecars = {
        c.get("name")
        for c in (old_pod.get("spec") or {}).get("initContainers") or []
        if c.get("restartPolicy") == "Always"
    }
    errors = []
    new_by_name = {s.get("name"): s for s in statuses or [] if isinstance(s, dict)}
    for i, old_status in enumerate(old_statuses or []):
        terminated = ((old_status or {}).get("state") or {}).get("terminated")
        if terminated is None or old_status.get("name") in sidecars:
            continue
        if terminated.get("exitCode", 0) != 0 and restart_policy == "OnFailure":
            continue
        new = new_by_name.get(old_status.get("name"))
        if new is not None and (new.get("state") or {}).get("terminated") is None:
            errors.append(
                forbidden_field(
                    f"{path}[{i}].state", "may not be transitioned to non-terminated state"
                )
            )
    return errors


# The internal ``core.PodSpec`` fields in declaration order, with the JSON keys each one holds
# (the host namespace switches live in the internal security context).
_SPEC_FIELDS = (
    ("Volumes", ("volumes",)),
    ("InitContainers", ("initContainers",)),
    ("Containers", ("containers",)),
    ("EphemeralContainers", ("ephemeralContainers",)),
    ("RestartPolicy", ("restartPolicy",)),
    ("TerminationGracePeriodSeconds", ("terminationGracePeriodSeconds",)),
    ("ActiveDeadlineSeconds", ("activeDeadlineSeconds",)),
    ("DNSPolicy", ("dnsPolicy",)),
    ("NodeSelector", ("nodeSelector",)),
    ("ServiceAccountName", ("serviceAccountName",)),
    ("AutomountServiceAccountToken", ("automountServiceAccountToken",)),
    ("NodeName", ("nodeName",)),
    (
        "SecurityContext",
        (
            "securityContext",
            "hostNetwork",
            "hostPID",
            "hostIPC",
            "shareProcessNamespace",
            "hostUsers",
        ),
    ),
    ("ImagePullSecrets", ("imagePullSecrets",)),
    ("Hostname", ("hostname",)),
    ("Subdomain", ("subdomain",)),
    ("SetHostnameAsFQDN", ("setHostnameAsFQDN",)),
    ("Affinity", ("affinity",)),
    ("SchedulerName", ("schedulerName",)),
    ("Tolerations", ("tolerations",)),
    ("HostAliases", ("hostAliases",)),
    ("PriorityClassName", ("priorityClassName",)),
    ("Priority", ("priority",)),
    ("PreemptionPolicy", ("preemptionPolicy",)),
    ("DNSConfig", ("dnsConfig",)),
    ("ReadinessGates", ("readinessGates",)),
    ("RuntimeClassName", ("runtimeClassName",)),
    ("Overhead", ("overhead",)),
    ("EnableServiceLinks", ("enableServiceLinks",)),
    ("TopologySpreadConstraints", ("topologySpreadConstraints",)),
    ("OS", ("os",)),
    ("SchedulingGates", ("schedulingGates",)),
    ("ResourceClaims", ("resourceClaims",)),
    ("Resources", ("resources",)),
    ("HostnameOverride", ("hostnameOverride",)),
)


def spec_diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    """A ``cmp.Diff``-style listing of the pod spec fields that differ.

    Upstream prints go-cmp's diff of its internal Go structs; this keeps that shape (the
    ``core.PodSpec{`` frame, ``-``/``+`` lines, runs of identical fields folded) with the
    values written as JSON, which is what a learner needs to spot the offending field.
    """
    lines = ["  core.PodSpec{"]
    identical = 0
    for name, keys in _SPEC_FIELDS:
        before = _field_value(old, keys)
        after = _field_value(new, keys)
        if before == after:
            identical += 1
            continue
        if identical:
            lines.append(f"  \t... // {identical} identical fields")
            identical = 0
        lines.append(f"- \t{name}: {_go_literal(before)},")
        lines.append(f"+ \t{name}: {_go_literal(after)},")
    if identical:
        lines.append(f"  \t... // {identical} identical fields")
    lines.append("  }")
    return "\n".join(lines) + "\n"


def _field_value(spec: dict[str, Any], keys: tuple[str, ...]) -> Any:
    if len(keys) == 1:
        return semantic(spec.get(keys[0]))
    merged = dict(spec.get(keys[0]) or {})
    for key in keys[1:]:
        if spec.get(key) is not None:
            merged[key] = spec[key]
    return semantic(merged)


def _go_literal(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


# --- the kubectl get row -----------------------------------------------------------------------


def pod_row(pod: dict[str, Any], now: datetime) -> list[Any]:
    """``printPod``: NAME, READY, STATUS, RESTARTS, AGE, IP, NODE, NOMINATED NODE, GATES."""
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    sidecars = {name for name, c in init_specs.items() if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    ready = 0
    phase = status.get("phase", "")
    reason = status.get("reason") or phase
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == SCHEDULING_GATED:
            reason = SCHEDULING_GATED

    restarts = sidecar_restarts = 0
    last_restart = last_sidecar_restart = None
    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for i, container in enumerate(init_statuses):
        restarts += container.get("restartCount", 0)
        finished = _last_termination(container)
        last_restart = _later(last_restart, finished)
        is_sidecar = container.get("name") in sidecars
        if is_sidecar:
            sidecar_restarts += container.get("restartCount", 0)
            last_sidecar_restart = _later(last_sidecar_restart, finished)
        state = container.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if is_sidecar and container.get("started"):
            if container.get("ready"):
                ready += 1
            continue
        if terminated is not None:
            reason = "Init:" + _terminated_reason(terminated)
        elif (
            waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing"
        ):
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        initializing = True
        break

    if not initializing or _condition_true(status, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for container in reversed(status.get("containerStatuses") or []):
            restarts += container.get("restartCount", 0)
            last_restart = _later(last_restart, _last_termination(container))
            state = container.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None:
                reason = _terminated_reason(terminated)
            elif container.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"

    if meta.get("deletionTimestamp") and status.get("reason") == NODE_LOST:
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in TERMINAL_PHASES:
        reason = "Terminating"

    restarts_cell = str(restarts)
    if restarts and last_restart is not None:
        restarts_cell = f"{restarts} ({since(last_restart, now)} ago)"
    pod_ips = status.get("podIPs") or []
    return [
        meta["name"],
        f"{ready}/{total}",
        reason,
        restarts_cell,
        since(meta.get("creationTimestamp"), now),
        (pod_ips[0].get("ip") if pod_ips else "") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        _readiness_gates(spec, status),
    ]


def _terminated_reason(terminated: dict[str, Any]) -> str:
    if terminated.get("reason"):
        return str(terminated["reason"])
    if terminated.get("signal"):
        return f"Signal:{terminated['signal']}"
    return f"ExitCode:{terminated.get('exitCode', 0)}"


def _last_termination(container: dict[str, Any]) -> str | None:
    terminated = (container.get("lastState") or {}).get("terminated") or {}
    return terminated.get("finishedAt")


def _later(current: str | None, candidate: str | None) -> str | None:
    """The later of two RFC 3339 timestamps (either may be missing)."""
    candidate_time = parse_time(candidate)
    if candidate_time is None:
        return current
    current_time = parse_time(current)
    return candidate if current_time is None or current_time < candidate_time else current


def _condition_true(status: dict[str, Any], kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True" for c in status.get("conditions") or []
    )


def _readiness_gates(spec: dict[str, Any], status: dict[str, Any]) -> str:
    gates = spec.get("readinessGates") or []
    if not gates:
        return "<none>"
    conditions = status.get("conditions") or []
    true_count = 0
    for gate in gates:
        for condition in conditions:
            if condition.get("type") == gate.get("conditionType"):
                true_count += condition.get("status") == "True"
                break
    return f"{true_count}/{len(gates)}"


# --- admission defaults --------------------------------------------------------------------------

NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
DEFAULT_TOLERATION_SECONDS = 300


def add_default_tolerations(spec: dict[str, Any]) -> None:
    """The ``DefaultTolerationSeconds`` admission plugin, applied to every new pod.

    A pod tolerates a not-ready or unreachable node for five minutes before it is evicted,
    unless one of its tolerations already covers that taint (an empty key covers every taint).
    """
    tolerations = spec.setdefault("tolerations", [])
    for taint in (NOT_READY_TAINT, UNREACHABLE_TAINT):
        if any(
            t.get("key") in (taint, "", None) and t.get("effect") in ("NoExecute", "", None)
            for t in tolerations
        ):
            continue
        tolerations.append(
            {
                "key": taint,
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
            }
        )


STRATEGIES = [PodStrategy()]
