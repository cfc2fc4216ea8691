"""What a pod looks like in a picture: its status word and colour, read from the API object.

The word is the one ``kubectl get pods`` prints in its STATUS column (``Running``,
``ContainerCreating``, ``CrashLoopBackOff``, ``Terminating``), so the picture and the table a
learner has just typed agree; the colour says at a glance whether the pod serves traffic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubelab.widgets import svg

#: Waiting or terminated reasons that mean something is wrong rather than still starting.
TROUBLE_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "Error",
        "OOMKilled",
        "ContainerStatusUnknown",
    }
)


@dataclass(frozen=True)
class Look:
    """How one state is drawn: the legend's words, a fill and an outline."""

    legend: str
    fill: str
    stroke: str


READY = Look("Running and ready", svg.LIGHT_GREEN, svg.GREEN)
NOT_READY = Look("Running, not ready", svg.LIGHT_AMBER, svg.AMBER)
STARTING = Look("Pending or starting", svg.LIGHT_GREY, svg.GREY)
TROUBLE = Look("Failing", svg.LIGHT_RED, svg.RED)
SUCCEEDED = Look("Completed", svg.LIGHT_BLUE, svg.BLUE)
TERMINATING = Look("Terminating", "#ffffff", svg.GREY)

LOOKS = (READY, NOT_READY, STARTING, TROUBLE, SUCCEEDED, TERMINATING)


@dataclass(frozen=True)
class PodState:
    """The facts a picture shows about one pod."""

    name: str
    phase: str
    status: str
    ready: bool
    ready_containers: int
    containers: int
    restarts: int
    node: str | None
    terminating: bool
    look: Look


def _container_reason(statuses: list[Mapping[str, Any]]) -> str | None:
    for entry in statuses:
        state = entry.get("state") or {}
        reason = (state.get("waiting") or {}).get("reason") or (state.get("terminated") or {}).get(
            "reason"
        )
        if reason:
            return str(reason)
    return None


def _condition(status: Mapping[str, Any], kind: str) -> bool:
    return any(
        entry.get("type") == kind and entry.get("status") == "True"
        for entry in status.get("conditions") or []
    )


def pod_state(pod: Mapping[str, Any]) -> PodState:
    metadata = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    statuses = list(status.get("containerStatuses") or [])
    phase = str(status.get("phase") or "Pending")
    terminating = bool(metadata.get("deletionTimestamp"))
    ready = _condition(status, "Ready")
    reason = _container_reason(statuses)
    if terminating:
        word, look = "Terminating", TERMINATING
    elif phase == "Succeeded":
        word, look = str(status.get("reason") or reason or "Completed"), SUCCEEDED
    elif phase == "Failed":
        word, look = str(status.get("reason") or reason or "Failed"), TROUBLE
    elif reason:
        word = reason
        look = TROUBLE if reason in TROUBLE_REASONS else (READY if ready else STARTING)
    elif phase == "Running":
        word, look = "Running", READY if ready else NOT_READY
    else:
        word, look = phase, STARTING
    return PodState(
        name=str(metadata.get("name") or "?"),
        phase=phase,
        status=word,
        ready=ready and not terminating,
        ready_containers=sum(1 for entry in statuses if entry.get("ready")),
        containers=len(spec.get("containers") or []) or len(statuses),
        restarts=sum(int(entry.get("restartCount") or 0) for entry in statuses),
        node=spec.get("nodeName") or None,
        terminating=terminating,
        look=look,
    )


def legend(picture: svg.Svg, x: float, y: float, looks: tuple[Look, ...] = LOOKS) -> None:
    """A row of coloured squares with what each colour means."""
    picture.open("g", class_="legend")
    for look in looks:
        picture.rect(x, y - 10, 12, 12, rx=3, fill=look.fill, stroke=look.stroke)
        picture.text(x + 17, y, look.legend, size=11, fill=svg.MUTED)
        x += 30 + len(look.legend) * 6.2
    picture.close("g")
