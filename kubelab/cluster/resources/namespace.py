"""Namespaces: the ``kubernetes`` finalizer, the ``Active`` phase and the metadata.name label.

A namespace is created ``Active`` with the ``kubernetes`` finalizer, which the namespace
controller removes once everything inside has been deleted; learners watch a namespace sit in
``Terminating`` until then. Names are DNS-1123 labels (no dots), unlike most kinds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from kubelab.cluster.api.errors import FieldError, invalid
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.fieldchecks import messages_at
from kubelab.cluster.resources.printing import age
from kubelab.cluster.resources.validation import qualified_name_errors

FINALIZER_KUBERNETES = "kubernetes"
#: The label every namespace carries, so namespace selectors can pick one by name.
NAME_LABEL = "kubernetes.io/metadata.name"
ACTIVE = "Active"
TERMINATING = "Terminating"


def finalizer_errors(name: str, path: str) -> list[FieldError]:
    """``validateFinalizerName``: a qualified name, and unprefixed names must be standard."""
    errors = messages_at(path, name, qualified_name_errors(name))
    if "/" not in name and name != FINALIZER_KUBERNETES:
        errors.append(
            invalid(
                path, name, "name is neither a standard finalizer name nor is it fully qualified"
            )
        )
    return errors


class NamespaceStrategy(ResourceStrategy):
    kind = "Namespace"
    plural = "namespaces"
    namespaced = False
    short_names = ("ns",)
    subresources = ("status", "finalize")
    verbs = ("create", "delete", "get", "list", "patch", "update", "watch")
    selectable_fields = ("status.phase", "name")
    name_rule: ClassVar[str] = "label"
    columns = (
        NAME_COLUMN,
        Column("Status", description="The status of the namespace"),
        AGE_COLUMN,
    )

    @property
    def tracks_generation(self) -> bool:
        return False

    def default(self, obj: dict[str, Any]) -> None:
        meta = obj.setdefault("metadata", {})
        if meta.get("name"):
            meta["labels"] = {**(meta.get("labels") or {}), NAME_LABEL: meta["name"]}
        status = obj.get("status") or {}
        status["phase"] = status.get("phase") or ACTIVE
        obj["status"] = status

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        obj["status"] = {"phase": ACTIVE}
        spec = obj.get("spec") or {}
        finalizers = list(spec.get("finalizers") or [])
        if FINALIZER_KUBERNETES not in finalizers:
            finalizers.append(FINALIZER_KUBERNETES)
        spec["finalizers"] = finalizers
        obj["spec"] = spec

    def prepare_for_update(self, obj: dict[str, Any], old: dict[str, Any]) -> None:
        # Finalizers change only through the finalize subresource, status only through status.
        obj["spec"] = dict(old.get("spec") or {})
        obj["status"] = old.get("status", {"phase": ACTIVE})

    def deletion_blocked(self, obj: dict[str, Any]) -> bool:
        return bool((obj.get("spec") or {}).get("finalizers"))

    def on_delete(self, obj: dict[str, Any]) -> None:
        obj.setdefault("status", {})["phase"] = TERMINATING

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        errors: list[FieldError] = []
        for name in (obj.get("spec") or {}).get("finalizers") or []:
            errors += finalizer_errors(name, "spec.finalizers")
        return errors

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return []

    def validate_status_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        phase = (obj.get("status") or {}).get("phase", "")
        if not obj.get("metadata", {}).get("deletionTimestamp"):
            if phase != ACTIVE:
                return [
                    invalid(
                        "status.Phase",
                        phase,
                        "may only be 'Active' if `deletionTimestamp` is empty",
                    )
                ]
        elif phase != TERMINATING:
            return [
                invalid(
                    "status.Phase",
                    phase,
                    "may only be 'Terminating' if `deletionTimestamp` is not empty",
                )
            ]
        return []

    def field_values(self, obj: dict[str, Any]) -> dict[str, str]:
        values = super().field_values(obj)
        values["name"] = obj.get("metadata", {}).get("name", "")
        return values

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        phase = (obj.get("status") or {}).get("phase", "")
        return [obj["metadata"]["name"], phase, age(obj, now)]


STRATEGIES = [NamespaceStrategy()]
