"""A picture that redraws itself while the cluster changes, in a notebook cell or anywhere else.

A :class:`LivePicture` joins a :class:`~kubelab.widgets.watching.WatchedObjects` copy of the
cluster to a :class:`Picture` (what to remember and how to draw it). Every change is shown to
the picture at once, so a pod that was Pending for a tenth of a second still appears in a
timeline, but the SVG is redrawn at most a few times a second, because a scaling Deployment
sends many events in a burst and the browser only needs the last.

In a notebook the picture is an ipywidgets HTML widget whose value is replaced on each redraw,
so it moves while later cells run (``kubectl scale``, a rollout). Its output also carries the
SVG as a plain image, which is what a saved notebook shows on GitHub or in nbconvert, where no
kernel runs the widget. Watching stops after ``duration`` seconds (run the cell again to go on)
so that a forgotten picture does not keep connections to the cluster open for ever.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any, Protocol

from kubelab.widgets import in_notebook
from kubelab.widgets.watching import WatchedObjects

#: Fewest seconds between two redraws.
REDRAW_INTERVAL = 0.25
#: Default time a live picture keeps watching.
DEFAULT_DURATION = 600.0
#: Longest wait, when a picture is first shown, for a drawing of the whole cluster.
FIRST_DRAWING_WAIT = 5.0


class Picture(Protocol):
    """What a live picture shows: it remembers what it needs from each change and draws SVG."""

    title: str
    #: Seconds between redraws when nothing changes (pictures with a time axis), or None.
    tick: float | None

    def observe(self, objects: dict[str, list[dict[str, Any]]], now: float) -> None: ...

    def svg(self, now: float) -> str: ...

    def summary(self) -> str:
        """One line of plain text saying what the picture shows (terminals, logs)."""
        ...


class StaticPicture:
    """A picture frozen at one moment: an SVG image in the notebook's output."""

    def __init__(self, svg: str, text: str) -> None:
        self.svg = svg
        self.text = text

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return self.text


class LivePicture:
    """A picture kept up to date from watches until :meth:`stop` or its duration ends."""

    def __init__(
        self,
        picture: Picture,
        watch: Callable[[Callable[[], None]], WatchedObjects],
        duration: float = DEFAULT_DURATION,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.picture = picture
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Event()
        self._svg = ""
        self._widget: Any = None
        self._complete = threading.Event()
        self._observed_complete = False
        self._deadline = clock() + duration
        self._objects = watch(self._on_change)
        self._finished = threading.Event()
        with self._lock:
            self._svg = picture.svg(clock())
        self._objects.start()
        self._thread = threading.Thread(
            target=self._redraw_loop, name="kubelab-picture", daemon=True
        )
        self._thread.start()

    # --- what callers use -------------------------------------------------------------------

    def svg(self) -> str:
        """The latest drawing."""
        with self._lock:
            return self._svg

    @property
    def watching(self) -> bool:
        return not self._finished.is_set()

    @property
    def problem(self) -> str | None:
        """Why the cluster cannot be watched right now (it keeps trying), or None."""
        return self._objects.problem

    def snapshot(self) -> StaticPicture:
        """The picture as it is now, as a still image that stays in the saved notebook."""
        return StaticPicture(self.svg(), self.picture.summary())

    def stop(self) -> None:
        """Stop watching; the picture keeps its last drawing."""
        self._deadline = self._clock()
        self._changed.set()
        self._thread.join(timeout=5)

    def __enter__(self) -> LivePicture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        problem = self.problem
        summary = self.picture.summary()
        return f"{summary} (cannot watch the cluster: {problem})" if problem else summary

    def wait_until_complete(self, timeout: float) -> bool:
        """Wait until the picture shows the cluster (every kind listed once); False on timeout."""
        return self._complete.wait(timeout)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        # The still image saved with the notebook should show the cluster, not an empty frame.
        self.wait_until_complete(FIRST_DRAWING_WAIT)
        bundle: dict[str, Any] = {"text/plain": repr(self), "image/svg+xml": self.svg()}
        widget = self._notebook_widget()
        if widget is not None:
            shown = widget._repr_mimebundle_()
            data = shown[0] if isinstance(shown, tuple) else shown
            bundle.update({k: v for k, v in (data or {}).items() if k != "text/plain"})
        return bundle

    # --- inside -----------------------------------------------------------------------------

    def _notebook_widget(self) -> Any:
        if self._widget is None and in_notebook():
            try:
                import ipywidgets
            except ImportError:
                return None
            self._widget = ipywidgets.HTML(self._widget_html(), layout={"overflow": "auto"})
            self._widget.add_class("kubelab-picture")
        return self._widget

    def _widget_html(self) -> str:
        if self.watching:
            problem = self.problem
            state = (
                f"<span style='color:#cf222e'>cannot watch the cluster: {escape(problem)}</span>"
                if problem
                else "<span style='color:#2da44e'>●</span> watching the cluster"
            )
        else:
            state = "○ stopped watching; run the cell again to see the cluster as it is now"
        stamp = datetime.now().strftime("%H:%M:%S")
        return (
            f"<div class='kubelab-picture-svg'>{self.svg()}</div>"
            f"<div class='kubelab-picture-state' style='font-size:11px;color:#57606a'>"
            f"{state} · drawn at {stamp}</div>"
        )

    def _on_change(self) -> None:
        if self._objects.synced:  # a picture starts from a complete copy: every kind listed
            snapshot = self._objects.snapshot()
            with self._lock:
                self.picture.observe(snapshot, self._clock())
                self._observed_complete = True
        self._changed.set()

    def _redraw_loop(self) -> None:
        try:
            while True:
                remaining = self._deadline - self._clock()
                if remaining <= 0:
                    break
                wait = min(remaining, self.picture.tick or remaining)
                self._changed.wait(timeout=wait)
                self._changed.clear()
                if self._deadline - self._clock() <= 0:
                    break
                self._redraw()
                time.sleep(REDRAW_INTERVAL)
        finally:
            self._objects.stop()
            self._finished.set()
            self._redraw()

    def _redraw(self) -> None:
        with self._lock:
            complete = self._observed_complete
            self._svg = self.picture.svg(self._clock())
        if complete:
            self._complete.set()
        if self._widget is not None:
            self._widget.value = self._widget_html()
