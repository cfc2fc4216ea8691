"""The workload controllers together with the real kubelet, as a learner drives them."""

from __future__ import annotations

import json
import re


def _json(kubectl, *args):
    return json.loads(kubectl(*args, "-o", "json"))


def test_deployment_rolls_out_and_updates(kubectl, namespace):
    kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=3", "-n", namespace)
    out = kubectl("rollout", "status", "deployment/web", "-n", namespace, "--timeout=60s")
    assert out.splitlines()[-1] == 'deployment "web" successfully rolled out'
    kubectl("set", "image", "deployment/web", "nginx=nginx:1.26", "-n", namespace)
    out = kubectl("rollout", "status", "deployment/web", "-n", namespace, "--timeout=90s")
    assert out.splitlines()[-1] == 'deployment "web" successfully rolled out'

    rows = [line.split() for line in kubectl("get", "rs", "-n", namespace).splitlines()[1:]]
    assert sorted(row[1:4] for row in rows) == [["0", "0", "0"], ["3", "3", "3"]]
    events = _json(
        kubectl,
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        "involvedObject.kind=Deployment",
    )["items"]
    events.sort(key=lambda e: int(e["metadata"]["resourceVersion"]))
    sizes = {}
    for event in events:
        name, before, after = re.fullmatch(
            r"Scaled (?:up|down) replica set (\S+) from (\d+) to (\d+)", event["message"]
        ).groups()
        assert sizes.get(name, 0) == int(before)
        sizes[name] = int(after)
        assert sum(sizes.values()) <= 3 + 1, "more than maxSurge pods asked for"
    pods = _json(kubectl, "get", "pods", "-n", namespace)["items"]
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    assert {p["spec"]["containers"][0]["image"] for p in live} == {"nginx:1.26"}


def test_replica_set_replaces_a_deleted_pod(kubectl, namespace, wait_for):
    kubectl("create", "deployment", "api", "--image=nginx:1.25", "--replicas=2", "-n", namespace)
    kubectl("rollout", "status", "deployment/api", "-n", namespace, "--timeout=60s")
    victim = _json(kubectl, "get", "pods", "-n", namespace)["items"][0]["metadata"]["name"]
    kubectl("delete", "pod", victim, "-n", namespace, "--timeout=60s")

    def replaced():
        pods = _json(kubectl, "get", "pods", "-n", namespace)["items"]
        running = [
            p
            for p in pods
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
        ]
        return len(running) == 2 and victim not in {p["metadata"]["name"] for p in running}

    wait_for(replaced, timeout=30, message="a running replacement")


def test_stateful_set_starts_its_pods_in_order(kubectl, namespace):
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "replicas": 2,
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
            },
        },
    }
    kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(manifest))
    out = kubectl("rollout", "status", "sts/db", "-n", namespace, "--timeout=60s")
    assert out.splitlines()[-1] == "partitioned roll out complete: 2 new pods have been updated..."
    pods = {
        p["metadata"]["name"]: p for p in _json(kubectl, "get", "pods", "-n", namespace)["items"]
    }
    assert sorted(pods) == ["db-0", "db-1"]
    started = {name: p["status"]["startTime"] for name, p in pods.items()}
    assert started["db-0"] <= started["db-1"]
    assert pods["db-1"]["spec"]["hostname"] == "db-1"
