"""Chart hooks: helm creates hook Jobs before the release's objects, waits for them to finish
through their status, deletes them by their delete policy, and fails the release when one
fails. The chart is written here, so each test shows the hooks it relies on."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Kubectl
from tests.integration.helm.conftest import Helm, release_record

CHART_YAML = """\
apiVersion: v2
name: hooked
version: 1.0.0
"""

MAIN_CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: main
data:
  revision: "{{ .Release.Revision }}"
"""

HOOKS = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: "migrate-{{ .Release.Revision }}"
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-weight": "-5"
    "helm.sh/hook-delete-policy": hook-succeeded
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: busybox:1.36
          command: ["sh", "-c", "{{ .Values.migration }}"]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: installed-marker
  annotations:
    "helm.sh/hook": post-install
data:
  installed: "yes"
"""


def _write_chart(directory: Path) -> Path:
    (directory / "templates").mkdir(parents=True)
    (directory / "Chart.yaml").write_text(CHART_YAML)
    (directory / "values.yaml").write_text('migration: "sleep 1; echo migrated"\n')
    (directory / "templates" / "main.yaml").write_text(MAIN_CONFIGMAP)
    (directory / "templates" / "hooks.yaml").write_text(HOOKS)
    return directory


def _names(k: Kubectl, kind: str, ns: str) -> set[str]:
    return {item["metadata"]["name"] for item in k.json("get", kind, "-n", ns)["items"]}


def test_hooks_run_in_order_and_are_deleted_on_success(
    helm: Helm, k: Kubectl, ns: str, tmp_path: Path
) -> None:
    chart = str(_write_chart(tmp_path / "hooked"))
    helm("upgrade", "--install", "jobs", chart, "-n", ns, "--wait", "--timeout", "60s")
    assert _names(k, "jobs", ns) == set()
    assert {"main", "installed-marker"} <= _names(k, "configmaps", ns)
    hooks = {hook["name"]: hook for hook in release_record(k, ns, "jobs", 1).release["hooks"]}
    migration = hooks["migrate-1"]
    assert migration["events"] == ["pre-install", "pre-upgrade"]
    assert migration["last_run"]["phase"] == "Succeeded"
    assert hooks["installed-marker"]["last_run"]["phase"] == "Succeeded"

    helm("upgrade", "--install", "jobs", chart, "-n", ns, "--wait", "--timeout", "60s")
    assert k.json("get", "configmap", "main", "-n", ns)["data"]["revision"] == "2"
    upgraded_hooks = release_record(k, ns, "jobs", 2).release["hooks"]
    assert {h["name"]: h["last_run"]["phase"] for h in upgraded_hooks} == {
        "migrate-2": "Succeeded",
        "installed-marker": "",
    }
    assert _names(k, "jobs", ns) == set()


def test_a_failing_hook_fails_the_release(helm: Helm, k: Kubectl, ns: str, tmp_path: Path) -> None:
    chart = str(_write_chart(tmp_path / "hooked"))
    install = ("install", "jobs", chart, "-n", ns, "--set", "migration=exit 3", "--wait")
    failed = helm.run(*install, "--timeout", "60s", check=False)
    assert failed.returncode == 1
    assert f"failed pre-install: resource Job/{ns}/migrate-1 not ready. status: Failed" in (
        failed.stderr
    )
    job = k.json("get", "job", "migrate-1", "-n", ns)
    assert {c["type"]: c["status"] for c in job["status"]["conditions"]}["Failed"] == "True"
    assert "main" not in _names(k, "configmaps", ns)
    record = release_record(k, ns, "jobs", 1)
    assert record.secret["metadata"]["labels"]["status"] == "failed"
    assert record.release["info"]["status"] == "failed"
