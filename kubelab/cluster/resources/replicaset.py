"""ReplicaSet (``replicasets.apps``): keeps a number of pods from one template running.

Deployments create these; learners also write them directly to see the ownership model. The
selector is required, must match the template labels and may not change after creation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.podspec import (
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    container_cells,
    default_pod_template,
    format_label_selector,
    immutable_selector,
    non_negative,
    schema_doc,
    selector_string,
    template_pod_spec,
    template_restart_policy_errors,
    validate_pod_template,
    workload_selector_errors,
    workload_warnings,
)
from kubelab.cluster.resources.printing import age

_SPEC = "io.k8s.api.apps.v1.ReplicaSetSpec"
_STATUS = "io.k8s.api.apps.v1.ReplicaSetStatus"


class ReplicaSetStrategy(ResourceStrategy):
    group = "apps"
    kind = "ReplicaSet"
    plural = "replicasets"
    short_names = ("rs",)
    categories = ("all",)
    subresources = ("status", "scale")
    selectable_fields = ("status.replicas",)
    columns = (
        NAME_COLUMN,
        Column("Desired", type="integer", description=schema_doc(_SPEC, "replicas")),
        Column("Current", type="integer", description=schema_doc(_STATUS, "replicas")),
        Column("Ready", type="integer", description=schema_doc(_STATUS, "readyReplicas")),
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
        Column("Selector", priority=1, description=schema_doc(_SPEC, "selector")),
    )

    def default(self, obj: dict[str, Any]) -> None:
        spec = obj.setdefault("spec", {})
        if spec.get("replicas") is None:
            spec["replicas"] = 1
        default_pod_template(spec.get("template"))

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        """``ValidateReplicaSetSpec`` (its empty-selector message names deployments upstream)."""
        spec = obj.get("spec") or {}
        errors = non_negative(spec.get("replicas", 0), "spec.replicas")
        errors += non_negative(spec.get("minReadySeconds", 0), "spec.minReadySeconds")
        template = spec.get("template") or {}
        selector_errors, converted = workload_selector_errors(
            spec.get("selector"), template, "deployment", "invalid label selector"
        )
        errors += selector_errors
        if converted:
            errors += validate_pod_template(spec.get("template"), "spec.template")
            errors += template_restart_policy_errors(template, "spec.template", "ReplicaSet")
        return errors

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return self.validate(obj) + immutable_selector(
            (obj.get("spec") or {}).get("selector"), (old.get("spec") or {}).get("selector")
        )

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        return workload_warnings(obj)

    def field_values(self, obj: dict[str, Any]) -> dict[str, str]:
        values = super().field_values(obj)
        values["status.replicas"] = str((obj.get("status") or {}).get("replicas", 0))
        return values

    def scale_selector(self, obj: dict[str, Any]) -> str:
        return selector_string((obj.get("spec") or {}).get("selector"))

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        return [
            obj["metadata"]["name"],
            spec.get("replicas", 0),
            status.get("replicas", 0),
            status.get("readyReplicas", 0),
            age(obj, now),
            *container_cells(template_pod_spec(obj)),
            format_label_selector(spec.get("selector")),
        ]


STRATEGIES = [ReplicaSetStrategy()]
