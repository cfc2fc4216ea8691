"""The step helpers against the teaching cluster: apply, delete, wait, kubectl, namespaces."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from kubelab import steps
from kubelab.connect import current

SETTINGS = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
---
apiVersion: v1
kind: Secret
metadata:
  name: token
data:
  value: czNjcmV0
"""


def later(seconds: float, action) -> threading.Thread:
    """Run ``action`` after a delay, as another actor (a learner, a controller) would."""

    def run() -> None:
        time.sleep(seconds)
        action()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_apply_reports_what_it_did_like_kubectl(lesson, kubectl, capsys):
    first = steps.apply(SETTINGS)
    assert [str(entry) for entry in first.objects] == [
        "configmap/settings created",
        "secret/token created",
    ]
    assert capsys.readouterr().out == "configmap/settings created\nsecret/token created\n"
    assert steps.apply(SETTINGS).action("settings") == "unchanged"
    changed = steps.apply(SETTINGS.replace("mode: fast", "mode: careful"))
    assert (changed.action("settings"), changed.action("token")) == ("configured", "unchanged")
    stored = kubectl.json("get", "configmap", "settings", "-n", lesson.namespace)
    assert stored["data"] == {"mode": "careful"}


def test_apply_takes_files_dicts_and_lists(lesson, kubectl, tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text(SETTINGS)
    assert len(steps.apply(path).objects) == 2
    single = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one"}}
    pair = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "two"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "three"}},
    ]
    assert steps.apply(single).action("one") == "created"
    assert [entry.name for entry in steps.apply(pair).objects] == ["two", "three"]
    names = kubectl("get", "configmaps", "-n", lesson.namespace, "-o", "name").split()
    assert {"configmap/settings", "configmap/one", "configmap/two", "configmap/three"} <= set(names)


def test_apply_into_another_namespace(lesson, kubectl, namespace):
    steps.apply(SETTINGS, namespace=namespace)
    assert kubectl("get", "configmap", "settings", "-n", namespace, "-o", "name").strip() == (
        "configmap/settings"
    )


def test_apply_refuses_an_object_of_another_namespace_like_kubectl(lesson, namespace):
    stray = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: stray, namespace: {namespace}}}\n"
    with pytest.raises(steps.StepError, match=f'namespace from the provided object "{namespace}"'):
        steps.apply(stray)
    assert steps.apply(stray, namespace=namespace).action("stray") == "created"


def test_apply_reports_the_servers_refusal(lesson, capsys):
    unknown_field = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ncolour: blue\n"
    with pytest.raises(steps.StepError, match='strict decoding error: unknown field "colour"'):
        steps.apply(unknown_field)
    assert 'unknown field "colour"' in capsys.readouterr().err
    invalid_name = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n"
    with pytest.raises(steps.StepError, match='Invalid value: "Bad_Name"'):
        steps.apply(invalid_name)


def test_delete_by_kind_and_name_by_manifest_and_when_missing(lesson, kubectl, capsys):
    steps.apply(SETTINGS)
    capsys.readouterr()
    assert steps.delete("configmap", "settings") == ["configmap/settings"]
    assert steps.delete("secret/token") == ["secret/token"]
    assert steps.delete(SETTINGS) == []
    output = capsys.readouterr().out
    assert 'configmap "settings" deleted' in output
    assert 'secret "token" deleted' in output
    assert 'configmap "settings" not found (nothing to delete)' in output
    remaining = kubectl("get", "configmaps,secrets", "-n", lesson.namespace, "-o", "name")
    assert "settings" not in remaining and "token" not in remaining


def test_wait_for_a_field_set_by_someone_else(lesson, kubectl, capsys):
    steps.apply(SETTINGS)
    later(
        0.5,
        lambda: kubectl(
            "patch", "configmap", "settings", "-n", lesson.namespace, "-p", '{"data":{"mode":"go"}}'
        ),
    )
    found = steps.wait_for("cm", "settings", "jsonpath={.data.mode}=go", timeout=20)
    assert found["data"]["mode"] == "go"
    output = capsys.readouterr().out
    assert "Waiting for configmap/settings to have {.data.mode}=go" in output
    assert "✔ configmap/settings condition met" in output


def test_wait_for_deletion(lesson, kubectl):
    steps.apply(SETTINGS)
    later(0.3, lambda: kubectl("delete", "secret", "token", "-n", lesson.namespace))
    assert steps.wait_for("secret/token", condition="delete", timeout=20) is None


def test_wait_for_an_object_not_created_yet(lesson):
    later(0.5, lambda: steps.apply(SETTINGS, connection=lesson))
    found = steps.wait_for("configmap", "settings", "create", timeout=20)
    assert found["metadata"]["name"] == "settings"


def test_a_wait_that_times_out_says_what_it_saw(lesson, capsys):
    steps.apply(SETTINGS)
    with pytest.raises(steps.WaitTimeout) as raised:
        steps.wait_for("configmap/settings", condition="jsonpath={.data.mode}=slow", timeout=1)
    assert "gave up after 1s" in str(raised.value)
    assert "✘ timed out" in capsys.readouterr().out


def test_kinds_are_named_as_kubectl_names_them(lesson):
    for text in ("po", "pods", "pod", "Pod"):
        assert steps._resource_for_kind(lesson, text).kind == "Pod"
    for text in ("deploy", "deployments.apps", "Deployment", "deployment.apps"):
        assert steps._resource_for_kind(lesson, text).kind == "Deployment"
    assert steps._resource_for_kind(lesson, "events").group == ""
    with pytest.raises(steps.StepError, match="no resource type 'flumbles'"):
        steps.wait_for("flumbles", "x", timeout=1)


def test_kubectl_runs_in_the_lesson_namespace_unless_told_otherwise(lesson, capsys):
    steps.apply(SETTINGS)
    capsys.readouterr()
    result = steps.kubectl("get", "configmap", "settings", "-o", "name")
    assert result.ok
    assert result.stdout == "configmap/settings\n"
    assert capsys.readouterr().out == "configmap/settings\n"
    elsewhere = steps.kubectl("get", "configmap", "settings", "-n", "default")
    assert elsewhere.returncode == 1
    assert 'configmaps "settings" not found' in elsewhere.stderr
    assert 'configmaps "settings" not found' in capsys.readouterr().err
    everywhere = steps.kubectl("get", "namespaces", "-o", "name", show=False)
    assert f"namespace/{lesson.namespace}" in everywhere.stdout.splitlines()
    assert capsys.readouterr().out == ""


def test_kubectl_takes_input(lesson):
    result = steps.kubectl("apply", "-f", "-", input=SETTINGS)
    assert result.stdout.splitlines() == ["configmap/settings created", "secret/token created"]


def test_kubectl_is_stopped_after_its_timeout(lesson, capsys):
    steps.apply(SETTINGS)
    started = time.monotonic()
    result = steps.kubectl("get", "configmaps", "--watch", timeout=1.5)
    assert time.monotonic() - started < 10
    assert not result.ok
    assert "settings" in result.stdout
    assert "kubectl was stopped after 1.5s" in capsys.readouterr().err


def test_lesson_namespace_is_created_once_and_becomes_the_default(learner_env, kubectl, capsys):
    from kubelab.connect import connect

    connect(quiet=True)
    name = f"lesson-{uuid.uuid4().int % 10**6:06d}"
    try:
        steps.lesson_namespace(name)
        steps.lesson_namespace(name)
        assert capsys.readouterr().out.splitlines() == [
            f"Namespace {name} (created) is now the default for this session.",
            f"Namespace {name} (already there) is now the default for this session.",
        ]
        assert current().namespace == name
        steps.apply(SETTINGS)
        assert kubectl("get", "configmap", "settings", "-n", name, "-o", "name").strip()
    finally:
        kubectl.run("delete", "namespace", name, "--wait=false", check=False)


def test_lesson_namespace_waits_out_a_terminating_one(learner_env, kubectl, capsys):
    from kubelab.connect import connect

    connect(quiet=True)
    name = f"lesson-{uuid.uuid4().int % 10**6:06d}"
    try:
        steps.lesson_namespace(name)
        steps.apply(SETTINGS)
        kubectl("delete", "namespace", name, "--wait=false")
        capsys.readouterr()
        steps.lesson_namespace(name)
        output = capsys.readouterr().out
        assert f"Waiting for namespace/{name} to be deleted" in output
        assert f"Namespace {name} (created)" in output
        assert kubectl("get", "configmaps", "-n", name, "-o", "name").strip() == (
            "configmap/kube-root-ca.crt"
        )
    finally:
        kubectl.run("delete", "namespace", name, "--wait=false", check=False)


# --- these need pods to run: the kubelet, and for Deployments the workload controllers ------

BOX = """
apiVersion: v1
kind: Pod
metadata:
  name: box
spec:
  containers:
  - name: box
    image: busybox:1.36
    command: ["sh", "-c", "echo first; echo second; echo third; sleep 3600"]
"""


def test_wait_for_a_pod_to_be_ready(lesson, capsys):
    steps.apply(BOX)
    pod = steps.wait_for("pod/box", timeout=60)
    assert pod["status"]["phase"] == "Running"
    output = capsys.readouterr().out
    assert "Waiting for pod/box to be Ready" in output
    assert "✔ pod/box condition met" in output


def test_waiting_for_a_finished_pod_to_be_ready_fails_at_once(lesson):
    steps.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: once}\nspec:\n  restartPolicy: Never\n"
        "  containers: [{name: once, image: 'busybox:1.36', command: ['true']}]\n"
    )
    steps.wait_for("pod/once", condition="jsonpath={.status.phase}=Succeeded", timeout=60)
    started = time.monotonic()
    with pytest.raises(steps.StepError, match=r"pod/once has finished \(Succeeded\)"):
        steps.wait_for("pod/once", timeout=60)
    assert time.monotonic() - started < 5


def test_logs_of_a_pod(lesson, capsys):
    steps.apply(BOX)
    steps.wait_for("pod/box", timeout=60)
    capsys.readouterr()
    assert steps.logs("box") == "first\nsecond\nthird\n"
    assert steps.logs("pod/box", container="box", tail=1) == "third\n"
    assert capsys.readouterr().out == "first\nsecond\nthird\nthird\n"
    with pytest.raises(steps.StepError, match='pods "nope" not found'):
        steps.logs("nope")


WEB = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""


def test_wait_for_a_rollout_and_a_second_one(lesson, capsys):
    steps.apply(WEB)
    deployment = steps.wait_for_rollout("web", timeout=120)
    assert deployment["status"]["availableReplicas"] == 3
    assert 'deployment "web" successfully rolled out' in capsys.readouterr().out
    steps.apply(WEB.replace("nginx:1.27", "nginx:1.28"))
    steps.wait_for_rollout("deployment/web", timeout=120)
    output = capsys.readouterr().out
    assert "new replicas have been updated..." in output or "updated replicas are available" in (
        output
    )
    assert output.rstrip().splitlines()[-1].startswith('✔ deployment "web" successfully rolled out')
    assert steps.wait_for("deployment", "web", timeout=10)["status"]["readyReplicas"] == 3
