"""StorageClasses (``storage.k8s.io/v1``): how dynamically provisioned volumes are made.

``kubectl get sc`` marks the default class with ``(default)`` after its name (the
``storageclass.kubernetes.io/is-default-class`` annotation). Reclaim policy defaults to
``Delete`` and binding to ``Immediate``; provisioner, parameters, reclaim policy and binding
mode cannot change once the class exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import (
    FieldError,
    forbidden_field,
    invalid,
    not_supported,
    required,
    too_long,
)
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.fieldchecks import immutable, messages_at
from kubelab.cluster.resources.printing import age
from kubelab.cluster.resources.validation import qualified_name_errors

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_CLASS_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class"
RECLAIM_POLICIES = ["Delete", "Retain"]
BINDING_MODES = ["Immediate", "WaitForFirstConsumer"]
MAX_PARAMETERS = 512
MAX_PARAMETERS_SIZE = 256 * 1024

_CLASS = "api.storage.v1.StorageClass"


def is_default_class(obj: dict[str, Any]) -> bool:
    """``IsDefaultAnnotation``: the GA or beta default-class annotation set to ``true``."""
    annotations = obj.get("metadata", {}).get("annotations") or {}
    return "true" in (
        annotations.get(DEFAULT_CLASS_ANNOTATION),
        annotations.get(BETA_DEFAULT_CLASS_ANNOTATION),
    )


def _parameter_errors(parameters: dict[str, Any]) -> list[FieldError]:
    if len(parameters) > MAX_PARAMETERS:
        return [too_long("parameters", MAX_PARAMETERS)]
    errors: list[FieldError] = []
    size = 0
    for key, value in parameters.items():
        if not key:
            errors.append(invalid("parameters", key, "field can not be empty."))
        size += len(key) + len(value or "")
    if size > MAX_PARAMETERS_SIZE:
        errors.append(too_long("parameters", MAX_PARAMETERS_SIZE))
    return errors


class StorageClassStrategy(ResourceStrategy):
    group = "storage.k8s.io"
    kind = "StorageClass"
    plural = "storageclasses"
    returns_deleted_object = True
    namespaced = False
    short_names = ("sc",)
    columns = (
        NAME_COLUMN,
        Column("Provisioner", description=field_doc(_CLASS, "provisioner")),
        Column("ReclaimPolicy", description=field_doc(_CLASS, "reclaimPolicy")),
        Column("VolumeBindingMode", description=field_doc(_CLASS, "volumeBindingMode")),
        Column("AllowVolumeExpansion", description=field_doc(_CLASS, "allowVolumeExpansion")),
        AGE_COLUMN,
    )

    def default(self, obj: dict[str, Any]) -> None:
        obj["reclaimPolicy"] = obj.get("reclaimPolicy") or "Delete"
        obj["volumeBindingMode"] = obj.get("volumeBindingMode") or "Immediate"

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        errors: list[FieldError] = []
        provisioner = obj.get("provisioner") or ""
        if not provisioner:
            errors.append(required("provisioner"))
        else:
            problems = qualified_name_errors(provisioner.lower())
            errors += messages_at("provisioner", provisioner, problems)
        errors += _parameter_errors(obj.get("parameters") or {})
        policy = obj.get("reclaimPolicy")
        if policy and policy not in RECLAIM_POLICIES:
            errors.append(not_supported("reclaimPolicy", policy, RECLAIM_POLICIES))
        mode = obj.get("volumeBindingMode")
        if mode is None:
            errors.append(required("volumeBindingMode"))
        elif mode not in BINDING_MODES:
            errors.append(not_supported("volumeBindingMode", mode, BINDING_MODES))
        return errors

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        errors = self.validate(obj)
        if (obj.get("parameters") or {}) != (old.get("parameters") or {}):
            errors.append(forbidden_field("parameters", "updates to parameters are forbidden."))
        if obj.get("provisioner") != old.get("provisioner"):
            errors.append(forbidden_field("provisioner", "updates to provisioner are forbidden."))
        if obj.get("reclaimPolicy") != old.get("reclaimPolicy"):
            errors.append(
                forbidden_field("reclaimPolicy", "updates to reclaimPolicy are forbidden.")
            )
        return errors + immutable(
            "volumeBindingMode", obj.get("volumeBindingMode"), old.get("volumeBindingMode")
        )

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        name = obj["metadata"]["name"]
        return [
            f"{name} (default)" if is_default_class(obj) else name,
            obj.get("provisioner", ""),
            obj.get("reclaimPolicy") or "Delete",
            obj.get("volumeBindingMode") or "Immediate",
            bool(obj.get("allowVolumeExpansion")),
            age(obj, now),
        ]


STRATEGIES = [StorageClassStrategy()]
