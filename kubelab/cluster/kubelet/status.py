"""From what the containers are doing to the pod's status, as the kubelet reports it.

The kubelet keeps a record per container (waiting, running or terminated, with reasons) and
derives everything ``kubectl get pods`` shows from those records: the pod phase, the conditions
(``PodReadyToStartContainers``, ``Initialized``, ``ContainersReady``, ``Ready``,
``PodScheduled``) and the container statuses with their ``lastState`` and restart counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ContainerRecord:
    """The kubelet's view of one container of a pod."""

    name: str
    image: str
    init: bool = False
    state: str = "waiting"  # waiting, running or terminated
    reason: str = "ContainerCreating"
    message: str = ""
    image_id: str = ""
    container_id: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    exit_code: int = 0
    signal: int | None = None
    last_terminated: dict[str, Any] | None = None
    restart_count: int = 0
    ready: bool = False
    started: bool | None = None
    #: Whether this container has ever been started (for "stopped" phase accounting).
    ever_ran: bool = False
    sidecar: bool = False
    #: Added to the running pod by ``kubectl debug``: runs once, never counts for the phase.
    ephemeral: bool = False

    def terminated_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "exitCode": self.exit_code,
            "reason": self.reason,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "containerID": self.container_id,
        }
        if self.message:
            state["message"] = self.message
        if self.signal is not None:
            state["signal"] = self.signal
        return state

    def to_status(self) -> dict[str, Any]:
        if self.state == "running":
            state: dict[str, Any] = {"running": {"startedAt": self.started_at}}
        elif self.state == "terminated":
            state = {"terminated": self.terminated_state()}
        else:
            waiting: dict[str, Any] = {"reason": self.reason}
            if self.message:
                waiting["message"] = self.message
            state = {"waiting": waiting}
        status: dict[str, Any] = {
            "name": self.name,
            "state": state,
            "lastState": {"terminated": self.last_terminated} if self.last_terminated else {},
            "ready": self.ready,
            "restartCount": self.restart_count,
            "image": self.image,
            "imageID": self.image_id,
        }
        if self.container_id:
            status["containerID"] = self.container_id
        if self.started is not None:
            status["started"] = self.started
        return status

    def restart(self) -> None:
        """Move the current terminated state into ``lastState`` and count the restart."""
        if self.state == "terminated":
            self.last_terminated = self.terminated_state()
        self.restart_count += 1


@dataclass
class PodRecord:
    """Everything the kubelet tracks for one pod."""

    init_containers: list[ContainerRecord] = field(default_factory=list)
    containers: list[ContainerRecord] = field(default_factory=list)
    ephemeral_containers: list[ContainerRecord] = field(default_factory=list)
    sandbox_ready: bool = False
    start_time: str | None = None
    pod_ip: str | None = None
    host_ip: str | None = None
    #: Set when the pod failed as a whole (e.g. activeDeadlineSeconds, eviction).
    pod_reason: str | None = None
    pod_message: str | None = None
    #: Set once the pod was deleted and its containers stopped: none of them will run again,
    #: whatever the restart policy, so the phase becomes terminal (kubelet 1.27 and later).
    terminal: bool = False

    def record(self, name: str) -> ContainerRecord | None:
        for record in self.init_containers + self.containers + self.ephemeral_containers:
            if record.name == name:
                return record
        return None


def _init_done(record: ContainerRecord) -> bool:
    if record.sidecar:
        return record.state == "running" and record.started is not False
    return record.state == "terminated" and record.exit_code == 0


def _has_stopped(record: ContainerRecord) -> bool:
    """Terminated, or waiting to restart after it terminated."""
    return record.state == "terminated" or (
        record.state == "waiting" and record.last_terminated is not None
    )


def pod_phase(pod: dict[str, Any], record: PodRecord) -> str:
    """The phase, following the kubelet's rules (``getPhase``)."""
    if record.pod_reason:
        return "Failed"
    policy = pod.get("spec", {}).get("restartPolicy", "Always")
    for init in record.init_containers:
        if _init_done(init) or (init.sidecar and _has_stopped(init)):
            continue  # a sidecar that has stopped no longer counts towards the phase
        if init.state == "terminated" and init.exit_code != 0 and policy == "Never":
            return "Failed"
        return "Pending"
    running = waiting = stopped = succeeded = failed = 0
    for container in record.containers:
        if container.state == "running":
            running += 1
        elif container.state == "terminated":
            stopped += 1
            if container.exit_code == 0:
                succeeded += 1
            else:
                failed += 1
        elif container.ever_ran or container.last_terminated:
            stopped += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if not stopped:
        return "Pending"
    if record.terminal:
        return "Succeeded" if succeeded == stopped else "Failed"
    if policy == "Always":
        return "Running"
    if policy == "OnFailure":
        return "Succeeded" if succeeded == stopped and not failed else "Running"
    return "Failed" if failed else "Succeeded"


def _condition(
    kind: str,
    ok: bool,
    previous: dict[str, dict[str, Any]],
    now: str,
    reason: str = "",
    message: str = "",
) -> dict[str, Any]:
    status = "True" if ok else "False"
    before = previous.get(kind)
    changed = before is None or before.get("status") != status
    condition: dict[str, Any] = {
        "type": kind,
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": now if changed else before.get("lastTransitionTime", now),
    }
    if not ok and reason:
        condition["reason"] = reason
        condition["message"] = message
    return condition


def pod_conditions(
    pod: dict[str, Any], record: PodRecord, phase: str, now: str
) -> list[dict[str, Any]]:
    previous = {c["type"]: c for c in pod.get("status", {}).get("conditions") or []}
    terminal = phase in ("Succeeded", "Failed")
    pending_init = [c.name for c in record.init_containers if not _init_done(c)]
    unready = [c.name for c in record.containers if not c.ready]
    init_ok = not pending_init or (terminal and phase == "Succeeded")
    init_reason = "PodCompleted" if terminal else "ContainersNotInitialized"
    ready_reason = "PodCompleted" if terminal else "ContainersNotReady"
    unready_message = f"containers with unready status: [{' '.join(unready)}]"
    gates = [g.get("conditionType") for g in pod.get("spec", {}).get("readinessGates") or []]
    gates_ok = all(previous.get(g, {}).get("status") == "True" for g in gates)
    containers_ready = not unready and not terminal
    conditions = [
        _condition(
            "PodReadyToStartContainers", record.sandbox_ready and not terminal, previous, now
        ),
        _condition(
            "Initialized",
            init_ok,
            previous,
            now,
            init_reason,
            f"containers with incomplete status: [{' '.join(pending_init)}]",
        ),
        _condition(
            "Ready",
            containers_ready and gates_ok,
            previous,
            now,
            ready_reason,
            unready_message
            if unready or terminal
            else "corresponding condition of pod readiness gate is not True",
        ),
        _condition(
            "ContainersReady", containers_ready, previous, now, ready_reason, unready_message
        ),
    ]
    if terminal and record.pod_reason is None and phase == "Succeeded":
        for condition in conditions[1:2]:
            condition.pop("reason", None)
            condition.pop("message", None)
            condition["status"] = "True"
    for kind, condition in previous.items():
        if kind not in {c["type"] for c in conditions}:
            conditions.append(condition)
    return conditions


def pod_status(pod: dict[str, Any], record: PodRecord, now: str, qos_class: str) -> dict[str, Any]:
    """The complete ``status`` the kubelet writes for a pod."""
    phase = pod_phase(pod, record)
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": pod_conditions(pod, record, phase, now),
        "qosClass": qos_class,
    }
    if record.host_ip:
        status["hostIP"] = record.host_ip
        status["hostIPs"] = [{"ip": record.host_ip}]
    if record.pod_ip:
        status["podIP"] = record.pod_ip
        status["podIPs"] = [{"ip": record.pod_ip}]
    if record.start_time:
        status["startTime"] = record.start_time
    if record.init_containers:
        status["initContainerStatuses"] = [c.to_status() for c in record.init_containers]
    status["containerStatuses"] = [c.to_status() for c in record.containers]
    if record.ephemeral_containers:
        status["ephemeralContainerStatuses"] = [c.to_status() for c in record.ephemeral_containers]
    if record.pod_reason:
        status["reason"] = record.pod_reason
        status["message"] = record.pod_message or ""
    return status
