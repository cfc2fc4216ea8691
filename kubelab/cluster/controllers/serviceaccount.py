"""The service account controller: every namespace gets a ``default`` ServiceAccount.

Pods that name no service account run as ``default``, so it must exist in every namespace;
deleting it only makes this controller create it again.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.client import NAMESPACES, Resource
from kubelab.cluster.controllers.base import Controller, Key

SERVICE_ACCOUNTS: Resource = ("", "v1", "serviceaccounts")


class ServiceAccountController(Controller):
    name = "serviceaccount-controller"
    watches = (NAMESPACES, SERVICE_ACCOUNTS)

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> list[Key]:
        if resource == NAMESPACES:
            return [("", obj["metadata"]["name"])]
        if obj["metadata"]["name"] == "default":
            return [("", obj["metadata"]["namespace"])]
        return []

    async def reconcile(self, namespace: str, name: str) -> float | None:
        ns = self.client.get(NAMESPACES, "", name)
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            return None
        if self.client.get(SERVICE_ACCOUNTS, name, "default") is None:
            self.client.create(
                SERVICE_ACCOUNTS,
                name,
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {"name": "default", "namespace": name},
                },
            )
        return None
