"""Resource names such as ``cpu``, ``requests.memory`` and ``nvidia.com/gpu``: which are standard,
which count in whole units, which may be overcommitted (the core API's ``helper`` rules).

Pod specs, ResourceQuotas and LimitRanges all name resources, and kube-apiserver checks those
names and their quantities the same way wherever they appear, so the rules live here once.
"""

from __future__ import annotations

from kubelab.cluster.api.errors import FieldError, invalid
from kubelab.cluster.quantity import Quantity
from kubelab.cluster.resources.validation import qualified_name_errors

#: ``standardContainerResources``: what a container may request without a prefix.
STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
#: ``integerResources``: the object counts, measured in whole units.
INTEGER_RESOURCES = frozenset(
    {
        "pods",
        "resourcequotas",
        "services",
        "replicationcontrollers",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    }
)
#: ``standardResources``: names a resource list may use without a domain prefix: the container
#: resources as they are and as ``requests.``/``limits.``, the object counts, and storage.
STANDARD_RESOURCES = (
    STANDARD_CONTAINER_RESOURCES
    | {f"{use}.{name}" for use in ("requests", "limits") for name in STANDARD_CONTAINER_RESOURCES}
    | INTEGER_RESOURCES
    | {"storage", "requests.storage"}
)
#: ``standardQuotaResources``: what a quota can count without a prefix (all but ``storage``).
STANDARD_QUOTA_RESOURCES = STANDARD_RESOURCES - {"storage"}
HUGEPAGES_PREFIX = "hugepages-"
NON_NEGATIVE_MSG = "must be greater than or equal to 0"
NOT_INTEGER_MSG = "must be an integer"


def is_hugepages(name: str) -> bool:
    """``IsHugePageResourceName``: ``hugepages-2Mi`` and the like."""
    return name.startswith(HUGEPAGES_PREFIX)


def is_quota_hugepages(name: str) -> bool:
    """``IsQuotaHugePageResourceName``: a huge page size, or a quota's request of one."""
    return is_hugepages(name) or name.startswith("requests." + HUGEPAGES_PREFIX)


def is_native(name: str) -> bool:
    """Unprefixed names and ``kubernetes.io/`` names belong to Kubernetes itself."""
    return "/" not in name or "kubernetes.io/" in name


def is_extended(name: str) -> bool:
    """``IsExtendedResourceName``: a domain-prefixed device resource like ``nvidia.com/gpu``."""
    if is_native(name) or name.startswith("requests."):
        return False
    return not qualified_name_errors(f"requests.{name}")


def overcommit_allowed(name: str) -> bool:
    """``IsOvercommitAllowed``: whether a request may be below its limit."""
    return is_native(name) and not is_hugepages(name)


def resource_name_errors(name: str, path: str) -> list[FieldError]:
    """``validateResourceName``: qualified, and standard when it has no prefix."""
    errors = [invalid(path, name, message) for message in qualified_name_errors(name)]
    if errors:
        return errors
    if "/" not in name and name not in STANDARD_RESOURCES and not is_quota_hugepages(name):
        errors.append(invalid(path, name, "must be a standard resource type or fully qualified"))
    return errors


def container_resource_name_errors(name: str, path: str) -> list[FieldError]:
    """``validateContainerResourceName``: a resource name a container (or a LimitRange for
    containers and pods) may use."""
    errors = resource_name_errors(name, path)
    if "/" not in name:
        if name not in STANDARD_CONTAINER_RESOURCES and not is_hugepages(name):
            errors.append(invalid(path, name, "must be a standard resource for containers"))
    elif not is_native(name) and not is_extended(name):
        errors.append(invalid(path, name, "doesn't follow extended resource name standard"))
    return errors


def quantity_errors(name: str, quantity: Quantity, path: str) -> list[FieldError]:
    """``ValidateResourceQuantityValue``: not negative, and whole for countable resources."""
    errors = []
    if quantity.sign() < 0:
        errors.append(invalid(path, str(quantity), NON_NEGATIVE_MSG))
    if (name in INTEGER_RESOURCES or is_extended(name)) and quantity.milli_value() % 1000:
        errors.append(invalid(path, str(quantity), NOT_INTEGER_MSG))
    return errors
