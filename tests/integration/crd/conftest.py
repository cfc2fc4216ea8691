"""Fixtures for the CustomResourceDefinition tests: a fresh API group per test, and helpers.

CRDs are cluster-scoped and the test session shares one cluster, so every test defines its
kinds in a group of its own (``t1a2b3c4d.example.com``) and never collides with another.
``crds`` installs CRDs with the real kubectl and writes custom resource manifests.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import yaml

from tests.crd_manifests import crd_manifest, served_version
from tests.polling import eventually


@pytest.fixture()
def group() -> str:
    return f"t{uuid.uuid4().hex[:8]}.example.com"


def short_name(group: str) -> str:
    """A short name as unique as the group, since short names are looked up across groups."""
    return "w" + group.split(".")[0][1:]


WIDGET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["size"],
            "x-kubernetes-validations": [
                {
                    "rule": "self.replicas <= self.maxReplicas",
                    "message": "replicas must not exceed maxReplicas",
                }
            ],
            "properties": {
                "size": {
                    "type": "string",
                    "description": "How big the widget is.",
                    "enum": ["small", "large"],
                },
                "replicas": {"type": "integer", "minimum": 0, "default": 1},
                "maxReplicas": {"type": "integer", "default": 10},
                "color": {"type": "string", "pattern": "^[a-z]+$"},
                "port": {"x-kubernetes-int-or-string": True},
            },
        },
        "status": {
            "type": "object",
            "properties": {"replicas": {"type": "integer"}, "phase": {"type": "string"}},
        },
    },
}


def widget_crd(group: str) -> dict[str, Any]:
    """A namespaced ``Widget`` kind with status and scale subresources and printer columns."""
    version = served_version(
        WIDGET_SCHEMA,
        subresources={
            "status": {},
            "scale": {
                "specReplicasPath": ".spec.replicas",
                "statusReplicasPath": ".status.replicas",
            },
        },
        additionalPrinterColumns=[
            {"name": "Size", "type": "string", "jsonPath": ".spec.size"},
            {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
            {"name": "Phase", "type": "string", "jsonPath": ".status.phase", "priority": 1},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ],
    )
    names = {
        "plural": "widgets",
        "singular": "widget",
        "kind": "Widget",
        "shortNames": [short_name(group)],
        "categories": ["all"],
    }
    return crd_manifest(group, names, [version])


class CRDKit:
    """Installs CRDs with kubectl and writes custom resource manifests."""

    widget = staticmethod(widget_crd)
    short_name = staticmethod(short_name)
    wait_for = staticmethod(eventually)

    def __init__(self, kubectl: Any) -> None:
        self.kubectl = kubectl

    def install(self, crd: dict[str, Any]) -> str:
        """Create a CRD and wait until it is Established; return its name."""
        self.kubectl("apply", "-f", "-", input=yaml.safe_dump(crd))
        name = crd["metadata"]["name"]
        self.kubectl("wait", "--for=condition=Established", f"crd/{name}", "--timeout=30s")
        return name

    @staticmethod
    def manifest(
        group: str, name: str, spec: dict[str, Any], version: str = "v1", kind: str = "Widget"
    ) -> str:
        return yaml.safe_dump(
            {
                "apiVersion": f"{group}/{version}",
                "kind": kind,
                "metadata": {"name": name},
                "spec": spec,
            }
        )


@pytest.fixture()
def crds(kubectl: Any) -> CRDKit:
    return CRDKit(kubectl)
