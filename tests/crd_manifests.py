"""CustomResourceDefinition manifests for tests: the envelope every CRD shares, so a test
spells out only what makes its own definition different."""

from __future__ import annotations

from typing import Any


def served_version(schema: dict[str, Any], name: str = "v1", **fields: Any) -> dict[str, Any]:
    """One served and stored version with ``schema`` as its ``openAPIV3Schema``."""
    return {
        "name": name,
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": schema},
        **fields,
    }


def crd_manifest(
    group: str,
    names: dict[str, Any],
    versions: list[dict[str, Any]],
    scope: str = "Namespaced",
) -> dict[str, Any]:
    """A CRD named ``PLURAL.GROUP``, as the API requires."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{names['plural']}.{group}"},
        "spec": {"group": group, "scope": scope, "names": names, "versions": versions},
    }
