"""Content negotiation: decoding request bodies and reading what the client accepts.

Clients send JSON, YAML or (kubectl's typed clients) protobuf bodies, and ask for plain objects,
``Table``s or ``PartialObjectMetadata`` through parameters on the ``Accept`` media types.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml

from kubelab.cluster.api import errors

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"

PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}

ACCEPTED_BODY_TYPES = "application/json, application/yaml, application/vnd.kubernetes.protobuf"

#: kube-apiserver's limit for a request body (3 MiB).
MAX_BODY_BYTES = 3 * 1024 * 1024

#: Go's decoders stop at 10,000 levels of nesting; Python's stop sooner (docs/fidelity.md), and
#: a body nested that deep gets the same 400 as one past Go's limit.
NESTED_TOO_DEEP_JSON = "couldn't get version/kind; json parse error: exceeded max depth"
NESTED_TOO_DEEP_YAML = "error converting YAML to JSON: yaml: exceeded max depth of 10000"


def media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def decode_body(content_type: str | None, raw: bytes) -> Any:
    """Decode a create/update body, with kube-apiserver's error texts for bad input."""
    kind = media_type(content_type) or JSON
    if kind == PROTOBUF:
        from kubelab.cluster.api.protobuf import decode_object

        return decode_object(raw)
    if kind in (JSON, "*/*"):
        return decode_json(raw)
    if kind in (YAML, "application/yml", "text/yaml"):
        return decode_yaml(raw)
    raise errors.unsupported_media_type(ACCEPTED_BODY_TYPES)


def decode_json(raw: bytes) -> Any:
    if not raw.strip():
        raise errors.bad_request(
            "couldn't get version/kind; json parse error: unexpected end of JSON input"
        )
    try:
        return json.loads(raw)
    except RecursionError:
        raise errors.bad_request(NESTED_TOO_DEEP_JSON) from None
    except (ValueError, UnicodeDecodeError) as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise errors.bad_request(
            f"couldn't get version/kind; json parse error: {detail.lower()}"
        ) from None


#: Flow nesting ("[[[..." or "{{{...") deeper than this cannot be parsed here; refusing it before
#: parsing spares the event loop the seconds PyYAML takes to fail on it.
MAX_FLOW_NESTING = 1000


def _flow_nesting_exceeds(raw: bytes, limit: int) -> bool:
    """Whether brackets open more than ``limit`` deep (quotes ignored: a cheap upper bound)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for byte in raw:
        if byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth = max(0, depth - 1)
    return False


def decode_yaml(raw: bytes) -> Any:
    if _flow_nesting_exceeds(raw, MAX_FLOW_NESTING):
        raise errors.bad_request(NESTED_TOO_DEEP_YAML)
    try:
        return yaml.safe_load(raw)
    except RecursionError:
        raise errors.bad_request(NESTED_TOO_DEEP_YAML) from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f"line {line + 1}: " if line is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise errors.bad_request(f"error converting YAML to JSON: yaml: {where}{problem}") from None


def decode_patch(content_type: str | None, raw: bytes) -> tuple[str, Any]:
    kind = media_type(content_type)
    patch_type = PATCH_TYPES.get(kind)
    if patch_type is None:
        raise errors.unsupported_media_type(", ".join(PATCH_TYPES))
    if patch_type == "apply":
        return patch_type, decode_yaml(raw)
    return patch_type, decode_json(raw)


@dataclass(frozen=True)
class Accept:
    """What representation the client asked for."""

    as_table: bool = False
    as_partial_metadata: bool = False
    as_aggregated_discovery: bool = False


def parse_accept(header: str | None) -> Accept:
    """Find the first supported special representation among the Accept media types."""
    for entry in (header or "").split(","):
        params = {}
        for part in entry.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            params[key.lower()] = value
        kind = params.get("as")
        if kind == "Table" and params.get("g") == "meta.k8s.io":
            return Accept(as_table=True)
        if (
            kind in ("PartialObjectMetadata", "PartialObjectMetadataList")
            and params.get("g") == "meta.k8s.io"
        ):
            return Accept(as_partial_metadata=True)
        if (
            kind == "APIGroupDiscoveryList"
            and params.get("g") == "apidiscovery.k8s.io"
            and (params.get("v") == "v2")
        ):
            return Accept(as_aggregated_discovery=True)
    return Accept()
