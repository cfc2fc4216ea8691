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
    """A volume cannot be set up yet; the message is the kubelet's ``FailedMount`` text.

    ``failures`` maps each volume that failed to its own message."""

    def __init__(self, message: str, failures: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.failures = failures or {}


#: The kubelet's directory name for each kind of volume it keeps under the pod's directory.
VOLUME_PLUGINS = {
    "configMap": "kubernetes.io~configmap",
    "secret": "kubernetes.io~secret",
    "downwardAPI": "kubernetes.io~downward-api",
    "projected": "kubernetes.io~projected",
    "persistentVolumeClaim": "kubernetes.io~local-volume",
    "emptyDir": "kubernetes.io~empty-dir",
}
#: hostPath types that require something to exist already, and how the check fails.
HOST_PATH_CHECKS = {"Directory": "is not a directory", "File": "is not a file"}
HOST_PATH_DEVICES = {
    "Socket": "is not a socket file",
    "CharDevice": "is not a character device",
    "BlockDevice": "is not a block device",
}


def _reason(error: Exception) -> str:
    """An error as the kubelet words it: its own text, or the system call's, in Go style."""
    if isinstance(error, MountError):
        return str(error)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[0].lower() + error.strerror[1:]
    return str(error) or type(error).__name__


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


DEFAULT_FILE_MODE = 0o644
PROJECTED_SOURCES = ("configMap", "secret", "downwardAPI")


def _file_modes(volume: dict[str, Any], files: dict[str, bytes]) -> dict[str, int]:
    """Each file's permission bits: an item's ``mode``, else the volume's ``defaultMode``."""
    kind = next(k for k in (*PROJECTED_SOURCES, "projected") if k in volume)
    default = volume[kind].get("defaultMode")
    modes = dict.fromkeys(files, DEFAULT_FILE_MODE if default is None else int(default))
    sources = volume[kind].get("sources") or [] if kind == "projected" else [{kind: volume[kind]}]
    items = [
        item
        for source in sources
        for k in PROJECTED_SOURCES
        if k in source
        for item in source[k].get("items") or []
    ]
    for item in items:
        path = item.get("path") or item.get("key", "")
        if item.get("mode") is not None and path in modes:
            modes[path] = int(item["mode"])
    return modes


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

    def _host_path(self, source: dict[str, Any], now: Any) -> Volume:
        """A node directory or file, checked against ``type`` as the kubelet does."""
        path = source.get("path", "/").strip("/")
        kind = source.get("type") or ""
        entry = self.host_root.stat(path)
        if kind in HOST_PATH_CHECKS and (entry is None or entry.is_dir != (kind == "Directory")):
            raise MountError(f"hostPath type check failed: /{path} {HOST_PATH_CHECKS[kind]}")
        if kind in ("Socket", "CharDevice", "BlockDevice"):
            raise MountError(f"hostPath type check failed: /{path} {HOST_PATH_DEVICES[kind]}")
        if entry is None and kind == "FileOrCreate":
            self.host_root.write(path, b"", False, now)
        elif entry is None:
            parts = path.split("/") if path else []
            for depth in range(1, len(parts) + 1):
                # Missing parents are created too, as the kubelet's MkdirAll does.
                prefix = "/".join(parts[:depth])
                if not self.host_root.stat(prefix):
                    try:
                        self.host_root.mkdir(prefix, now)
                    except OSError as error:
                        raise MountError(f"mkdir /{prefix}: {_reason(error)}") from None
        return self.host_root.sub_path(path) if path else self.host_root

    def build(self, now: Any) -> None:
        """Set up every volume that is not yet; raise :class:`MountError` naming each that
        cannot be. Whatever goes wrong with one volume is reported as its ``FailedMount``
        message, never raised as another error, so the pod worker can retry."""
        failures = {}
        for volume in self.pod.get("spec", {}).get("volumes") or []:
            name = volume["name"]
            if name in self.volumes:
                continue
            try:
                self.volumes[name] = self._build_one(volume, now)
            except Exception as error:  # noqa: BLE001 - any failure is a FailedMount
                failures[name] = f'MountVolume.SetUp failed for volume "{name}" : {_reason(error)}'
        if failures:
            raise MountError(next(iter(failures.values())), failures)

    def wait_timed_out_message(self, unmounted: list[str]) -> str:
        """The kubelet's message when a pod's volumes are still not mounted after its wait."""
        names = [volume["name"] for volume in self.pod.get("spec", {}).get("volumes") or []]
        return (
            f"Unable to attach or mount volumes: unmounted volumes=[{' '.join(unmounted)}], "
            f"unattached volumes=[{' '.join(names)}]: timed out waiting for the condition"
        )

    def _build_one(self, volume: dict[str, Any], now: Any) -> Volume:
        if "emptyDir" in volume:
            # An emptyDir's root is world-writable (a tmpfs one also sticky).
            in_memory = (volume["emptyDir"] or {}).get("medium") == "Memory"
            mode = 0o1777 if in_memory else 0o777
            return MemoryVolume(now, root_mode=mode, in_memory=in_memory)
        if "hostPath" in volume:
            return self._host_path(volume["hostPath"], now)
        if "persistentVolumeClaim" in volume:
            source = volume["persistentVolumeClaim"]
            return self._claim_volume(source.get("claimName", ""), bool(source.get("readOnly")))
        files = self._projected_files(volume)
        if files is not None:
            self._published[volume["name"]] = files
            in_memory = "secret" in volume or "projected" in volume
            return ProjectedVolume(
                files, now, modes=_file_modes(volume, files), in_memory=in_memory
            )
        return MemoryVolume(now)

    def refresh(self, now: Any) -> None:
        """Rewrite ConfigMap, Secret and downward API files whose sources changed."""
        for volume in self.pod.get("spec", {}).get("volumes") or []:
            current = self.volumes.get(volume["name"])
            if not isinstance(current, ProjectedVolume):
                continue
            try:
                files = self._projected_files(volume)
            except Exception:  # noqa: BLE001 - the files stay as they were; retried later
                continue
            if files is not None and files != self._published.get(volume["name"]):
                current.update(files, now, _file_modes(volume, files))
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
                    self._node_path(mount.get("name", "")),
                )
            )
        return mounts

    def _node_path(self, name: str) -> str:
        """Where the kubelet keeps a volume on the node (a hostPath is the path itself)."""
        spec = next(v for v in self.pod.get("spec", {}).get("volumes") or [] if v["name"] == name)
        if "hostPath" in spec:
            return spec["hostPath"].get("path", "/")
        plugin = next(
            (p for key, p in VOLUME_PLUGINS.items() if key in spec), VOLUME_PLUGINS["emptyDir"]
        )
        uid = self.pod["metadata"].get("uid", "")
        return f"/var/lib/kubelet/pods/{uid}/volumes/{plugin}/{name}"
