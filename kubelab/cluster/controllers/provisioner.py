"""minikube's storage provisioner: a hostPath volume for every claim of the ``standard`` class.

A StorageClass names a provisioner. When a claim of that class finds no volume to bind, the
binder marks the claim for the class's provisioner (``volume.kubernetes.io/storage-provisioner``)
and the provisioner makes a volume just for it, already pointing at the claim, which the binder
then completes. minikube's provisioner, ``k8s.io/minikube-hostpath``, creates the directory
``/tmp/hostpath-provisioner/<namespace>/<claim>`` on the node and a PersistentVolume
``pvc-<claim uid>`` for it, with the class's reclaim policy. For ``WaitForFirstConsumer``
classes it waits until the claim names the node of its first pod. When one of its volumes is
released and the policy is ``Delete``, it removes the volume again.

Like minikube, the teaching cluster starts with one default class, ``standard``.
"""

from __future__ import annotations

import uuid
from typing import Any

from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.client import LocalClient, Resource
from kubelab.cluster.controllers.base import Controller, Key
from kubelab.cluster.controllers.persistentvolume import (
    PROVISIONED_BY,
    PVCS,
    PVS,
    SELECTED_NODE,
    STORAGE_CLASSES,
    STORAGE_PROVISIONER,
    claim_reference,
)
from kubelab.cluster.events import EventRecorder
from kubelab.cluster.kubelet.node import node_name
from kubelab.cluster.resources.persistentvolume import storage_class
from kubelab.cluster.resources.storageclass import DEFAULT_CLASS_ANNOTATION

PROVISIONER = "k8s.io/minikube-hostpath"
HOST_PATH_ROOT = "/tmp/hostpath-provisioner"
IDENTITY_ANNOTATION = "hostPathProvisionerIdentity"
DEFAULT_STORAGE_CLASS = "standard"


def ensure_default_storage_class(api: ObjectAPI) -> None:
    """Create minikube's ``standard`` StorageClass unless it exists (deleting it is allowed,
    and it comes back with the next start, as minikube's addon manager does)."""
    strategy = api.registry.get(*STORAGE_CLASSES)
    if api.store.get(api.storage_key(strategy), "", DEFAULT_STORAGE_CLASS) is not None:
        return
    storage_class_obj = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": DEFAULT_STORAGE_CLASS,
            "annotations": {DEFAULT_CLASS_ANNOTATION: "true"},
            "labels": {"addonmanager.kubernetes.io/mode": "EnsureExists"},
        },
        "provisioner": PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    }
    api.create(strategy, "", storage_class_obj)


def volume_path(claim: dict[str, Any]) -> str:
    return f"{HOST_PATH_ROOT}/{claim['metadata']['namespace']}/{claim['metadata']['name']}"


class HostPathProvisioner(Controller):
    name = "storage-provisioner"
    watches = (PVCS, PVS)

    def __init__(self, client: LocalClient) -> None:
        super().__init__(client)
        self.identity = str(uuid.uuid4())
        self.events = EventRecorder(client, f"{PROVISIONER}_{node_name(0)}_{self.identity}")

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> list[Key]:
        meta = obj["metadata"]
        return [(meta.get("namespace", ""), meta["name"])]

    async def reconcile(self, namespace: str, name: str) -> float | None:
        if not namespace:
            volume = self.client.get(PVS, "", name)
            if volume is not None and self._reclaimable(volume):
                self.client.delete(PVS, "", name, uid=volume["metadata"]["uid"])
            return None
        claim = self.client.get(PVCS, namespace, name)
        if claim is None:
            return None
        storage_class_obj = self._class_to_provision(claim)
        if storage_class_obj is not None:
            self._provision(claim, storage_class_obj)
        return None

    def _class_to_provision(self, claim: dict[str, Any]) -> dict[str, Any] | None:
        """The claim's StorageClass, if this provisioner is to make a volume for it now."""
        meta, spec = claim["metadata"], claim.get("spec") or {}
        annotations = meta.get("annotations") or {}
        if meta.get("deletionTimestamp") or spec.get("volumeName"):
            return None
        if annotations.get(STORAGE_PROVISIONER) != PROVISIONER:
            return None
        storage_class_obj = self.client.get(STORAGE_CLASSES, "", storage_class(claim))
        if storage_class_obj is None or storage_class_obj.get("provisioner") != PROVISIONER:
            return None
        waits = storage_class_obj.get("volumeBindingMode") == "WaitForFirstConsumer"
        if waits and SELECTED_NODE not in annotations:
            return None
        if self.client.get(PVS, "", f"pvc-{meta['uid']}") is not None:
            return None
        return storage_class_obj

    def _provision(self, claim: dict[str, Any], storage_class_obj: dict[str, Any]) -> None:
        meta, spec = claim["metadata"], claim["spec"]
        self.events.record(
            claim,
            "Normal",
            "Provisioning",
            f'External provisioner is provisioning volume for claim "{meta["namespace"]}/'
            f'{meta["name"]}"',
        )
        volume_spec: dict[str, Any] = {
            "accessModes": spec.get("accessModes") or [],
            "capacity": {"storage": spec["resources"]["requests"]["storage"]},
            "hostPath": {"path": volume_path(claim), "type": ""},
            "persistentVolumeReclaimPolicy": storage_class_obj.get("reclaimPolicy") or "Delete",
            "storageClassName": storage_class_obj["metadata"]["name"],
            "volumeMode": spec.get("volumeMode") or "Filesystem",
            "claimRef": claim_reference(claim),
        }
        if storage_class_obj.get("mountOptions"):
            volume_spec["mountOptions"] = storage_class_obj["mountOptions"]
        volume = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {
                "name": f"pvc-{meta['uid']}",
                "annotations": {
                    IDENTITY_ANNOTATION: self.identity,
                    PROVISIONED_BY: PROVISIONER,
                },
            },
            "spec": volume_spec,
        }
        created = self.client.create(PVS, "", volume)
        self.events.record(
            claim,
            "Normal",
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {created['metadata']['name']}",
        )

    @staticmethod
    def _reclaimable(volume: dict[str, Any]) -> bool:
        """A volume this provisioner made, released, whose policy says to delete it."""
        annotations = volume["metadata"].get("annotations") or {}
        return (
            annotations.get(PROVISIONED_BY) == PROVISIONER
            and (volume.get("status") or {}).get("phase") == "Released"
            and volume["spec"].get("persistentVolumeReclaimPolicy") == "Delete"
            and not volume["metadata"].get("deletionTimestamp")
        )
