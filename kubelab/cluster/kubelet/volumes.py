"""A pod's volumes, made ready by the kubelet before any container starts.

* ``emptyDir``: fresh, empty storage shared by the pod's containers; gone with the pod.
* ``hostPath``: a directory on the node, shared by every pod on that node that mounts it.
* ``configMap``, ``secret``, ``downwardAPI``, ``projected``: read-only files the kubelet writes
  and later refreshes when the source changes (environment variables, by contrast, never change
  in a running container).
* ``persistentVolumeClaim``: the storage of the PersistentVolume bound to the claim, kept on disk,
  so data outlives the pod and follows the claim to the next pod.

A missing ConfigMap or Secret (or an unbound claim) stops the pod in ``ContainerCreating`` with a
``FailedMount`` event, as on a real node.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from kubelab.cluster.client import LocalClient, Resource
from kubelab.cluster.kubelet.environment import CONFIG_MAPS, SECRETS, field_value, resource_value
from kubelab.cluster.runtime.filesystem import Mount
from kubelab.cluster.runtime.volumes import DiskVolume, MemoryVolume, ProjectedVolume, Volume

PVCS: Resource = ("", "v1", "persistentvolumeclaims")
PVS: Resource = ("", "v1", "persistentvolumes")


class MountError(Exception):
    """A volume cannot be set up yet; the message is the kubelet's ``FailedMount`` text."""


def _items(
    data: dict[str, bytes], items: list[dict[str, Any]] | None, kind: str, optional: bool
) -> dict[str, bytes]:
    if not items:
        return dict(data)
    files = {}
    for item in items:
        key = item.get("key", "")
        if key not in data:
            if optional:
                continue
            raise MountError(
                f"configmap references non-existent config key: {key}"
                if kind == "configmap"
                else f"references non-existent secret key: {key}"
            )
        files[item.get("path") or key] = data[key]
    return files


def _config_map_files(
    client: LocalClient, namespace: str, source: dict[str, Any]
) -> dict[str, bytes]:
    cm = client.get(CONFIG_MAPS, namespace, source.get("name", ""))
    if cm is None:
        if source.get("optional"):
            return {}
        raise MountError(f'configmap "{source.get("name", "")}" not found')
    data = {k: v.encode() for k, v in (cm.get("data") or {}).items()}
    data.update({k: base64.b64decode(v) for k, v in (cm.get("binaryData") or {}).items()})
    return _items(data, source.get("items"), "configmap", bool(source.get("optional")))


def _secret_files(client: LocalClient, namespace: str, source: dict[str, Any]) -> dict[str, bytes]:
    name = source.get("secretName") or source.get("name", "")
    secret = client.get(SECRETS, namespace, name)
    if secret is None:
        if source.get("optional"):
            return {}
        raise MountError(f'secret "{name}" not found')
    data = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
    return _items(data, source.get("items"), "secret", bool(source.get("optional")))


def _downward_files(
    pod: dict[str, Any], source: dict[str, Any], allocatable: dict[str, str]
) -> dict[str, bytes]:
    files = {}
    containers = {c["name"]: c for c in pod.get("spec", {}).get("containers") or []}
    for item in source.get("items") or []:
        if "fieldRef" in item:
            value = field_value(pod, item["fieldRef"].get("fieldPath", ""))
        else:
            ref = item.get("resourceFieldRef") or {}
            container = containers.get(ref.get("containerName", ""), {})
            value = resource_value(
                container, ref.get("resource", ""), ref.get("divisor"), allocatable
            )
        files[item.get("path", "")] = value.encode()
    return files


class PodVolumes:
    """The volumes of one pod on one node, built once and refreshed while the pod runs."""

    def __init__(
        self,
        client: LocalClient,
        pod: dict[str, Any],
        host_root: MemoryVolume,
        storage_root: Path,
        allocatable: dict[str, str],
    ) -> None:
        self.client = client
        self.pod = pod
        self.host_root = host_root
        self.storage_root = storage_root
        self.allocatable = allocatable
        self.volumes: dict[str, Volume] = {}
        self._published: dict[str, dict[str, bytes]] = {}

    def _projected_files(self, volume: dict[str, Any]) -> dict[str, bytes] | None:
        namespace = self.pod["metadata"]["namespace"]
        if "configMap" in volume:
            return _config_map_files(self.client, namespace, volume["configMap"])
        if "secret" in volume:
            return _secret_files(self.client, namespace, volume["secret"])
        if "downwardAPI" in volume:
            return _downward_files(self.pod, volume["downwardAPI"], self.allocatable)
        if "projected" in volume:
            files: dict[str, bytes] = {}
            for source in volume["projected"].get("sources") or []:
                if "configMap" in source:
                    files.update(_config_map_files(self.client, namespace, source["configMap"]))
                elif "secret" in source:
                    files.update(_secret_files(self.client, namespace, source["secret"]))
                elif "downwardAPI" in source:
                    files.update(_downward_files(self.pod, source["downwardAPI"], self.allocatable))
                elif "serviceAccountToken" in source:
                    path = source["serviceAccountToken"].get("path", "token")
                    files[path] = self._token().encode()
            return files
        return None

    def _token(self) -> str:
        meta = self.pod["metadata"]
        return hashlib.sha256(f"{meta['namespace']}/{meta.get('uid', '')}".encode()).hexdigest()

    def _claim_volume(self, claim_name: str, read_only: bool) -> Volume:
        namespace = self.pod["metadata"]["namespace"]
        claim = self.client.get(PVCS, namespace, claim_name)
        if claim is None:
            raise MountError(f'persistentvolumeclaim "{claim_name}" not found')
        volume_name = claim.get("spec", {}).get("volumeName")
        if claim.get("status", {}).get("phase") != "Bound" or not volume_name:
            raise MountError(f'persistentvolumeclaim "{claim_name}" is not bound')
        pv = self.client.get(PVS, "", volume_name) or {}
        host_path = (pv.get("spec", {}).get("hostPath") or {}).get("path") or volume_name
        directory = self.storage_root / host_path.strip("/")
        directory.mkdir(parents=True, exist_ok=True)
        return DiskVolume(directory, read_only=read_only)

    def build(self, now: Any) -> None:
        """Set up every volume, raising :class:`MountError` for the first that cannot be."""
        for volume in self.pod.get("spec", {}).get("volumes") or []:
            name = volume["name"]
            if name in self.volumes:
                continue
            try:
                self.volumes[name] = self._build_one(volume, now)
            except MountError as error:
                raise MountError(
                    f'MountVolume.SetUp failed for volume "{name}" : {error}'
                ) from None

    def _build_one(self, volume: dict[str, Any], now: Any) -> Volume:
        if "emptyDir" in volume:
            return MemoryVolume(now)
        if "hostPath" in volume:
            path = volume["hostPath"].get("path", "/").strip("/")
            parts = path.split("/") if path else []
            for depth in range(1, len(parts) + 1):
                # Missing parents are created too, as the kubelet's MkdirAll does.
                if not self.host_root.stat("/".join(parts[:depth])):
                    self.host_root.mkdir("/".join(parts[:depth]), now)
            return self.host_root.sub_path(path) if path else self.host_root
        if "persistentVolumeClaim" in volume:
            source = volume["persistentVolumeClaim"]
            return self._claim_volume(source.get("claimName", ""), bool(source.get("readOnly")))
        files = self._projected_files(volume)
        if files is not None:
            self._published[volume["name"]] = files
            return ProjectedVolume(files, now)
        return MemoryVolume(now)

    def refresh(self, now: Any) -> None:
        """Rewrite ConfigMap, Secret and downward API files whose sources changed."""
        for volume in self.pod.get("spec", {}).get("volumes") or []:
            current = self.volumes.get(volume["name"])
            if not isinstance(current, ProjectedVolume):
                continue
            try:
                files = self._projected_files(volume)
            except MountError:
                continue
            if files is not None and files != self._published.get(volume["name"]):
                current.update(files, now)
                self._published[volume["name"]] = files

    def mounts(self, container: dict[str, Any]) -> list[Mount]:
        mounts = []
        for mount in container.get("volumeMounts") or []:
            volume = self.volumes.get(mount.get("name", ""))
            if volume is None:
                continue
            mounts.append(
                Mount(
                    mount["mountPath"],
                    volume,
                    bool(mount.get("readOnly")),
                    mount.get("subPath", ""),
                )
            )
        return mounts
