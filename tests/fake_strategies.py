"""Small resource strategies that stand in for the built-in ones in tests of discovery and
OpenAPI: each declares only the facts those documents are made of (names, scope, verbs,
subresources), so a test's expectations follow from what it can see here."""

from __future__ import annotations

from kubelab.cluster.resources.base import ResourceStrategy


class Namespace(ResourceStrategy):
    kind = "Namespace"
    plural = "namespaces"
    namespaced = False
    short_names = ("ns",)
    subresources = ("status", "finalize")
    verbs = ("create", "delete", "get", "list", "patch", "update", "watch")


class Node(ResourceStrategy):
    kind = "Node"
    plural = "nodes"
    namespaced = False
    short_names = ("no",)
    subresources = ("status", "proxy")


class ServiceAccount(ResourceStrategy):
    kind = "ServiceAccount"
    plural = "serviceaccounts"
    short_names = ("sa",)
    subresources = ("token",)


class Binding(ResourceStrategy):
    kind = "Binding"
    plural = "bindings"
    verbs = ("create",)


class Deployment(ResourceStrategy):
    group = "apps"
    kind = "Deployment"
    plural = "deployments"
    short_names = ("deploy",)
    categories = ("all",)
    subresources = ("status", "scale")


class HorizontalPodAutoscalerV2(ResourceStrategy):
    group = "autoscaling"
    version = "v2"
    kind = "HorizontalPodAutoscaler"
    plural = "horizontalpodautoscalers"
    short_names = ("hpa",)
    categories = ("all",)
    subresources = ("status",)


class HorizontalPodAutoscalerV1(HorizontalPodAutoscalerV2):
    version = "v1"
