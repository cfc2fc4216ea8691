"""Binding (``v1``): the scheduler's decision that a pod runs on a node, never stored.

Creating a Binding named after a pod, in the pod's namespace, with a ``target`` naming a node
assigns the pod to that node, exactly as the ``pods/binding`` subresource does; kube-scheduler
used to post here before the subresource existed, and ``kubectl api-resources`` still lists
it. The handler lives in ``kubelab.cluster.api.binding``; this entry makes it discoverable.
"""

from __future__ import annotations

from kubelab.cluster.resources.base import ResourceStrategy


class BindingStrategy(ResourceStrategy):
    kind = "Binding"
    plural = "bindings"
    verbs = ("create",)


STRATEGIES = [BindingStrategy()]
