"""kubelab doctor against a running teaching cluster: a clean bill, or leftovers noted."""

from __future__ import annotations

import subprocess
import sys
import uuid

import yaml

from kubelab.doctor import Status, doctor


def test_everything_in_place(cluster, learner_env):
    report = doctor()
    summaries = [finding.summary for finding in report.findings]
    assert report.ok
    assert (
        f"Using the teaching cluster at {cluster.url}: the API server answers (v1.37.0)"
        in summaries
    )


def test_leftover_lesson_namespaces_are_noted_with_the_command_to_remove_them(learner_env, kubectl):
    name = f"lesson-{uuid.uuid4().int % 10**6:06d}"
    kubectl("create", "namespace", name)
    try:
        report = doctor()
        (note,) = [f for f in report.findings if f.summary.startswith("Lesson namespaces")]
        assert note.status is Status.NOTE
        assert name in note.summary
        assert note.fix.startswith("kubectl delete namespace ")
        assert name in note.fix.split()
        assert report.ok
    finally:
        kubectl.run("delete", "namespace", name, "--wait=false", check=False)


def test_the_command_prints_a_checklist_and_exits_zero(cluster, learner_env):
    result = subprocess.run(
        [sys.executable, "-m", "kubelab.cli", "doctor"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✔ kubectl v1.37.1")
    assert lines[1].startswith("✔ helm v4.3.1")
    assert f"✔ Using the teaching cluster at {cluster.url}" in result.stdout
    assert lines[-1] == "Everything the course needs is in place."


def test_a_learner_who_may_not_list_namespaces_gets_a_note_not_a_crash(
    cluster, learner_env, kubectl, namespace, tmp_path
):
    kubectl("create", "serviceaccount", "student", "-n", namespace)
    token = kubectl("create", "token", "student", "-n", namespace).strip()
    teaching = yaml.safe_load(cluster.kubeconfig.read_text())
    teaching["users"] = [{"name": "student", "user": {"token": token}}]
    teaching["contexts"] = [
        {"name": "student", "context": {"cluster": "kubelab", "user": "student"}}
    ]
    teaching["current-context"] = "student"
    student = tmp_path / "student.yaml"
    student.write_text(yaml.safe_dump(teaching))
    report = doctor(kubeconfig=str(student))
    (note,) = [f for f in report.findings if f.summary.startswith("Lesson namespaces")]
    assert note.status is Status.NOTE
    assert note.summary == (
        "Lesson namespaces could not be checked: listing namespaces was refused "
        "(HTTP 403 Forbidden)"
    )
    assert report.ok
