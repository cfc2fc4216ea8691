"""``kubectl debug``: ephemeral containers join a running pod, run once, and can be attached to
and read like any container; the subresource accepts additions only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.integration.streaming.conftest import pod_phase, run_kubectl
from tests.polling import eventually


def terminated(kubectl: Any, namespace: str, pod: str, name: str) -> dict[str, Any]:
    """The terminated state of ephemeral container ``name``, once it has one."""

    def state() -> dict[str, Any] | None:
        status = kubectl.json("get", "pod", pod, "-n", namespace)["status"]
        for container in status.get("ephemeralContainerStatuses") or []:
            if container["name"] == name:
                return container["state"].get("terminated")
        return None

    return eventually(state, what=f"ephemeral container {name} to end")


def test_a_debug_container_runs_once_in_the_pod(kubectl, namespace, ready_pod):
    ready_pod("web", "--image=nginx:1.27")
    kubectl(
        "debug", "web", "-n", namespace, "--image=busybox:1.36", "-c", "dbg",
        "--", "sh", "-c", "echo debugging $(hostname); wget -qO- http://localhost:80 | head -4",
    )  # fmt: skip
    ended = terminated(kubectl, namespace, "web", "dbg")
    assert (ended["exitCode"], ended["reason"]) == (0, "Completed")
    logs = kubectl("logs", "web", "-n", namespace, "-c", "dbg")
    assert logs.startswith("debugging web\n<!DOCTYPE html>")
    assert pod_phase(kubectl, namespace, "web") == "Running"
    described = kubectl("describe", "pod", "web", "-n", namespace)
    assert "Ephemeral Containers:\n  dbg:" in described
    assert "spec.ephemeralContainers{dbg}: Container started" in described


def test_an_interactive_debug_shell(kubectl, namespace, ready_pod):
    ready_pod("web", "--image=nginx:1.27")
    result = run_kubectl(
        kubectl, "debug", "-i", "web", "-n", namespace, "--image=busybox:1.36", "-c", "shell",
        "--", "sh", input="echo inside $(hostname)\nexit 3\n",
    )  # fmt: skip
    assert "inside web" in result.stdout
    assert terminated(kubectl, namespace, "web", "shell")["exitCode"] == 3


def test_the_subresource_only_adds_well_formed_containers(
    kubectl, namespace, ready_pod, api_client
):
    ready_pod("web", "--image=nginx:1.27")
    core = client.CoreV1Api(api_client)
    added = {"name": "tools", "image": "busybox:1.36", "command": ["sleep", "3600"]}
    pod = core.patch_namespaced_pod_ephemeralcontainers(
        "web", namespace, {"spec": {"ephemeralContainers": [added]}}
    )
    assert [c.name for c in pod.spec.ephemeral_containers] == ["tools"]
    assert pod.spec.ephemeral_containers[0].termination_message_path == "/dev/termination-log"

    def refused(containers: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"spec": {"ephemeralContainers": containers}}
        with pytest.raises(ApiException) as raised:
            core.patch_namespaced_pod_ephemeralcontainers(
                "web", namespace, body, _content_type="application/merge-patch+json"
            )
        assert raised.value.status == 422
        return {c["field"]: c["message"] for c in _causes(raised.value)}

    stored = core.read_namespaced_pod("web", namespace).spec.ephemeral_containers[0]
    assert refused([]) == {
        "spec.ephemeralContainers": 'Forbidden: existing ephemeral containers "tools" may not be '
        "removed"
    }
    changed = api_client.sanitize_for_serialization(stored) | {"image": "busybox:1.37"}
    assert refused([changed]) == {
        "spec.ephemeralContainers": 'Forbidden: existing ephemeral containers "tools" may not be '
        "changed"
    }
    kept = api_client.sanitize_for_serialization(stored)
    bad = {"name": "web", "image": "", "ports": [{"containerPort": 80}]}
    assert refused([kept, bad]) == {
        "spec.ephemeralContainers[1].name": 'Duplicate value: "web"',
        "spec.ephemeralContainers[1].image": "Required value",
        "spec.ephemeralContainers[1].ports": "Forbidden: cannot be set for an Ephemeral Container",
    }
    assert [
        c.name for c in core.read_namespaced_pod("web", namespace).spec.ephemeral_containers
    ] == ["tools"]


def _causes(error: ApiException) -> list[dict[str, Any]]:
    return json.loads(error.body)["details"]["causes"]
