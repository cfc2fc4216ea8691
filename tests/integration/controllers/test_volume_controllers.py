"""PersistentVolumeClaims meet volumes: static binding, dynamic provisioning, reclaiming.

Volumes are cluster-wide, so every test gives its static volumes a storage class of its own
and deletes them afterwards; dynamic provisioning goes through the default class the cluster
starts with (minikube's ``standard``), as a learner's claim without a class does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.polling import eventually

PV = """\
apiVersion: v1
kind: PersistentVolume
metadata:
  name: {name}
  labels:
    size: "{size}"
spec:
  storageClassName: {storage_class}
  capacity:
    storage: {size}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: {policy}
  hostPath:
    path: /data/{name}
"""

PVC = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {name}
spec:
  {storage_class}
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: {size}
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: ["sleep", "3600"]
    volumeMounts:
    - name: data
      mountPath: /data
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: {claim}
"""


@pytest.fixture()
def volumes(kubectl: Any, namespace: str) -> Iterator[Callable[..., str]]:
    """Make static volumes of a class private to the test; delete them afterwards."""
    made: list[str] = []

    def make(size: str, policy: str = "Retain") -> str:
        name = f"{namespace}-{size.lower()}"
        storage_class = f"manual-{namespace}"
        kubectl(
            "apply",
            "-f",
            "-",
            input=PV.format(name=name, size=size, storage_class=storage_class, policy=policy),
        )
        made.append(name)
        return name

    yield make
    if made:
        kubectl("delete", "pv", *made, "--ignore-not-found", "--wait=false")


def get(kubectl: Any, *args: str) -> dict[str, Any]:
    return json.loads(kubectl("get", *args, "-o", "json"))


def phase(kubectl: Any, *args: str) -> str:
    return get(kubectl, *args).get("status", {}).get("phase", "")


def test_claim_binds_the_smallest_volume_that_fits(kubectl: Any, namespace: str, volumes) -> None:
    small, medium, large = volumes("1Gi"), volumes("5Gi"), volumes("10Gi")
    eventually(lambda: phase(kubectl, "pv", small) == "Available", what="Available volumes")
    claim = PVC.format(
        name="data", size="3Gi", storage_class=f"storageClassName: manual-{namespace}"
    )
    kubectl("apply", "-n", namespace, "-f", "-", input=claim)
    eventually(lambda: phase(kubectl, "pvc", "data", "-n", namespace) == "Bound", what="Bound")

    pvc = get(kubectl, "pvc", "data", "-n", namespace)
    assert pvc["spec"]["volumeName"] == medium
    assert pvc["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] == "yes"
    assert pvc["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] == "yes"
    assert pvc["status"]["capacity"] == {"storage": "5Gi"}
    assert pvc["status"]["accessModes"] == ["ReadWriteOnce"]
    pv = get(kubectl, "pv", medium)
    assert pv["status"]["phase"] == "Bound"
    assert pv["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] == "yes"
    ref = pv["spec"]["claimRef"]
    assert (ref["kind"], ref["namespace"], ref["name"], ref["uid"]) == (
        "PersistentVolumeClaim",
        namespace,
        "data",
        pvc["metadata"]["uid"],
    )
    assert phase(kubectl, "pv", small) == phase(kubectl, "pv", large) == "Available"
    row = kubectl("get", "pvc", "data", "-n", namespace, "--no-headers").split()
    assert row[:5] == ["data", "Bound", medium, "5Gi", "RWO"]


def test_retained_volume_is_released_when_its_claim_goes(
    kubectl: Any, namespace: str, volumes
) -> None:
    volume = volumes("2Gi")
    claim = PVC.format(
        name="keep", size="1Gi", storage_class=f"storageClassName: manual-{namespace}"
    )
    kubectl("apply", "-n", namespace, "-f", "-", input=claim)
    eventually(lambda: phase(kubectl, "pvc", "keep", "-n", namespace) == "Bound")
    kubectl("delete", "pvc", "keep", "-n", namespace)
    eventually(lambda: phase(kubectl, "pv", volume) == "Released", what="Released")
    assert get(kubectl, "pv", volume)["spec"]["claimRef"]["name"] == "keep"
    kubectl("apply", "-n", namespace, "-f", "-", input=claim)
    time.sleep(0.3)
    assert phase(kubectl, "pvc", "keep", "-n", namespace) == "Pending", "a Released volume stays"


def test_unmatched_claim_without_class_waits_with_an_event(kubectl: Any, namespace: str) -> None:
    claim = PVC.format(name="nothing", size="1Gi", storage_class='storageClassName: ""')
    kubectl("apply", "-n", namespace, "-f", "-", input=claim)
    events = eventually(
        lambda: (
            "no persistent volumes available for this claim and no storage class is set"
            in (out := kubectl("describe", "pvc", "nothing", "-n", namespace))
            and out
        ),
        what="FailedBinding",
    )
    assert "FailedBinding" in events
    assert phase(kubectl, "pvc", "nothing", "-n", namespace) == "Pending"


def test_default_class_provisions_a_hostpath_volume(kubectl: Any, namespace: str) -> None:
    classes = kubectl("get", "storageclass")
    assert "standard (default)   k8s.io/minikube-hostpath   Delete" in classes
    kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=PVC.format(name="web", size="1Gi", storage_class=""),
    )
    eventually(lambda: phase(kubectl, "pvc", "web", "-n", namespace) == "Bound", what="Bound")
    pvc = get(kubectl, "pvc", "web", "-n", namespace)
    uid = pvc["metadata"]["uid"]
    assert pvc["spec"]["storageClassName"] == "standard"
    assert pvc["spec"]["volumeName"] == f"pvc-{uid}"
    annotations = pvc["metadata"]["annotations"]
    assert annotations["volume.kubernetes.io/storage-provisioner"] == "k8s.io/minikube-hostpath"
    assert (
        annotations["volume.beta.kubernetes.io/storage-provisioner"] == "k8s.io/minikube-hostpath"
    )
    pv = get(kubectl, "pv", f"pvc-{uid}")
    assert pv["spec"]["hostPath"]["path"] == f"/tmp/hostpath-provisioner/{namespace}/web"
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    assert pv["spec"]["storageClassName"] == "standard"
    assert pv["spec"]["capacity"] == {"storage": "1Gi"}
    assert (
        pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"]
        == "k8s.io/minikube-hostpath"
    )
    assert pv["status"]["phase"] == "Bound"
    describe = kubectl("describe", "pvc", "web", "-n", namespace)
    assert "ExternalProvisioning" in describe
    assert f'External provisioner is provisioning volume for claim "{namespace}/web"' in describe
    assert f"Successfully provisioned volume pvc-{uid}" in describe

    kubectl("delete", "pvc", "web", "-n", namespace)
    eventually(
        lambda: "NotFound" in kubectl.run("get", "pv", f"pvc-{uid}", check=False).stderr,
        what="the Delete reclaim policy",
    )


def test_wait_for_first_consumer_binds_after_the_pod_is_scheduled(
    kubectl: Any, namespace: str
) -> None:
    storage_class = f"late-{namespace}"
    kubectl(
        "apply",
        "-f",
        "-",
        input=f"""\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: {storage_class}
provisioner: k8s.io/minikube-hostpath
volumeBindingMode: WaitForFirstConsumer
""",
    )
    try:
        claim = PVC.format(
            name="late", size="1Gi", storage_class=f"storageClassName: {storage_class}"
        )
        kubectl("apply", "-n", namespace, "-f", "-", input=claim)
        eventually(
            lambda: (
                "waiting for first consumer to be created before binding"
                in kubectl("describe", "pvc", "late", "-n", namespace)
            ),
            what="WaitForFirstConsumer",
        )
        assert phase(kubectl, "pvc", "late", "-n", namespace) == "Pending"
        kubectl("apply", "-n", namespace, "-f", "-", input=POD.format(name="user", claim="late"))
        eventually(lambda: phase(kubectl, "pvc", "late", "-n", namespace) == "Bound", what="Bound")
        pvc = get(kubectl, "pvc", "late", "-n", namespace)
        node = get(kubectl, "pod", "user", "-n", namespace)["spec"]["nodeName"]
        assert pvc["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == node
    finally:
        kubectl(
            "delete",
            "pod",
            "user",
            "-n",
            namespace,
            "--force",
            "--grace-period=0",
            "--ignore-not-found",
        )
        kubectl("delete", "storageclass", storage_class)
