"""Admission plugins that need cluster state, registered on the ObjectAPI at start-up.

kube-apiserver runs admission after validation and before storage. Here each plugin is a
plain function; the set below is the part of upstream's default plugin chain that learners
can notice.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.api import errors
from kubelab.cluster.api.allocation import allocate_service_addresses
from kubelab.cluster.api.authz import prevent_escalation
from kubelab.cluster.api.defaulttolerations import default_toleration_seconds
from kubelab.cluster.api.limitranger import limit_ranger
from kubelab.cluster.api.quota import resource_quota
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.resources.base import ResourceStrategy
from kubelab.cluster.resources.persistentvolume import BETA_STORAGE_CLASS_ANNOTATION
from kubelab.cluster.resources.storageclass import is_default_class

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


def default_storage_class(
    api: ObjectAPI, strategy: ResourceStrategy, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """DefaultStorageClass: a new claim that names no class gets the default one (the newest,
    if several are marked default). ``storageClassName: ""`` asks for no class at all."""
    if old is not None or strategy.group or strategy.plural != "persistentvolumeclaims":
        return
    spec = obj.setdefault("spec", {})
    annotations = obj["metadata"].get("annotations") or {}
    if spec.get("storageClassName") is not None or BETA_STORAGE_CLASS_ANNOTATION in annotations:
        return
    classes = api.store.list(
        api.storage_key(api.registry.get("storage.k8s.io", "v1", "storageclasses"))
    )
    defaults = sorted(
        (c for c in classes if is_default_class(c)), key=lambda c: c["metadata"]["name"]
    )
    if defaults:
        newest = max(defaults, key=lambda c: c["metadata"]["creationTimestamp"])
        spec["storageClassName"] = newest["metadata"]["name"]


def install(api: ObjectAPI) -> None:
    api.admission.append(allocate_service_addresses)
    api.admission.append(prevent_escalation)
    api.admission.append(limit_ranger)
    api.admission.append(default_storage_class)
    api.admission.append(default_toleration_seconds)
    api.admission.append(resource_quota)
    api.delete_admission.append(namespace_lifecycle_delete)
