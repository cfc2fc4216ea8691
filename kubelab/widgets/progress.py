"""What a learner sees while a step waits for the cluster to converge.

Kubernetes is eventually consistent: after ``apply`` the pods still have to be scheduled,
pulled and started. A wait that shows nothing for thirty seconds looks hung, so every wait shows
what it is waiting for, how far along it is ("2 of 3 pods ready") and how long it has taken.
In a notebook that is an ipywidgets bar updated in place while the cell runs; anywhere else it
is one plain line per change, which also reads well in test logs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any, Protocol

from kubelab.widgets import in_notebook


@dataclass(frozen=True)
class Progress:
    """How far an object has got: a sentence, and a count when there is one."""

    message: str
    done: int | None = None
    total: int | None = None


def format_elapsed(seconds: float) -> str:
    """``4.2s`` under a minute, ``2m05s`` above: precise when it is short, calm when it is not."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"


class _View(Protocol):
    def show(self, title: str) -> None: ...

    def update(self, progress: Progress, elapsed: float) -> None: ...

    def finish(self, ok: bool, message: str, elapsed: float) -> None: ...


class _TextView:
    """One line per change of message, so a log shows the story without repeating itself."""

    def __init__(self) -> None:
        self._last: str | None = None

    def show(self, title: str) -> None:
        print(title, flush=True)

    def update(self, progress: Progress, elapsed: float) -> None:
        if progress.message != self._last:
            self._last = progress.message
            print(f"  {progress.message} ({format_elapsed(elapsed)})", flush=True)

    def finish(self, ok: bool, message: str, elapsed: float) -> None:
        print(f"{'✔' if ok else '✘'} {message} ({format_elapsed(elapsed)})", flush=True)


class _WidgetView:
    """A title, a bar (hidden while there is nothing to count) and a status line."""

    def __init__(self) -> None:
        import ipywidgets
        from IPython.display import display

        self._title = ipywidgets.HTML()
        self._bar = ipywidgets.IntProgress(value=0, min=0, max=1, bar_style="info")
        self._bar.layout.display = "none"
        self._status = ipywidgets.HTML()
        display(ipywidgets.VBox([self._title, ipywidgets.HBox([self._bar, self._status])]))

    def show(self, title: str) -> None:
        self._title.value = f"<b>{escape(title)}</b>"

    def update(self, progress: Progress, elapsed: float) -> None:
        if progress.total:
            self._bar.max = progress.total
            self._bar.value = min(progress.done or 0, progress.total)
            self._bar.layout.display = None
        self._status.value = f"{escape(progress.message)} &middot; {format_elapsed(elapsed)}"

    def finish(self, ok: bool, message: str, elapsed: float) -> None:
        self._bar.bar_style = "success" if ok else "danger"
        if ok and self._bar.layout.display is None:
            self._bar.value = self._bar.max
        colour = "#1a7f37" if ok else "#b3261e"
        self._status.value = (
            f"<span style='color:{colour}'>{'✔' if ok else '✘'} {escape(message)}</span>"
            f" &middot; {format_elapsed(elapsed)}"
        )


def _new_view() -> _View:
    if in_notebook():
        try:
            return _WidgetView()
        except ImportError:
            pass
    return _TextView()


class WaitDisplay:
    """The display of one wait. Use as a context manager; a wait left without a verdict (an
    exception, Ctrl-C) is shown as stopped, so the display never claims to be still waiting."""

    def __init__(self, title: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.title = title
        self._clock = clock
        self._started = clock()
        self._view = _new_view()
        self._finished = False
        self._last = Progress("starting")

    @property
    def elapsed(self) -> float:
        return self._clock() - self._started

    def __enter__(self) -> WaitDisplay:
        self._view.show(self.title)
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._finished:
            self.fail(f"stopped: {self._last.message}")

    def update(self, progress: Progress) -> None:
        self._last = progress
        self._view.update(progress, self.elapsed)

    def succeed(self, message: str) -> None:
        self._finished = True
        self._view.finish(True, message, self.elapsed)

    def fail(self, message: str) -> None:
        self._finished = True
        self._view.finish(False, message, self.elapsed)


def describe_object(kind: str, obj: Mapping[str, Any] | None) -> Progress:
    """What to show for an object while waiting on it, in the words ``kubectl get`` uses.

    Workload controllers count ready pods against the desired number, a pod counts its ready
    containers and names what holds it back (``ContainerCreating``, ``CrashLoopBackOff``), and
    anything else shows its conditions.
    """
    if obj is None:
        return Progress("not created yet")
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"):
        desired = spec.get("replicas", 1)
        ready = status.get("readyReplicas") or 0
        return Progress(f"{ready} of {desired} pods ready", ready, desired)
    if kind == "DaemonSet":
        desired = status.get("desiredNumberScheduled") or 0
        ready = status.get("numberReady") or 0
        return Progress(f"{ready} of {desired} pods ready", ready, desired)
    if kind == "Job":
        completions = spec.get("completions") or 1
        succeeded = status.get("succeeded") or 0
        return Progress(f"{succeeded} of {completions} completions", succeeded, completions)
    if kind == "Pod":
        return _pod_progress(obj)
    return Progress(_conditions_summary(status) or status.get("phase") or "no status yet")


def _pod_progress(pod: Mapping[str, Any]) -> Progress:
    status = pod.get("status") or {}
    containers = (pod.get("spec") or {}).get("containers") or []
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for entry in statuses if entry.get("ready"))
    total = len(containers)
    phase = status.get("phase") or "Pending"
    held_by = [
        (entry.get("state") or {}).get("waiting", {}).get("reason")
        or (entry.get("state") or {}).get("terminated", {}).get("reason")
        for entry in statuses
    ]
    reasons = sorted({reason for reason in held_by if reason})
    scheduled = next(
        (entry for entry in status.get("conditions") or [] if entry.get("type") == "PodScheduled"),
        None,
    )
    if phase == "Pending" and (scheduled is None or scheduled.get("status") != "True"):
        why = (scheduled or {}).get("message")
        return Progress(f"waiting to be scheduled{f': {why}' if why else ''}", 0, total)
    message = f"{phase}, {ready} of {total} containers ready"
    if reasons:
        restarts = max((entry.get("restartCount") or 0 for entry in statuses), default=0)
        message += f" ({', '.join(reasons)}"
        message += f", restarted {restarts} times)" if restarts else ")"
    return Progress(message, ready, total)


def _conditions_summary(status: Mapping[str, Any]) -> str:
    conditions = status.get("conditions") or []
    return ", ".join(
        f"{entry.get('type')}={entry.get('status')}"
        + (f" ({entry['reason']})" if entry.get("reason") and entry.get("status") != "True" else "")
        for entry in conditions
    )
