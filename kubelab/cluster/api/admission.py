"""Admission plugins that need cluster state, registered on the ObjectAPI at start-up.

kube-apiserver runs admission after validation and before storage. Here each plugin is a
plain function; the set below is the part of upstream's default plugin chain that learners
can notice.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.api import errors
from kubelab.cluster.api.allocation import allocate_service_addresses
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.resources.base import ResourceStrategy

#: Namespaces that NamespaceLifecycle refuses to delete.
IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")


def namespace_lifecycle_delete(
    api: ObjectAPI, strategy: ResourceStrategy, obj: dict[str, Any]
) -> None:
    """The system namespaces may not be deleted."""
    name = obj["metadata"]["name"]
    if strategy.kind == "Namespace" and not strategy.group and name in IMMORTAL_NAMESPACES:
        raise errors.forbidden(
            f'namespaces "{name}" is forbidden: this namespace may not be deleted',
            "",
            "namespaces",
            name,
        )


def install(api: ObjectAPI) -> None:
    api.admission.append(allocate_service_addresses)
    api.delete_admission.append(namespace_lifecycle_delete)
