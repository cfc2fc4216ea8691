"""PodTemplate (``podtemplates``): a stored pod template, nothing more.

It is defaulted and validated exactly like the template inside a Deployment or Job, and prints
its containers, images and pod labels.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError
from kubelab.cluster.resources.base import NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.podspec import (
    container_cells,
    default_pod_template,
    format_labels,
    pod_spec_warnings,
    validate_pod_template,
)


class PodTemplateStrategy(ResourceStrategy):
    version = "v1"
    kind = "PodTemplate"
    plural = "podtemplates"
    returns_deleted_object = True
    columns = (
        NAME_COLUMN,
        Column("Containers", description="Names of each container in the template."),
        Column("Images", description="Images referenced by each container in the template."),
        Column("Pod Labels", description="The labels for the pod template."),
    )

    def default(self, obj: dict[str, Any]) -> None:
        default_pod_template(obj.get("template"))

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return validate_pod_template(obj.get("template"), "template")

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        template = obj.get("template") or {}
        return pod_spec_warnings(
            template.get("spec") or {}, template.get("metadata") or {}, "template"
        )

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        template = obj.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels")
        return [
            obj["metadata"]["name"],
            *container_cells(template.get("spec")),
            format_labels(labels),
        ]


STRATEGIES = [PodTemplateStrategy()]
