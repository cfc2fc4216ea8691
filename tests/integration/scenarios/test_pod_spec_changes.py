"""Changing the mutable fields of a running pod, as a learner does with ``kubectl set image``
and ``kubectl patch``: the kubelet restarts a container whose image changed, retries an image
name it could not parse once it is corrected, fails a pod past its new active deadline, and
leaves a pod alone when only tolerations are added."""

from __future__ import annotations

import json
import re
import time

from tests.integration.scenarios.conftest import TIME_SCALE, container_status
from tests.polling import eventually


def _pod(k, ns, name):
    return k.json("get", "pod", name, "-n", ns)


def _events(k, ns, name):
    return k("events", "-n", ns, "--for", f"pod/{name}")


def _running(k, ns, name):
    container = container_status(k, ns, name)
    return container if "running" in container.get("state", {}) else None


def test_set_image_restarts_the_running_container_with_the_new_image(k, ns):
    k("run", "web", "--image=nginx:1.27", "-n", ns)
    before = eventually(lambda: _running(k, ns, "web"))
    assert before["restartCount"] == 0

    k("set", "image", "pod/web", "web=nginx:1.26", "-n", ns)

    after = eventually(
        lambda: (c := _running(k, ns, "web")) and c["image"] == "nginx:1.26" and c, timeout=20
    )
    assert after["restartCount"] == 1
    assert after["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert after["imageID"] != before["imageID"]
    assert after["containerID"] != before["containerID"]
    # nginx stops gracefully on the kubelet's stop signal: the old instance completed.
    assert after["lastState"]["terminated"]["reason"] == "Completed"
    assert _pod(k, ns, "web")["status"]["phase"] == "Running"
    events = _events(k, ns, "web")
    assert "Container web definition changed, will be restarted" in events
    assert 'Pulling image "nginx:1.26"' in events
    assert 'Successfully pulled image "nginx:1.26" in ' in events
    described = k("describe", "pod", "web", "-n", ns)
    assert "Image:          nginx:1.26" in described
    assert "Restart Count:  1" in described


def test_set_image_restarts_a_container_even_with_restart_policy_never(k, ns):
    k("run", "job", "--image=busybox:1.36", "--restart=Never", "-n", ns, "--", "sleep", "3600")
    eventually(lambda: _running(k, ns, "job"))
    k("set", "image", "pod/job", "job=busybox:1.37", "-n", ns)
    after = eventually(
        lambda: (c := _running(k, ns, "job")) and c["image"] == "busybox:1.37" and c, timeout=20
    )
    assert after["restartCount"] == 1
    # ``sleep`` as PID 1 ignores SIGTERM: it was killed when the grace period ran out.
    assert after["lastState"]["terminated"]["exitCode"] == 137


def test_a_crash_looping_container_starts_at_once_with_a_corrected_image(k, ns):
    k("run", "app", "--image=kubelab/demo-app:2.0-broken", "-n", ns)

    def long_back_off():
        waiting = container_status(k, ns, "app").get("state", {}).get("waiting", {})
        return waiting.get("reason") == "CrashLoopBackOff" and "back-off 40s" in waiting.get(
            "message", ""
        )

    eventually(long_back_off, timeout=40, interval=0.05)
    restarts = container_status(k, ns, "app")["restartCount"]
    started = time.monotonic()
    k("set", "image", "pod/app", "app=kubelab/demo-app:1.0", "-n", ns)
    container = eventually(
        lambda: (c := container_status(k, ns, "app")).get("ready") and c, timeout=10, interval=0.05
    )
    # Well within the broken image's 40 s back-off (two real seconds at this cluster's pace):
    # the new definition has a back-off of its own, not yet started.
    assert (time.monotonic() - started) * TIME_SCALE < 40
    assert container["image"] == "kubelab/demo-app:1.0"
    assert container["restartCount"] == restarts + 1
    assert container["lastState"]["terminated"]["exitCode"] == 1


def test_invalid_image_name_recovers_once_the_image_is_corrected(k, ns):
    # ``kubectl run`` checks the name itself; a manifest reaches the kubelet unchecked.
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "typo"},
        "spec": {"containers": [{"name": "typo", "image": "nginx:1.27:latest"}]},
    }
    k("apply", "-n", ns, "-f", "-", input=json.dumps(pod))
    waiting = eventually(
        lambda: container_status(k, ns, "typo").get("state", {}).get("waiting"), timeout=20
    )
    assert waiting["reason"] == "InvalidImageName"
    assert 'Failed to apply default image tag "nginx:1.27:latest"' in waiting["message"]
    row = k("get", "pod", "typo", "-n", ns, "--no-headers").split()
    assert row[1:3] == ["0/1", "InvalidImageName"]

    k("set", "image", "pod/typo", "typo=nginx:1.27", "-n", ns)

    container = eventually(
        lambda: (c := container_status(k, ns, "typo")).get("ready") and c, timeout=10, interval=0.1
    )
    assert container["image"] == "nginx:1.27"
    assert container["restartCount"] == 0
    events = _events(k, ns, "typo")
    assert "Error: InvalidImageName" in events
    assert "Container started" in events


def test_setting_active_deadline_seconds_on_a_running_pod_fails_it(k, ns):
    k("run", "slow", "--image=busybox:1.36", "-n", ns, "--", "sleep", "3600")
    eventually(lambda: _running(k, ns, "slow"))
    k(
        "patch", "pod", "slow", "-n", ns, "--type=merge",
        "-p", json.dumps({"spec": {"activeDeadlineSeconds": 20}}),
    )  # fmt: skip
    pod = eventually(
        lambda: (p := _pod(k, ns, "slow"))["status"].get("phase") == "Failed" and p, timeout=20
    )
    assert pod["status"]["reason"] == "DeadlineExceeded"
    assert pod["status"]["message"] == (
        "Pod was active on the node longer than the specified deadline"
    )
    # The phase turns Failed only once the container has stopped (``sleep`` ignores SIGTERM).
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 137
    described = k("describe", "pod", "slow", "-n", ns)
    assert re.search(r"^Status:\s+Failed$", described, re.MULTILINE)
    assert re.search(r"^Reason:\s+DeadlineExceeded$", described, re.MULTILINE)
    assert "DeadlineExceeded" in _events(k, ns, "slow")
    # The deadline only goes down: raising it again is refused.
    refused = k.run(
        "patch", "pod", "slow", "-n", ns, "--type=merge",
        "-p", json.dumps({"spec": {"activeDeadlineSeconds": 30}}), check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "spec.activeDeadlineSeconds" in refused.stderr


def test_adding_a_toleration_leaves_the_running_container_alone(k, ns):
    k("run", "calm", "--image=nginx:1.27", "-n", ns)
    before = eventually(lambda: _running(k, ns, "calm"))
    toleration = {"key": "lesson", "operator": "Exists", "effect": "NoSchedule"}
    k(
        "patch", "pod", "calm", "-n", ns, "--type=json",
        "-p", json.dumps([{"op": "add", "path": "/spec/tolerations/-", "value": toleration}]),
    )  # fmt: skip
    assert toleration in _pod(k, ns, "calm")["spec"]["tolerations"]
    after = container_status(k, ns, "calm")
    assert after["restartCount"] == 0
    assert after["containerID"] == before["containerID"]
    assert "definition changed" not in _events(k, ns, "calm")
    # Tolerations can be added, never taken away.
    refused = k.run(
        "patch", "pod", "calm", "-n", ns, "--type=json",
        "-p", json.dumps([{"op": "remove", "path": "/spec/tolerations/0"}]), check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "spec.tolerations" in refused.stderr
