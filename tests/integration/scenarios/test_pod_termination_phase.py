"""A deleted pod ends in a terminal phase before it goes: since Kubernetes 1.27 the kubelet
reports Succeeded or Failed, by its containers' exit codes, whatever the restart policy."""

from __future__ import annotations

import json

from kubernetes import client, config, watch

from tests.conftest import Kubectl
from tests.integration.scenarios.conftest import waiting_reason
from tests.polling import eventually


def last_status_before_deletion(k: Kubectl, namespace: str, pods: list[str]) -> dict[str, dict]:
    """Delete ``pods`` and watch them go; the status each had in its last update."""
    api = config.new_client_from_config(config_file=str(k.kubeconfig))
    core = client.CoreV1Api(api)
    version = core.list_namespaced_pod(namespace).metadata.resource_version
    k("delete", "pod", *pods, "-n", namespace, "--wait=false")
    last: dict[str, dict] = {}
    gone: set[str] = set()
    stream = watch.Watch().stream(
        core.list_namespaced_pod,
        namespace,
        resource_version=version,
        timeout_seconds=60,
    )
    for event in stream:
        pod = event["raw_object"]
        name = pod["metadata"]["name"]
        if event["type"] == "DELETED":
            gone.add(name)
            if gone == set(pods):
                break
        else:
            last[name] = pod["status"]
    api.close()
    assert gone == set(pods), f"not deleted within a minute: {set(pods) - gone}"
    return last


def test_deleted_pods_report_succeeded_or_failed_first(k: Kubectl, ns: str) -> None:
    manifest = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name},
                "spec": {"terminationGracePeriodSeconds": 2, "containers": [container]},
            }
            for name, container in {
                # nginx stops on its image's stop signal (SIGQUIT) and exits 0.
                "web": {"name": "web", "image": "nginx:1.27"},
                # PID 1 without a handler ignores SIGTERM: killed at the end of the grace period.
                "sleeper": {
                    "name": "sleeper",
                    "image": "busybox:1.36",
                    "command": ["sleep", "3600"],
                },
            }.items()
        ],
    }
    k("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))
    k("wait", "pod/web", "pod/sleeper", "-n", ns, "--for=condition=Ready", "--timeout=60s")
    statuses = last_status_before_deletion(k, ns, ["web", "sleeper"])
    web, sleeper = statuses["web"], statuses["sleeper"]
    assert web["phase"] == "Succeeded"
    assert web["containerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    assert sleeper["phase"] == "Failed"
    killed = sleeper["containerStatuses"][0]["state"]["terminated"]
    assert (killed["exitCode"], killed["reason"]) == (137, "Error")
    for status in (web, sleeper):
        ready = next(c for c in status["conditions"] if c["type"] == "Ready")
        assert (ready["status"], ready["reason"]) == ("False", "PodCompleted")


def test_a_pod_still_starting_when_deleted_stays_pending(k: Kubectl, ns: str) -> None:
    k("run", "typo", "--image=ngnix:1.27", "-n", ns)
    eventually(lambda: waiting_reason(k, ns, "typo") == "ImagePullBackOff", timeout=30)
    statuses = last_status_before_deletion(k, ns, ["typo"])
    assert statuses["typo"]["phase"] == "Pending"
