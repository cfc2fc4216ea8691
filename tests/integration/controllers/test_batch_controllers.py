"""Jobs, TTL-after-finished and CronJobs on a cluster that runs 60 times faster than real time.

No kubelet runs here, so the test plays it: it reports a pod's containers as finished
through the pod's ``status`` subresource, and confirms graceful deletions. Everything else
(pod creation, counting, back-off, deadlines, schedules, history) is the controllers' work,
observed with the real kubectl.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kubelab.cluster.client import PODS, LocalClient
from kubelab.cluster.embedded import EmbeddedCluster

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
        command: ["sh", "-c", "echo done"]
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
            command: ["date"]
"""


class Lab:
    """A private fast cluster, kubectl for it, and a stand-in kubelet."""

    def __init__(self, cluster: EmbeddedCluster, home: Path) -> None:
        self.cluster = cluster
        self.client = LocalClient(cluster.cluster.api, "kubelet")
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

    def finish(self, namespace: str, name: str, exit_code: int = 0) -> None:
        """The kubelet reports the pod's containers as exited with ``exit_code``."""
        self.cluster.run_sync(self._write_finished, namespace, name, exit_code)

    def _write_finished(self, namespace: str, name: str, exit_code: int) -> None:
        pod = self.client.get(PODS, namespace, name)
        now = self.client.clock.timestamp()
        reason = "Completed" if exit_code == 0 else "Error"
        pod["status"].update(
            phase="Succeeded" if exit_code == 0 else "Failed",
            containerStatuses=[
                {
                    "name": c["name"],
                    "image": c["image"],
                    "imageID": "",
                    "ready": False,
                    "restartCount": 0,
                    "started": False,
                    "state": {
                        "terminated": {
                            "exitCode": exit_code,
                            "reason": reason,
                            "startedAt": now,
                            "finishedAt": now,
                        }
                    },
                }
                for c in pod["spec"]["containers"]
            ],
        )
        self.client.update_status(PODS, pod)

    def restart_count(self, namespace: str, name: str, restarts: int) -> None:
        """The kubelet restarted the pod's container in place (``restartPolicy: OnFailure``)."""

        def write() -> None:
            pod = self.client.get(PODS, namespace, name)
            pod["status"].update(
                phase="Running",
                containerStatuses=[
                    {
                        "name": c["name"],
                        "image": c["image"],
                        "imageID": "",
                        "ready": False,
                        "restartCount": restarts,
                        "started": True,
                        "state": {"running": {"startedAt": self.client.clock.timestamp()}},
                    }
                    for c in pod["spec"]["containers"]
                ],
            )
            self.client.update_status(PODS, pod)

        self.cluster.run_sync(write)

    def confirm_deletions(self, namespace: str) -> None:
        """The kubelet has stopped the containers of every pod being deleted."""
        for pod in self.pods(namespace):
            meta = pod["metadata"]
            if meta.get("deletionTimestamp"):
                self.cluster.run_sync(
                    lambda m=meta: self.client.delete(
                        PODS, m["namespace"], m["name"], grace_period_seconds=0
                    )
                )


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


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


def test_job_runs_parallel_pods_until_completions(lab: Lab, ns: str) -> None:
    apply(
        lab, ns, JOB.format(name="batch", extra="completions: 3\n  parallelism: 2", restart="Never")
    )
    first = wait_for(
        lambda: len(active_pods(lab, ns, "batch")) == 2 and active_pods(lab, ns, "batch")
    )
    pod = first[0]
    meta = pod["metadata"]
    job = lab.json("get", "job", "batch", "-n", ns)
    uid = job["metadata"]["uid"]
    assert meta["generateName"] == "batch-"
    assert meta["labels"]["batch.kubernetes.io/job-name"] == "batch"
    assert meta["labels"]["batch.kubernetes.io/controller-uid"] == uid
    assert meta["labels"]["job-name"] == "batch"
    assert meta["labels"]["controller-uid"] == uid
    assert meta["finalizers"] == ["batch.kubernetes.io/job-tracking"]
    owner = meta["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("Job", "batch", True)

    finished: set[str] = set()
    while len(finished) < 3:
        running = wait_for(lambda: active_pods(lab, ns, "batch"), what="a running pod")
        assert len(running) <= 2, "never more than parallelism pods at once"
        name = running[0]["metadata"]["name"]
        lab.finish(ns, name)
        finished.add(name)
        wait_for(
            lambda n=name: n not in {p["metadata"]["name"] for p in active_pods(lab, ns, "batch")}
        )

    job = wait_for(
        lambda: "Complete" in conditions(j := lab.json("get", "job", "batch", "-n", ns)) and j,
        what="Complete",
    )
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
    assert len(job_pods(lab, ns, "batch")) == 3
    assert all(not p["metadata"].get("finalizers") for p in job_pods(lab, ns, "batch"))

    events = lab.kubectl("get", "events", "-n", ns, "--field-selector", "involvedObject.name=batch")
    assert f"Created pod: {pod['metadata']['name']}" in events
    assert "Job completed" in events
    assert "1/3" not in lab.kubectl("get", "job", "batch", "-n", ns)
    assert "3/3" in lab.kubectl("get", "job", "batch", "-n", ns)


def test_job_fails_after_backoff_limit(lab: Lab, ns: str) -> None:
    apply(lab, ns, JOB.format(name="flaky", extra="backoffLimit: 1", restart="Never"))
    for attempt in range(2):
        pod = wait_for(lambda: active_pods(lab, ns, "flaky"), what=f"attempt {attempt + 1}")[0]
        lab.finish(ns, pod["metadata"]["name"], exit_code=1)
        wait_for(
            lambda p=pod: (
                not any(
                    a["metadata"]["uid"] == p["metadata"]["uid"]
                    for a in active_pods(lab, ns, "flaky")
                )
            )
        )
    job = wait_for(
        lambda: "Failed" in conditions(j := lab.json("get", "job", "flaky", "-n", ns)) and j,
        what="Failed",
    )
    for kind in ("FailureTarget", "Failed"):
        condition = conditions(job)[kind]
        assert condition["reason"] == "BackoffLimitExceeded"
        assert condition["message"] == "Job has reached the specified backoff limit"
    assert job["status"]["failed"] == 2
    assert "completionTime" not in job["status"]
    assert len(job_pods(lab, ns, "flaky")) == 2, "no third attempt"
    events = lab.kubectl(
        "get", "events", "-n", ns, "--field-selector", "reason=BackoffLimitExceeded"
    )
    assert "Job has reached the specified backoff limit" in events


def test_job_waits_longer_after_each_failure(lab: Lab, ns: str) -> None:
    apply(lab, ns, JOB.format(name="backoff", extra="backoffLimit: 5", restart="Never"))
    pod = wait_for(lambda: active_pods(lab, ns, "backoff"))[0]
    lab.finish(ns, pod["metadata"]["name"], exit_code=1)
    failed_at = time.monotonic()
    wait_for(lambda: active_pods(lab, ns, "backoff"), what="the replacement")
    waited = (time.monotonic() - failed_at) * TIME_SCALE
    assert waited >= 9, f"replaced after {waited:.1f} cluster seconds, expected a 10 s back-off"


def test_on_failure_restarts_count_toward_the_backoff_limit(lab: Lab, ns: str) -> None:
    apply(lab, ns, JOB.format(name="restarts", extra="backoffLimit: 2", restart="OnFailure"))
    pod = wait_for(lambda: active_pods(lab, ns, "restarts"))[0]
    lab.restart_count(ns, pod["metadata"]["name"], 2)
    job = wait_for(
        lambda: (
            "FailureTarget" in conditions(j := lab.json("get", "job", "restarts", "-n", ns)) and j
        )
    )
    assert conditions(job)["FailureTarget"]["reason"] == "BackoffLimitExceeded"
    lab.confirm_deletions(ns)
    wait_for(lambda: "Failed" in conditions(lab.json("get", "job", "restarts", "-n", ns)))


def test_active_deadline_fails_the_job_and_stops_its_pods(lab: Lab, ns: str) -> None:
    apply(lab, ns, JOB.format(name="slow", extra="activeDeadlineSeconds: 30", restart="Never"))
    pod = wait_for(lambda: active_pods(lab, ns, "slow"))[0]
    wait_for(
        lambda: any(p["metadata"].get("deletionTimestamp") for p in job_pods(lab, ns, "slow")),
        what="the pod to be stopped",
    )
    job = lab.json("get", "job", "slow", "-n", ns)
    target = conditions(job)["FailureTarget"]
    assert (target["reason"], target["message"]) == (
        "DeadlineExceeded",
        "Job was active longer than specified deadline",
    )
    assert "Failed" not in conditions(job), "not Failed while its pod is still terminating"
    assert job["status"]["terminating"] == 1
    lab.confirm_deletions(ns)
    job = wait_for(
        lambda: "Failed" in conditions(j := lab.json("get", "job", "slow", "-n", ns)) and j
    )
    assert conditions(job)["Failed"]["reason"] == "DeadlineExceeded"
    assert job["status"]["failed"] == 1
    assert pod["metadata"]["name"] not in {p["metadata"]["name"] for p in lab.pods(ns)}
    assert "Job was active longer than specified deadline" in lab.kubectl(
        "get", "events", "-n", ns, "--field-selector", "reason=DeadlineExceeded"
    )


def test_indexed_job_gives_each_pod_its_index(lab: Lab, ns: str) -> None:
    extra = "completions: 2\n  parallelism: 2\n  completionMode: Indexed"
    apply(lab, ns, JOB.format(name="idx", extra=extra, restart="Never"))
    pods = wait_for(lambda: len(p := active_pods(lab, ns, "idx")) == 2 and p)
    by_index = {
        p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]: p for p in pods
    }
    assert set(by_index) == {"0", "1"}
    for index, pod in by_index.items():
        assert pod["metadata"]["generateName"] == f"idx-{index}-"
        assert pod["spec"]["hostname"] == f"idx-{index}"
        assert pod["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == index
        env = pod["spec"]["containers"][0]["env"]
        assert env[0]["name"] == "JOB_COMPLETION_INDEX"
    lab.finish(ns, by_index["1"]["metadata"]["name"])
    job = wait_for(
        lambda: (
            (j := lab.json("get", "job", "idx", "-n", ns))["status"].get("completedIndexes") and j
        )
    )
    assert job["status"]["completedIndexes"] == "1"
    lab.finish(ns, by_index["0"]["metadata"]["name"])
    job = wait_for(
        lambda: "Complete" in conditions(j := lab.json("get", "job", "idx", "-n", ns)) and j
    )
    assert job["status"]["completedIndexes"] == "0-1"
    assert job["status"]["succeeded"] == 2


def test_suspended_job_runs_no_pods_until_resumed(lab: Lab, ns: str) -> None:
    apply(lab, ns, JOB.format(name="later", extra="suspend: true", restart="Never"))
    job = wait_for(
        lambda: "Suspended" in conditions(j := lab.json("get", "job", "later", "-n", ns)) and j
    )
    assert conditions(job)["Suspended"]["reason"] == "JobSuspended"
    assert "startTime" not in job["status"]
    assert not job_pods(lab, ns, "later")
    lab.kubectl(
        "patch", "job", "later", "-n", ns, "--type=merge", "-p", '{"spec":{"suspend":false}}'
    )
    wait_for(lambda: active_pods(lab, ns, "later"), what="a pod after resuming")
    job = lab.json("get", "job", "later", "-n", ns)
    assert conditions(job)["Suspended"]["status"] == "False"
    assert conditions(job)["Suspended"]["reason"] == "JobResumed"


def test_finished_job_is_deleted_after_its_ttl(lab: Lab, ns: str) -> None:
    apply(lab, ns, JOB.format(name="brief", extra="ttlSecondsAfterFinished: 60", restart="Never"))
    pod = wait_for(lambda: active_pods(lab, ns, "brief"))[0]
    lab.finish(ns, pod["metadata"]["name"])
    wait_for(lambda: "Complete" in conditions(lab.json("get", "job", "brief", "-n", ns)))
    finished_at = time.monotonic()
    wait_for(
        lambda: "NotFound" in lab.kubectl("get", "job", "brief", "-n", ns, check=False),
        what="the TTL controller",
    )
    assert (time.monotonic() - finished_at) * TIME_SCALE >= 50
    wait_for(lambda: not job_pods(lab, ns, "brief"), what="the job's pods to go with it")


# --- CronJob ------------------------------------------------------------------------------------


def cron_jobs(lab: Lab, ns: str) -> list[dict[str, Any]]:
    return lab.json("get", "jobs", "-n", ns)["items"]


def finish_all(lab: Lab, ns: str) -> None:
    for pod in lab.pods(ns):
        if pod["status"].get("phase") not in ("Succeeded", "Failed"):
            lab.finish(ns, pod["metadata"]["name"])


def test_cronjob_creates_jobs_on_schedule_and_keeps_history(lab: Lab, ns: str) -> None:
    apply(lab, ns, CRONJOB.format(name="tick", extra="successfulJobsHistoryLimit: 2"))
    cronjob = lab.json("get", "cronjob", "tick", "-n", ns)
    job = wait_for(lambda: cron_jobs(lab, ns), timeout=5, what="the first scheduled Job")[0]
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
    deadline = time.monotonic() + 20
    seen: set[str] = set()
    while len(seen) < 4:
        assert time.monotonic() < deadline, f"only saw {seen}"
        seen |= {j["metadata"]["name"] for j in cron_jobs(lab, ns)}
        finish_all(lab, ns)
        time.sleep(0.2)
    finish_all(lab, ns)

    def trimmed() -> bool:
        jobs = cron_jobs(lab, ns)
        done = [j for j in jobs if "Complete" in conditions(j)]
        return len(done) <= 2 and not [j for j in jobs if "Complete" not in conditions(j)]

    def settled() -> bool:
        finish_all(lab, ns)
        return trimmed()

    wait_for(settled, what="history trimmed to 2")
    status = lab.json("get", "cronjob", "tick", "-n", ns)["status"]
    assert status["lastScheduleTime"].endswith(":00Z")
    assert status["lastSuccessfulTime"]
    events = lab.kubectl("get", "events", "-n", ns, "--field-selector", "involvedObject.name=tick")
    assert "Created job tick-" in events
    assert "Saw completed job: tick-" in events
    assert "Deleted job tick-" in events


def test_forbid_skips_runs_while_one_is_active(lab: Lab, ns: str) -> None:
    apply(lab, ns, CRONJOB.format(name="single", extra="concurrencyPolicy: Forbid"))
    first = wait_for(lambda: cron_jobs(lab, ns), timeout=5)[0]["metadata"]["name"]
    status = wait_for(
        lambda: lab.json("get", "cronjob", "single", "-n", ns)["status"].get("active")
    )
    assert status[0]["name"] == first and status[0]["kind"] == "Job"
    time.sleep(2.5)  # two more scheduled minutes
    assert [j["metadata"]["name"] for j in cron_jobs(lab, ns)] == [first]
    assert (
        "Not starting job because prior execution is running and concurrency policy is Forbid"
        in (lab.kubectl("get", "events", "-n", ns, "--field-selector", "reason=JobAlreadyActive"))
    )


def test_kubectl_create_job_from_cronjob(lab: Lab, ns: str) -> None:
    apply(lab, ns, CRONJOB.format(name="nightly", extra="suspend: true"))
    out = lab.kubectl("create", "job", "manual", "--from=cronjob/nightly", "-n", ns)
    assert out.strip() == "job.batch/manual created"
    job = lab.json("get", "job", "manual", "-n", ns)
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["metadata"]["ownerReferences"][0]["name"] == "nightly"
    wait_for(lambda: active_pods(lab, ns, "manual"), what="the manual Job's pod")
    assert not [j for j in cron_jobs(lab, ns) if j["metadata"]["name"] != "manual"]
