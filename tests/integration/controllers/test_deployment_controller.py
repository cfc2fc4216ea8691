"""Deployments driven with the real kubectl: rollouts, Recreate, pause, undo, history, restart,
proportional scaling and the progress deadline."""

from __future__ import annotations

import json
import re
import select
import time

import pytest

DEPLOYMENTS = ("apps", "v1", "deployments")
REPLICA_SETS = ("apps", "v1", "replicasets")
PODS = ("", "v1", "pods")
EVENTS = ("", "v1", "events")
#: An image no node can pull: its pods never become ready, with or without a kubelet.
BROKEN_IMAGE = "registry.invalid/nothing:1"


@pytest.fixture(scope="module")
def cluster(kubeletless_cluster):
    """Every test here runs where pods start only when the test says so (see conftest)."""
    return kubeletless_cluster


def deployment(replicas=3, image="nginx:1.25", **spec):
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": image}]},
                },
                **spec,
            },
        }
    )


def image_of(obj):
    return obj["spec"]["template"]["spec"]["containers"][0]["image"]


def ready_and_running(pod):
    return not pod["metadata"].get("deletionTimestamp") and any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in pod.get("status", {}).get("conditions") or []
    )


def snapshot(reader, namespace):
    d = reader.get(DEPLOYMENTS, namespace, "web")
    rss = reader.list(REPLICA_SETS, namespace)
    pods = reader.list(PODS, namespace)
    return (
        json.dumps([d["metadata"].get("generation"), d.get("status")], sort_keys=True),
        sorted(
            (
                rs["metadata"]["name"],
                rs["spec"]["replicas"],
                json.dumps(rs.get("status"), sort_keys=True),
            )
            for rs in rss
        ),
        sorted(
            (
                p["metadata"]["name"],
                json.dumps(p.get("status"), sort_keys=True),
                bool(p["metadata"].get("deletionTimestamp")),
            )
            for p in pods
        ),
    )


def settle(reader, namespace, timeout=10.0):
    """Wait until the controllers have nothing left to do (nothing changes for a while)."""
    deadline = time.monotonic() + timeout
    previous, quiet = None, 0
    while quiet < 4:
        assert time.monotonic() < deadline, "the controllers did not settle"
        current = snapshot(reader, namespace)
        d = reader.get(DEPLOYMENTS, namespace, "web")
        observed = d.get("status", {}).get("observedGeneration", 0) >= d["metadata"]["generation"]
        quiet = quiet + 1 if current == previous and observed else 0
        previous = current
        time.sleep(0.03)


def drive_to_completion(reader, kubelet, namespace, check=lambda: None, steps=40):
    """Alternate kubelet work and controller work until the rollout is complete, calling
    ``check`` on every settled state."""
    for _ in range(steps):
        settle(reader, namespace)
        check()
        d = reader.get(DEPLOYMENTS, namespace, "web")
        status, replicas = d.get("status", {}), d["spec"]["replicas"]
        pods = reader.list(PODS, namespace)
        if (
            status.get("updatedReplicas", 0) == status.get("replicas", 0) == replicas
            and status.get("availableReplicas", 0) == replicas
            and len(pods) == replicas
        ):
            return d
        kubelet.step(namespace)
    raise AssertionError("the rollout did not complete")


def scaling_events(reader, namespace):
    """The Deployment's ScalingReplicaSet events in the order they were recorded."""
    events = [
        e
        for e in reader.list(EVENTS, namespace)
        if e["reason"] == "ScalingReplicaSet" and e["involvedObject"]["name"] == "web"
    ]
    events.sort(key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [e["message"] for e in events]


def replica_sets_by_image(reader, namespace):
    return {image_of(rs): rs for rs in reader.list(REPLICA_SETS, namespace)}


def start(kubectl, namespace, reader, kubelet, **kwargs):
    kubectl("apply", "-n", namespace, "-f", "-", input=deployment(**kwargs))
    return drive_to_completion(reader, kubelet, namespace)


def first_line(process, timeout=10.0):
    """The first line a running command prints (waiting for it at most ``timeout``)."""
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "the command printed nothing"
    return process.stdout.readline().rstrip("\n")


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable", "first_updated"), [(3, 1, 0, 1), (10, 3, 2, 5)]
)
def test_rolling_update_stays_within_surge_and_unavailability(
    kubectl, namespace, reader, kubelet, replicas, surge, unavailable, first_updated
):
    start(kubectl, namespace, reader, kubelet, replicas=replicas)
    kubectl("set", "image", "deployment/web", "nginx=nginx:1.26", "-n", namespace)
    settle(reader, namespace)
    status = kubectl.popen("rollout", "status", "deployment/web", "-n", namespace, "--timeout=60s")
    assert first_line(status) == (
        f'Waiting for deployment "web" rollout to finish: {first_updated} out of {replicas} new '
        "replicas have been updated..."
    )

    def within_bounds():
        sizes = [rs["spec"]["replicas"] for rs in reader.list(REPLICA_SETS, namespace)]
        assert sum(sizes) <= replicas + surge
        available = [p for p in reader.list(PODS, namespace) if ready_and_running(p)]
        assert len(available) >= replicas - unavailable

    d = drive_to_completion(reader, kubelet, namespace, within_bounds)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    by_image = replica_sets_by_image(reader, namespace)
    old, new = by_image["nginx:1.25"], by_image["nginx:1.26"]
    assert old["spec"]["replicas"] == 0 and new["spec"]["replicas"] == replicas
    pod_hash = new["metadata"]["labels"]["pod-template-hash"]
    assert new["metadata"]["name"] == f"web-{pod_hash}"
    assert new["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert new["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == str(
        replicas
    )
    assert new["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == str(
        replicas + surge
    )

    messages = scaling_events(reader, namespace)
    assert messages[1] == f"Scaled up replica set {new['metadata']['name']} from 0 to {surge}"
    sizes = {}
    for message in messages:
        if message.startswith("(combined from similar events): "):
            break  # from the tenth distinct message on, the event correlator folds them
        name, before, after = re.fullmatch(
            r"Scaled (?:up|down) replica set (\S+) from (\d+) to (\d+)", message
        ).groups()
        assert sizes.get(name, 0) == int(before)
        sizes[name] = int(after)
        assert sum(sizes.values()) <= replicas + surge, messages

    out, err = status.communicate(timeout=30)
    assert status.returncode == 0, err
    lines = out.splitlines()
    assert lines[-1] == 'deployment "web" successfully rolled out'
    assert all(
        line.startswith('Waiting for deployment "web" rollout to finish: ') for line in lines[:-1]
    )
    if replicas == 3:
        assert (
            'Waiting for deployment "web" rollout to finish: 1 old replicas are pending '
            "termination..."
        ) in lines


def test_deployment_conditions_after_a_rollout(kubectl, namespace, reader, kubelet):
    d = start(kubectl, namespace, reader, kubelet, replicas=2)
    rs = next(iter(reader.list(REPLICA_SETS, namespace)))
    conditions = {c["type"]: c for c in d["status"]["conditions"]}
    assert conditions["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conditions["Available"]["message"] == "Deployment has minimum availability."
    assert conditions["Progressing"]["reason"] == "NewReplicaSetAvailable"
    assert conditions["Progressing"]["message"] == (
        f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.'
    )
    assert {
        k: d["status"][k]
        for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    } == dict.fromkeys(("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"), 2)
    assert "unavailableReplicas" not in d["status"]
    row = kubectl("get", "rs", "-n", namespace).splitlines()[1].split()
    assert row[:4] == [rs["metadata"]["name"], "2", "2", "2"]


def test_recreate_removes_old_pods_before_starting_new_ones(kubectl, namespace, reader, kubelet):
    start(kubectl, namespace, reader, kubelet, replicas=3, strategy={"type": "Recreate"})
    kubectl("set", "image", "deployment/web", "nginx=nginx:1.26", "-n", namespace)
    settle(reader, namespace)
    # The old pods are still terminating: no new ReplicaSet yet.
    assert set(replica_sets_by_image(reader, namespace)) == {"nginx:1.25"}
    assert all(p["metadata"].get("deletionTimestamp") for p in reader.list(PODS, namespace))
    kubelet.finish_terminating(namespace)
    drive_to_completion(reader, kubelet, namespace)
    old = replica_sets_by_image(reader, namespace)["nginx:1.25"]
    new = replica_sets_by_image(reader, namespace)["nginx:1.26"]
    assert scaling_events(reader, namespace)[-2:] == [
        f"Scaled down replica set {old['metadata']['name']} from 3 to 0",
        f"Scaled up replica set {new['metadata']['name']} from 0 to 3",
    ]


def test_pause_holds_the_rollout_and_resume_continues_it(kubectl, namespace, reader, kubelet):
    start(kubectl, namespace, reader, kubelet, replicas=2)
    kubectl("set", "image", "deployment/web", "nginx=nginx:1.26", "-n", namespace)
    drive_to_completion(reader, kubelet, namespace)
    assert kubectl("rollout", "pause", "deployment/web", "-n", namespace).strip() == (
        "deployment.apps/web paused"
    )
    kubectl("set", "image", "deployment/web", "nginx=nginx:1.27", "-n", namespace)
    settle(reader, namespace)
    assert set(replica_sets_by_image(reader, namespace)) == {"nginx:1.25", "nginx:1.26"}
    d = reader.get(DEPLOYMENTS, namespace, "web")
    progressing = next(c for c in d["status"]["conditions"] if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "Unknown",
        "DeploymentPaused",
        "Deployment is paused",
    )
    refused = kubectl.run("rollout", "undo", "deployment/web", "-n", namespace, check=False)
    assert refused.returncode != 0
    assert "you cannot rollback a paused deployment" in refused.stderr

    kubectl("rollout", "resume", "deployment/web", "-n", namespace)
    d = drive_to_completion(reader, kubelet, namespace)
    assert replica_sets_by_image(reader, namespace)["nginx:1.27"]["spec"]["replicas"] == 2
    assert (
        next(c for c in d["status"]["conditions"] if c["type"] == "Progressing")["reason"]
        == "NewReplicaSetAvailable"
    )


def test_history_and_undo_reuse_the_old_replica_set(kubectl, namespace, reader, kubelet):
    start(kubectl, namespace, reader, kubelet, replicas=2)
    kubectl(
        "annotate", "deployment/web", "-n", namespace, "kubernetes.io/change-cause=first release"
    )
    kubectl("set", "image", "deployment/web", "nginx=nginx:1.26", "-n", namespace)
    kubectl(
        "annotate",
        "deployment/web",
        "-n",
        namespace,
        "--overwrite",
        "kubernetes.io/change-cause=update to 1.26",
    )
    drive_to_completion(reader, kubelet, namespace)
    history = kubectl("rollout", "history", "deployment/web", "-n", namespace).splitlines()
    assert history[0] == "deployment.apps/web "
    assert history[1].split() == ["REVISION", "CHANGE-CAUSE"]
    assert [line.split(None, 1) for line in history[2:4]] == [
        ["1", "first release"],
        ["2", "update to 1.26"],
    ]
    original = replica_sets_by_image(reader, namespace)["nginx:1.25"]["metadata"]["name"]

    assert kubectl("rollout", "undo", "deployment/web", "-n", namespace).strip() == (
        "deployment.apps/web rolled back"
    )
    d = drive_to_completion(reader, kubelet, namespace)
    assert image_of(d) == "nginx:1.25"
    reused = replica_sets_by_image(reader, namespace)["nginx:1.25"]
    assert reused["metadata"]["name"] == original
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert len(reader.list(REPLICA_SETS, namespace)) == 2
    revisions = [
        line.split()[0]
        for line in kubectl("rollout", "history", "deployment/web", "-n", namespace).splitlines()[
            2:
        ]
        if line
    ]
    assert revisions == ["2", "3"]

    skipped = kubectl("rollout", "undo", "deployment/web", "-n", namespace, "--to-revision=3")
    assert "skipped rollback (current template already matches revision 3)" in skipped
    kubectl("rollout", "undo", "deployment/web", "-n", namespace, "--to-revision=2")
    d = drive_to_completion(reader, kubelet, namespace)
    assert image_of(d) == "nginx:1.26"
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "4"


def test_restart_rolls_out_a_new_replica_set(kubectl, namespace, reader, kubelet):
    start(kubectl, namespace, reader, kubelet, replicas=2)
    first = {rs["metadata"]["name"] for rs in reader.list(REPLICA_SETS, namespace)}
    assert kubectl("rollout", "restart", "deployment/web", "-n", namespace).strip() == (
        "deployment.apps/web restarted"
    )
    d = drive_to_completion(reader, kubelet, namespace)
    assert "kubectl.kubernetes.io/restartedAt" in d["spec"]["template"]["metadata"]["annotations"]
    current = {rs["metadata"]["name"]: rs for rs in reader.list(REPLICA_SETS, namespace)}
    [new] = set(current) - first
    assert current[new]["spec"]["replicas"] == 2
    assert all(current[name]["spec"]["replicas"] == 0 for name in first)


def test_scaling_mid_rollout_is_proportional(kubectl, namespace, reader, kubelet):
    start(kubectl, namespace, reader, kubelet, replicas=10)
    kubectl("set", "image", "deployment/web", f"nginx={BROKEN_IMAGE}", "-n", namespace)
    settle(reader, namespace)
    kubelet.finish_terminating(namespace)
    settle(reader, namespace)
    sizes = {
        image: rs["spec"]["replicas"]
        for image, rs in replica_sets_by_image(reader, namespace).items()
    }
    assert sizes == {"nginx:1.25": 8, BROKEN_IMAGE: 5}
    kubectl("scale", "deployment/web", "--replicas=15", "-n", namespace)
    settle(reader, namespace)
    sizes = {
        image: rs["spec"]["replicas"]
        for image, rs in replica_sets_by_image(reader, namespace).items()
    }
    assert sizes == {"nginx:1.25": 12, BROKEN_IMAGE: 7}
    d = reader.get(DEPLOYMENTS, namespace, "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"


def test_progress_deadline_exceeded(kubectl, namespace, reader, kubelet, wait_for):
    start(kubectl, namespace, reader, kubelet, replicas=2, progressDeadlineSeconds=2)
    kubectl("set", "image", "deployment/web", f"nginx={BROKEN_IMAGE}", "-n", namespace)

    def timed_out():
        d = reader.get(DEPLOYMENTS, namespace, "web")
        condition = next(
            (c for c in d["status"].get("conditions") or [] if c["type"] == "Progressing"), {}
        )
        return condition.get("reason") == "ProgressDeadlineExceeded" and condition

    condition = wait_for(timed_out, timeout=10, message="ProgressDeadlineExceeded")
    new = replica_sets_by_image(reader, namespace)[BROKEN_IMAGE]
    assert condition["status"] == "False"
    assert condition["message"] == (
        f'ReplicaSet "{new["metadata"]["name"]}" has timed out progressing.'
    )
    result = kubectl.run(
        "rollout", "status", "deployment/web", "-n", namespace, "--timeout=10s", check=False
    )
    assert result.returncode != 0
    assert 'deployment "web" exceeded its progress deadline' in result.stderr


def test_revision_history_limit_removes_old_replica_sets(kubectl, namespace, reader, kubelet):
    start(kubectl, namespace, reader, kubelet, replicas=1, revisionHistoryLimit=1)
    for tag in ("1.26", "1.27", "1.28"):
        kubectl("set", "image", "deployment/web", f"nginx=nginx:{tag}", "-n", namespace)
        drive_to_completion(reader, kubelet, namespace)
    settle(reader, namespace)
    assert set(replica_sets_by_image(reader, namespace)) == {"nginx:1.27", "nginx:1.28"}
