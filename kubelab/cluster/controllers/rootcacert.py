"""The root CA publisher: a ``kube-root-ca.crt`` ConfigMap in every namespace.

Pods find the cluster's CA certificate in this ConfigMap (projected service account volumes
mount it), so it is kept present and correct in every namespace.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.client import NAMESPACES, LocalClient, Resource
from kubelab.cluster.controllers.base import Controller, Key

CONFIG_MAPS: Resource = ("", "v1", "configmaps")
CONFIG_MAP_NAME = "kube-root-ca.crt"
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
    "guaranteed across distributions of Kubernetes clusters."
)


class RootCACertPublisher(Controller):
    name = "root-ca-cert-publisher"
    watches = (NAMESPACES, CONFIG_MAPS)

    def __init__(self, client: LocalClient, ca_certificate: str) -> None:
        super().__init__(client)
        self.ca_certificate = ca_certificate

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> list[Key]:
        if resource == NAMESPACES:
            return [("", obj["metadata"]["name"])]
        if obj["metadata"]["name"] == CONFIG_MAP_NAME:
            return [("", obj["metadata"]["namespace"])]
        return []

    async def reconcile(self, namespace: str, name: str) -> float | None:
        ns = self.client.get(NAMESPACES, "", name)
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            return None
        wanted = {"ca.crt": self.ca_certificate}
        current = self.client.get(CONFIG_MAPS, name, CONFIG_MAP_NAME)
        if current is None:
            self.client.create(
                CONFIG_MAPS,
                name,
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {
                        "name": CONFIG_MAP_NAME,
                        "namespace": name,
                        "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION},
                    },
                    "data": wanted,
                },
            )
        elif current.get("data") != wanted:
            current["data"] = wanted
            self.client.update(CONFIG_MAPS, current)
        return None
