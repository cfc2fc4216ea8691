"""A very small SVG writer shared by the cluster pictures.

The pictures are plain SVG text so that one string serves both the live widget (an HTML widget
whose value is replaced as the cluster changes) and the static image saved in the notebook,
which GitHub and nbconvert show without a kernel. Every element may carry ``data-*`` attributes
naming what it stands for (a pod's name, its phase), so tests and curious learners can read the
picture as data.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"

#: Colours by meaning, used the same way in every picture.
GREEN = "#2da44e"
LIGHT_GREEN = "#dafbe1"
AMBER = "#bf8700"
LIGHT_AMBER = "#fff8c5"
RED = "#cf222e"
LIGHT_RED = "#ffebe9"
BLUE = "#0969da"
LIGHT_BLUE = "#ddf4ff"
GREY = "#6e7781"
LIGHT_GREY = "#f6f8fa"
BORDER = "#d0d7de"
INK = "#1f2328"
MUTED = "#57606a"
PURPLE = "#8250df"
LIGHT_PURPLE = "#fbefff"


def _attributes(values: Mapping[str, Any]) -> str:
    parts = []
    for key, value in values.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        text = "true" if value is True else (f"{value:g}" if isinstance(value, float) else value)
        parts.append(f' {name}="{escape(str(text))}"')
    return "".join(parts)


def fit(text: str, width: float, size: float = 12) -> str:
    """``text`` cut with an ellipsis so it fits in ``width`` pixels at font ``size``.

    An average glyph of the UI font is about 0.55 of its size wide; pod names are long, and a
    name that runs over its box is harder to read than one that is visibly shortened.
    """
    room = max(1, int(width / (size * 0.55)))
    return text if len(text) <= room else text[: max(1, room - 1)] + "…"


def time_ticks(span: float) -> list[float]:
    """Seconds to mark on a time axis ``span`` seconds long: a round step, at most nine marks."""
    step = next(s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800) if span / s <= 8)
    return [n * step for n in range(int(span // step) + 1)]


class Svg:
    """An SVG document built element by element; ``str()`` gives the finished markup."""

    def __init__(self, width: float, height: float, title: str) -> None:
        self.width = width
        self.height = height
        self.title = title
        self._parts: list[str] = []

    def add(self, tag: str, text: str | None = None, **attributes: Any) -> None:
        attrs = _attributes(attributes)
        if text is None:
            self._parts.append(f"<{tag}{attrs}/>")
        else:
            self._parts.append(f"<{tag}{attrs}>{escape(text)}</{tag}>")

    def open(self, tag: str = "g", **attributes: Any) -> None:
        self._parts.append(f"<{tag}{_attributes(attributes)}>")

    def close(self, tag: str = "g") -> None:
        self._parts.append(f"</{tag}>")

    def rect(self, x: float, y: float, width: float, height: float, **attributes: Any) -> None:
        self.add(
            "rect", x=float(x), y=float(y), width=float(width), height=float(height), **attributes
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, **attributes: Any) -> None:
        self.add("line", x1=float(x1), y1=float(y1), x2=float(x2), y2=float(y2), **attributes)

    def text(self, x: float, y: float, text: str, size: float = 12, **attributes: Any) -> None:
        attributes.setdefault("fill", INK)
        self.add("text", text, x=float(x), y=float(y), font_size=float(size), **attributes)

    def tooltip(self, text: str) -> None:
        """A hover text for the element group that is open (browsers show ``<title>``)."""
        self.add("title", text)

    def __str__(self) -> str:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width:g}" '
            f'height="{self.height:g}" viewBox="0 0 {self.width:g} {self.height:g}" '
            f'font-family="{escape(FONT)}" role="img" aria-label="{escape(self.title)}">'
            f"<title>{escape(self.title)}</title>"
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{GREY}"/></marker></defs>'
            f'<rect x="0" y="0" width="{self.width:g}" height="{self.height:g}" fill="#ffffff"/>'
        )
        return head + "".join(self._parts) + "</svg>"
