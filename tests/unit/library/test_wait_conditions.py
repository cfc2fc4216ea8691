"""What a wait waits for: kubectl's --for forms, field paths, and rollout stages."""

from __future__ import annotations

import pytest

from kubelab.steps import (
    StepError,
    WaitCondition,
    _names_namespace,
    field_value,
    parse_field_path,
    rollout_status,
)

POD = {
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "web"}},
    "status": {
        "phase": "Running",
        "podIP": "10.244.0.7",
        "conditions": [
            {"type": "Ready", "status": "True"},
            {"type": "PodScheduled", "status": "True"},
        ],
        "containerStatuses": [{"name": "web", "ready": True, "restartCount": 0}],
    },
}


@pytest.mark.parametrize(
    ("text", "met"),
    [
        ("condition=Ready", True),
        ("Ready", True),
        ("ready", True),
        ("condition=Ready=True", True),
        ("condition=Ready=false", False),
        ("condition=Initialized", False),
        ("jsonpath={.status.phase}=Running", True),
        ("jsonpath={.status.phase}=Pending", False),
        ("jsonpath={.status.podIP}", True),
        ("jsonpath={.status.hostIP}", False),
        ("jsonpath={.status.containerStatuses[0].ready}=true", True),
        ("{.metadata.labels.app\\.kubernetes\\.io/name}=web", True),
        ("jsonpath={.metadata.labels['app.kubernetes.io/name']}=web", True),
        ("create", True),
        ("delete", False),
    ],
)
def test_conditions_on_an_existing_pod(text, met):
    assert WaitCondition.parse(text).met(POD) is met


def test_only_deletion_is_met_by_an_absent_object():
    assert WaitCondition.parse("delete").met(None)
    assert not WaitCondition.parse("create").met(None)
    assert not WaitCondition.parse("Ready").met(None)


def test_values_with_equals_signs_after_the_path():
    condition = WaitCondition.parse("jsonpath={.data.query}=a=b")
    assert condition.met({"data": {"query": "a=b"}})


def test_descriptions_read_as_sentences():
    assert WaitCondition.parse("Ready").describe() == "to be Ready"
    assert WaitCondition.parse("condition=Available=False").describe() == "to be Available=False"
    assert WaitCondition.parse("delete").describe() == "to be deleted"
    assert (
        WaitCondition.parse("jsonpath={.status.phase}=Running").describe()
        == "to have {.status.phase}=Running"
    )


def test_field_paths():
    assert parse_field_path("{.status.containerStatuses[0].ready}") == (
        "status",
        "containerStatuses",
        0,
        "ready",
    )
    assert parse_field_path(".metadata.labels['a.b/c']") == ("metadata", "labels", "a.b/c")
    assert field_value(POD, ("status", "containerStatuses", 3)) == (False, None)
    assert field_value(POD, ("status", "phase")) == (True, "Running")
    with pytest.raises(StepError, match="empty"):
        parse_field_path("{}")


@pytest.mark.parametrize(
    ("arguments", "names"),
    [
        (["get", "pods"], False),
        (["get", "pods", "-n", "kube-system"], True),
        (["get", "pods", "-nkube-system"], True),
        (["get", "pods", "--namespace=kube-system"], True),
        (["get", "pods", "-A"], True),
        (["get", "pods", "--all-namespaces"], True),
        (["exec", "web", "--", "ls", "-n"], False),
    ],
)
def test_namespace_flags_are_recognised(arguments, names):
    assert _names_namespace(arguments) is names


def deployment(generation=2, observed=2, desired=3, **status):
    return {
        "metadata": {"name": "web", "generation": generation},
        "spec": {"replicas": desired},
        "status": {"observedGeneration": observed, **status},
    }


@pytest.mark.parametrize(
    ("obj", "done", "message", "count"),
    [
        (
            deployment(observed=1),
            False,
            "Waiting for deployment spec update to be observed...",
            None,
        ),
        (
            deployment(updatedReplicas=1, replicas=3),
            False,
            "1 out of 3 new replicas have been updated...",
            (1, 3),
        ),
        (
            deployment(updatedReplicas=3, replicas=4),
            False,
            "1 old replicas are pending termination...",
            (3, 4),
        ),
        (
            deployment(updatedReplicas=3, replicas=3, availableReplicas=2),
            False,
            "2 of 3 updated replicas are available...",
            (2, 3),
        ),
        (
            deployment(updatedReplicas=3, replicas=3, availableReplicas=3),
            True,
            'deployment "web" successfully rolled out',
            (3, 3),
        ),
    ],
)
def test_rollout_stages_in_kubectl_words(obj, done, message, count):
    finished, progress = rollout_status(obj)
    assert finished is done
    assert progress.message == message
    if count:
        assert (progress.done, progress.total) == count


def test_a_rollout_past_its_deadline_fails():
    stuck = deployment(
        updatedReplicas=1,
        replicas=3,
        conditions=[
            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
        ],
    )
    with pytest.raises(StepError, match="exceeded its progress deadline"):
        rollout_status(stuck)
