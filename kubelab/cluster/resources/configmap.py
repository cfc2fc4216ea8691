"""ConfigMaps: string ``data`` and base64 ``binaryData`` under file-name-like keys.

Keys become file names when a ConfigMap is mounted, so they follow the config-key rules; the
whole object may not exceed 1 MiB, and an ``immutable`` ConfigMap keeps its data for good.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import (
    FieldError,
    bad_request,
    forbidden_field,
    invalid,
    too_long,
)
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.fieldchecks import Base64Error, config_key_errors, decode_base64
from kubelab.cluster.resources.printing import age

#: ``core.MaxSecretSize``, the limit for ConfigMaps and Secrets alike.
MAX_SIZE = 1024 * 1024
IMMUTABLE_MSG = "field is immutable when `immutable` is set"


def decoded_bytes(kind: str, values: Any) -> dict[str, bytes]:
    """Decode a ``[]byte`` map as the API server's JSON decoder does, or fail like it.

    The failure is a 400 decode error, not a validation error: a learner who writes plain
    text under a Secret's ``data`` reads ``illegal base64 data at input byte N``.
    """
    decoded = {}
    for key, value in (values or {}).items():
        try:
            decoded[key] = decode_base64(value or "")
        except Base64Error as error:
            raise bad_request(
                f'{kind} in version "v1" cannot be handled as a {kind}: {error}'
            ) from None
    return decoded


def immutable_data_errors(
    obj: dict[str, Any], old: dict[str, Any], fields: tuple[str, ...]
) -> list[FieldError]:
    """The rules of an ``immutable: true`` object: it stays immutable and its data stays put."""
    if not old.get("immutable"):
        return []
    errors = []
    if not obj.get("immutable"):
        errors.append(forbidden_field("immutable", IMMUTABLE_MSG))
    for field in fields:
        if (obj.get(field) or {}) != (old.get(field) or {}):
            errors.append(forbidden_field(field, IMMUTABLE_MSG))
    return errors


class ConfigMapStrategy(ResourceStrategy):
    kind = "ConfigMap"
    plural = "configmaps"
    short_names = ("cm",)
    columns = (
        NAME_COLUMN,
        Column("Data", description=field_doc("api.core.v1.ConfigMap", "data")),
        AGE_COLUMN,
    )

    def default(self, obj: dict[str, Any]) -> None:
        decoded_bytes(self.kind, obj.get("binaryData"))

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        errors: list[FieldError] = []
        data = obj.get("data") or {}
        binary = decoded_bytes(self.kind, obj.get("binaryData"))
        size = 0
        for key, value in data.items():
            errors += [invalid(f"data[{key}]", key, m) for m in config_key_errors(key)]
            if key in binary:
                errors.append(
                    invalid(f"data[{key}]", key, "duplicate of key present in binaryData")
                )
            size += len((value or "").encode())
        for key, value in binary.items():
            errors += [invalid(f"binaryData[{key}]", key, m) for m in config_key_errors(key)]
            size += len(value)
        if size > MAX_SIZE:
            errors.append(too_long("", MAX_SIZE))
        return errors

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        errors = immutable_data_errors(obj, old, ("data", "binaryData"))
        return errors + self.validate(obj)

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        count = len(obj.get("data") or {}) + len(obj.get("binaryData") or {})
        return [obj["metadata"]["name"], count, age(obj, now)]


STRATEGIES = [ConfigMapStrategy()]
