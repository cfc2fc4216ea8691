"""The pod lifecycle timeline: phase, readiness and each container's state, over time.

A pod's life is told by its status: the phase (Pending, Running, Succeeded, Failed), the Ready
condition, and per container a state (waiting with a reason such as ``ContainerCreating`` or
``CrashLoopBackOff``, running, terminated with a reason and exit code) and a restart count.
The timeline draws one lane for each, from the moment the picture started watching, marks each
restart, and lists the pod's Events (Scheduled, Pulled, Started, BackOff, Unhealthy) where they
happened, so the growing gaps of a crash loop's back-off can be seen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubelab.widgets import svg
from kubelab.widgets.podstate import TROUBLE_REASONS
from kubelab.widgets.watching import named

WIDTH = 820
LEFT = 150
LANE_H = 26
PHASE_COLOURS = {
    "Pending": (svg.LIGHT_GREY, svg.GREY),
    "Running": (svg.LIGHT_GREEN, svg.GREEN),
    "Succeeded": (svg.LIGHT_BLUE, svg.BLUE),
    "Failed": (svg.LIGHT_RED, svg.RED),
}


@dataclass(frozen=True)
class ContainerState:
    """One container at one moment: ``running``, ``waiting`` or ``terminated``, and why."""

    name: str
    state: str
    reason: str
    restarts: int
    ready: bool


@dataclass(frozen=True)
class PodSample:
    at: float
    exists: bool
    phase: str
    ready: bool
    containers: tuple[ContainerState, ...]


@dataclass(frozen=True)
class EventMark:
    """An Event about the pod; ``at`` is None for Events already there when watching began."""

    reason: str
    message: str
    count: int
    at: float | None


def container_states(pod: Mapping[str, Any]) -> tuple[ContainerState, ...]:
    statuses = {
        entry.get("name"): entry
        for entry in (pod.get("status") or {}).get("containerStatuses") or []
    }
    names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []] or list(
        statuses
    )
    states = []
    for name in names:
        entry = statuses.get(name) or {}
        state = entry.get("state") or {}
        kind = next(
            (key for key in ("running", "waiting", "terminated") if key in state), "waiting"
        )
        detail = state.get(kind) or {}
        reason = str(
            detail.get("reason")
            or ("" if kind == "running" else "ContainerCreating" if not entry else "")
        )
        if kind == "terminated" and detail.get("exitCode") is not None:
            reason = f"{reason or 'Terminated'} (exit {detail['exitCode']})"
        states.append(
            ContainerState(
                str(name),
                kind,
                reason,
                int(entry.get("restartCount") or 0),
                bool(entry.get("ready")),
            )
        )
    return tuple(states)


def pod_sample(pod: Mapping[str, Any] | None, at: float) -> PodSample:
    if pod is None:
        return PodSample(at, False, "", False, ())
    status = pod.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    return PodSample(at, True, str(status.get("phase") or "Pending"), ready, container_states(pod))


def _state_colours(state: ContainerState) -> tuple[str, str]:
    reason = state.reason.split(" ")[0]
    if state.state == "running":
        return (svg.LIGHT_GREEN, svg.GREEN) if state.ready else (svg.LIGHT_AMBER, svg.AMBER)
    if reason in TROUBLE_REASONS or (state.state == "terminated" and "exit 0" not in state.reason):
        return svg.LIGHT_RED, svg.RED
    if state.state == "terminated":
        return svg.LIGHT_BLUE, svg.BLUE
    return svg.LIGHT_GREY, svg.GREY


def timeline_svg(
    name: str, samples: Sequence[PodSample], events: Sequence[EventMark], now: float
) -> str:
    """The timeline of pod ``name`` as SVG."""
    container_names = list(dict.fromkeys(c.name for s in samples for c in s.containers))
    lanes = ["Phase", "Ready", *(f"container {n}" for n in container_names)]
    top = 56
    lanes_bottom = top + len(lanes) * LANE_H
    timed = [e for e in events if e.at is not None]
    earlier = [e for e in events if e.at is None]
    height = (
        lanes_bottom + 40 + (len(timed) and 20 * min(len(timed), 12)) + (20 if earlier else 0) + 16
    )
    picture = svg.Svg(WIDTH, height, f"Lifecycle of pod {name}")
    picture.text(12, 22, f"Lifecycle of pod {name}", size=15, font_weight="600")
    last = samples[-1] if samples else None
    if last is None:
        line = "Looking for the pod…"
    elif not last.exists:
        line = "No such Pod (yet) in this namespace."
    else:
        restarts = sum(c.restarts for c in last.containers)
        line = f"{last.phase} · {'ready' if last.ready else 'not ready'} · {restarts} restarts"
    picture.text(12, 40, line, size=11, fill=svg.MUTED)

    right = WIDTH - 16
    start = samples[0].at if samples else now
    span = max(10.0, now - start)

    def x_of(at: float) -> float:
        return LEFT + (at - start) / span * (right - LEFT)

    for index, lane in enumerate(lanes):
        y = top + index * LANE_H
        picture.text(12, y + 16, svg.fit(lane, LEFT - 20, 11), size=11, fill=svg.INK)
        picture.rect(
            LEFT,
            y + 3,
            right - LEFT,
            LANE_H - 6,
            fill=svg.LIGHT_GREY,
            stroke=svg.BORDER,
            stroke_width=0.6,
        )

    ends = [s.at for s in samples[1:]] + [now] if samples else []
    # Per lane, what each sample shows there; equal neighbours are drawn as one segment.
    lane_values: dict[int, list[tuple[float, float, tuple[Any, ...] | None]]] = {}
    for sample, end in zip(samples, ends, strict=True):
        values: dict[int, tuple[Any, ...] | None] = {0: None, 1: None}
        if sample.exists:
            values[0] = (
                *PHASE_COLOURS.get(sample.phase, (svg.LIGHT_GREY, svg.GREY)),
                sample.phase,
                "phase",
                (),
            )
            if sample.ready:
                values[1] = (svg.LIGHT_GREEN, svg.GREEN, "Ready", "ready", ())
            for container in sample.containers:
                lane = 2 + container_names.index(container.name)
                data = (("data_container", container.name), ("data_state", container.state))
                values[lane] = (
                    *_state_colours(container),
                    container.reason or container.state,
                    "container-state",
                    data,
                )
        for lane, value in values.items():
            runs = lane_values.setdefault(lane, [])
            if runs and runs[-1][2] == value and runs[-1][1] == sample.at:
                runs[-1] = (runs[-1][0], end, value)
            else:
                runs.append((sample.at, end, value))
    for lane, runs in lane_values.items():
        for begin, finish, value in runs:
            if value is None:
                continue
            fill, stroke, label, kind, data = value
            _segment(
                picture,
                x_of(begin),
                x_of(finish),
                top + lane * LANE_H,
                fill,
                stroke,
                label,
                kind,
                **dict(data),
            )

    for before, after in zip(samples, samples[1:], strict=False):
        for container in after.containers:
            previous = next((c for c in before.containers if c.name == container.name), None)
            if previous is not None and container.restarts > previous.restarts:
                lane = 2 + container_names.index(container.name)
                x = x_of(after.at)
                picture.open(
                    "g",
                    class_="restart",
                    data_container=container.name,
                    data_count=str(container.restarts),
                )
                picture.line(
                    x,
                    top + lane * LANE_H,
                    x,
                    top + (lane + 1) * LANE_H,
                    stroke=svg.RED,
                    stroke_width=2.5,
                )
                picture.text(
                    x + 3,
                    top + lane * LANE_H + 2,
                    f"↻{container.restarts}",
                    size=10,
                    fill=svg.RED,
                    font_weight="600",
                )
                picture.close("g")

    for second in svg.time_ticks(span):
        x = LEFT + second / span * (right - LEFT)
        picture.line(x, lanes_bottom, x, lanes_bottom + 4, stroke=svg.MUTED)
        picture.text(
            x, lanes_bottom + 16, f"{second:g}s", size=10, fill=svg.MUTED, text_anchor="middle"
        )

    y = lanes_bottom + 36
    if earlier:
        words = ", ".join(f"{e.reason}{f' ×{e.count}' if e.count > 1 else ''}" for e in earlier)
        picture.text(
            12, y, svg.fit(f"Before watching: {words}", WIDTH - 24, 11), size=11, fill=svg.MUTED
        )
        y += 20
    for event in timed[-12:]:
        assert event.at is not None
        x = x_of(event.at)
        trouble = event.reason in {"BackOff", "Unhealthy", "Failed", "Killing", "FailedScheduling"}
        colour = svg.RED if trouble else svg.BLUE
        picture.open("g", class_="event", data_reason=event.reason)
        picture.line(x, top, x, y - 10, stroke=colour, stroke_width=0.8, stroke_dasharray="2 3")
        picture.add("circle", cx=float(x), cy=float(y - 4), r=3.5, fill=colour)
        label = f"{event.reason}: {event.message}"
        anchor_left = x < WIDTH * 0.6
        picture.text(
            x + 8 if anchor_left else x - 8,
            y,
            svg.fit(label, WIDTH - x - 24 if anchor_left else x - 24, 11),
            size=11,
            fill=colour,
            text_anchor=None if anchor_left else "end",
        )
        picture.close("g")
        y += 20
    return str(picture)


def _segment(
    picture: svg.Svg,
    x1: float,
    x2: float,
    y: float,
    fill: str,
    stroke: str,
    label: str,
    kind: str,
    **data: Any,
) -> None:
    width = max(1.5, x2 - x1)
    picture.open("g", class_=kind, data_label=label, **data)
    picture.rect(x1, y + 3, width, LANE_H - 6, fill=fill, stroke=stroke, stroke_width=1)
    if width > 40:
        picture.text(x1 + 4, y + 17, svg.fit(label, width - 8, 10), size=10, fill=stroke)
    picture.close("g")


class PodTimeline:
    """The live picture's side of the timeline: a sample whenever the pod's state changes."""

    tick = 1.0

    def __init__(self, name: str, namespace: str) -> None:
        self.name = name
        self.namespace = namespace
        self.title = f"Lifecycle of pod {name}"
        self.samples: list[PodSample] = []
        self.events: dict[str, EventMark] = {}
        self._started = False

    def observe(self, objects: dict[str, list[dict[str, Any]]], now: float) -> None:
        pod = named(objects, "Pod", self.name)
        sample = pod_sample(pod, now)
        last = self.samples[-1] if self.samples else None
        if last is None or (last.exists, last.phase, last.ready, last.containers) != (
            sample.exists,
            sample.phase,
            sample.ready,
            sample.containers,
        ):
            self.samples.append(sample)
        for event in objects.get("Event") or []:
            involved = event.get("involvedObject") or {}
            if involved.get("kind") != "Pod" or involved.get("name") != self.name:
                continue
            key = str(
                (event.get("metadata") or {}).get("uid")
                or (event.get("metadata") or {}).get("name")
            )
            count = int(event.get("count") or 1)
            known = self.events.get(key)
            if known is None or known.count != count:
                at = now if (self._started or known is not None) else None
                self.events[key] = EventMark(
                    str(event.get("reason") or ""), str(event.get("message") or ""), count, at
                )
        self._started = True

    def svg(self, now: float) -> str:
        ordered = sorted(self.events.values(), key=lambda e: -1.0 if e.at is None else e.at)
        return timeline_svg(self.name, self.samples, ordered, now)

    def summary(self) -> str:
        last = self.samples[-1] if self.samples else None
        if last is None or not last.exists:
            return f"{self.title}: not found"
        states = ", ".join(f"{c.name} {c.reason or c.state}" for c in last.containers)
        return f"{self.title}: {last.phase}, {states}"
