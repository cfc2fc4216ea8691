"""Jobs, TTL-after-finished and CronJobs on a cluster that runs 60 times faster than real time.

The kubelet runs the pods' containers (busybox ``sleep``, ``exit 1``, ...), so the controllers
see pods succeed, fail, restart and stop exactly as they would on a node; the tests observe
the result with the real kubectl. A minute of cluster time passes in one real second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubelab.cluster.client import PODS, LocalClient
from kubelab.cluster.controllers.job import JOBS
from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.cluster.resources.printing import parse_time
from tests.polling import eventually

KUBECTL = Path(sys.executable).parent / "kubectl"
TIME_SCALE = 60

JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
spec:
  {extra}
  template:
    spec:
      restartPolicy: {restart}
      containers:
      - name: work
        image: busybox:1.36
        command: {command}
"""

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}
spec:
  schedule: "* * * * *"
  {extra}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: tick
            image: busybox:1.36
            command: {command}
"""


class Lab:
    """A private fast cluster, kubectl for it, and quick in-process reads for polling."""

    def __init__(self, cluster: EmbeddedCluster, home: Path) -> None:
        self.cluster = cluster
        self.client = LocalClient(cluster.cluster.api, "test-observer")
        self.env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig), "HOME": str(home)}

    def kubectl(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        result = subprocess.run(
            [str(KUBECTL), *args], input=stdin, capture_output=True, text=True, env=self.env
        )
        if check and result.returncode:
            raise AssertionError(f"kubectl {' '.join(args)}: {result.stderr}")
        return result.stdout + result.stderr

    def json(self, *args: str) -> dict[str, Any]:
        return json.loads(self.kubectl(*args, "-o", "json"))

    def pods(self, namespace: str) -> list[dict[str, Any]]:
        return self.cluster.run_sync(self.client.list, PODS, namespace)

    def job(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.cluster.run_sync(self.client.get, JOBS, namespace, name)


def conditions(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in job.get("status", {}).get("conditions") or []}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("fast-cluster")
    with EmbeddedCluster(home, time_scale=TIME_SCALE) as cluster:
        yield Lab(cluster, home)


@pytest.fixture()
def ns(lab: Lab) -> Iterator[str]:
    name = f"b-{uuid.uuid4().hex[:8]}"
    lab.kubectl("create", "namespace", name)
    yield name
    lab.kubectl("delete", "namespace", name, "--wait=false", check=False)


def apply(lab: Lab, ns: str, manifest: str) -> None:
    lab.kubectl("apply", "-n", ns, "-f", "-", stdin=manifest)


def job_pods(lab: Lab, ns: str, job: str) -> list[dict[str, Any]]:
    return [
        p
        for p in lab.pods(ns)
        if p["metadata"].get("labels", {}).get("batch.kubernetes.io/job-name") == job
    ]


def active_pods(lab: Lab, ns: str, job: str) -> list[dict[str, Any]]:
    return [
        p
        for p in job_pods(lab, ns, job)
        if p["status"].get("phase") not in ("Succeeded", "Failed")
        and not p["metadata"].get("deletionTimestamp")
    ]


# --- Job ----------------------------------------------------------------------------------------


def finished(lab: Lab, ns: str, name: str, kind: str = "Complete") -> dict[str, Any]:
    """The Job once it has the ``kind`` condition (read with kubectl)."""
    return eventually(
        lambda: kind in conditions(j := lab.json("get", "job", name, "-n", ns)) and j, what=kind
    )


def job_manifest(name: str, extra: str = "", restart: str = "Never", command: str = "") -> str:
    return JOB.format(
        name=name, extra=extra or "backoffLimit: 6", restart=restart, command=command or '["true"]'
    )


def test_job_runs_parallel_pods_until_completions(lab: Lab, ns: str) -> None:
    extra = "completions: 3\n  parallelism: 2"
    apply(lab, ns, job_manifest("batch", extra, command='["sleep", "30"]'))
    most_active = 0
    while "Complete" not in conditions(job := lab.job(ns, "batch") or {}):
        most_active = max(most_active, job.get("status", {}).get("active", 0))
        time.sleep(0.02)
    assert most_active == 2, "parallelism pods at once, never more"

    job = finished(lab, ns, "batch")
    uid = job["metadata"]["uid"]
    status = job["status"]
    assert status["succeeded"] == 3
    assert "failed" not in status and "active" not in status
    assert status["ready"] == 0 and status["terminating"] == 0
    assert status["uncountedTerminatedPods"] == {}
    assert status["completionTime"] >= status["startTime"]
    for kind in ("SuccessCriteriaMet", "Complete"):
        condition = conditions(job)[kind]
        assert condition["status"] == "True"
        assert condition["reason"] == "CompletionsReached"
        assert condition["message"] == "Reached expected number of succeeded pods"

    pods = job_pods(lab, ns, "batch")
    assert len(pods) == 3
    for pod in pods:
        meta = pod["metadata"]
        assert meta["generateName"] == "batch-"
        assert meta["labels"]["batch.kubernetes.io/job-name"] == "batch"
        assert meta["labels"]["batch.kubernetes.io/controller-uid"] == uid
        assert meta["labels"]["job-name"] == "batch"
        assert meta["labels"]["controller-uid"] == uid
        assert not meta.get("finalizers"), "the tracking finalizer is gone once counted"
        owner = meta["ownerReferences"][0]
        assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
            "Job",
            "batch",
            uid,
            True,
        )
    events = lab.kubectl("get", "events", "-n", ns, "--field-selector", "involvedObject.name=batch")
    assert f"Created pod: {pods[0]['metadata']['name']}" in events
    assert "Job completed" in events
    assert lab.kubectl("get", "job", "batch", "-n", ns, "--no-headers").split()[1:3] == [
        "Complete",
        "3/3",
    ]


def test_running_pods_carry_the_tracking_finalizer(lab: Lab, ns: str) -> None:
    apply(lab, ns, job_manifest("tracked", command='["sleep", "3600"]'))
    pod = eventually(lambda: active_pods(lab, ns, "tracked"), what="a pod")[0]
    assert pod["metadata"]["finalizers"] == ["batch.kubernetes.io/job-tracking"]


def test_job_fails_after_backoff_limit_waiting_between_attempts(lab: Lab, ns: str) -> None:
    apply(lab, ns, job_manifest("flaky", "backoffLimit: 1", command='["sh", "-c", "exit 1"]'))
    job = finished(lab, ns, "flaky", "Failed")
    for kind in ("FailureTarget", "Failed"):
        condition = conditions(job)[kind]
        assert condition["reason"] == "BackoffLimitExceeded"
        assert condition["message"] == "Job has reached the specified backoff limit"
    assert job["status"]["failed"] == 2
    assert "completionTime" not in job["status"]
    pods = job_pods(lab, ns, "flaky")
    first, second = sorted(pods, key=lambda p: p["metadata"]["creationTimestamp"])
    stopped = first["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"]
    waited = parse_time(second["metadata"]["creationTimestamp"]) - parse_time(stopped)
    assert waited.total_seconds() >= 9, "the first replacement waits 10 s"
    events = lab.kubectl(
        "get", "events", "-n", ns, "--field-selector", "reason=BackoffLimitExceeded"
    )
    assert "Job has reached the specified backoff limit" in events


def test_on_failure_restarts_count_toward_the_backoff_limit(lab: Lab, ns: str) -> None:
    manifest = job_manifest("restarts", "backoffLimit: 2", "OnFailure", '["sh", "-c", "exit 3"]')
    apply(lab, ns, manifest)
    job = finished(lab, ns, "restarts", "Failed")
    assert conditions(job)["Failed"]["reason"] == "BackoffLimitExceeded"
    assert job["status"]["failed"] == 1, "one pod, restarted in place, then stopped"
    assert "Deleted pod: restarts-" in lab.kubectl(
        "get", "events", "-n", ns, "--field-selector", "involvedObject.name=restarts"
    )


def test_active_deadline_fails_the_job_and_stops_its_pods(lab: Lab, ns: str) -> None:
    apply(lab, ns, job_manifest("slow", "activeDeadlineSeconds: 30", command='["sleep", "3600"]'))
    job = finished(lab, ns, "slow", "Failed")
    for kind in ("FailureTarget", "Failed"):
        condition = conditions(job)[kind]
        assert (condition["reason"], condition["message"]) == (
            "DeadlineExceeded",
            "Job was active longer than specified deadline",
        )
    started = parse_time(job["status"]["startTime"])
    failed_at = parse_time(conditions(job)["Failed"]["lastTransitionTime"])
    assert (failed_at - started).total_seconds() >= 30
    assert job["status"]["failed"] == 1 and job["status"]["terminating"] == 0
    assert not job_pods(lab, ns, "slow"), "its pod was stopped and is gone"
    assert "Job was active longer than specified deadline" in lab.kubectl(
        "get", "events", "-n", ns, "--field-selector", "reason=DeadlineExceeded"
    )


def test_indexed_job_gives_each_pod_its_index(lab: Lab, ns: str) -> None:
    extra = "completions: 3\n  parallelism: 3\n  completionMode: Indexed"
    apply(lab, ns, job_manifest("idx", extra, command='["sh", "-c", "echo $JOB_COMPLETION_INDEX"]'))
    job = finished(lab, ns, "idx")
    assert job["status"]["completedIndexes"] == "0-2"
    assert job["status"]["succeeded"] == 3
    key = "batch.kubernetes.io/job-completion-index"
    by_index = {p["metadata"]["annotations"][key]: p for p in job_pods(lab, ns, "idx")}
    assert set(by_index) == {"0", "1", "2"}
    for index, pod in by_index.items():
        assert pod["metadata"]["generateName"] == f"idx-{index}-"
        assert pod["metadata"]["labels"][key] == index
        assert pod["spec"]["hostname"] == f"idx-{index}"
        env = pod["spec"]["containers"][0]["env"]
        assert env == [
            {
                "name": "JOB_COMPLETION_INDEX",
                "valueFrom": {
                    "fieldRef": {"apiVersion": "v1", "fieldPath": f"metadata.annotations['{key}']"}
                },
            }
        ]


def test_suspended_job_runs_no_pods_until_resumed(lab: Lab, ns: str) -> None:
    apply(lab, ns, job_manifest("later", "suspend: true"))
    job = eventually(
        lambda: "Suspended" in conditions(j := lab.json("get", "job", "later", "-n", ns)) and j
    )
    assert conditions(job)["Suspended"]["reason"] == "JobSuspended"
    assert "startTime" not in job["status"]
    assert not job_pods(lab, ns, "later")
    lab.kubectl(
        "patch", "job", "later", "-n", ns, "--type=merge", "-p", '{"spec":{"suspend":false}}'
    )
    job = finished(lab, ns, "later")
    assert conditions(job)["Suspended"]["status"] == "False"
    assert conditions(job)["Suspended"]["reason"] == "JobResumed"


def test_finished_job_is_deleted_after_its_ttl(lab: Lab, ns: str) -> None:
    apply(lab, ns, job_manifest("brief", "ttlSecondsAfterFinished: 60"))
    job = finished(lab, ns, "brief")
    eventually(
        lambda: "NotFound" in lab.kubectl("get", "job", "brief", "-n", ns, check=False),
        what="the TTL controller",
    )
    complete = parse_time(conditions(job)["Complete"]["lastTransitionTime"])
    assert (lab.cluster.cluster.clock.now() - complete).total_seconds() >= 60
    eventually(lambda: not job_pods(lab, ns, "brief"), what="the Job's pods to go with it")


# --- CronJob ------------------------------------------------------------------------------------


def cron_jobs(lab: Lab, ns: str) -> list[dict[str, Any]]:
    return lab.json("get", "jobs", "-n", ns)["items"]


def test_cronjob_creates_jobs_on_schedule_and_keeps_history(lab: Lab, ns: str) -> None:
    apply(
        lab,
        ns,
        CRONJOB.format(name="tick", extra="successfulJobsHistoryLimit: 2", command='["date"]'),
    )
    cronjob = lab.json("get", "cronjob", "tick", "-n", ns)
    job = eventually(lambda: cron_jobs(lab, ns), timeout=5, what="the first scheduled Job")[0]
    meta = job["metadata"]
    scheduled = meta["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    assert scheduled.endswith(":00Z")
    minutes = int(meta["name"].rsplit("-", 1)[1])
    assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(minutes * 60)) == scheduled
    owner = meta["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "CronJob",
        "tick",
        cronjob["metadata"]["uid"],
        True,
    )
    seen: set[str] = set()
    deadline = time.monotonic() + 20
    while len(seen) < 4:
        assert time.monotonic() < deadline, f"only saw {seen}"
        seen |= {j["metadata"]["name"] for j in cron_jobs(lab, ns)}
        time.sleep(0.1)
    minutes = sorted(int(name.rsplit("-", 1)[1]) for name in seen)
    assert minutes == list(range(minutes[0], minutes[0] + len(minutes))), "one Job a minute"

    def history() -> list[dict[str, Any]]:
        return [j for j in cron_jobs(lab, ns) if "Complete" in conditions(j)]

    eventually(lambda: 1 <= len(history()) <= 2, what="some finished Jobs")
    time.sleep(1.5)
    assert len(history()) <= 2, "older finished Jobs are deleted"
    status = lab.json("get", "cronjob", "tick", "-n", ns)["status"]
    assert status["lastScheduleTime"].endswith(":00Z")
    assert status["lastSuccessfulTime"]
    events = lab.kubectl("get", "events", "-n", ns, "--field-selector", "involvedObject.name=tick")
    assert "Created job tick-" in events
    assert "Saw completed job: tick-" in events
    assert "Deleted job tick-" in events


def test_forbid_skips_runs_while_one_is_active(lab: Lab, ns: str) -> None:
    manifest = CRONJOB.format(
        name="single", extra="concurrencyPolicy: Forbid", command='["sleep", "3600"]'
    )
    apply(lab, ns, manifest)
    first = eventually(lambda: cron_jobs(lab, ns), timeout=5)[0]["metadata"]["name"]
    active = eventually(
        lambda: lab.json("get", "cronjob", "single", "-n", ns)["status"].get("active")
    )
    assert (active[0]["kind"], active[0]["name"]) == ("Job", first)
    time.sleep(2.5)  # two more scheduled minutes
    assert [j["metadata"]["name"] for j in cron_jobs(lab, ns)] == [first]
    message = "Not starting job because prior execution is running and concurrency policy is Forbid"
    assert message in lab.kubectl(
        "get", "events", "-n", ns, "--field-selector", "reason=JobAlreadyActive"
    )


def test_kubectl_create_job_from_cronjob(lab: Lab, ns: str) -> None:
    apply(lab, ns, CRONJOB.format(name="nightly", extra="suspend: true", command='["date"]'))
    out = lab.kubectl("create", "job", "manual", "--from=cronjob/nightly", "-n", ns)
    assert out.strip() == "job.batch/manual created"
    job = lab.json("get", "job", "manual", "-n", ns)
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["metadata"]["ownerReferences"][0]["name"] == "nightly"
    finished(lab, ns, "manual")
    assert [j["metadata"]["name"] for j in cron_jobs(lab, ns)] == ["manual"]
