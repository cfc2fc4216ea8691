"""The kubelet's events, word for word as ``kubectl describe pod`` and ``kubectl events`` show
them on a real cluster: they are what a learner reads to find out what happened to a pod."""

from __future__ import annotations

import json
import re

from kubelab.cluster.kubelet.images import go_duration
from tests.integration.scenarios.conftest import (
    container_status,
    waiting_reason,
)
from tests.polling import eventually

#: A pull time as the kubelet prints it, a Go duration cut to milliseconds (``812ms``,
#: ``1.239s``, ``2s``; never ``0.812s`` or ``2.000s``).
DURATION = r"(?:[1-9]\d*ms|[1-9]\d*(?:\.\d*[1-9])?s)"


def _apply(k, ns, manifest):
    k("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))


def _pod_manifest(name, container):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": container}


def _events(k, ns, name):
    return k("events", "-n", ns, "--for", f"pod/{name}")


def test_a_pod_that_starts_tells_its_story(k, ns):
    k("run", "web", "--image=nginx:1.27", "-n", ns)
    eventually(lambda: "Started" in _events(k, ns, "web"))
    k("run", "twin", "--image=nginx:1.27", "-n", ns)
    eventually(lambda: "Started" in _events(k, ns, "twin"))

    described = k("describe", "pod", "web", "-n", ns)
    expected = [
        rf"Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned {ns}/web to kubelab",
        r'Normal\s+Pulling\s+.*kubelet\s+spec.containers\{web\}: Pulling image "nginx:1.27"',
        r"Normal\s+Pulled\s+.*kubelet\s+spec.containers\{web\}: Successfully pulled image "
        rf'"nginx:1.27" in ({DURATION}) \(\1 including waiting\)\. Image size: \d+ bytes\.',
        r"Normal\s+Created\s+.*kubelet\s+spec.containers\{web\}: Container created",
        r"Normal\s+Started\s+.*kubelet\s+spec.containers\{web\}: Container started",
    ]
    for line in expected:
        assert re.search(line, described), f"{line!r} not in:\n{described}"
    # The node has the image now; pulling it again is not needed (IfNotPresent).
    assert (
        'Container image "nginx:1.27" already present on machine and can be accessed by the pod'
        in _events(k, ns, "twin")
    )


def test_an_image_that_cannot_be_pulled(k, ns):
    k("run", "typo", "--image=ngnix:1.27", "-n", ns)
    eventually(lambda: waiting_reason(k, ns, "typo") == "ImagePullBackOff", timeout=30)
    described = k("describe", "pod", "typo", "-n", ns)
    source = r"kubelet\s+spec.containers\{typo\}: "
    for line in [
        r"Warning\s+Failed\s+.*" + source + 'Failed to pull image "ngnix:1.27": ',
        r"Warning\s+Failed\s+.*" + source + "Error: ErrImagePull",
        r"Normal\s+BackOff\s+.*" + source + 'Back-off pulling image "ngnix:1.27"',
        r"Warning\s+Failed\s+.*" + source + "Error: ImagePullBackOff",
    ]:
        assert re.search(line, described), f"{line!r} not in:\n{described}"
    assert re.search(r"State:\s+Waiting\n\s+Reason:\s+ImagePullBackOff", described)


def test_a_crashing_container_backs_off(k, ns):
    k("run", "crash", "--image=busybox:1.36", "-n", ns, "--", "sh", "-c", "exit 3")
    uid = k.json("get", "pod", "crash", "-n", ns)["metadata"]["uid"]
    eventually(lambda: "BackOff" in _events(k, ns, "crash"), timeout=30)
    described = k("describe", "pod", "crash", "-n", ns)
    assert re.search(
        r"Warning\s+BackOff\s+.*kubelet\s+spec.containers\{crash\}: "
        rf"Back-off restarting failed container crash in pod crash_{ns}\({uid}\)",
        described,
    ), described
    assert re.search(r"Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+3", described)


def test_a_failing_liveness_probe_restarts_the_container(k, ns):
    probe = {"httpGet": {"path": "/healthz", "port": 80}, "periodSeconds": 2}
    _apply(
        k,
        ns,
        _pod_manifest(
            "live",
            {"containers": [{"name": "web", "image": "nginx:1.27", "livenessProbe": probe}]},
        ),
    )
    eventually(lambda: container_status(k, ns, "live").get("restartCount", 0) >= 1, timeout=30)
    described = k("describe", "pod", "live", "-n", ns)
    assert re.search(
        r"Warning\s+Unhealthy\s+.*kubelet\s+spec.containers\{web\}: "
        r"Liveness probe failed: HTTP probe failed with statuscode: 404",
        described,
    ), described
    assert re.search(
        r"Normal\s+Killing\s+.*kubelet\s+spec.containers\{web\}: "
        r"Container web failed liveness probe, will be restarted",
        described,
    ), described


def test_a_missing_config_map_fails_the_mount(k, ns):
    _apply(
        k,
        ns,
        _pod_manifest(
            "cfg",
            {
                "containers": [
                    {
                        "name": "web",
                        "image": "nginx:1.27",
                        "volumeMounts": [{"name": "settings", "mountPath": "/etc/settings"}],
                    }
                ],
                "volumes": [{"name": "settings", "configMap": {"name": "settings"}}],
            },
        ),
    )
    eventually(lambda: "FailedMount" in _events(k, ns, "cfg"), timeout=20)
    described = k("describe", "pod", "cfg", "-n", ns)
    assert re.search(
        r"Warning\s+FailedMount\s+.*kubelet\s+"
        r'MountVolume.SetUp failed for volume "settings" : configmap "settings" not found',
        described,
    ), described
    assert re.search(r"State:\s+Waiting\n\s+Reason:\s+ContainerCreating", described)


def test_deleting_a_pod_stops_its_container(k, ns):
    k("run", "done", "--image=nginx:1.27", "-n", ns)
    eventually(lambda: container_status(k, ns, "done").get("ready"))
    k("delete", "pod", "done", "-n", ns, "--wait=false")
    events = eventually(lambda: (e := _events(k, ns, "done")) and "Killing" in e and e)
    assert re.search(r"Normal\s+Killing\s+Pod/done\s+Stopping container done", events), events


def test_pull_times_are_printed_as_go_durations():
    cases = {
        0.5: "500ms",
        0.8129: "812ms",
        1.0: "1s",
        1.5: "1.5s",
        2.05: "2.05s",
        75.25: "1m15.25s",
    }
    assert {seconds: go_duration(seconds) for seconds in cases} == cases
    assert all(re.fullmatch(DURATION, text) for text in list(cases.values())[:-1])
