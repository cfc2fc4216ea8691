"""The built-in resources kube-apiserver serves, collected from the per-kind modules."""

from __future__ import annotations

import importlib

from kubelab.cluster.resources.registry import Registry

#: Kind modules in discovery order: the core group first, then the named groups.
KIND_MODULES = (
    "namespace",
    "pod",
    "binding",
    "componentstatus",
    "podtemplate",
    "service",
    "endpoints",
    "configmap",
    "secret",
    "serviceaccount",
    "node",
    "persistentvolume",
    "persistentvolumeclaim",
    "event",
    "replicationcontroller",
    "resourcequota",
    "limitrange",
    "deployment",
    "replicaset",
    "statefulset",
    "daemonset",
    "controllerrevision",
    "authentication",
    "authorization",
    "job",
    "cronjob",
    "horizontalpodautoscaler",
    "ingress",
    "ingressclass",
    "networkpolicy",
    "endpointslice",
    "storageclass",
    "rbac",
    "lease",
    "poddisruptionbudget",
    "priorityclass",
    "customresourcedefinition",
)


def builtin_registry() -> Registry:
    """A fresh registry with every built-in kind."""
    registry = Registry()
    for module_name in KIND_MODULES:
        module = importlib.import_module(f"kubelab.cluster.resources.{module_name}")
        for strategy in module.STRATEGIES:
            registry.add(strategy)
    return registry
