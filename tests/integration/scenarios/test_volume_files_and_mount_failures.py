"""What a learner sees through ``kubectl exec`` in ConfigMap and Secret volumes, and what a pod
whose volume cannot be mounted reports: the files of the lessons on volumes and configuration,
and the ``FailedMount`` events of the troubleshooting lab."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import Kubectl
from tests.polling import eventually


def _apply(k: Kubectl, ns: str, *manifests: dict[str, Any]) -> None:
    k.run(
        "apply",
        "-n",
        ns,
        "-f",
        "-",
        input=json.dumps({"kind": "List", "apiVersion": "v1", "items": list(manifests)}),
    )


def _pod(name: str, volumes: list[dict[str, Any]], mounts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "volumes": volumes,
            "containers": [
                {
                    "name": "box",
                    "image": "busybox:1.36",
                    "command": ["sleep", "3600"],
                    "volumeMounts": mounts,
                }
            ],
        },
    }


def _events(k: Kubectl, ns: str, pod: str, reason: str) -> list[dict[str, Any]]:
    items = k.json("get", "events", "-n", ns, "--field-selector", f"involvedObject.name={pod}")
    return [event for event in items["items"] if event["reason"] == reason]


def test_configmap_and_secret_volumes_list_as_on_a_real_node(k: Kubectl, ns: str) -> None:
    k("create", "configmap", "shop", "-n", ns, "--from-literal=PAGE_SIZE=20",
      "--from-literal=settings.yaml=theme: dark")  # fmt: skip
    k("create", "secret", "generic", "db", "-n", ns, "--from-literal=password=Tr0ub4dor&3")
    volumes = [
        {"name": "config", "configMap": {"name": "shop"}},
        {"name": "db", "secret": {"secretName": "db", "defaultMode": 0o400}},
        {"name": "scratch", "emptyDir": {}},
        {"name": "cache", "emptyDir": {"medium": "Memory"}},
    ]
    mounts = [
        {"name": "config", "mountPath": "/config"},
        {"name": "db", "mountPath": "/etc/db"},
        {"name": "scratch", "mountPath": "/scratch"},
        {"name": "cache", "mountPath": "/cache"},
    ]
    _apply(k, ns, _pod("reader", volumes, mounts))
    k("wait", "-n", ns, "pod/reader", "--for=condition=Ready", "--timeout=30s")

    listing = k("exec", "-n", ns, "reader", "--", "ls", "-la", "/config").splitlines()
    assert listing[0] == "total 12"
    assert re.fullmatch(r"drwxrwxrwx +3 root +root +4096 \w{3} [ \d]\d \d\d:\d\d \.", listing[1])
    stamp = re.fullmatch(r"drwxr-xr-x +2 root +root +4096 .{12} (\.\.\d{4}(_\d\d){5}\.\d{9})",
                         listing[3])  # fmt: skip
    assert stamp is not None, listing
    assert listing[4].endswith(f"..data -> {stamp.group(1)}")
    assert listing[5].startswith("lrwxrwxrwx    1 root     root            16 ")
    assert listing[5].endswith(" PAGE_SIZE -> ..data/PAGE_SIZE")
    assert listing[6].endswith(" settings.yaml -> ..data/settings.yaml")

    # -L (and a trailing slash) follow the links to the files; a Secret's files keep its mode.
    assert k("exec", "-n", ns, "reader", "--", "ls", "-L", "/config").split() == [
        "PAGE_SIZE", "settings.yaml",
    ]  # fmt: skip
    followed = k("exec", "-n", ns, "reader", "--", "ls", "-l", "/config/..data/").splitlines()
    assert followed[1].startswith("-rw-r--r--    1 root     root             2 ")
    secret = k("exec", "-n", ns, "reader", "--", "ls", "-lL", "/etc/db").splitlines()
    assert secret[1].startswith("-r--------    1 root     root            11 ")
    assert secret[1].endswith(" password")
    tmpfs = k("exec", "-n", ns, "reader", "--", "ls", "-ld", "/etc/db").split()
    assert tmpfs[:5] == ["drwxrwxrwt", "3", "root", "root", "100"]

    roots = k("exec", "-n", ns, "reader", "--", "ls", "-ld", "/scratch", "/cache").splitlines()
    assert [line.split()[0] for line in roots] == ["drwxrwxrwt", "drwxrwxrwx"]
    disks = k("exec", "-n", ns, "reader", "--", "df", "/cache", "/scratch", "/etc/db").splitlines()
    assert [line.split()[0] for line in disks[1:]] == ["tmpfs", "/dev/sda1", "tmpfs"]

    missing = k.run("exec", "-n", ns, "reader", "--", "ls", "/config/nope", check=False)
    assert missing.returncode == 1
    assert missing.stderr.startswith("ls: /config/nope: No such file or directory")


def test_a_volume_that_cannot_be_set_up_is_a_failed_mount_retried(k: Kubectl, ns: str) -> None:
    volumes = [
        {"name": "marker", "hostPath": {"path": f"/{ns}-marker", "type": "FileOrCreate"}},
    ]
    _apply(k, ns, _pod("maker", volumes, [{"name": "marker", "mountPath": "/marker"}]))
    k("wait", "-n", ns, "pod/maker", "--for=condition=Ready", "--timeout=30s")
    # A directory cannot be made below a file: setting up this volume fails with an OS error.
    below_file = [{"name": "data", "hostPath": {"path": f"/{ns}-marker/data"}}]
    _apply(k, ns, _pod("stuck", below_file, [{"name": "data", "mountPath": "/data"}]))

    expected = (
        f'MountVolume.SetUp failed for volume "data" : mkdir /{ns}-marker/data: not a directory'
    )
    failed = eventually(lambda: [e for e in _events(k, ns, "stuck", "FailedMount")
                                 if e["message"] == expected])  # fmt: skip
    assert failed[0]["type"] == "Warning" and failed[0]["source"]["component"] == "kubelet"
    timed_out = (
        "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data]: "
        "timed out waiting for the condition"
    )
    eventually(
        lambda: any(e["message"] == timed_out for e in _events(k, ns, "stuck", "FailedMount"))
    )
    retried = [e for e in _events(k, ns, "stuck", "FailedMount") if e["message"] == expected]
    assert retried[0].get("count", 1) > 1
    status = k.json("get", "pod", "stuck", "-n", ns)["status"]
    assert status["phase"] == "Pending"
    assert status["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"

    # The kubelet keeps working: the pod is deleted normally and others start.
    k("delete", "pod", "stuck", "-n", ns, "--wait=true", "--timeout=30s")
    missing_file = [{"name": "conf", "hostPath": {"path": "/etc/nope.conf", "type": "File"}}]
    _apply(k, ns, _pod("checked", missing_file, [{"name": "conf", "mountPath": "/conf"}]))
    message = (
        'MountVolume.SetUp failed for volume "conf" : hostPath type check failed: '
        "/etc/nope.conf is not a file"
    )
    eventually(
        lambda: any(e["message"] == message for e in _events(k, ns, "checked", "FailedMount"))
    )


def test_a_directory_mounted_over_a_file_fails_to_start(k: Kubectl, ns: str) -> None:
    volumes = [{"name": "scratch", "emptyDir": {}}]
    _apply(k, ns, _pod("over-file", volumes, [{"name": "scratch", "mountPath": "/etc/passwd"}]))

    def start_error() -> str:
        statuses = k.json("get", "pod", "over-file", "-n", ns)["status"].get("containerStatuses")
        for state in ("state", "lastState"):
            terminated = (statuses or [{}])[0].get(state, {}).get("terminated", {})
            if terminated.get("reason") == "StartError":
                return str(terminated.get("message", ""))
        return ""

    message = eventually(start_error)
    assert 'error mounting "/var/lib/kubelet/pods/' in message
    assert '/volumes/kubernetes.io~empty-dir/scratch" to rootfs at "/etc/passwd"' in message
    assert message.endswith("flags: 0x5000: not a directory: unknown")
