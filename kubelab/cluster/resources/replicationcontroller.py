"""ReplicationController (``replicationcontrollers``): the original, map-selector ReplicaSet.

Its selector is a plain label map that defaults to the template's labels (so do the object's
own labels), and deleting one through the core v1 API orphans its pods unless a propagation
policy says otherwise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, invalid, required
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.podspec import (
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_MISMATCH,
    container_cells,
    default_pod_template,
    format_labels,
    non_negative,
    schema_doc,
    template_pod_spec,
    template_restart_policy_errors,
    validate_pod_template,
    workload_warnings,
)
from kubelab.cluster.resources.printing import age

_SPEC = "io.k8s.api.core.v1.ReplicationControllerSpec"
_STATUS = "io.k8s.api.core.v1.ReplicationControllerStatus"


class ReplicationControllerStrategy(ResourceStrategy):
    kind = "ReplicationController"
    plural = "replicationcontrollers"
    short_names = ("rc",)
    categories = ("all",)
    subresources = ("status", "scale")
    selectable_fields = ("status.replicas",)
    default_propagation_policy = "Orphan"
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
        """``SetDefaults_ReplicationController``: selector and labels from the template."""
        spec = obj.setdefault("spec", {})
        template = spec.get("template")
        labels = ((template or {}).get("metadata") or {}).get("labels")
        if labels is not None:
            if not spec.get("selector"):
                spec["selector"] = dict(labels)
            meta = obj.setdefault("metadata", {})
            if not meta.get("labels"):
                meta["labels"] = dict(labels)
        if spec.get("replicas") is None:
            spec["replicas"] = 1
        default_pod_template(template)

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        """``ValidateReplicationControllerSpec``."""
        spec = obj.get("spec") or {}
        errors = non_negative(spec.get("minReadySeconds", 0), "spec.minReadySeconds")
        selector = spec.get("selector") or {}
        if not selector:
            errors.append(required("spec.selector"))
        if spec.get("replicas") is None:
            errors.append(required("spec.replicas"))
        else:
            errors += non_negative(spec["replicas"], "spec.replicas")
        template = spec.get("template")
        if not isinstance(template, dict):
            return errors + [required("spec.template")]
        labels = (template.get("metadata") or {}).get("labels")
        if selector and any((labels or {}).get(k) != v for k, v in selector.items()):
            errors.append(invalid("spec.template.metadata.labels", labels, SELECTOR_MISMATCH))
        errors += validate_pod_template(template, "spec.template")
        return errors + template_restart_policy_errors(
            template, "spec.template", "ReplicationController"
        )

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        return workload_warnings(obj)

    def field_values(self, obj: dict[str, Any]) -> dict[str, str]:
        values = super().field_values(obj)
        values["status.replicas"] = str((obj.get("status") or {}).get("replicas", 0))
        return values

    def scale_selector(self, obj: dict[str, Any]) -> str:
        """``labels.SelectorFromSet(selector).String()``: ``a=b,c=d`` sorted by key."""
        selector = (obj.get("spec") or {}).get("selector") or {}
        return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        return [
            obj["metadata"]["name"],
            spec.get("replicas") or 0,
            status.get("replicas", 0),
            status.get("readyReplicas", 0),
            age(obj, now),
            *container_cells(template_pod_spec(obj)),
            format_labels(spec.get("selector")),
        ]


STRATEGIES = [ReplicationControllerStrategy()]
