"""Progress outside a notebook is plain text: one line per change, and a verdict at the end."""

from __future__ import annotations

from kubelab.widgets.progress import Progress, WaitDisplay, describe_object, format_elapsed


class FakeClock:
    """Elapsed time under the test's control, so the lines printed are exact."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_text_lines_only_when_the_message_changes(capsys):
    clock = FakeClock()
    with WaitDisplay("Waiting for deployment.apps/web to be Available", clock=clock) as display:
        display.update(Progress("0 of 3 pods ready", 0, 3))
        clock.now += 0.5
        display.update(Progress("0 of 3 pods ready", 0, 3))
        clock.now += 1.0
        display.update(Progress("2 of 3 pods ready", 2, 3))
        clock.now += 0.7
        display.succeed("deployment.apps/web condition met")
    assert capsys.readouterr().out.splitlines() == [
        "Waiting for deployment.apps/web to be Available",
        "  0 of 3 pods ready (0.0s)",
        "  2 of 3 pods ready (1.5s)",
        "✔ deployment.apps/web condition met (2.2s)",
    ]


def test_a_wait_left_by_an_exception_says_it_stopped(capsys):
    clock = FakeClock()
    try:
        with WaitDisplay("Waiting for pod/web to be Ready", clock=clock) as display:
            display.update(Progress("Pending, 0 of 1 containers ready"))
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert capsys.readouterr().out.splitlines()[-1] == (
        "✘ stopped: Pending, 0 of 1 containers ready (0.0s)"
    )


def test_elapsed_time_format():
    assert format_elapsed(4.25) == "4.2s"
    assert format_elapsed(125) == "2m05s"


def test_workloads_count_ready_pods():
    progress = describe_object(
        "Deployment", {"spec": {"replicas": 3}, "status": {"readyReplicas": 2}}
    )
    assert progress == Progress("2 of 3 pods ready", 2, 3)
    daemons = describe_object(
        "DaemonSet", {"status": {"desiredNumberScheduled": 2, "numberReady": 1}}
    )
    assert daemons == Progress("1 of 2 pods ready", 1, 2)
    job = describe_object("Job", {"spec": {"completions": 3}, "status": {"succeeded": 1}})
    assert job == Progress("1 of 3 completions", 1, 3)


def test_pods_name_what_holds_them_back():
    pod = {
        "spec": {"containers": [{"name": "web"}, {"name": "sidecar"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [
                {"name": "web", "ready": True, "state": {"running": {}}},
                {
                    "name": "sidecar",
                    "ready": False,
                    "restartCount": 3,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                },
            ],
        },
    }
    assert describe_object("Pod", pod) == Progress(
        "Running, 1 of 2 containers ready (CrashLoopBackOff, restarted 3 times)", 1, 2
    )


def test_unschedulable_pods_say_why():
    pod = {
        "spec": {"containers": [{"name": "web"}]},
        "status": {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "message": "0/1 nodes are available: 1 Insufficient cpu.",
                }
            ],
        },
    }
    assert describe_object("Pod", pod).message == (
        "waiting to be scheduled: 0/1 nodes are available: 1 Insufficient cpu."
    )


def test_other_kinds_show_conditions_and_absence():
    assert describe_object("Widget", None) == Progress("not created yet")
    certificate = {
        "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Pending"}]}
    }
    assert describe_object("Certificate", certificate).message == "Ready=False (Pending)"
