"""PersistentVolumes: cluster-scoped storage with a capacity, access modes and one source.

A PV needs ``capacity.storage``, at least one access mode and exactly one volume source
(``hostPath``, ``nfs``, ``local``, ``csi``, ...). It starts ``Pending``, the reclaim policy
defaults to ``Retain`` and the volume mode to ``Filesystem``; the source cannot change later.
"""

from __future__ import annotations

import posixpath
from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import (
    FieldError,
    forbidden_field,
    invalid,
    not_supported,
    required,
)
from kubelab.cluster.quantity import Quantity, QuantityError
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.fieldchecks import immutable, messages_at, struct_diff
from kubelab.cluster.resources.printing import age
from kubelab.cluster.resources.validation import dns1123_subdomain_errors

ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
_MODE_ABBREVIATIONS = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)
RECLAIM_POLICIES = ["Delete", "Recycle", "Retain"]
VOLUME_MODES = ["Block", "Filesystem"]
HOST_PATH_TYPES = [
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
]
#: The storage class annotation that predates ``storageClassName`` and still wins when set.
BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"
UNSET = "<unset>"
POSITIVE_MSG = "must be greater than zero"

#: The volume sources of ``PersistentVolumeSource``, in upstream's order.
VOLUME_SOURCES = [
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "hostPath",
    "glusterfs",
    "nfs",
    "rbd",
    "iscsi",
    "cinder",
    "cephfs",
    "fc",
    "flocker",
    "flexVolume",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "local",
    "storageos",
    "csi",
]

_SPEC = "api.core.v1.PersistentVolumeSpec"
_STATUS = "api.core.v1.PersistentVolumeStatus"


# --- shared with PersistentVolumeClaims ---------------------------------------------------


def access_modes_string(modes: list[str]) -> str:
    """``GetAccessModesAsString``: ``RWO,ROX,RWX,RWOP`` in that order, each once."""
    return ",".join(short for mode, short in _MODE_ABBREVIATIONS if mode in (modes or []))


def storage_class(obj: dict[str, Any]) -> str:
    """The class of a PV or PVC: the beta annotation if set, else ``spec.storageClassName``."""
    annotations = obj.get("metadata", {}).get("annotations") or {}
    if BETA_STORAGE_CLASS_ANNOTATION in annotations:
        return annotations[BETA_STORAGE_CLASS_ANNOTATION]
    return (obj.get("spec") or {}).get("storageClassName") or ""


def quantity_text(value: Any) -> str:
    """``Quantity.String()`` of a stored value; a missing quantity prints as ``0``."""
    if value is None:
        return "0"
    try:
        return str(Quantity.parse(value))
    except QuantityError:
        return str(value)


def access_mode_errors(modes: list[str], path: str) -> list[FieldError]:
    """Known modes only, and ``ReadWriteOncePod`` alone."""
    errors: list[FieldError] = []
    for mode in modes:
        if mode not in ACCESS_MODES:
            errors.append(not_supported(path, mode, ACCESS_MODES))
    if "ReadWriteOncePod" in modes and any(
        m in ACCESS_MODES for m in modes if m != "ReadWriteOncePod"
    ):
        errors.append(forbidden_field(path, "may not use ReadWriteOncePod with other access modes"))
    return errors


def class_name_errors(value: str, path: str) -> list[FieldError]:
    """``ValidateClassName``: storage and volume attributes class names are DNS subdomains."""
    return messages_at(path, value, dns1123_subdomain_errors(value))


def positive_quantity_errors(value: Any, path: str) -> list[FieldError]:
    """``ValidatePositiveQuantityValue``."""
    try:
        quantity = Quantity.parse(value)
    except QuantityError:
        return []
    if quantity.sign() <= 0:
        return [invalid(path, str(quantity), POSITIVE_MSG)]
    return []


def _phase(obj: dict[str, Any]) -> str:
    if obj.get("metadata", {}).get("deletionTimestamp"):
        return "Terminating"
    return (obj.get("status") or {}).get("phase", "")


# --- volume sources -----------------------------------------------------------------------


def _no_backsteps(value: str, path: str) -> list[FieldError]:
    if ".." in value.replace("\\", "/").split("/"):
        return [invalid(path, value, "must not contain '..'")]
    return []


def _source_errors(name: str, source: dict[str, Any], path: str) -> list[FieldError]:
    """Checks of the sources learners use; the others only count toward "one source"."""
    errors: list[FieldError] = []
    if name in ("hostPath", "local"):
        if not source.get("path"):
            return [required(f"{path}.path")]
        errors += _no_backsteps(source["path"], f"{path}.path")
        kind = source.get("type")
        if name == "hostPath" and kind is not None and kind not in HOST_PATH_TYPES:
            errors.append(not_supported(f"{path}.type", kind, HOST_PATH_TYPES))
    elif name == "nfs":
        if not source.get("server"):
            errors.append(required(f"{path}.server"))
        if not source.get("path"):
            errors.append(required(f"{path}.path"))
        if not posixpath.isabs(source.get("path") or ""):
            errors.append(
                invalid(f"{path}.path", source.get("path", ""), "must be an absolute path")
            )
    elif name == "csi":
        if not source.get("driver"):
            errors.append(required(f"{path}.driver"))
        if not source.get("volumeHandle"):
            errors.append(required(f"{path}.volumeHandle"))
    return errors


def _sources_errors(spec: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    found = 0
    for name in VOLUME_SOURCES:
        source = spec.get(name)
        if source is None:
            continue
        if found:
            errors.append(
                forbidden_field(f"spec.{name}", "may not specify more than 1 volume type")
            )
            continue
        found += 1
        errors += _source_errors(name, source or {}, f"spec.{name}")
        if name == "local" and not spec.get("nodeAffinity"):
            errors.append(required("spec.nodeAffinity", "Local volume requires node affinity"))
    if not found:
        errors.append(required("spec", "must specify a volume type"))
    return errors


def _node_affinity_errors(affinity: dict[str, Any]) -> list[FieldError]:
    required_terms = affinity.get("required")
    if required_terms is None:
        return [required("spec.nodeAffinity.required", "must specify required node constraints")]
    if not required_terms.get("nodeSelectorTerms"):
        return [
            required(
                "spec.nodeAffinity.required.nodeSelectorTerms",
                "must have at least one node selector term",
            )
        ]
    return []


def _capacity_errors(capacity: dict[str, Any] | None) -> list[FieldError]:
    """Exactly ``storage``, positive; an omitted capacity is reported as Go's nil map."""
    errors: list[FieldError] = []
    if not capacity:
        errors.append(required("spec.capacity"))
    if "storage" not in (capacity or {}) or len(capacity or {}) > 1:
        errors.append(not_supported("spec.capacity", capacity, ["storage"]))
    for name, value in (capacity or {}).items():
        errors += positive_quantity_errors(value, f"spec.capacity[{name}]")
    return errors


class PersistentVolumeStrategy(ResourceStrategy):
    kind = "PersistentVolume"
    plural = "persistentvolumes"
    returns_deleted_object = True
    namespaced = False
    short_names = ("pv",)
    subresources = ("status",)
    selectable_fields = ("name",)
    columns = (
        NAME_COLUMN,
        Column("Capacity", description=field_doc(_SPEC, "capacity")),
        Column("Access Modes", description=field_doc(_SPEC, "accessModes")),
        Column("Reclaim Policy", description=field_doc(_SPEC, "persistentVolumeReclaimPolicy")),
        Column("Status", description=field_doc(_STATUS, "phase")),
        Column("Claim", description=field_doc(_SPEC, "claimRef")),
        Column("StorageClass", description="StorageClass of the pv"),
        Column("VolumeAttributesClass", description="VolumeAttributesClass of the pv"),
        Column("Reason", description=field_doc(_STATUS, "reason")),
        AGE_COLUMN,
        Column("VolumeMode", priority=1, description=field_doc(_SPEC, "volumeMode")),
    )

    @property
    def tracks_generation(self) -> bool:
        return False

    def default(self, obj: dict[str, Any]) -> None:
        spec = obj.get("spec") or {}
        obj["spec"] = spec
        spec["persistentVolumeReclaimPolicy"] = (
            spec.get("persistentVolumeReclaimPolicy") or "Retain"
        )
        spec["volumeMode"] = spec.get("volumeMode") or "Filesystem"
        if isinstance(spec.get("hostPath"), dict) and spec["hostPath"].get("type") is None:
            spec["hostPath"]["type"] = ""
        status = obj.get("status") or {}
        status["phase"] = status.get("phase") or "Pending"
        obj["status"] = status

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        """A new volume is ``Pending``, and that phase began when the volume was created."""
        obj["status"] = {
            "phase": "Pending",
            "lastPhaseTransitionTime": obj.get("metadata", {}).get("creationTimestamp"),
        }

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        spec = obj.get("spec") or {}
        modes = spec.get("accessModes") or []
        errors: list[FieldError] = []
        if not modes:
            errors.append(required("spec.accessModes"))
        errors += access_mode_errors(modes, "spec.accessModes")
        errors += _capacity_errors(spec.get("capacity"))
        policy = spec.get("persistentVolumeReclaimPolicy") or ""
        if policy and policy not in RECLAIM_POLICIES:
            errors.append(
                not_supported("spec.persistentVolumeReclaimPolicy", policy, RECLAIM_POLICIES)
            )
        if spec.get("nodeAffinity") is not None:
            errors += _node_affinity_errors(spec["nodeAffinity"] or {})
        errors += _sources_errors(spec)
        host_path = (spec.get("hostPath") or {}).get("path")
        if host_path and posixpath.normpath(host_path) == "/" and policy == "Recycle":
            errors.append(
                forbidden_field(
                    "spec.persistentVolumeReclaimPolicy",
                    "may not be 'recycle' for a hostPath mount of '/'",
                )
            )
        if spec.get("storageClassName"):
            errors += class_name_errors(spec["storageClassName"], "spec.storageClassName")
        mode = spec.get("volumeMode")
        if mode is not None and mode not in VOLUME_MODES:
            errors.append(not_supported("spec.volumeMode", mode, VOLUME_MODES))
        attributes_class = spec.get("volumeAttributesClassName")
        if attributes_class is not None:
            if not attributes_class:
                errors.append(
                    required("spec.volumeAttributesClassName", "an empty string is disallowed")
                )
            else:
                errors += class_name_errors(attributes_class, "spec.volumeAttributesClassName")
            if spec.get("csi") is None:
                errors.append(
                    required("spec.csi", "has to be specified when using volumeAttributesClassName")
                )
        return errors

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        errors = self.validate(obj)
        spec, old_spec = obj.get("spec") or {}, old.get("spec") or {}
        if any(spec.get(name) != old_spec.get(name) for name in VOLUME_SOURCES):
            diff = struct_diff("core.PersistentVolumeSource", VOLUME_SOURCES, old_spec, spec)
            errors.append(
                forbidden_field(
                    "spec.persistentvolumesource",
                    f"spec.persistentvolumesource is immutable after creation\n{diff}",
                )
            )
        return errors + immutable("volumeMode", spec.get("volumeMode"), old_spec.get("volumeMode"))

    def field_values(self, obj: dict[str, Any]) -> dict[str, str]:
        values = super().field_values(obj)
        values["name"] = obj.get("metadata", {}).get("name", "")
        return values

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec = obj.get("spec") or {}
        claim = spec.get("claimRef")
        claim_text = f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else ""
        return [
            obj["metadata"]["name"],
            quantity_text((spec.get("capacity") or {}).get("storage")),
            access_modes_string(spec.get("accessModes") or []),
            spec.get("persistentVolumeReclaimPolicy", ""),
            _phase(obj),
            claim_text,
            storage_class(obj),
            spec.get("volumeAttributesClassName") or UNSET,
            (obj.get("status") or {}).get("reason", ""),
            age(obj, now),
            spec.get("volumeMode") or UNSET,
        ]


STRATEGIES = [PersistentVolumeStrategy()]
