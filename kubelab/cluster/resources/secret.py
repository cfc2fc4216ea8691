"""Secrets: base64 ``data``, the write-only ``stringData`` and the type-specific keys.

The API server decodes ``data`` strictly (plain text there is a 400 with Go's base64 error),
folds ``stringData`` into ``data`` and never returns it, defaults ``type`` to ``Opaque`` and
requires the keys a type promises: ``tls.crt`` and ``tls.key`` for ``kubernetes.io/tls``,
``.dockerconfigjson`` holding JSON for ``kubernetes.io/dockerconfigjson``, and so on. A TLS
Secret whose key does not match its certificate is stored, with Go's ``crypto/tls`` complaint
as a warning.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kubelab.cluster.api.errors import FieldError, invalid, required, too_long
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.configmap import MAX_SIZE, decoded_bytes, immutable_data_errors
from kubelab.cluster.resources.fieldchecks import config_key_errors, immutable
from kubelab.cluster.resources.printing import age

OPAQUE = "Opaque"
SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"
DOCKERCFG = "kubernetes.io/dockercfg"
DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
BASIC_AUTH = "kubernetes.io/basic-auth"
SSH_AUTH = "kubernetes.io/ssh-auth"
TLS = "kubernetes.io/tls"
SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name"
REDACTED = "<secret contents redacted>"

_SECRET = "api.core.v1.Secret"


def encode(value: bytes) -> str:
    return base64.b64encode(value).decode()


# --- JSON errors as Go's encoding/json words them -------------------------------------------


def go_json_error(raw: bytes) -> str | None:
    """Why Go's ``json.Unmarshal`` into ``map[string]interface{}`` rejects ``raw``, or None."""
    try:
        value = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as error:
        return _syntax_error(error)
    if isinstance(value, dict):
        return None
    kind = {list: "array", str: "string", bool: "bool", type(None): None}.get(type(value), "number")
    if kind is None:
        return None
    return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"


def _syntax_error(error: json.JSONDecodeError) -> str:
    if error.pos >= len(error.doc.rstrip()):
        return "unexpected end of JSON input"
    char = error.doc[error.pos]
    where = {
        "Expecting value": "looking for beginning of value",
        "Expecting property name enclosed in double quotes": (
            "looking for beginning of object key string"
        ),
        "Expecting ':' delimiter": "after object key",
        "Expecting ',' delimiter": "after object key:value pair",
        "Extra data": "after top-level value",
    }.get(error.msg, "looking for beginning of value")
    return f"invalid character {_go_quote_char(char)} {where}"


def _go_quote_char(char: str) -> str:
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    return f"'{char}'"


# --- TLS key pairs as crypto/tls.X509KeyPair checks them -------------------------------------

_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([^\n\r-][^\n\r]*?)-----\r?\n(.*?)-----END \1-----", re.DOTALL
)


def _pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """The PEM blocks Go's ``pem.Decode`` would find, with their decoded bodies."""
    blocks = []
    for match in _PEM_BLOCK.finditer(data):
        lines = [line for line in match.group(2).splitlines() if b":" not in line]
        try:
            body = base64.b64decode(b"".join(line.strip() for line in lines), validate=True)
        except ValueError:
            continue
        blocks.append((match.group(1).decode(errors="replace"), body))
    return blocks


def key_pair_problem(cert_pem: bytes, key_pem: bytes) -> str | None:
    """Go's ``tls.X509KeyPair`` error for a certificate and key, or None when they match."""
    blocks = _pem_blocks(cert_pem)
    certs = [body for kind, body in blocks if kind == "CERTIFICATE"]
    skipped = [kind for kind, _ in blocks if kind != "CERTIFICATE"]
    if not certs:
        if not skipped:
            return "tls: failed to find any PEM data in certificate input"
        if len(skipped) == 1 and skipped[0].endswith("PRIVATE KEY"):
            return (
                "tls: failed to find certificate PEM data in certificate input, but did find "
                "a private key; PEM inputs may have been switched"
            )
        return (
            'tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping '
            f"PEM blocks of the following types: [{' '.join(skipped)}]"
        )
    skipped = []
    key_der = None
    for kind, body in _pem_blocks(key_pem):
        if kind == "PRIVATE KEY" or kind.endswith(" PRIVATE KEY"):
            key_der = body
            break
        skipped.append(kind)
    if key_der is None:
        if not skipped:
            return "tls: failed to find any PEM data in key input"
        if skipped == ["CERTIFICATE"]:
            return "tls: found a certificate rather than a key in the PEM for the private key"
        return (
            'tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after '
            f"skipping PEM blocks of the following types: [{' '.join(skipped)}]"
        )
    try:
        cert = x509.load_der_x509_certificate(certs[0])
    except ValueError:
        return "x509: malformed certificate"
    try:
        key = serialization.load_der_private_key(key_der, password=None)
    except (ValueError, TypeError):
        return "tls: failed to parse private key"
    public = cert.public_key()
    if type(key.public_key()) is not type(public):
        return "tls: private key type does not match public key type"
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, spki) != public.public_bytes(der, spki):
        return "tls: private key does not match public key"
    return None


# --- validation -----------------------------------------------------------------------------


def _type_errors(obj: dict[str, Any], data: dict[str, bytes]) -> list[FieldError]:
    """The keys (or annotation) each well-known type requires."""
    kind = obj.get("type") or ""
    if kind == SERVICE_ACCOUNT_TOKEN:
        annotations = obj.get("metadata", {}).get("annotations") or {}
        if not annotations.get(SERVICE_ACCOUNT_NAME_ANNOTATION):
            return [required(f"metadata.annotations[{SERVICE_ACCOUNT_NAME_ANNOTATION}]")]
    elif kind in (DOCKERCFG, DOCKER_CONFIG_JSON):
        key = ".dockercfg" if kind == DOCKERCFG else ".dockerconfigjson"
        if key not in data:
            return [required(f"data[{key}]")]
        problem = go_json_error(data[key])
        if problem:
            return [invalid(f"data[{key}]", REDACTED, problem)]
    elif kind == BASIC_AUTH:
        if "username" not in data and "password" not in data:
            return [required("data[username]"), required("data[password]")]
    elif kind == SSH_AUTH:
        if not data.get("ssh-privatekey"):
            return [required("data[ssh-privatekey]")]
    elif kind == TLS:
        return [required(f"data[{key}]") for key in ("tls.crt", "tls.key") if key not in data]
    return []


class SecretStrategy(ResourceStrategy):
    kind = "Secret"
    plural = "secrets"
    selectable_fields = ("type",)
    columns = (
        NAME_COLUMN,
        Column("Type", description=field_doc(_SECRET, "type")),
        Column("Data", description=field_doc(_SECRET, "data")),
        AGE_COLUMN,
    )

    def default(self, obj: dict[str, Any]) -> None:
        """Decode ``data``, default the type and fold ``stringData`` into ``data``."""
        decoded_bytes(self.kind, obj.get("data"))
        obj["type"] = obj.get("type") or OPAQUE
        string_data = obj.pop("stringData", None) or {}
        if string_data:
            data = obj.get("data") or {}
            for key, value in string_data.items():
                data[key] = encode((value or "").encode())
            obj["data"] = data

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        data = decoded_bytes(self.kind, obj.get("data"))
        errors: list[FieldError] = []
        for key in data:
            errors += [invalid(f"data[{key}]", key, m) for m in config_key_errors(key)]
        if sum(len(value) for value in data.values()) > MAX_SIZE:
            errors.append(too_long("data", MAX_SIZE))
        return errors + _type_errors(obj, data)

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        errors = immutable("type", obj.get("type"), old.get("type"))
        errors += immutable_data_errors(obj, old, ("data",))
        return errors + self.validate(obj)

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        if obj.get("type") != TLS:
            return []
        data = decoded_bytes(self.kind, obj.get("data"))
        problem = key_pair_problem(data.get("tls.crt", b""), data.get("tls.key", b""))
        return [problem] if problem else []

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return [
            obj["metadata"]["name"],
            obj.get("type", ""),
            len(obj.get("data") or {}),
            age(obj, now),
        ]


STRATEGIES = [SecretStrategy()]
