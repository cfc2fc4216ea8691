"""Reading a picture back as data: its elements and their ``data-*`` attributes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def groups(svg_text: str, kind: str) -> list[ET.Element]:
    """The ``<g class=kind>`` elements, in drawing order (the text must be well-formed XML)."""
    return [g for g in ET.fromstring(svg_text).iter(f"{SVG}g") if g.get("class") == kind]


def by_name(svg_text: str, kind: str) -> dict[str, ET.Element]:
    return {g.get("data-name", ""): g for g in groups(svg_text, kind)}


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]
