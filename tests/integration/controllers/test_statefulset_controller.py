"""StatefulSets: ordered creation with claims, stable identity, scale-down, updates, retention."""

from __future__ import annotations

import json
import time

import pytest

STATEFUL_SETS = ("apps", "v1", "statefulsets")
PODS = ("", "v1", "pods")
CLAIMS = ("", "v1", "persistentvolumeclaims")
EVENTS = ("", "v1", "events")


@pytest.fixture(scope="module")
def cluster(kubeletless_cluster):
    """Every test here runs where pods start only when the test says so (see conftest)."""
    return kubeletless_cluster


def stateful_set(namespace, replicas=3, image="nginx:1.25", **spec):
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": replicas,
                "serviceName": "web",
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "nginx",
                                "image": image,
                                "volumeMounts": [{"name": "www", "mountPath": "/data"}],
                            }
                        ]
                    },
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "www"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "storageClassName": "manual",
                            "selector": {"matchLabels": {"claims-for": namespace}},
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                ],
                **spec,
            },
        }
    )


@pytest.fixture(autouse=True)
def volumes(kubectl, namespace):
    """Three pre-made volumes that only this namespace's claims select, so the claims bind
    (statically, through the volume binder) without depending on a storage class."""
    documents = [
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": f"{namespace}-{i}", "labels": {"claims-for": namespace}},
                "spec": {
                    "capacity": {"storage": "1Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "manual",
                    "hostPath": {"path": f"/tmp/{namespace}-{i}"},
                },
            }
        )
        for i in range(3)
    ]
    kubectl("apply", "-f", "-", input="\n---\n".join(documents))
    yield
    kubectl.run("delete", "pv", "-l", f"claims-for={namespace}", "--wait=false", check=False)


def names(items):
    return sorted(i["metadata"]["name"] for i in items)


def live_pods(reader, namespace):
    return [p for p in reader.list(PODS, namespace) if not p["metadata"].get("deletionTimestamp")]


def settle(reader, namespace, timeout=10.0):
    deadline, previous, quiet = time.monotonic() + timeout, None, 0
    while quiet < 4:
        assert time.monotonic() < deadline, "the controllers did not settle"
        sts = reader.get(STATEFUL_SETS, namespace, "web")
        current = json.dumps(
            [sts, reader.list(PODS, namespace), reader.list(CLAIMS, namespace)], sort_keys=True
        )
        observed = (
            sts.get("status", {}).get("observedGeneration", 0) >= sts["metadata"]["generation"]
        )
        quiet = quiet + 1 if current == previous and observed else 0
        previous = current
        time.sleep(0.03)
    return reader.get(STATEFUL_SETS, namespace, "web")


def run_until(reader, kubelet, namespace, done, check=lambda: None):
    """Let the kubelet and the controllers take turns until ``done(statefulset)``."""
    for _ in range(30):
        sts = settle(reader, namespace)
        check()
        if done(sts):
            return sts
        kubelet.step(namespace)
    raise AssertionError("the StatefulSet did not get there")


def all_ready(sts):
    return (
        sts["status"].get("readyReplicas", 0)
        == sts["spec"]["replicas"]
        == sts["status"]["replicas"]
    )


def pod_events(reader, namespace):
    events = [
        e for e in reader.list(EVENTS, namespace) if e["involvedObject"]["kind"] == "StatefulSet"
    ]
    events.sort(key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [(e["reason"], e["message"]) for e in events]


def test_ordered_creation_with_claims(kubectl, namespace, reader, kubelet):
    kubectl("apply", "-n", namespace, "-f", "-", input=stateful_set(namespace))

    def one_at_a_time():
        pods = sorted(live_pods(reader, namespace), key=lambda p: p["metadata"]["name"])
        assert names(pods) == [f"web-{i}" for i in range(len(pods))]
        assert all(p["status"].get("phase") == "Running" for p in pods[:-1])
        assert names(reader.list(CLAIMS, namespace)) == [f"www-web-{i}" for i in range(len(pods))]

    sts = run_until(reader, kubelet, namespace, all_ready, one_at_a_time)
    pods = {p["metadata"]["name"]: p for p in live_pods(reader, namespace)}
    revision = sts["status"]["updateRevision"]
    assert sts["status"]["currentRevision"] == revision
    assert revision.startswith("web-")
    for ordinal in range(3):
        pod = pods[f"web-{ordinal}"]
        assert pod["metadata"]["labels"] == {
            "app": "web",
            "statefulset.kubernetes.io/pod-name": f"web-{ordinal}",
            "apps.kubernetes.io/pod-index": str(ordinal),
            "controller-revision-hash": revision,
        }
        assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == (f"web-{ordinal}", "web")
        assert {"name": "www", "persistentVolumeClaim": {"claimName": f"www-web-{ordinal}"}} in (
            pod["spec"]["volumes"]
        )
    claim = reader.get(CLAIMS, namespace, "www-web-0")
    assert claim["metadata"]["labels"] == {"app": "web"}
    assert not claim["metadata"].get("ownerReferences")
    assert pod_events(reader, namespace)[:2] == [
        ("SuccessfulCreate", "create Claim www-web-0 Pod web-0 in StatefulSet web success"),
        ("SuccessfulCreate", "create Pod web-0 in StatefulSet web successful"),
    ]
    assert {
        k: sts["status"].get(k)
        for k in (
            "replicas",
            "readyReplicas",
            "currentReplicas",
            "updatedReplicas",
            "availableReplicas",
        )
    } == (
        dict.fromkeys(
            (
                "replicas",
                "readyReplicas",
                "currentReplicas",
                "updatedReplicas",
                "availableReplicas",
            ),
            3,
        )
    )
    assert kubectl("rollout", "status", "sts/web", "-n", namespace).strip() == (
        "partitioned roll out complete: 3 new pods have been updated..."
    )


def test_scale_down_goes_from_the_highest_ordinal_and_keeps_claims(
    kubectl, namespace, reader, kubelet
):
    kubectl("apply", "-n", namespace, "-f", "-", input=stateful_set(namespace))
    run_until(reader, kubelet, namespace, all_ready)
    kubectl("scale", "sts/web", "--replicas=1", "-n", namespace)
    settle(reader, namespace)
    terminating = [
        p["metadata"]["name"]
        for p in reader.list(PODS, namespace)
        if p["metadata"].get("deletionTimestamp")
    ]
    assert terminating == ["web-2"], "one pod at a time, highest ordinal first"
    sts = run_until(reader, kubelet, namespace, lambda s: len(reader.list(PODS, namespace)) == 1)
    assert names(reader.list(PODS, namespace)) == ["web-0"]
    assert [m for r, m in pod_events(reader, namespace) if r == "SuccessfulDelete"] == [
        "delete Pod web-2 in StatefulSet web successful",
        "delete Pod web-1 in StatefulSet web successful",
    ]
    assert names(reader.list(CLAIMS, namespace)) == ["www-web-0", "www-web-1", "www-web-2"]
    assert sts["status"]["replicas"] == 1


def test_claims_are_deleted_on_scale_down_when_the_policy_says_so(
    kubectl, namespace, reader, kubelet, wait_for
):
    policy = {"whenScaled": "Delete", "whenDeleted": "Retain"}
    kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=stateful_set(namespace, replicas=2, persistentVolumeClaimRetentionPolicy=policy),
    )
    run_until(reader, kubelet, namespace, all_ready)
    kubectl("scale", "sts/web", "--replicas=1", "-n", namespace)
    run_until(reader, kubelet, namespace, lambda s: len(reader.list(PODS, namespace)) == 1)
    wait_for(
        lambda: names(reader.list(CLAIMS, namespace)) == ["www-web-0"],
        message="the scaled-down pod's claim to be collected",
    )


def test_parallel_creates_every_pod_at_once(kubectl, namespace, reader):
    kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=stateful_set(namespace, podManagementPolicy="Parallel"),
    )
    settle(reader, namespace)
    assert names(reader.list(PODS, namespace)) == ["web-0", "web-1", "web-2"]


def test_rolling_update_from_the_highest_ordinal_respects_the_partition(
    kubectl, namespace, reader, kubelet
):
    kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=stateful_set(
            namespace, updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}
        ),
    )
    sts = run_until(reader, kubelet, namespace, all_ready)
    first_revision = sts["status"]["currentRevision"]
    kubectl("set", "image", "sts/web", "nginx=nginx:1.26", "-n", namespace)
    deleted = []

    def one_pod_at_a_time():
        terminating = [
            p["metadata"]["name"]
            for p in reader.list(PODS, namespace)
            if p["metadata"].get("deletionTimestamp")
        ]
        assert len(terminating) <= 1
        deleted.extend(name for name in terminating if name not in deleted)

    sts = run_until(
        reader,
        kubelet,
        namespace,
        lambda s: s["status"].get("updatedReplicas") == 2 and all_ready(s),
        one_pod_at_a_time,
    )
    assert deleted == ["web-2", "web-1"]
    images = {
        p["metadata"]["name"]: p["spec"]["containers"][0]["image"]
        for p in live_pods(reader, namespace)
    }
    assert images == {"web-0": "nginx:1.25", "web-1": "nginx:1.26", "web-2": "nginx:1.26"}
    assert sts["status"]["currentRevision"] == first_revision
    assert sts["status"]["updateRevision"] != first_revision
    assert (sts["status"]["currentReplicas"], sts["status"]["updatedReplicas"]) == (1, 2)
    assert kubectl("rollout", "status", "sts/web", "-n", namespace).strip() == (
        "partitioned roll out complete: 2 new pods have been updated..."
    )
    history = kubectl("rollout", "history", "sts/web", "-n", namespace).splitlines()
    assert [line.split()[0] for line in history[2:] if line] == ["1", "2"]


def test_on_delete_updates_a_pod_only_when_it_is_deleted(kubectl, namespace, reader, kubelet):
    kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=stateful_set(namespace, replicas=2, updateStrategy={"type": "OnDelete"}),
    )
    run_until(reader, kubelet, namespace, all_ready)
    kubectl("set", "image", "sts/web", "nginx=nginx:1.26", "-n", namespace)
    sts = settle(reader, namespace)
    assert sts["status"]["updateRevision"] != sts["status"]["currentRevision"]
    assert not [p for p in reader.list(PODS, namespace) if p["metadata"].get("deletionTimestamp")]
    kubectl("delete", "pod", "web-1", "-n", namespace, "--wait=false")
    run_until(
        reader,
        kubelet,
        namespace,
        lambda s: s["status"].get("updatedReplicas") == 1 and all_ready(s),
    )
    images = {
        p["metadata"]["name"]: p["spec"]["containers"][0]["image"]
        for p in live_pods(reader, namespace)
    }
    assert images == {"web-0": "nginx:1.25", "web-1": "nginx:1.26"}
