"""The two core resources that are never stored: ``bindings`` and ``componentstatuses``.

Both are listed by ``/api/v1`` and ``kubectl api-resources`` with a real cluster's rows. A
Binding posted to a namespace binds the pod it names; ``kubectl get cs`` probes the teaching
cluster's own scheduler, controllers and store, so stopping one shows it unhealthy.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes.client import ApiClient

from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.cluster.scheduler import SCHEDULER_NAME
from tests.conftest import Kubectl

DEPRECATION = "Warning: v1 ComponentStatus is deprecated in v1.19+"


def api_resource_row(kubectl: Kubectl, name: str, *flags: str) -> list[str]:
    rows = kubectl("api-resources", "--api-group=", *flags).splitlines()
    return next(row.split() for row in rows if row.split()[0] == name)


def test_api_resources_rows_match_a_real_cluster(kubectl):
    assert api_resource_row(kubectl, "bindings") == ["bindings", "v1", "true", "Binding"]
    assert api_resource_row(kubectl, "componentstatuses") == [
        "componentstatuses",
        "cs",
        "v1",
        "false",
        "ComponentStatus",
    ]
    wide = api_resource_row(kubectl, "componentstatuses", "-o", "wide")
    assert wide[-2:] == ["ComponentStatus", "get,list"]
    assert api_resource_row(kubectl, "bindings", "-o", "wide")[-1] == "create"


def test_legacy_discovery_lists_both(kubectl):
    resources = {r["name"]: r for r in json.loads(kubectl("get", "--raw", "/api/v1"))["resources"]}
    assert resources["bindings"] == {
        "name": "bindings",
        "singularName": "binding",
        "namespaced": True,
        "kind": "Binding",
        "verbs": ["create"],
    }
    assert resources["componentstatuses"] == {
        "name": "componentstatuses",
        "singularName": "componentstatus",
        "namespaced": False,
        "kind": "ComponentStatus",
        "verbs": ["get", "list"],
        "shortNames": ["cs"],
    }


def test_get_cs_shows_a_healthy_control_plane(kubectl):
    result = kubectl.run("get", "cs")
    assert DEPRECATION in result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["NAME", "STATUS", "MESSAGE", "ERROR"]
    assert sorted(rows[1:]) == [
        ["controller-manager", "Healthy", "ok"],
        ["etcd-0", "Healthy", "ok"],
        ["scheduler", "Healthy", "ok"],
    ]


def test_component_status_objects(kubectl):
    status = json.loads(kubectl("get", "componentstatus", "etcd-0", "-o", "json"))
    assert status == {
        "apiVersion": "v1",
        "kind": "ComponentStatus",
        "metadata": {"creationTimestamp": None, "name": "etcd-0"},
        "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}],
    }
    listed = json.loads(kubectl("get", "--raw", "/api/v1/componentstatuses"))
    assert listed["kind"] == "ComponentStatusList"
    assert [item["metadata"]["name"] for item in listed["items"]] == [
        "scheduler",
        "controller-manager",
        "etcd-0",
    ]
    assert all("kind" not in item for item in listed["items"])


def test_unknown_component_and_unsupported_verbs(kubectl):
    missing = kubectl.run("get", "cs", "kube-proxy", check=False)
    assert missing.returncode == 1
    assert "Error from server: Component not found: kube-proxy" in missing.stderr
    watched = kubectl.run("get", "cs", "--watch", "--request-timeout=5s", check=False)
    assert 'watch is not supported on resources of kind "componentstatuses"' in watched.stderr
    deleted = kubectl.run("delete", "cs", "scheduler", check=False)
    assert "the server does not allow this method on the requested resource" in deleted.stderr


def test_python_client_lists_component_statuses(api_client: ApiClient):
    from kubernetes import client

    statuses = client.CoreV1Api(api_client).list_component_status()
    healthy = {item.metadata.name: item.conditions[0].status for item in statuses.items}
    assert healthy == {"scheduler": "True", "controller-manager": "True", "etcd-0": "True"}


def binding_manifest(namespace: str, pod: str, node: str) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": pod, "namespace": namespace},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node},
        }
    )


def unscheduled_pod(kubectl: Kubectl, namespace: str, name: str) -> None:
    """A pod no scheduler will place: it names a scheduler that does not exist."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"schedulerName": "by-hand", "containers": [{"name": "c", "image": "nginx"}]},
    }
    kubectl("create", "-f", "-", input=json.dumps(pod))


def test_posting_a_binding_assigns_the_pod(kubectl, namespace):
    node = kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}")
    unscheduled_pod(kubectl, namespace, "by-hand")
    kubectl("create", "-f", "-", input=binding_manifest(namespace, "by-hand", node))
    pod = kubectl.json("get", "pod", "by-hand", "-n", namespace)
    assert pod["spec"]["nodeName"] == node
    scheduled = [c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled"]
    assert scheduled[0]["status"] == "True"
    again = kubectl.run(
        "create", "-f", "-", input=binding_manifest(namespace, "by-hand", node), check=False
    )
    assert "Error from server (Conflict)" in again.stderr
    assert f'pod by-hand is already assigned to node "{node}"' in again.stderr


def test_bindings_are_only_created(kubectl, namespace):
    listed = kubectl.run("get", "--raw", f"/api/v1/namespaces/{namespace}/bindings", check=False)
    assert "(MethodNotAllowed)" in listed.stderr
    across = kubectl.run("get", "--raw", "/api/v1/bindings", check=False)
    assert "(NotFound)" in across.stderr
    one = kubectl.run("get", "--raw", f"/api/v1/namespaces/{namespace}/bindings/x", check=False)
    assert "(NotFound)" in one.stderr


def test_python_client_creates_a_binding(kubectl, namespace, api_client: ApiClient):
    from kubernetes import client

    node = kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}")
    unscheduled_pod(kubectl, namespace, "from-python")
    body = client.V1Binding(
        metadata=client.V1ObjectMeta(name="from-python"),
        target=client.V1ObjectReference(api_version="v1", kind="Node", name=node),
    )
    response = client.CoreV1Api(api_client).create_namespaced_binding(
        namespace, body, _preload_content=False
    )
    assert response.status == 201
    assert json.loads(response.data)["status"] == "Success"
    assert kubectl.json("get", "pod", "from-python", "-n", namespace)["spec"]["nodeName"] == node


# --- truthfulness: stopping the teaching cluster's own components -----------------------------


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """A private cluster, since these tests stop parts of its control plane."""
    with EmbeddedCluster(tmp_path_factory.mktemp("cs-home"), time_scale=20) as running:
        yield running


def stop_tasks(cluster: EmbeddedCluster, *names: str) -> None:
    def cancel() -> None:
        for task in asyncio.all_tasks():
            if task.get_name() in names:
                task.cancel()

    cluster.run_sync(cancel)


def statuses(kubectl: Kubectl) -> dict[str, list[str]]:
    """Each row's cells after the name (empty cells vanish, as columns are 2+ spaces apart)."""
    rows = [re.split(r"\s{2,}", line.strip()) for line in kubectl("get", "cs").splitlines()[1:]]
    return {row[0]: row[1:] for row in rows}


def test_a_stopped_controller_makes_the_controller_manager_unhealthy(own_cluster, tmp_path: Path):
    kubectl = Kubectl(own_cluster.kubeconfig, tmp_path)
    stop_tasks(own_cluster, "replicaset-controller")
    rows = statuses(kubectl)
    assert rows["controller-manager"] == ["Unhealthy", "HTTP probe failed with statuscode: 500"]
    assert rows["scheduler"] == ["Healthy", "ok"]


def test_a_stopped_scheduler_is_unreachable(own_cluster, tmp_path: Path):
    kubectl = Kubectl(own_cluster.kubeconfig, tmp_path)
    stop_tasks(own_cluster, SCHEDULER_NAME)
    rows = statuses(kubectl)
    assert rows["scheduler"] == [
        "Unhealthy",
        'Get "https://127.0.0.1:10259/healthz": dial tcp 127.0.0.1:10259: connect: '
        "connection refused",
    ]
    scheduler = kubectl.json("get", "cs", "scheduler")
    assert scheduler["conditions"][0]["status"] == "Unknown"
    assert rows["etcd-0"] == ["Healthy", "ok"]
