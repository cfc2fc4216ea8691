"""Field checks several kinds share, with apimachinery's rules and message texts.

Names, ports, label selectors, config keys and immutable fields are checked the same way by
many validators upstream (``pkg/util/validation``, ``pkg/apis/meta/v1/validation``); keeping one
copy here means a learner sees the same sentence for the same mistake in every kind.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kubelab.cluster.api.errors import FieldError, forbidden_field, invalid, required
from kubelab.cluster.resources.validation import (
    dns1123_label_errors,
    dns1123_subdomain_errors,
    label_value_errors,
    qualified_name_errors,
    validate_labels,
)

FIELD_IMMUTABLE = "field is immutable"


def immutable(path: str, new: Any, old: Any) -> list[FieldError]:
    """``ValidateImmutableField``: the new value must equal the old one."""
    if new == old:
        return []
    return [invalid(path, new, FIELD_IMMUTABLE)]


def messages_at(path: str, value: Any, messages: list[str]) -> list[FieldError]:
    """One ``Invalid`` error per message, the way upstream turns ``Is*`` results into errors."""
    return [invalid(path, value, message) for message in messages]


def dns1123_label(value: str, path: str) -> list[FieldError]:
    return messages_at(path, value, dns1123_label_errors(value))


def dns1123_subdomain(value: str, path: str) -> list[FieldError]:
    return messages_at(path, value, dns1123_subdomain_errors(value))


def qualified_name(value: str, path: str) -> list[FieldError]:
    return messages_at(path, value, qualified_name_errors(value))


# --- ports --------------------------------------------------------------------------------

PORT_RANGE_MSG = "must be between 1 and 65535, inclusive"
_PORT_NAME_CHARSET = re.compile(r"^[-a-z0-9]+$")
_PORT_NAME_LETTER = re.compile(r"[a-z]")
SUPPORTED_PROTOCOLS = ["SCTP", "TCP", "UDP"]


def port_number_errors(port: Any) -> list[str]:
    """``IsValidPortNum``."""
    if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
        return []
    return [PORT_RANGE_MSG]


def port_name_errors(name: str) -> list[str]:
    """``IsValidPortName``: an IANA service name."""
    errors = []
    if len(name) > 15:
        errors.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARSET.match(name):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(name):
        errors.append("must contain at least one letter (a-z)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def port_number_or_name(port: Any, path: str) -> list[FieldError]:
    """``ValidatePortNumOrName`` for an int-or-string port (``targetPort``)."""
    if isinstance(port, str):
        return messages_at(path, port, port_name_errors(port))
    return messages_at(path, port, port_number_errors(port))


# --- names and keys -----------------------------------------------------------------------


_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
    "'[-._a-zA-Z0-9]+')"
)


def config_key_errors(key: str) -> list[str]:
    """``IsConfigMapKey``: keys of ConfigMap and Secret data, which become file names."""
    errors = []
    if len(key) > 253:
        errors.append("must be no more than 253 characters")
    if not _CONFIG_KEY.match(key):
        errors.append(CONFIG_KEY_MSG)
    if key == ".":
        errors.append("must not be '.'")
    elif key == "..":
        errors.append("must not be '..'")
    elif key.startswith(".."):
        errors.append("must not start with '..'")
    return errors


_WILDCARD_SUBDOMAIN = re.compile(
    r"^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
WILDCARD_SUBDOMAIN_MSG = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, "
    "which must consist of lower case alphanumeric characters, '-' or '.' and end with an "
    "alphanumeric character (e.g. '*.example.com', regex used for validation is "
    "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def wildcard_subdomain_errors(value: str) -> list[str]:
    """``IsWildcardDNS1123Subdomain`` (Ingress hosts like ``*.example.com``)."""
    errors = []
    if len(value) > 253:
        errors.append("must be no more than 253 characters")
    if not _WILDCARD_SUBDOMAIN.match(value):
        errors.append(WILDCARD_SUBDOMAIN_MSG)
    return errors


# --- label selectors ----------------------------------------------------------------------

_SET_OPERATORS = ("In", "NotIn")
_EXISTENCE_OPERATORS = ("Exists", "DoesNotExist")


def label_selector(selector: Any, path: str) -> list[FieldError]:
    """``ValidateLabelSelector`` for a ``metav1.LabelSelector`` (matchLabels/matchExpressions)."""
    if not isinstance(selector, dict):
        return []
    errors = validate_labels(selector.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        errors += _selector_requirement(expr or {}, f"{path}.matchExpressions[{i}]")
    return errors


def _selector_requirement(expr: dict[str, Any], path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    operator = expr.get("operator") or ""
    values = expr.get("values") or []
    if operator in _SET_OPERATORS:
        if not values:
            errors.append(
                required(f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'")
            )
    elif operator in _EXISTENCE_OPERATORS:
        if values:
            errors.append(
                forbidden_field(
                    f"{path}.values",
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
    else:
        errors.append(invalid(f"{path}.operator", operator, "not a valid selector operator"))
    key = expr.get("key") or ""
    errors += messages_at(f"{path}.key", key, qualified_name_errors(key))
    for i, value in enumerate(values):
        errors += messages_at(f"{path}.values[{i}]", value, label_value_errors(str(value)))
    return errors


# --- base64 bytes as Go decodes them ------------------------------------------------------

_BASE64_ALPHABET = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}


class Base64Error(ValueError):
    """Input Go's ``base64.StdEncoding`` rejects; ``offset`` is the byte it reports."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"illegal base64 data at input byte {offset}")
        self.offset = offset


def decode_base64(text: str) -> bytes:
    """Decode ``[]byte`` JSON fields (Secret ``data``, ConfigMap ``binaryData``) like Go does.

    Python's decoder accepts and rejects different inputs and cannot say where it failed;
    learners who put plain text into ``data`` must see Go's ``illegal base64 data at input
    byte N`` with the same N.
    """
    src = text.encode()
    out = bytearray()
    si = 0
    while True:
        quantum: list[int] = []
        while len(quantum) < 4:
            if si == len(src):
                if not quantum:
                    return bytes(out)
                raise Base64Error(si - len(quantum))
            char = chr(src[si])
            si += 1
            if char in _BASE64_ALPHABET:
                quantum.append(_BASE64_ALPHABET[char])
                continue
            if char in "\r\n":
                continue
            if char != "=" or len(quantum) < 2:
                raise Base64Error(si - 1)
            si = _consume_padding(src, si, len(quantum))
            _append_quantum(out, quantum)
            return bytes(out)
        _append_quantum(out, quantum)


def _consume_padding(src: bytes, si: int, have: int) -> int:
    """Check the ``=`` padding that ends a quantum of ``have`` symbols; return the new offset."""
    if have == 2:
        while si < len(src) and src[si] in b"\r\n":
            si += 1
        if si == len(src):
            raise Base64Error(len(src))
        if src[si] != ord("="):
            raise Base64Error(si - 1)
        si += 1
    while si < len(src) and src[si] in b"\r\n":
        si += 1
    if si < len(src):
        raise Base64Error(si)
    return si


def _append_quantum(out: bytearray, quantum: list[int]) -> None:
    value = 0
    for symbol in quantum:
        value = value << 6 | symbol
    value <<= 6 * (4 - len(quantum))
    out.extend(value.to_bytes(3, "big")[: len(quantum) - 1])


# --- "immutable after creation" diffs -----------------------------------------------------


def struct_diff(type_name: str, fields: list[str], old: dict[str, Any], new: dict[str, Any]) -> str:
    """A ``cmp.Diff``-like listing of the fields that changed, for "immutable" messages.

    Upstream appends ``cmp.Diff`` of the Go structs, whose exact layout go-cmp deliberately
    varies between runs; this keeps its shape (``-`` old, ``+`` new, a count of identical
    fields) so a learner sees which fields they may not change.
    """
    lines = [f"  {type_name}{{"]
    identical = 0
    for name in fields:
        before, after = old.get(name), new.get(name)
        if before == after:
            identical += 1
            continue
        go_name = name[:1].upper() + name[1:]
        if before is not None:
            lines.append(f"- \t{go_name}: {json.dumps(before, sort_keys=True)},")
        if after is not None:
            lines.append(f"+ \t{go_name}: {json.dumps(after, sort_keys=True)},")
    if identical:
        lines.append(f"  \t... // {identical} identical fields")
    lines.append("  }")
    return "\n".join(lines)
