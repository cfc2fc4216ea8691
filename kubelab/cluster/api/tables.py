"""Server-side printing: objects as ``meta.k8s.io/v1`` Tables, which ``kubectl get`` renders.

kubectl asks for ``as=Table`` and prints the columns the server chooses, so each kind's
strategy owns its columns (``resources/*.py``). This module only wraps rows in a Table and
decides what ``object`` each row carries (``includeObject``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.resources.base import ResourceStrategy


def partial_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    """The ``PartialObjectMetadata`` form of an object (its metadata only)."""
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def table(
    strategy: ResourceStrategy,
    objects: list[dict[str, Any]],
    now: datetime,
    include_object: str = "Metadata",
    with_columns: bool = True,
    list_meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": strategy.row(obj, now)}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = partial_metadata(obj)
        rows.append(row)
    result: dict[str, Any] = {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta or {},
        "columnDefinitions": [c.definition() for c in strategy.columns] if with_columns else None,
        "rows": rows,
    }
    if not with_columns:
        result["columnDefinitions"] = None
    return result
