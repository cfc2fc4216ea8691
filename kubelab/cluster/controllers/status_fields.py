"""Writing workload status the way Go serialises it: zero counts marked ``omitempty`` vanish.

In the Go types most status counts are ``int32`` fields tagged ``omitempty``, so a real cluster
never shows ``readyReplicas: 0``; the field is simply absent. Learners (and their scripts) see
exactly that, so the controllers drop the same fields when they are zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def omit_zero(status: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """``status`` without those of ``fields`` that are 0 or empty."""
    for field in fields:
        if not status.get(field):
            status.pop(field, None)
    return status
