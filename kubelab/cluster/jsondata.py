"""Copying JSON-shaped data (dicts, lists, strings, numbers) quickly.

Objects in the teaching cluster are plain JSON values, so a copy only has to rebuild dicts and
lists: this is several times faster than ``copy.deepcopy``, which matters because every request
copies the objects it reads and writes.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def clone(value: T) -> T:
    """A deep copy of a JSON value."""
    kind = type(value)
    if kind is dict:
        return {key: clone(item) for key, item in value.items()}  # type: ignore[attr-defined,return-value]
    if kind is list:
        return [clone(item) for item in value]  # type: ignore[attr-defined,return-value]
    return value
