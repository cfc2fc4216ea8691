"""The PersistentVolume controller (the binder): pairs claims with volumes, and releases them.

A PersistentVolumeClaim asks for storage; a PersistentVolume is storage. The binder gives a
Pending claim the smallest Available volume that fits it: same storage class, every access
mode asked for, the same volume mode, enough capacity and labels matching the claim's
selector. Binding is recorded on both sides (``pv.spec.claimRef`` and ``pvc.spec.volumeName``,
with the ``pv.kubernetes.io/bind-completed`` and ``bound-by-controller`` annotations) and both
become ``Bound``. When no volume fits and the claim names a storage class, the class's
provisioner is asked to make one (``ExternalProvisioning``).

A class with ``volumeBindingMode: WaitForFirstConsumer`` delays all of this until a pod using
the claim has been scheduled: a volume must then suit that pod's node. The binder notes the
node on the claim (``volume.kubernetes.io/selected-node``) for the provisioner; in Kubernetes
the scheduler does that step.

When a bound claim is deleted the volume is ``Released``. ``Retain`` keeps it (and its data)
until an administrator deals with it; ``Delete`` lets the provisioner that made it remove it.

Claims are keyed by namespace and name; volumes are cluster-wide, so a key with an empty
namespace names a volume.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.api.selectors import selector_from_object
from kubelab.cluster.client import PODS, LocalClient, Resource
from kubelab.cluster.controllers.base import Controller, Key
from kubelab.cluster.events import EventRecorder
from kubelab.cluster.quantity import Quantity
from kubelab.cluster.resources.persistentvolume import storage_class

PVS: Resource = ("", "v1", "persistentvolumes")
PVCS: Resource = ("", "v1", "persistentvolumeclaims")
STORAGE_CLASSES: Resource = ("storage.k8s.io", "v1", "storageclasses")
BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
NO_CLASS_MESSAGE = "no persistent volumes available for this claim and no storage class is set"
WAITING_MESSAGE = "waiting for first consumer to be created before binding"


def claim_reference(claim: dict[str, Any]) -> dict[str, Any]:
    meta = claim["metadata"]
    return {
        "kind": "PersistentVolumeClaim",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": "v1",
        "resourceVersion": meta["resourceVersion"],
    }


def _storage(obj: dict[str, Any], *path: str) -> Quantity:
    value: Any = obj.get("spec") or {}
    for key in path:
        value = (value or {}).get(key)
    return Quantity.parse(value or 0)


def _annotations(obj: dict[str, Any]) -> dict[str, str]:
    return obj["metadata"].get("annotations") or {}


def volume_fits(volume: dict[str, Any], claim: dict[str, Any]) -> bool:
    """Whether an Available volume can serve the claim (``findMatchingVolume``'s checks)."""
    spec, wanted = volume.get("spec") or {}, claim.get("spec") or {}
    if (volume.get("status") or {}).get("phase") != "Available":
        return False
    if volume["metadata"].get("deletionTimestamp") or spec.get("claimRef"):
        return False
    if storage_class(volume) != storage_class(claim):
        return False
    if not set(wanted.get("accessModes") or []) <= set(spec.get("accessModes") or []):
        return False
    if (spec.get("volumeMode") or "Filesystem") != (wanted.get("volumeMode") or "Filesystem"):
        return False
    if _storage(volume, "capacity", "storage") < _storage(
        claim, "resources", "requests", "storage"
    ):
        return False
    selector = wanted.get("selector")
    return selector is None or selector_from_object(selector).matches(
        volume["metadata"].get("labels")
    )


def claims_of(pod: dict[str, Any]) -> list[str]:
    return [
        v["persistentVolumeClaim"]["claimName"]
        for v in pod.get("spec", {}).get("volumes") or []
        if (v.get("persistentVolumeClaim") or {}).get("claimName")
    ]


class PersistentVolumeController(Controller):
    name = "persistentvolume-controller"
    watches = (PVCS, PVS, PODS, STORAGE_CLASSES)

    def __init__(self, client: LocalClient) -> None:
        super().__init__(client)
        self.events = EventRecorder(client, self.name)

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> list[Key]:
        meta = obj["metadata"]
        if resource == PVCS:
            volume = (obj.get("spec") or {}).get("volumeName")
            return [(meta["namespace"], meta["name"])] + ([("", volume)] if volume else [])
        if resource == PVS:
            keys = [("", meta["name"])]
            ref = (obj.get("spec") or {}).get("claimRef")
            if ref:
                keys.append((ref.get("namespace", ""), ref.get("name", "")))
            return keys + self._pending_claims()
        if resource == PODS:
            if not obj.get("spec", {}).get("nodeName"):
                return []
            return [(meta["namespace"], claim) for claim in claims_of(obj)]
        return self._pending_claims()

    def _pending_claims(self) -> list[Key]:
        return [
            (c["metadata"]["namespace"], c["metadata"]["name"])
            for c in self.client.list(PVCS)
            if not c.get("spec", {}).get("volumeName")
        ]

    async def reconcile(self, namespace: str, name: str) -> float | None:
        if not namespace:
            volume = self.client.get(PVS, "", name)
            if volume is not None:
                self._sync_volume(volume)
            return None
        claim = self.client.get(PVCS, namespace, name)
        if claim is None or claim["metadata"].get("deletionTimestamp"):
            return None
        if BIND_COMPLETED in _annotations(claim):
            self._sync_bound_claim(claim)
        else:
            self._sync_unbound_claim(claim)
        return None

    # --- claims ---------------------------------------------------------------------------------

    def _sync_unbound_claim(self, claim: dict[str, Any]) -> None:
        wanted = claim["spec"].get("volumeName")
        if wanted:
            volume = self.client.get(PVS, "", wanted)
            ref = (volume or {}).get("spec", {}).get("claimRef")
            if volume is not None and (
                not ref or ref.get("uid") in (None, claim["metadata"]["uid"])
            ):
                self._bind(volume, claim)
            return
        class_name = storage_class(claim)
        storage_class_obj = self.client.get(STORAGE_CLASSES, "", class_name) if class_name else None
        delayed = (storage_class_obj or {}).get("volumeBindingMode") == "WaitForFirstConsumer"
        if delayed and SELECTED_NODE not in _annotations(claim):
            if not self._select_node(claim):
                self.events.record(claim, "Normal", "WaitForFirstConsumer", WAITING_MESSAGE)
            return
        volume = self._best_volume(claim)
        if volume is not None:
            self._bind(volume, claim)
        elif not class_name:
            self.events.record(claim, "Normal", "FailedBinding", NO_CLASS_MESSAGE)
        elif storage_class_obj is None:
            self.events.record(
                claim,
                "Warning",
                "ProvisioningFailed",
                f'storageclass.storage.k8s.io "{class_name}" not found',
            )
        else:
            self._ask_provisioner(claim, storage_class_obj["provisioner"])

    def _best_volume(self, claim: dict[str, Any]) -> dict[str, Any] | None:
        """A volume pre-bound to the claim, else the smallest one that fits."""
        fitting = []
        for volume in self.client.list(PVS):
            ref = volume.get("spec", {}).get("claimRef") or {}
            if (ref.get("namespace"), ref.get("name")) == (
                claim["metadata"]["namespace"],
                claim["metadata"]["name"],
            ) and ref.get("uid") in (None, claim["metadata"]["uid"]):
                return volume
            if volume_fits(volume, claim):
                fitting.append(volume)
        return min(fitting, key=lambda v: _storage(v, "capacity", "storage"), default=None)

    def _select_node(self, claim: dict[str, Any]) -> bool:
        """For a WaitForFirstConsumer claim: once a pod using it is on a node, bind a fitting
        volume or note the node for the provisioner. False while no such pod exists."""
        meta = claim["metadata"]
        for pod in self.client.list(PODS, meta["namespace"]):
            node = pod.get("spec", {}).get("nodeName")
            if node and meta["name"] in claims_of(pod):
                volume = self._best_volume(claim)
                if volume is not None:
                    self._bind(volume, claim)
                else:
                    meta.setdefault("annotations", {})[SELECTED_NODE] = node
                    self.client.update(PVCS, claim)
                return True
        return False

    def _ask_provisioner(self, claim: dict[str, Any], provisioner: str) -> None:
        """Dynamic provisioning is the provisioner's job; the claim says which one it awaits."""
        annotations = claim["metadata"].setdefault("annotations", {})
        if annotations.get(STORAGE_PROVISIONER) != provisioner:
            annotations[STORAGE_PROVISIONER] = provisioner
            annotations[BETA_STORAGE_PROVISIONER] = provisioner
            self.client.update(PVCS, claim)
        self.events.record(
            claim,
            "Normal",
            "ExternalProvisioning",
            f"Waiting for a volume to be created either by the external provisioner "
            f"'{provisioner}' or manually by the system administrator. If volume creation is "
            "delayed, please verify that the provisioner is running and correctly registered.",
        )

    def _sync_bound_claim(self, claim: dict[str, Any]) -> None:
        name = claim["spec"].get("volumeName")
        volume = self.client.get(PVS, "", name) if name else None
        if volume is None:
            lost = "lost its PersistentVolume" if name else "lost reference to PersistentVolume"
            message = f"Bound claim has {lost}. Data on the volume is lost!"
            self._set_claim_lost(claim, "ClaimLost", message)
            return
        ref = volume["spec"].get("claimRef")
        if ref is None or ref.get("uid") == claim["metadata"]["uid"]:
            self._bind(volume, claim)
        else:
            message = "Two claims are bound to the same volume, this one is bound incorrectly"
            self._set_claim_lost(claim, "ClaimMisbound", message)

    def _set_claim_lost(self, claim: dict[str, Any], reason: str, message: str) -> None:
        if claim.get("status", {}).get("phase") == "Lost":
            return
        claim["status"] = {**claim.get("status", {}), "phase": "Lost"}
        self.client.update_status(PVCS, claim)
        self.events.record(claim, "Warning", reason, message)

    # --- binding --------------------------------------------------------------------------------

    def _bind(self, volume: dict[str, Any], claim: dict[str, Any]) -> None:
        """Record the binding on the volume, then on the claim; each step only if missing."""
        ref = volume["spec"].get("claimRef")
        if not ref or ref.get("uid") != claim["metadata"]["uid"]:
            if not ref:
                volume["metadata"].setdefault("annotations", {})[BOUND_BY_CONTROLLER] = "yes"
            volume["spec"]["claimRef"] = claim_reference(claim)
            volume = self.client.update(PVS, volume)
        volume = self._set_volume_phase(volume, "Bound")

        annotations = claim["metadata"].setdefault("annotations", {})
        if not claim["spec"].get("volumeName"):
            claim["spec"]["volumeName"] = volume["metadata"]["name"]
            annotations[BOUND_BY_CONTROLLER] = "yes"
        if annotations.get(BIND_COMPLETED) != "yes":
            annotations[BIND_COMPLETED] = "yes"
            claim = self.client.update(PVCS, claim)
        status = {
            **claim.get("status", {}),
            "phase": "Bound",
            "accessModes": volume["spec"].get("accessModes") or [],
            "capacity": volume["spec"].get("capacity") or {},
        }
        if status != claim.get("status"):
            claim["status"] = status
            self.client.update_status(PVCS, claim)

    def _set_volume_phase(
        self, volume: dict[str, Any], phase: str, message: str = "", reason: str = ""
    ) -> dict[str, Any]:
        """Move the volume to ``phase`` (noting when); returns the volume as now stored."""
        if (volume.get("status") or {}).get("phase") == phase:
            return volume
        volume["status"] = {
            "phase": phase,
            "lastPhaseTransitionTime": self.client.clock.timestamp(),
        }
        if message:
            volume["status"].update(message=message, reason=reason)
        return self.client.update_status(PVS, volume)

    # --- volumes --------------------------------------------------------------------------------

    def _sync_volume(self, volume: dict[str, Any]) -> None:
        ref = volume["spec"].get("claimRef")
        if not ref or not ref.get("uid"):
            self._set_volume_phase(volume, "Available")
            return
        claim = self.client.get(PVCS, ref.get("namespace", ""), ref.get("name", ""))
        if claim is None or claim["metadata"]["uid"] != ref["uid"]:
            self._release(volume)
        elif claim["spec"].get("volumeName") == volume["metadata"]["name"]:
            self._set_volume_phase(volume, "Bound")
        elif claim["spec"].get("volumeName") and BOUND_BY_CONTROLLER in _annotations(volume):
            self._unbind(volume)

    def _release(self, volume: dict[str, Any]) -> None:
        """The claim is gone: Released, then the reclaim policy decides."""
        phase = (volume.get("status") or {}).get("phase")
        if phase not in ("Released", "Failed"):
            volume = self._set_volume_phase(volume, "Released")
        policy = volume["spec"].get("persistentVolumeReclaimPolicy")
        if policy == "Delete" and PROVISIONED_BY not in _annotations(volume):
            message = (
                f'error getting deleter volume plugin for volume "{volume["metadata"]["name"]}": '
                "no deletable volume plugin matched"
            )
            self._set_volume_phase(volume, "Failed", message, "VolumeFailedDelete")
            self.events.record(volume, "Warning", "VolumeFailedDelete", message)

    def _unbind(self, volume: dict[str, Any]) -> None:
        """The controller bound this volume to a claim that went elsewhere: free it again."""
        del volume["spec"]["claimRef"]
        volume["metadata"]["annotations"].pop(BOUND_BY_CONTROLLER, None)
        volume = self.client.update(PVS, volume)
        self._set_volume_phase(volume, "Available")
