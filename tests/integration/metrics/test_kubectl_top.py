"""``kubectl top`` and the metrics.k8s.io API, measured from the simulated containers."""

from __future__ import annotations

import json
import re

import pytest
from kubernetes import client

from tests.conftest import Kubectl
from tests.polling import eventually


@pytest.fixture()
def measured(kubectl: Kubectl, namespace: str) -> str:
    """A namespace with two running demo-app pods that have metrics."""
    kubectl(
        "create",
        "deployment",
        "web",
        "--image=kubelab/demo-app:1.0",
        "--replicas=2",
        "-n",
        namespace,
    )

    def two_pods_measured() -> bool:
        result = kubectl.run("top", "pods", "-n", namespace, "--no-headers", check=False)
        return result.returncode == 0 and len(result.stdout.splitlines()) == 2

    eventually(two_pods_measured)
    return namespace


def test_top_pods(kubectl: Kubectl, measured: str) -> None:
    lines = kubectl("top", "pods", "-n", measured).splitlines()
    assert lines[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    for line in lines[1:]:
        assert re.fullmatch(r"web-[a-z0-9]+-[a-z0-9]{5}\s+\d+m\s+\d+Mi\s*", line), line
    containers = kubectl("top", "pods", "-n", measured, "--containers").splitlines()
    assert containers[0].split() == ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert all(line.split()[1] == "demo-app" for line in containers[1:])
    selected = kubectl("top", "pods", "-n", measured, "-l", "app=web", "--no-headers")
    assert len(selected.splitlines()) == 2


def test_top_nodes(kubectl: Kubectl, measured: str) -> None:
    lines = kubectl("top", "nodes").splitlines()
    assert lines[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    name, cpu, cpu_share, memory, memory_share = lines[1].split()
    assert name == "kubelab"
    assert re.fullmatch(r"\d+m", cpu) and re.fullmatch(r"\d+%", cpu_share)
    assert re.fullmatch(r"\d+Mi", memory) and re.fullmatch(r"\d+%", memory_share)
    assert int(memory[:-2]) > 12, "the node's own software uses memory too"


def test_raw_pod_metrics(kubectl: Kubectl, measured: str) -> None:
    body = json.loads(
        kubectl("get", "--raw", f"/apis/metrics.k8s.io/v1beta1/namespaces/{measured}/pods")
    )
    assert (body["kind"], body["apiVersion"]) == ("PodMetricsList", "metrics.k8s.io/v1beta1")
    for item in body["items"]:
        assert item["metadata"]["namespace"] == measured
        assert item["metadata"]["labels"]["app"] == "web"
        assert item["window"] == "15s"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["timestamp"])
        [usage] = [c["usage"] for c in item["containers"]]
        assert re.fullmatch(r"\d+(n|m)", usage["cpu"]), usage
        assert re.fullmatch(r"\d+Ki", usage["memory"]), usage
    name = body["items"][0]["metadata"]["name"]
    one = json.loads(
        kubectl("get", "--raw", f"/apis/metrics.k8s.io/v1beta1/namespaces/{measured}/pods/{name}")
    )
    assert (one["kind"], one["metadata"]["name"]) == ("PodMetrics", name)


def test_metrics_of_what_does_not_exist(kubectl: Kubectl, namespace: str) -> None:
    missing = kubectl.run("top", "pod", "ghost", "-n", namespace, check=False)
    assert missing.stderr.strip() == 'Error from server (NotFound): pods "ghost" not found'
    kubectl("create", "job", "done", "--image=busybox", "-n", namespace, "--", "true")
    eventually(lambda: kubectl("get", "pods", "-n", namespace, "-o", "name"))
    pod = kubectl("get", "pods", "-n", namespace, "-o", "name").strip().split("/")[1]
    eventually(
        lambda: (
            kubectl("get", "pod", pod, "-n", namespace, "-o", "jsonpath={.status.phase}")
            == "Succeeded"
        )
    )
    path = f"/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{pod}"
    stopped = kubectl.run("get", "--raw", path, check=False)
    assert stopped.stderr.strip() == (
        f'Error from server (NotFound): podmetrics.metrics.k8s.io "{namespace}/{pod}" not found'
    )


def test_metrics_are_discoverable_and_listable_with_the_python_client(
    kubectl: Kubectl, measured: str, api_client: client.ApiClient
) -> None:
    resources = kubectl("api-resources", "--api-group=metrics.k8s.io", "--no-headers")
    assert [line.split()[0] for line in resources.splitlines()] == ["nodes", "pods"]
    listed = client.CustomObjectsApi(api_client).list_namespaced_custom_object(
        "metrics.k8s.io", "v1beta1", measured, "pods"
    )
    assert len(listed["items"]) == 2
    table = kubectl("get", "podmetrics", "-n", measured).splitlines()
    assert table[0].split() == ["NAME", "CPU", "MEMORY", "WINDOW"]
