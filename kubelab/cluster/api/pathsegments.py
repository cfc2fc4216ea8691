"""Names that cannot be path segments, and URLs that try to climb out of theirs.

kube-apiserver keys every object by ``prefix/namespace/name``, so a name of ``.`` or ``..`` or
one containing ``/`` or ``%`` is refused before the store is asked (apimachinery's
``IsValidPathSegmentName``). The HTTP layer here normalizes ``..`` in a URL before routing, which
would let ``/api/v1/namespaces/../secrets`` reach a different resource than its text names, so
such URLs are refused outright (docs/fidelity.md).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

from aiohttp import web

from kubelab.cluster.api import errors
from kubelab.cluster.resources.validation import NAME_MAY_NOT_BE, path_segment_errors


def check_object_name(name: str) -> None:
    """Refuse a name from the URL as the store's key function does."""
    problems = path_segment_errors(name)
    if problems:
        quoted = json.dumps(name)
        raise errors.bad_request(f"Name parameter invalid: {quoted}: {';'.join(problems)}")


@web.middleware
async def dot_segments_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Refuse a URL whose raw path has a ``.`` or ``..`` segment (plain or percent-encoded)."""
    raw_path = request.raw_path.split("?", 1)[0]
    for segment in raw_path.split("/"):
        decoded = unquote(segment)
        if decoded in NAME_MAY_NOT_BE:
            check_object_name(decoded)
    return await handler(request)
