"""Short, stable names for pod templates: the ``pod-template-hash`` and revision hashes.

A Deployment names each ReplicaSet ``<deployment>-<hash of the pod template>``, and DaemonSets
and StatefulSets name their ControllerRevisions the same way. The hash is a 32-bit FNV of the
template, written in decimal and then spelled with a "safe" alphabet of 27 characters that has
no vowels (so no accidental words) and no look-alikes such as ``0``/``o`` or ``1``/``l``. When two
templates collide, the owner's ``status.collisionCount`` is mixed in to get a fresh name.

The template is hashed in a canonical JSON form (sorted keys), so the same template always
gives the same hash and any change to it gives, in practice, a different one.
"""

from __future__ import annotations

import json
import struct
from typing import Any

#: ``rand.SafeEncodeString``'s alphabet.
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv1a_32(data: bytes) -> int:
    value = _FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def fnv1_32(data: bytes) -> int:
    value = _FNV_OFFSET
    for byte in data:
        value = ((value * _FNV_PRIME) & 0xFFFFFFFF) ^ byte
    return value


def safe_encode(text: str) -> str:
    return "".join(SAFE_ALPHABET[ord(char) % len(SAFE_ALPHABET)] for char in text)


def canonical_json(value: Any) -> bytes:
    """Compact JSON with sorted keys, as Go writes a ``map[string]interface{}``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def template_hash(template: dict[str, Any], collision_count: int | None) -> str:
    """The ``pod-template-hash`` of a pod template (``controller.ComputeHash``)."""
    data = canonical_json(template)
    if collision_count is not None:
        data += struct.pack("<Q", collision_count & 0xFFFFFFFF)
    return safe_encode(str(fnv1a_32(data)))


def revision_hash(data: bytes, collision_count: int | None) -> str:
    """The hash of a ControllerRevision's data (``history.HashControllerRevision``)."""
    if collision_count is not None:
        data += str(collision_count).encode()
    return safe_encode(str(fnv1_32(data)))
