"""PersistentVolumeClaims: a request for storage, fixed once made.

A claim needs access modes and ``resources.requests.storage``. After creation its spec may
change only where upstream allows: ``volumeName`` may be set once (the binder does it), a
``storageClassName`` may be filled in when it was unset, and a bound claim may ask for more
storage. Everything else is answered with ``spec is immutable after creation ...``.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, forbidden_field, invalid, not_supported, required
from kubelab.cluster.quantity import Quantity, QuantityError
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.fieldchecks import immutable, label_selector, struct_diff
from kubelab.cluster.resources.persistentvolume import (
    BETA_STORAGE_CLASS_ANNOTATION,
    UNSET,
    VOLUME_MODES,
    access_mode_errors,
    access_modes_string,
    class_name_errors,
    positive_quantity_errors,
    quantity_text,
    storage_class,
)
from kubelab.cluster.resources.printing import age

IMMUTABLE_SPEC_MSG = (
    "spec is immutable after creation except resources.requests and volumeAttributesClassName "
    "for bound claims"
)
SPEC_FIELDS = [
    "accessModes",
    "selector",
    "resources",
    "volumeName",
    "storageClassName",
    "volumeMode",
    "dataSource",
    "dataSourceRef",
    "volumeAttributesClassName",
]

_SPEC = "api.core.v1.PersistentVolumeClaimSpec"
_STATUS = "api.core.v1.PersistentVolumeClaimStatus"


def _requested_storage(spec: dict[str, Any]) -> Any:
    return ((spec.get("resources") or {}).get("requests") or {}).get("storage")


def _quantity(value: Any) -> Quantity:
    """A quantity for comparisons; missing or unreadable values count as zero, as in Go."""
    try:
        return Quantity.parse(value if value is not None else 0)
    except QuantityError:
        return Quantity.parse(0)


def _data_source_errors(source: dict[str, Any], path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not source.get("name"):
        errors.append(required(f"{path}.name"))
    if not source.get("kind"):
        errors.append(required(f"{path}.kind"))
    if not source.get("apiGroup") and source.get("kind") != "PersistentVolumeClaim":
        errors.append(
            invalid(
                path,
                source.get("kind", ""),
                "must be 'PersistentVolumeClaim' when referencing the default apiGroup",
            )
        )
    return errors


def validate_claim_spec(spec: dict[str, Any], path: str) -> list[FieldError]:
    """``ValidatePersistentVolumeClaimSpec`` (also used for StatefulSet claim templates)."""
    errors: list[FieldError] = []
    modes = spec.get("accessModes") or []
    if not modes:
        errors.append(required(f"{path}.accessModes", "at least 1 access mode is required"))
    if spec.get("selector") is not None:
        errors += label_selector(spec["selector"], f"{path}.selector")
    errors += access_mode_errors(modes, f"{path}.accessModes")
    storage = _requested_storage(spec)
    if storage is None:
        errors.append(required(f"{path}.resources[storage]"))
    else:
        errors += positive_quantity_errors(storage, f"{path}.resources[storage]")
    if spec.get("storageClassName"):
        errors += class_name_errors(spec["storageClassName"], f"{path}.storageClassName")
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        errors.append(not_supported(f"{path}.volumeMode", mode, VOLUME_MODES))
    for key in ("dataSource", "dataSourceRef"):
        if spec.get(key) is not None:
            errors += _data_source_errors(spec[key] or {}, f"{path}.{key}")
    if spec.get("volumeAttributesClassName"):
        errors += class_name_errors(
            spec["volumeAttributesClassName"], f"{path}.volumeAttributesClassName"
        )
    return errors


def _comparable_specs(
    obj: dict[str, Any], old: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The specs with every allowed change undone, for the "immutable" comparison."""
    new_spec = copy.deepcopy(obj.get("spec") or {})
    old_spec = copy.deepcopy(old.get("spec") or {})
    if not old_spec.get("volumeName"):
        old_spec["volumeName"] = new_spec.get("volumeName")
    old_annotation = (old.get("metadata", {}).get("annotations") or {}).get(
        BETA_STORAGE_CLASS_ANNOTATION
    )
    new_class = new_spec.get("storageClassName")
    if (
        old_spec.get("storageClassName") is None
        and new_class is not None
        and old_annotation in (None, new_class)
    ):
        old_spec["storageClassName"] = new_class
    if (obj.get("status") or {}).get("phase") == "Bound" and _requested_storage(new_spec):
        new_spec["resources"]["requests"]["storage"] = _requested_storage(old_spec)
    new_spec.pop("volumeAttributesClassName", None)
    old_spec.pop("volumeAttributesClassName", None)
    return _drop_empty(new_spec), _drop_empty(old_spec)


def _drop_empty(spec: dict[str, Any]) -> dict[str, Any]:
    """Unset and empty fields compare equal; quantities compare by value, as Go's do."""
    resources = spec.get("resources") or {}
    for part in ("requests", "limits"):
        if resources.get(part):
            resources[part] = {k: quantity_text(v) for k, v in resources[part].items()}
    return {key: value for key, value in spec.items() if value not in (None, "", [], {})}


class PersistentVolumeClaimStrategy(ResourceStrategy):
    kind = "PersistentVolumeClaim"
    plural = "persistentvolumeclaims"
    returns_deleted_object = True
    short_names = ("pvc",)
    subresources = ("status",)
    selectable_fields = ("name",)
    columns = (
        NAME_COLUMN,
        Column("Status", description=field_doc(_STATUS, "phase")),
        Column("Volume", description=field_doc(_SPEC, "volumeName")),
        Column("Capacity", description=field_doc(_STATUS, "capacity")),
        Column("Access Modes", description=field_doc(_STATUS, "accessModes")),
        Column("StorageClass", description="StorageClass of the pvc"),
        Column("VolumeAttributesClass", description="VolumeAttributesClass of the pvc"),
        AGE_COLUMN,
        Column("VolumeMode", priority=1, description=field_doc(_SPEC, "volumeMode")),
    )

    @property
    def tracks_generation(self) -> bool:
        return False

    def default(self, obj: dict[str, Any]) -> None:
        spec = obj.get("spec") or {}
        obj["spec"] = spec
        spec["volumeMode"] = spec.get("volumeMode") or "Filesystem"

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        obj["status"] = {"phase": "Pending"}

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return validate_claim_spec(obj.get("spec") or {}, "spec")

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        errors = self.validate(obj)
        annotation = BETA_STORAGE_CLASS_ANNOTATION
        new_class = (obj.get("metadata", {}).get("annotations") or {}).get(annotation, "")
        old_class = (old.get("metadata", {}).get("annotations") or {}).get(annotation, "")
        if new_class != old_class:
            errors.append(
                invalid(f"metadata.annotations.{annotation}", new_class, "field is immutable")
            )
        new_spec, old_spec = _comparable_specs(obj, old)
        if new_spec != old_spec:
            diff = struct_diff("core.PersistentVolumeClaimSpec", SPEC_FIELDS, old_spec, new_spec)
            errors.append(forbidden_field("spec", f"{IMMUTABLE_SPEC_MSG}\n{diff}"))
        spec, previous = obj.get("spec") or {}, old.get("spec") or {}
        new_size = _quantity(_requested_storage(spec))
        capacity = ((old.get("status") or {}).get("capacity") or {}).get("storage")
        if new_size < _quantity(_requested_storage(previous)) and new_size <= _quantity(capacity):
            errors.append(
                forbidden_field(
                    "spec.resources.requests.storage", "field can not be less than status.capacity"
                )
            )
        return errors + immutable("volumeMode", spec.get("volumeMode"), previous.get("volumeMode"))

    def field_values(self, obj: dict[str, Any]) -> dict[str, str]:
        values = super().field_values(obj)
        values["name"] = obj.get("metadata", {}).get("name", "")
        return values

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        phase = status.get("phase", "")
        if obj.get("metadata", {}).get("deletionTimestamp"):
            phase = "Terminating"
        capacity = modes = ""
        if spec.get("volumeName"):
            capacity = quantity_text((status.get("capacity") or {}).get("storage"))
            modes = access_modes_string(status.get("accessModes") or [])
        return [
            obj["metadata"]["name"],
            phase,
            spec.get("volumeName", ""),
            capacity,
            modes,
            storage_class(obj),
            spec.get("volumeAttributesClassName") or UNSET,
            age(obj, now),
            spec.get("volumeMode") or UNSET,
        ]


STRATEGIES = [PersistentVolumeClaimStrategy()]
