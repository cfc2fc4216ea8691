"""ResourceQuotas and LimitRanges: usage in status, refusals in kube-apiserver's words."""

from __future__ import annotations

import json
from typing import Any

from tests.polling import eventually

QUOTA = """\
apiVersion: v1
kind: ResourceQuota
metadata:
  name: {name}
spec:
  hard:
{hard}
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
  - name: app
    image: nginx:1.25
{resources}
"""

REQUESTS = """\
    resources:
      requests: {cpu: 250m, memory: 64Mi}
      limits: {cpu: 500m, memory: 128Mi}
"""

LIMIT_RANGE = """\
apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
    max: {cpu: "1"}
"""


def quota_status(kubectl: Any, namespace: str, name: str) -> dict[str, Any]:
    return json.loads(kubectl("get", "quota", name, "-n", namespace, "-o", "json")).get(
        "status", {}
    )


def create_quota(kubectl: Any, namespace: str, name: str, hard: dict[str, str]) -> None:
    lines = "\n".join(f'    {key}: "{value}"' for key, value in hard.items())
    kubectl("apply", "-n", namespace, "-f", "-", input=QUOTA.format(name=name, hard=lines))
    eventually(lambda: quota_status(kubectl, namespace, name).get("used"), what="quota status")


def create_pod(kubectl: Any, namespace: str, name: str, resources: str = REQUESTS) -> Any:
    return kubectl.run(
        "create",
        "-n",
        namespace,
        "-f",
        "-",
        input=POD.format(name=name, resources=resources),
        check=False,
    )


def test_quota_status_counts_what_the_namespace_holds(kubectl: Any, namespace: str) -> None:
    hard = {
        "pods": "5",
        "configmaps": "10",
        "requests.cpu": "2",
        "limits.memory": "1Gi",
        "count/deployments.apps": "2",
    }
    create_quota(kubectl, namespace, "usage", hard)
    status = quota_status(kubectl, namespace, "usage")
    assert status["hard"] == {
        "pods": "5",
        "configmaps": "10",
        "requests.cpu": "2",
        "limits.memory": "1Gi",
        "count/deployments.apps": "2",
    }
    assert status["used"]["pods"] == "0"
    assert status["used"]["configmaps"] == "1", "every namespace has kube-root-ca.crt"
    for name in ("one", "two"):
        assert create_pod(kubectl, namespace, name).returncode == 0
    kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=0", "-n", namespace)
    used = eventually(
        lambda: (
            (u := quota_status(kubectl, namespace, "usage")["used"])["pods"] == "2"
            and u["count/deployments.apps"] == "1"
            and u
        )
    )
    assert used["requests.cpu"] == "500m"
    assert used["limits.memory"] == "256Mi"
    describe = kubectl("describe", "quota", "usage", "-n", namespace)
    assert ["requests.cpu", "500m", "2"] in [line.split() for line in describe.splitlines()]

    kubectl("delete", "pod", "one", "-n", namespace, "--grace-period=0", "--force")
    eventually(lambda: quota_status(kubectl, namespace, "usage")["used"]["pods"] == "1")


def test_create_beyond_the_quota_is_forbidden(kubectl: Any, namespace: str) -> None:
    create_quota(kubectl, namespace, "q", {"pods": "2"})
    assert create_pod(kubectl, namespace, "p1").returncode == 0
    assert create_pod(kubectl, namespace, "p2").returncode == 0
    refused = create_pod(kubectl, namespace, "p3")
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        'Error from server (Forbidden): error when creating "STDIN": pods "p3" is forbidden: '
        "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2"
    )
    assert "p3" not in kubectl("get", "pods", "-n", namespace)


def test_compute_quota_requires_requests_from_every_container(kubectl: Any, namespace: str) -> None:
    create_quota(kubectl, namespace, "compute", {"requests.cpu": "1", "limits.memory": "1Gi"})
    refused = create_pod(kubectl, namespace, "bare", resources="")
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith(
        'pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: app; '
        "requests.cpu for: app"
    )
    big = REQUESTS.replace("250m", "1500m").replace("cpu: 500m", "cpu: 2")
    refused = create_pod(kubectl, namespace, "big", resources=big)
    assert (
        "exceeded quota: compute, requested: requests.cpu=1500m, used: requests.cpu=0, "
        "limited: requests.cpu=1" in refused.stderr
    )


def test_limit_range_fills_in_defaults_and_enforces_max(kubectl: Any, namespace: str) -> None:
    kubectl("apply", "-n", namespace, "-f", "-", input=LIMIT_RANGE)
    create_quota(kubectl, namespace, "compute", {"requests.cpu": "1", "limits.memory": "1Gi"})
    assert create_pod(kubectl, namespace, "plain", resources="").returncode == 0
    pod = json.loads(kubectl("get", "pod", "plain", "-n", namespace, "-o", "json"))
    assert pod["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    }
    assert pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container app; "
        "cpu, memory limit for container app"
    )
    assert pod["status"]["qosClass"] == "Burstable"
    greedy = '    resources:\n      limits: {cpu: "2"}\n'
    refused = create_pod(kubectl, namespace, "greedy", resources=greedy)
    assert refused.stderr.strip().endswith(
        'pods "greedy" is forbidden: maximum cpu usage per Container is 1, but limit is 2'
    )
