"""The rollout view: a Deployment's ReplicaSets trading pods, now and over time.

A rolling update is the new ReplicaSet growing while the old one shrinks, within the bounds of
``maxSurge`` and ``maxUnavailable``. The view shows each ReplicaSet (newest revision first) as a
row of pods, filled when ready, and below it a chart of ready pods per ReplicaSet over the
time the picture has been watching, so the hand-over is visible as two lines crossing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubelab.widgets import svg
from kubelab.widgets.watching import named

WIDTH = 760
ROW_H = 30
CHART_H = 150
#: Colours by age: the newest revision, the one before it, and anything older.
REVISION_COLOURS = (svg.BLUE, svg.AMBER, svg.GREY)
REVISION = "deployment.kubernetes.io/revision"


@dataclass(frozen=True)
class SetState:
    """One ReplicaSet at one moment."""

    name: str
    revision: int
    image: str
    desired: int
    ready: int


@dataclass(frozen=True)
class Sample:
    """Every ReplicaSet of the Deployment, at ``at`` seconds on the picture's clock."""

    at: float
    sets: tuple[SetState, ...]


def _revision(rs: Mapping[str, Any]) -> int:
    value = ((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def set_states(
    deployment: Mapping[str, Any], replicasets: Sequence[Mapping[str, Any]]
) -> tuple[SetState, ...]:
    """The ReplicaSets the Deployment controls (by owner uid), newest revision first."""
    uid = (deployment.get("metadata") or {}).get("uid")
    owned = [
        rs
        for rs in replicasets
        if any(
            ref.get("controller") and ref.get("uid") == uid
            for ref in (rs.get("metadata") or {}).get("ownerReferences") or []
        )
    ]
    states = []
    for rs in owned:
        containers = (
            (((rs.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")
        ) or []
        states.append(
            SetState(
                name=str((rs.get("metadata") or {}).get("name")),
                revision=_revision(rs),
                image=", ".join(str(c.get("image")) for c in containers),
                desired=int((rs.get("spec") or {}).get("replicas", 1) or 0),
                ready=int((rs.get("status") or {}).get("readyReplicas") or 0),
            )
        )
    return tuple(sorted(states, key=lambda state: (-state.revision, state.name)))


def _colour(index: int) -> str:
    return REVISION_COLOURS[min(index, len(REVISION_COLOURS) - 1)]


def _deployment_line(deployment: Mapping[str, Any]) -> str:
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    desired = int(spec.get("replicas", 1) or 0)
    words = [
        f"{int(status.get('updatedReplicas') or 0)} of {desired} up to date",
        f"{int(status.get('availableReplicas') or 0)} available",
    ]
    progressing = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "Progressing"), None
    )
    if progressing and progressing.get("reason"):
        words.append(str(progressing["reason"]))
    return " · ".join(words)


def rollout_svg(
    name: str,
    deployment: Mapping[str, Any] | None,
    samples: Sequence[Sample],
    now: float,
) -> str:
    """The rollout of Deployment ``name`` as SVG: current ReplicaSets and their history."""
    current = samples[-1].sets if samples else ()
    active = {s.name for sample in samples for s in sample.sets if s.desired or s.ready}
    shown = [s for s in current if s.name in active][:4] or list(current[:1])
    rows_h = max(1, len(shown)) * ROW_H
    chart_top = 70 + rows_h + 24
    height = chart_top + CHART_H + 56
    picture = svg.Svg(WIDTH, height, f"Rollout of deployment {name}")
    picture.text(12, 22, f"Rollout of deployment {name}", size=15, font_weight="600")
    if deployment is None:
        words = "No such Deployment (yet) in this namespace." if samples else "Looking for it…"
        picture.text(12, 42, words, size=12, fill=svg.MUTED)
    else:
        picture.text(12, 42, _deployment_line(deployment), size=11, fill=svg.MUTED)

    top = 60
    for index, state in enumerate(shown):
        colour = _colour(index)
        y = top + index * ROW_H
        picture.open(
            "g",
            class_="replicaset",
            data_name=state.name,
            data_revision=str(state.revision),
            data_replicas=str(state.desired),
            data_ready=str(state.ready),
        )
        label = f"rev {state.revision} · {state.name}"
        picture.text(12, y + 13, svg.fit(label, 250, 12), size=12, fill=colour, font_weight="600")
        picture.text(12, y + 25, svg.fit(state.image, 250, 10), size=10, fill=svg.MUTED)
        slots = max(state.desired, state.ready)
        for slot in range(min(slots, 24)):
            x = 280 + slot * 20
            filled = slot < state.ready
            picture.rect(
                x,
                y + 4,
                16,
                16,
                rx=3,
                fill=colour if filled else "#ffffff",
                stroke=colour,
                stroke_width=1.5,
            )
        picture.text(
            280 + min(slots, 24) * 20 + 6,
            y + 16,
            f"{state.ready}/{state.desired} ready",
            size=11,
            fill=svg.MUTED,
        )
        picture.close("g")

    _chart(picture, samples, shown, chart_top, now)
    return str(picture)


def _chart(
    picture: svg.Svg, samples: Sequence[Sample], shown: Sequence[SetState], top: float, now: float
) -> None:
    left, right = 50, WIDTH - 20
    start = samples[0].at if samples else now
    span = max(10.0, now - start)
    peak = max([1] + [max(s.desired, s.ready) for sample in samples for s in sample.sets])
    picture.text(
        12, top - 8, "READY PODS OVER TIME", size=9, fill=svg.MUTED, letter_spacing="0.08em"
    )
    picture.rect(left, top, right - left, CHART_H, fill=svg.LIGHT_GREY, stroke=svg.BORDER)
    for value in range(0, peak + 1, max(1, peak // 4)):
        y = top + CHART_H - value / peak * (CHART_H - 8)
        picture.line(left, y, right, y, stroke=svg.BORDER, stroke_width=0.8)
        picture.text(left - 8, y + 4, str(value), size=10, fill=svg.MUTED, text_anchor="end")
    for second in svg.time_ticks(span):
        x = left + second / span * (right - left)
        picture.text(
            x, top + CHART_H + 14, f"{second:g}s", size=10, fill=svg.MUTED, text_anchor="middle"
        )

    def point(at: float, value: int) -> str:
        x = left + (at - start) / span * (right - left)
        y = top + CHART_H - value / peak * (CHART_H - 8)
        return f"{x:.1f},{y:.1f}"

    for index, state in enumerate(shown):
        path = []
        value = 0
        for sample in samples:
            found = next((s for s in sample.sets if s.name == state.name), None)
            new = found.ready if found else 0
            if path:
                path.append(point(sample.at, value))
            path.append(point(sample.at, new))
            value = new
        if not path:
            continue
        path.append(point(now, value))
        picture.add(
            "polyline",
            class_="history",
            data_name=state.name,
            points=" ".join(path),
            fill="none",
            stroke=_colour(index),
            stroke_width=2.5,
        )
    x = 12
    for index, state in enumerate(shown):
        picture.rect(x, top + CHART_H + 26, 12, 4, fill=_colour(index))
        label = f"revision {state.revision}"
        picture.text(x + 17, top + CHART_H + 32, label, size=11, fill=svg.MUTED)
        x += 40 + len(label) * 6.5


class Rollout:
    """The live picture's side of the rollout view: a sample on every change of its sets."""

    tick = 1.0

    def __init__(self, name: str, namespace: str) -> None:
        self.name = name
        self.namespace = namespace
        self.title = f"Rollout of deployment {name}"
        self.samples: list[Sample] = []
        self._deployment: Mapping[str, Any] | None = None

    def observe(self, objects: dict[str, list[dict[str, Any]]], now: float) -> None:
        self._deployment = named(objects, "Deployment", self.name)
        states = (
            set_states(self._deployment, objects.get("ReplicaSet") or [])
            if self._deployment
            else ()
        )
        if not self.samples or self.samples[-1].sets != states:
            self.samples.append(Sample(now, states))

    def svg(self, now: float) -> str:
        return rollout_svg(self.name, self._deployment, self.samples, now)

    def summary(self) -> str:
        current = self.samples[-1].sets if self.samples else ()
        sets = ", ".join(f"{s.name} {s.ready}/{s.desired}" for s in current if s.desired or s.ready)
        return f"{self.title}: {sets or 'no pods'}"
