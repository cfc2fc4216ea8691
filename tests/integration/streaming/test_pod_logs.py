"""``kubectl logs`` and the Python client's log calls against the teaching cluster."""

from __future__ import annotations

import re

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.integration.streaming.conftest import pod_phase, run_kubectl
from tests.polling import eventually

THREE_LINES = ["sh", "-c", "echo one; echo two; echo three >&2; sleep 3600"]
TWO_CONTAINERS = """\
apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  containers:
  - name: a
    image: busybox
    command: ["sh", "-c", "echo from a; sleep 3600"]
  - name: b
    image: busybox
    command: ["sh", "-c", "echo from b; sleep 3600"]
"""


@pytest.fixture()
def talker(ready_pod) -> str:
    return ready_pod("talker", "--image=busybox", "--", *THREE_LINES)


def test_logs_print_stdout_and_stderr_in_order(kubectl, namespace, talker):
    assert kubectl("logs", talker, "-n", namespace) == "one\ntwo\nthree\n"


def test_tail_limit_bytes_and_since(kubectl, namespace, talker):
    assert kubectl("logs", talker, "-n", namespace, "--tail=2") == "two\nthree\n"
    assert kubectl("logs", talker, "-n", namespace, "--tail=0") == ""
    assert kubectl("logs", talker, "-n", namespace, "--limit-bytes=6") == "one\ntw"
    assert kubectl("logs", talker, "-n", namespace, "--since=1h") == "one\ntwo\nthree\n"
    future = "--since-time=2999-01-01T00:00:00Z"
    assert kubectl("logs", talker, "-n", namespace, future) == ""


def test_timestamps_are_rfc3339_with_a_fraction(kubectl, namespace, talker):
    lines = kubectl("logs", talker, "-n", namespace, "--timestamps").splitlines()
    assert len(lines) == 3
    for line, text in zip(lines, ["one", "two", "three"], strict=True):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z " + text, line), line


def test_follow_streams_until_the_container_exits(kubectl, namespace, background):
    script = "for i in 1 2 3; do echo tick $i; sleep 1; done"
    kubectl("run", "ticker", "-n", namespace, "--image=busybox", "--restart=Never", "--",
            "sh", "-c", script)  # fmt: skip
    eventually(lambda: pod_phase(kubectl, namespace, "ticker") != "Pending", what="ticker to start")
    follower = background("logs", "-f", "ticker", "-n", namespace)
    follower.wait_for_line(r"^tick 1$", timeout=15)
    assert follower.process.poll() is None, "logs -f ended while the container still runs"
    output = follower.output_until_exit(timeout=20)
    assert follower.process.returncode == 0
    assert output.splitlines()[-1] == "tick 3"


def test_previous_shows_the_instance_before_the_restart(kubectl, namespace):
    kubectl("run", "crash", "-n", namespace, "--image=busybox", "--",
            "sh", "-c", "echo attempt; exit 1")  # fmt: skip

    def restarted() -> bool:
        count = kubectl("get", "pod", "crash", "-n", namespace,
                        "-o", "jsonpath={.status.containerStatuses[0].restartCount}")  # fmt: skip
        return count not in ("", "0")

    eventually(restarted, timeout=60, what="a restart")
    assert kubectl("logs", "crash", "-n", namespace, "--previous") == "attempt\n"


def test_previous_without_a_restart_is_the_kubelets_400(kubectl, namespace, talker):
    result = kubectl.run("logs", talker, "-n", namespace, "--previous", check=False)
    assert result.returncode == 1
    assert result.stderr == (
        f'Error from server (BadRequest): previous terminated container "{talker}" '
        f'in pod "{talker}" not found\n'
    )


def test_a_container_that_cannot_start_says_why(kubectl, namespace):
    kubectl("run", "broken", "-n", namespace, "--image=registry.invalid/nothing:1")
    expected = {
        'Error from server (BadRequest): container "broken" in pod "broken" is waiting to start: '
        + reason
        + "\n"
        for reason in ("image can't be pulled", "trying and failing to pull image")
    }

    def refused() -> str | None:
        result = kubectl.run("logs", "broken", "-n", namespace, check=False)
        return result.stderr if result.stderr in expected else None

    eventually(refused, timeout=30, what="the image pull error")


def test_a_waiting_container_reports_its_reason(kubectl, namespace):
    manifest = """\
apiVersion: v1
kind: Pod
metadata: {name: needs-config}
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    env:
    - name: MISSING
      valueFrom: {configMapKeyRef: {name: nowhere, key: k}}
"""
    kubectl("apply", "-n", namespace, "-f", "-", input=manifest)

    def refused() -> str | None:
        result = kubectl.run("logs", "needs-config", "-n", namespace, check=False)
        return result.stderr if "CreateContainerConfigError" in result.stderr else None

    message = eventually(refused, timeout=30, what="the config error")
    assert message == (
        'Error from server (BadRequest): container "app" in pod "needs-config" is waiting to '
        "start: CreateContainerConfigError\n"
    )


def test_container_choice(kubectl, namespace, ready_pod, api_client):
    ready_pod("two", manifest=TWO_CONTAINERS)
    result = kubectl.run("logs", "two", "-n", namespace)
    assert result.stdout == "from a\n"
    assert result.stderr == 'Defaulted container "a" out of: a, b\n'
    assert kubectl("logs", "two", "-c", "b", "-n", namespace) == "from b\n"
    core = client.CoreV1Api(api_client)
    with pytest.raises(ApiException) as refused:
        core.read_namespaced_pod_log("two", namespace)
    assert refused.value.status == 400
    assert (
        "a container name must be specified for pod two, choose one of: [a b]" in refused.value.body
    )
    with pytest.raises(ApiException) as unknown:
        core.read_namespaced_pod_log("two", namespace, container="c")
    assert "container c is not valid for pod two" in unknown.value.body


def test_logs_of_a_deployment_pick_one_of_its_pods(kubectl, namespace):
    kubectl("create", "deployment", "hello", "-n", namespace, "--image=busybox",
            "--", "sh", "-c", "echo hello from the deployment; sleep 3600")  # fmt: skip
    kubectl("rollout", "status", "deployment/hello", "-n", namespace, "--timeout=60s")
    assert kubectl("logs", "deploy/hello", "-n", namespace) == "hello from the deployment\n"


def test_invalid_options_are_rejected_like_the_api_server(kubectl, namespace, talker):
    base = f"/api/v1/namespaces/{namespace}/pods/{talker}/log"
    negative = kubectl.run("get", "--raw", f"{base}?tailLines=-1", check=False)
    assert negative.stderr == (
        f'The PodLogOptions "{talker}" is invalid: tailLines: Invalid value: -1: '
        "must be greater than or equal to 0\n"
    )
    garbled = kubectl.run("get", "--raw", f"{base}?limitBytes=lots", check=False)
    assert garbled.stderr == (
        'Error from server (BadRequest): strconv.ParseInt: parsing "lots": invalid syntax\n'
    )


def test_an_unscheduled_pod_has_empty_logs(kubectl, namespace):
    kubectl("run", "nowhere", "-n", namespace, "--image=busybox",
            "--overrides", '{"spec": {"nodeSelector": {"no-such-label": "x"}}}')  # fmt: skip
    result = run_kubectl(kubectl, "logs", "nowhere", "-n", namespace)
    assert (result.returncode, result.stdout) == (0, "")


def test_python_client_reads_and_follows(api_client, namespace, talker):
    core = client.CoreV1Api(api_client)
    assert core.read_namespaced_pod_log(talker, namespace, tail_lines=1) == "three\n"
    stream = core.read_namespaced_pod_log(
        talker, namespace, follow=True, _preload_content=False, _request_timeout=30
    )
    try:
        first = stream.readline()
    finally:
        stream.release_conn()
    assert first == b"one\n"
