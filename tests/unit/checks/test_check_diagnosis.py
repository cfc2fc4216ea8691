"""Classifying what the cluster reports: converging (NOT YET) or a problem (FAIL), and why.

These tests feed the classifier the objects and events a cluster would serve, from a small
in-memory stand-in for the API; the integration tests produce the same states on a real cluster.
"""

from __future__ import annotations

from typing import Any

from kubelab.checks.diagnosis import (
    NamespaceView,
    object_findings,
    pod_findings,
    service_findings,
    workload_findings,
)
from kubelab.checks.kubeapi import ResourceType, UnknownResource
from kubelab.checks.outcome import Outcome
from kubelab.checks.results import Evidence
from kubelab.checks.verdicts import failure_verdict

KINDS = {
    ("v1", "Pod"): "pods",
    ("v1", "Event"): "events",
    ("v1", "Service"): "services",
    ("v1", "ConfigMap"): "configmaps",
    ("v1", "Secret"): "secrets",
    ("apps/v1", "Deployment"): "deployments",
    ("apps/v1", "ReplicaSet"): "replicasets",
}


class ServedObjects:
    """The objects and logs an API server would serve for one namespace."""

    def __init__(self, *objects: dict[str, Any], logs: dict[str, str] | None = None) -> None:
        self.objects = list(objects)
        self.logs = logs or {}

    def resource(self, api_version: str, kind: str) -> ResourceType:
        if (api_version, kind) not in KINDS:
            raise UnknownResource(404, "NotFound", f"no {kind}")
        return ResourceType(api_version, kind, KINDS[(api_version, kind)], True)

    def list(self, rtype: ResourceType, namespace: str | None = None, *_: Any) -> list[dict]:
        return [o for o in self.objects if o["kind"] == rtype.kind]

    def get(self, rtype: ResourceType, name: str, namespace: str | None) -> dict | None:
        return next((o for o in self.list(rtype) if o["metadata"]["name"] == name), None)

    def events(self, namespace: str) -> list[dict[str, Any]]:
        return self.list(self.resource("v1", "Event"))

    def pod_log(self, namespace: str, pod: str, container: str | None, *_: Any) -> str:
        return self.logs.get(pod, "")


def pod(name: str, phase: str = "Pending", **status: Any) -> dict[str, Any]:
    spec = status.pop("spec", {"containers": [{"name": "app", "image": "nginx"}]})
    metadata = {"name": name, "uid": f"uid-{name}", "labels": status.pop("labels", {"app": "web"})}
    metadata.update(status.pop("metadata", {}))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": spec,
        "status": {"phase": phase, **status},
    }


def waiting(reason: str, message: str = "", **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": "app",
            "image": "nginx",
            "state": {"waiting": {"reason": reason, "message": message}},
            **extra,
        }
    ]


def event(obj: dict[str, Any], reason: str, message: str, count: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{obj['metadata']['name']}.{reason}", "uid": f"e-{reason}"},
        "involvedObject": {
            "kind": obj["kind"],
            "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"],
        },
        "reason": reason,
        "message": message,
        "count": count,
    }


def view(*objects: dict[str, Any], logs: dict[str, str] | None = None) -> NamespaceView:
    return NamespaceView(ServedObjects(*objects, logs=logs), "lesson-01")  # type: ignore[arg-type]


def causes(findings: list[Any]) -> list[tuple[str, bool]]:
    return [(f.cause, f.converging) for f in findings]


def test_a_pod_waiting_for_a_node_is_converging() -> None:
    p = pod("web")
    assert causes(pod_findings(p, view(p))) == [("scheduling", True)]


def test_a_pod_being_created_is_converging() -> None:
    p = pod(
        "web",
        containerStatuses=waiting("ContainerCreating"),
        spec={"nodeName": "n1", "containers": []},
    )
    assert causes(pod_findings(p, view(p))) == [("starting", True)]


def test_image_pull_errors_name_the_image() -> None:
    p = pod(
        "web",
        containerStatuses=waiting("ImagePullBackOff", "Back-off pulling image"),
        spec={"containers": [{"name": "app", "image": "ngnix:1.25"}]},
    )
    p["status"]["containerStatuses"][0]["image"] = "ngnix:1.25"
    (finding,) = pod_findings(p, view(p))
    assert finding.cause == "image-pull" and not finding.converging
    assert "cannot pull its image ngnix:1.25 (ImagePullBackOff)" in finding.message


def test_a_pull_error_for_an_image_already_corrected_is_converging() -> None:
    p = pod(
        "web",
        containerStatuses=waiting("ImagePullBackOff", "Back-off pulling image"),
        spec={"containers": [{"name": "app", "image": "nginx:1.27"}]},
    )
    p["status"]["containerStatuses"][0]["image"] = "ngnix:1.27"
    (finding,) = pod_findings(p, view(p))
    assert finding.cause == "image-changed" and finding.converging
    assert "could not pull ngnix:1.27" in finding.message and "nginx:1.27" in finding.message


def test_a_crash_loop_carries_the_last_log_lines() -> None:
    p = pod(
        "web",
        "Running",
        containerStatuses=waiting(
            "CrashLoopBackOff", restartCount=4, lastState={"terminated": {"exitCode": 3}}
        ),
    )
    (finding,) = pod_findings(p, view(p, logs={"web": "starting\nboom: no config\n"}))
    assert finding.cause == "crash-loop"
    assert "restarted 4 times, last exit code 3" in finding.message
    assert finding.log_tail == ("starting", "boom: no config")


def test_a_missing_configmap_key_is_a_problem_until_it_exists() -> None:
    spec = {
        "containers": [
            {
                "name": "app",
                "image": "busybox",
                "env": [
                    {
                        "name": "C",
                        "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "color"}},
                    }
                ],
            }
        ]
    }
    message = "couldn't find key color in ConfigMap lesson-01/settings"
    p = pod("painter", spec=spec, containerStatuses=waiting("CreateContainerConfigError", message))
    (finding,) = pod_findings(p, view(p))
    assert finding.cause == "config-error" and message in finding.message
    wrong = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"colour": "blue"},
    }
    assert causes(pod_findings(p, view(p, wrong))) == [("config-error", False)]
    right = {**wrong, "data": {"color": "blue"}}
    assert causes(pod_findings(p, view(p, right))) == [("config-fixed", True)]


def test_unschedulable_pods_give_the_schedulers_reason() -> None:
    p = pod(
        "big",
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/1 nodes are available: 1 Insufficient cpu.",
            }
        ],
    )
    (finding,) = pod_findings(p, view(p))
    assert finding.cause == "unschedulable" and "1 Insufficient cpu" in finding.message


def test_failing_probes_become_a_problem_at_their_failure_threshold() -> None:
    spec = {
        "containers": [{"name": "app", "image": "nginx", "readinessProbe": {"failureThreshold": 3}}]
    }
    p = pod("web", "Running", spec=spec, conditions=[{"type": "Ready", "status": "False"}])
    early = event(
        p, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 404", 2
    )
    assert causes(pod_findings(p, view(p, early))) == [("probe-warming-up", True)]
    late = {**early, "count": 3}
    (finding,) = pod_findings(p, view(p, late))
    assert finding.cause == "failing-probe" and "statuscode: 404" in finding.message


def test_a_running_pod_that_is_not_ready_yet_is_converging() -> None:
    p = pod("web", "Running", conditions=[{"type": "Ready", "status": "False"}])
    assert causes(pod_findings(p, view(p))) == [("starting", True)]


def test_out_of_memory_and_failed_containers_are_problems() -> None:
    oom = pod(
        "web",
        "Running",
        containerStatuses=[
            {
                "name": "app",
                "state": {"running": {}},
                "lastState": {"terminated": {"reason": "OOMKilled"}},
            }
        ],
        conditions=[{"type": "Ready", "status": "True"}],
    )
    assert causes(pod_findings(oom, view(oom))) == [("oom-killed", False)]
    failed = pod(
        "job-1",
        "Failed",
        containerStatuses=[
            {"name": "app", "state": {"terminated": {"exitCode": 2, "reason": "Error"}}}
        ],
    )
    (finding,) = pod_findings(failed, view(failed, logs={"job-1": "bad input"}))
    assert finding.cause == "exited" and "exited with code 2 (Error)" in finding.message
    assert finding.log_tail == ("bad input",)


def test_terminating_objects_are_converging() -> None:
    p = pod("web", "Running", metadata={"deletionTimestamp": "2024-01-01T00:00:00Z"})
    assert causes(object_findings(p, view(p))) == [("terminating", True)]


def deployment(**status: Any) -> dict[str, Any]:
    spec = status.pop("spec", {})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "uid": "d1", "generation": status.pop("generation", 1)},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, **spec},
        "status": {"observedGeneration": 1, **status},
    }


def test_deployment_rollouts() -> None:
    rolling = deployment(replicas=3, updatedReplicas=1, readyReplicas=2)
    assert causes(workload_findings(rolling, view(rolling))) == [("rollout", True)]
    unobserved = deployment(generation=2, replicas=3, updatedReplicas=3, readyReplicas=3)
    assert causes(workload_findings(unobserved, view(unobserved))) == [("rollout", True)]
    done = deployment(replicas=3, updatedReplicas=3, readyReplicas=3)
    assert workload_findings(done, view(done)) == []
    stuck = deployment(
        replicas=3,
        updatedReplicas=1,
        readyReplicas=2,
        conditions=[
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": "timed out",
            }
        ],
    )
    assert causes(workload_findings(stuck, view(stuck))) == [("rollout-stuck", False)]
    paused = deployment(spec={"paused": True}, replicas=3, updatedReplicas=1, readyReplicas=3)
    assert causes(workload_findings(paused, view(paused))) == [("paused", False)]


def test_a_deployments_broken_pods_are_its_problem() -> None:
    rolling = deployment(replicas=3, updatedReplicas=1, readyReplicas=2)
    broken = pod("web-abc", containerStatuses=waiting("ErrImagePull"))
    found = causes(workload_findings(rolling, view(rolling, broken)))
    assert found == [("rollout", True), ("image-pull", False)]


def test_a_pod_of_a_rolling_deployment_inherits_the_rollout() -> None:
    rolling = deployment(replicas=3, updatedReplicas=1, readyReplicas=2)
    replica_set = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "web-1",
            "uid": "rs1",
            "ownerReferences": [{"controller": True, "uid": "d1"}],
        },
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}},
        "status": {"replicas": 3, "readyReplicas": 3},
    }
    old = pod(
        "web-old",
        "Running",
        metadata={"ownerReferences": [{"controller": True, "uid": "rs1", "kind": "ReplicaSet"}]},
        conditions=[{"type": "Ready", "status": "True"}],
    )
    assert ("rollout", True) in causes(object_findings(old, view(rolling, replica_set, old)))


def test_a_service_that_selects_no_pod() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "uid": "s1"},
        "spec": {"selector": {"app": "web"}},
    }
    other = pod("api", "Running", labels={"app": "api"})
    (finding,) = service_findings(service, view(service, other))
    assert finding.cause == "selector-mismatch"
    assert "selects pods with labels app=web" in finding.message
    assert "api (app=api)" in finding.message
    selectorless = {**service, "spec": {}}
    assert causes(service_findings(selectorless, view(selectorless))) == [("no-selector", False)]


def test_verdicts_from_findings() -> None:
    p = pod("web")
    converging = pod_findings(p, view(p))
    assert failure_verdict("s", [], converging, True, Evidence()).outcome is Outcome.NOT_YET
    not_convergeable = failure_verdict("s", [], converging, False, Evidence())
    assert not_convergeable.outcome is Outcome.FAIL and not_convergeable.causes == []
    broken = pod("web", containerStatuses=waiting("ErrImagePull"))
    problems = pod_findings(broken, view(broken)) + converging
    verdict = failure_verdict("s", [], problems, True, Evidence(), spec_mismatch=True)
    assert verdict.outcome is Outcome.FAIL
    assert [f.cause for f in verdict.causes] == ["image-pull"]
    assert not verdict.causes_explain
