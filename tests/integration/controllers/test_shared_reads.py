"""Controllers read pods through listers that hand out the store's own objects: a controller
that changes one must change a copy. When the StatefulSet controller puts back a pod's identity
labels, the write is its own change, visible as such (its field manager owns the labels) and
seen by a watch as a change from the wrong label to the right one."""

from __future__ import annotations

import json
import time

from tests.conftest import Kubectl
from tests.polling import eventually

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"


def statefulset(name: str) -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "serviceName": name,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
            },
        },
    }


def test_statefulset_restores_a_changed_identity_label_as_its_own_write(
    kubectl: Kubectl, namespace: str
) -> None:
    kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(statefulset("web")))
    eventually(
        lambda: kubectl.run("get", "pod", "web-0", "-n", namespace, check=False).returncode == 0
    )
    watch = kubectl.popen(
        "get",
        "pods",
        "-n",
        namespace,
        "--watch-only",
        "-o",
        'jsonpath={.metadata.labels.statefulset\\.kubernetes\\.io/pod-name}{"\\n"}',
        "-l",
        f"{POD_NAME_LABEL}=web-0",
    )
    try:
        time.sleep(1)
        kubectl("label", "pod", "web-0", "-n", namespace, f"{POD_NAME_LABEL}=wrong", "--overwrite")
        pod = eventually(
            lambda: (
                (
                    p := kubectl.json(
                        "get", "pod", "web-0", "-n", namespace, "--show-managed-fields"
                    )
                )["metadata"]["labels"][POD_NAME_LABEL]
                == "web-0"
                and p
            )
        )
    finally:
        time.sleep(1)
        watch.terminate()
    seen, _ = watch.communicate(timeout=10)
    # A selector watch sees the pod leave the selection and come back.
    assert seen.splitlines()[-1] == "web-0"
    managers = {entry["manager"]: entry for entry in pod["metadata"]["managedFields"]}
    owned = managers["statefulset-controller"]["fieldsV1"]["f:metadata"]["f:labels"]
    assert f"f:{POD_NAME_LABEL}" in owned
    # kubectl's claim to the label went to the controller with the write.
    label_owner = managers.get("kubectl-label", {}).get("fieldsV1", {})
    assert f"f:{POD_NAME_LABEL}" not in label_owner.get("f:metadata", {}).get("f:labels", {})
