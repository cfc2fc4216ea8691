"""ControllerRevision (``controllerrevisions.apps``): a snapshot of a template.

DaemonSets and StatefulSets record each template they roll out as one of these, and
``kubectl rollout history`` reads them back. The data may never change after creation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, invalid, required
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.podspec import FIELD_IMMUTABLE, non_negative, schema_doc
from kubelab.cluster.resources.printing import age


class ControllerRevisionStrategy(ResourceStrategy):
    group = "apps"
    kind = "ControllerRevision"
    plural = "controllerrevisions"
    columns = (
        NAME_COLUMN,
        Column("Controller", description="Controller of the object"),
        Column(
            "Revision",
            description=schema_doc("io.k8s.api.apps.v1.ControllerRevision", "revision"),
        ),
        AGE_COLUMN,
    )

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        errors = []
        if obj.get("data") is None:
            errors.append(required("data", "data is mandatory"))
        return errors + non_negative(obj.get("revision", 0), "revision")

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        errors = self.validate(obj)
        if obj.get("data") != old.get("data"):
            errors.append(invalid("data", obj.get("data"), FIELD_IMMUTABLE))
        return errors

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return [
            obj["metadata"]["name"],
            controller_name(obj),
            obj.get("revision", 0),
            age(obj, now),
        ]


def controller_name(obj: dict[str, Any]) -> str:
    """The controlling owner as ``kind.group/name`` in lower case, or ``<none>``."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            group = str(ref.get("apiVersion", "")).rpartition("/")[0]
            kind = str(ref.get("kind", ""))
            qualified = f"{kind}.{group}" if group else kind
            if not qualified:
                return str(ref.get("name", ""))
            return f"{qualified.lower()}/{ref.get('name', '')}"
    return "<none>"


STRATEGIES = [ControllerRevisionStrategy()]
