"""The Pod strategy: creation, the update rules, status updates, deletion and the table row."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from kubelab.cluster.api.errors import invalid_object
from kubelab.cluster.resources.pod import PodStrategy, add_default_tolerations

STRATEGY = PodStrategy()
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
CREATED = "2026-03-01T11:00:00Z"


def new_pod(**spec: Any) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "lesson-01", "creationTimestamp": CREATED},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}], **spec},
    }
    STRATEGY.default(pod)
    STRATEGY.prepare_for_create(pod)
    return pod


def test_identity() -> None:
    assert (STRATEGY.group, STRATEGY.version, STRATEGY.plural) == ("", "v1", "pods")
    assert STRATEGY.short_names == ("po",)
    assert STRATEGY.categories == ("all",)
    assert "status" in STRATEGY.subresources and "log" in STRATEGY.subresources
    assert [c.name for c in STRATEGY.columns] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
        "IP",
        "Node",
        "Nominated Node",
        "Readiness Gates",
    ]
    assert [c.priority for c in STRATEGY.columns] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert STRATEGY.columns[5].description.startswith("podIP address allocated to the pod")


def test_create_is_pending_with_qos_class() -> None:
    pod = new_pod()
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert pod["spec"]["enableServiceLinks"] is True
    assert STRATEGY.validate(pod) == []


def test_limits_only_pod_is_guaranteed() -> None:
    resources = {"limits": {"cpu": "500m", "memory": "128Mi"}}
    pod = new_pod(containers=[{"name": "web", "image": "nginx", "resources": resources}])
    assert pod["status"]["qosClass"] == "Guaranteed"
    assert pod["spec"]["containers"][0]["resources"]["requests"] == resources["limits"]


def test_scheduling_gates_show_in_status() -> None:
    pod = new_pod(schedulingGates=[{"name": "example.com/wait"}])
    condition = pod["status"]["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "PodScheduled",
        "False",
        "SchedulingGated",
    )
    assert condition["message"] == "Scheduling is blocked due to non-empty scheduling gates"


def test_create_rejects_ephemeral_containers_and_whitespace_images() -> None:
    pod = new_pod(ephemeralContainers=[{"name": "debug", "image": "busybox"}])
    pod["spec"]["containers"][0]["image"] = " nginx"
    error = invalid_object("", "Pod", "web", STRATEGY.validate(pod))
    assert error.message == (
        'Pod "web" is invalid: [spec.containers[0].image: Invalid value: " nginx": must not '
        "have leading or trailing whitespace, spec.ephemeralContainers: Forbidden: cannot be "
        "set on create]"
    )


def test_warning_for_names_that_are_not_dns_labels() -> None:
    pod = new_pod()
    pod["metadata"]["name"] = "web.v1"
    assert STRATEGY.warnings(pod)[0].startswith(
        "metadata.name: this is used in the Pod's hostname, which can result in surprising "
        "behavior; a DNS label is recommended: [a lowercase RFC 1123 label"
    )


# --- updates ------------------------------------------------------------------------


def update(pod: dict[str, Any], change: Any) -> list[str]:
    new = copy.deepcopy(pod)
    change(new["spec"])
    STRATEGY.default(new)
    STRATEGY.prepare_for_update(new, pod)
    return [str(e) for e in STRATEGY.validate_update(new, pod)]


def test_image_changes_are_allowed() -> None:
    pod = new_pod()
    assert update(pod, lambda s: s["containers"][0].update(image="nginx:1.28")) == []


def test_other_changes_get_the_long_message_with_a_diff() -> None:
    pod = new_pod()
    errors = update(pod, lambda s: s["containers"][0].update(ports=[{"containerPort": 80}]))
    assert len(errors) == 1
    first_line, *diff = errors[0].split("\n")
    assert first_line == (
        "spec: Forbidden: pod updates may not change fields other than "
        "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
        "`spec.tolerations` (only additions to existing tolerations),"
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
        "negative)"
    )
    assert diff[0] == "  core.PodSpec{"
    assert diff[1] == "  \t... // 2 identical fields"
    assert diff[2].startswith("- \tContainers: [") and diff[3].startswith("+ \tContainers: [")
    assert '"containerPort":80' in diff[3] and '"containerPort"' not in diff[2]
    assert diff[-2] == "  }"


def test_containers_may_not_be_added() -> None:
    pod = new_pod()
    errors = update(pod, lambda s: s["containers"].append({"name": "b", "image": "busybox"}))
    assert errors == ["spec.containers: Forbidden: pod updates may not add or remove containers"]


def test_active_deadline_may_only_shrink() -> None:
    pod = new_pod(activeDeadlineSeconds=60)
    assert update(pod, lambda s: s.update(activeDeadlineSeconds=30)) == []
    assert update(pod, lambda s: s.update(activeDeadlineSeconds=90)) == [
        "spec.activeDeadlineSeconds: Invalid value: 90: must be less than or equal to previous "
        "value"
    ]
    assert update(pod, lambda s: s.pop("activeDeadlineSeconds")) == [
        "spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive "
        "integer to nil value"
    ]


def test_tolerations_may_only_be_added() -> None:
    toleration = {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}
    pod = new_pod(tolerations=[toleration])
    extra = {"key": "other", "operator": "Exists"}
    assert update(pod, lambda s: s["tolerations"].append(extra)) == []
    assert update(pod, lambda s: s["tolerations"][0].update(tolerationSeconds=9)) == []
    assert update(pod, lambda s: s.update(tolerations=[])) == [
        "spec.tolerations: Forbidden: existing toleration can not be modified except its "
        "tolerationSeconds"
    ]


def test_scheduling_gates_may_only_be_removed() -> None:
    pod = new_pod(schedulingGates=[{"name": "a"}])
    assert update(pod, lambda s: s.update(schedulingGates=[])) == []
    assert update(pod, lambda s: s["schedulingGates"].append({"name": "b"})) == [
        "spec.schedulingGates[1].name: Forbidden: only deletion is allowed, but found new "
        "scheduling gate 'b'"
    ]


def test_status_updates_keep_qos_and_finished_containers() -> None:
    pod = new_pod(restartPolicy="Never")
    pod["status"]["containerStatuses"] = [
        {"name": "web", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
    ]
    new = copy.deepcopy(pod)
    new["status"]["qosClass"] = "Guaranteed"
    new["status"]["containerStatuses"][0]["state"] = {"running": {}}
    STRATEGY.prepare_for_status_update(new, pod)
    assert [str(e) for e in STRATEGY.validate_status_update(new, pod)] == [
        'status.qosClass: Invalid value: "Guaranteed": field is immutable',
        "status.containerStatuses[0].state: Forbidden: may not be transitioned to "
        "non-terminated state",
    ]


def test_status_update_without_qos_keeps_the_old_one() -> None:
    pod = new_pod()
    new = copy.deepcopy(pod)
    new["status"] = {"phase": "Running"}
    STRATEGY.prepare_for_status_update(new, pod)
    assert new["status"]["qosClass"] == "BestEffort"


# --- deletion and selection ---------------------------------------------------------


def test_grace_period() -> None:
    pod = new_pod()
    assert STRATEGY.grace_period(pod, None) == 0  # not scheduled
    pod["spec"]["nodeName"] = "node-1"
    assert STRATEGY.grace_period(pod, None) == 30
    assert STRATEGY.grace_period(pod, 5) == 5
    assert STRATEGY.grace_period(pod, -3) == 1
    pod["status"]["phase"] = "Succeeded"
    assert STRATEGY.grace_period(pod, None) == 0


def test_deletion_finishes_when_grace_period_is_zero() -> None:
    pod = new_pod()
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    assert not STRATEGY.deletion_may_finish(pod)
    pod["metadata"]["deletionGracePeriodSeconds"] = 0
    assert STRATEGY.deletion_may_finish(pod)


def test_field_values() -> None:
    pod = new_pod(nodeName="node-1")
    pod["status"]["podIPs"] = [{"ip": "10.244.0.5"}]
    values = STRATEGY.field_values(pod)
    assert values["spec.nodeName"] == "node-1"
    assert values["spec.hostNetwork"] == "false"
    assert values["status.phase"] == "Pending"
    assert values["status.podIP"] == "10.244.0.5"
    assert values["spec.restartPolicy"] == "Always"


def test_default_tolerations_are_added_once() -> None:
    pod_spec: dict[str, Any] = {}
    add_default_tolerations(pod_spec)
    assert pod_spec["tolerations"] == [
        {
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
    ]
    tolerate_all = {"tolerations": [{"operator": "Exists"}]}
    add_default_tolerations(tolerate_all)
    assert tolerate_all["tolerations"] == [{"operator": "Exists"}]


# --- the row ------------------------------------------------------------------------


def running(name: str, restarts: int = 0, last: str | None = None, ready: bool = True) -> dict:
    status: dict[str, Any] = {
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "state": {"running": {"startedAt": CREATED}},
    }
    if last:
        status["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": last}}
    return status


def row(pod: dict[str, Any]) -> list[Any]:
    return STRATEGY.row(pod, NOW)


def test_row_of_a_running_pod_with_restarts() -> None:
    pod = new_pod(nodeName="node-1")
    pod["status"].update(
        phase="Running",
        podIPs=[{"ip": "10.244.0.5"}],
        conditions=[{"type": "Ready", "status": "True"}],
        containerStatuses=[running("web", restarts=3, last="2026-03-01T11:59:18Z")],
    )
    assert row(pod) == [
        "web",
        "1/1",
        "Running",
        "3 (42s ago)",
        "60m",
        "10.244.0.5",
        "node-1",
        "<none>",
        "<none>",
    ]


def test_row_of_a_crashlooping_pod() -> None:
    pod = new_pod()
    pod["status"].update(
        phase="Running",
        containerStatuses=[
            {
                "name": "web",
                "ready": False,
                "restartCount": 5,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2026-03-01T11:55:00Z"}},
            }
        ],
    )
    assert row(pod)[1:4] == ["0/1", "CrashLoopBackOff", "5 (5m ago)"]


def test_row_of_a_completed_pod_and_signals() -> None:
    pod = new_pod(restartPolicy="Never")
    terminated = {"exitCode": 0, "reason": "Completed"}
    pod["status"].update(
        phase="Succeeded",
        containerStatuses=[
            {"name": "web", "ready": False, "restartCount": 0, "state": {"terminated": terminated}}
        ],
    )
    assert row(pod)[1:4] == ["0/1", "Completed", "0"]
    pod["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 137, "signal": 9}}
    assert row(pod)[2] == "Signal:9"
    pod["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 3}}
    assert row(pod)[2] == "ExitCode:3"


def test_completed_with_a_running_container_is_running_or_not_ready() -> None:
    pod = new_pod(containers=[{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])
    pod["status"].update(
        phase="Running",
        containerStatuses=[
            {
                "name": "a",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
            },
            running("b"),
        ],
    )
    assert row(pod)[1:3] == ["1/2", "NotReady"]
    pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    assert row(pod)[2] == "Running"


def test_row_while_init_containers_run() -> None:
    pod = new_pod(initContainers=[{"name": "a", "image": "x"}, {"name": "b", "image": "x"}])
    pod["status"].update(
        initContainerStatuses=[
            {"name": "a", "restartCount": 0, "state": {"terminated": {"exitCode": 0}}},
            {"name": "b", "restartCount": 0, "state": {"running": {}}},
        ],
        containerStatuses=[
            {
                "name": "web",
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": "PodInitializing"}},
            }
        ],
    )
    assert row(pod)[1:3] == ["0/1", "Init:1/2"]
    pod["status"]["initContainerStatuses"][1]["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}
    assert row(pod)[2] == "Init:CrashLoopBackOff"
    pod["status"]["initContainerStatuses"][1]["state"] = {
        "terminated": {"exitCode": 2, "reason": "Error"}
    }
    assert row(pod)[2] == "Init:Error"


def test_started_sidecars_count_towards_ready() -> None:
    pod = new_pod(initContainers=[{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}])
    pod["status"].update(
        phase="Running",
        conditions=[{"type": "Initialized", "status": "True"}],
        initContainerStatuses=[
            {
                "name": "proxy",
                "ready": True,
                "started": True,
                "restartCount": 1,
                "state": {"running": {}},
            }
        ],
        containerStatuses=[running("web")],
    )
    assert row(pod)[1:4] == ["2/2", "Running", "1"]


@pytest.mark.parametrize(
    ("phase", "expected"), [("Running", "Terminating"), ("Succeeded", "Completed")]
)
def test_terminating_unless_finished(phase: str, expected: str) -> None:
    pod = new_pod()
    pod["metadata"]["deletionTimestamp"] = "2026-03-01T12:00:30Z"
    state = (
        {"running": {}}
        if phase == "Running"
        else {"terminated": {"exitCode": 0, "reason": "Completed"}}
    )
    pod["status"].update(
        phase=phase,
        containerStatuses=[{"name": "web", "ready": False, "restartCount": 0, "state": state}],
    )
    assert row(pod)[2] == expected


def test_evicted_and_gated_reasons() -> None:
    pod = new_pod(schedulingGates=[{"name": "wait"}])
    assert row(pod)[2] == "SchedulingGated"
    pod = new_pod()
    pod["status"].update(phase="Failed", reason="Evicted")
    assert row(pod)[2] == "Evicted"


def test_readiness_gates_cell() -> None:
    pod = new_pod(readinessGates=[{"conditionType": "example.com/ready"}])
    pod["status"]["conditions"] = [{"type": "example.com/ready", "status": "True"}]
    assert row(pod)[-1] == "1/1"
