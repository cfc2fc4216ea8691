"""The example exercises, and the content-test helper that proves exercises are sound.

Every exercise must fail when unsolved, pass when solved, fail each known-wrong answer with its
intended message, and fail again after a reset; :func:`kubelab.testing.verify_exercise` checks
that, and these tests also show it catches exercises that are broken.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kubelab.checks import KubeAPI, Outcome
from kubelab.cli import main
from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.course import notebook
from kubelab.course.loader import EXAMPLES_DIR, load_catalog
from kubelab.testing import ContentError, content_lab, exercise_ids, verify_exercise


@pytest.mark.parametrize("exercise_id", exercise_ids(load_catalog([EXAMPLES_DIR])))
def test_example_exercise(
    exercise_id: str, cluster: EmbeddedCluster, namespace: str, tmp_path: Path
) -> None:
    lab = content_lab(cluster.kubeconfig, tmp_path, [EXAMPLES_DIR], namespace)
    verify_exercise(lab, exercise_id)


def broken_copy(tmp_path: Path, change: dict) -> Path:
    """The examples with one change to the web-pod exercise."""
    course = tmp_path / "course"
    shutil.copytree(EXAMPLES_DIR, course)
    path = course / "web-pod.yaml"
    exercise = yaml.safe_load(path.read_text())
    exercise.update(change)
    path.write_text(yaml.safe_dump(exercise, sort_keys=False))
    return course


def test_a_solution_that_does_not_pass_is_caught(
    cluster: EmbeddedCluster, namespace: str, tmp_path: Path
) -> None:
    course = broken_copy(tmp_path, {"solution": {"commands": ["kubectl run web --image=nginx"]}})
    lab = content_lab(cluster.kubeconfig, tmp_path, [course], namespace)
    with pytest.raises(ContentError, match=r"after solve\(\): expected PASS, got FAIL"):
        verify_exercise(lab, "examples/web-pod")


def test_a_wrong_answer_with_another_message_is_caught(
    cluster: EmbeddedCluster, namespace: str, tmp_path: Path
) -> None:
    original = yaml.safe_load((EXAMPLES_DIR / "web-pod.yaml").read_text())
    wrong = original["wrong_answers"][1] | {"message": "expected image httpd"}
    course = broken_copy(tmp_path, {"wrong_answers": [wrong]})
    lab = content_lab(cluster.kubeconfig, tmp_path, [course], namespace)
    with pytest.raises(ContentError, match="does not match /expected image httpd/"):
        verify_exercise(lab, "examples/web-pod")


def test_a_check_that_passes_unsolved_is_caught(
    cluster: EmbeddedCluster, namespace: str, tmp_path: Path
) -> None:
    original = yaml.safe_load((EXAMPLES_DIR / "web-pod.yaml").read_text())
    check = original["checks"][0]
    check["criteria"] = [
        {
            "title": "Service web exists",
            "select": {"kind": "Service", "name": "web"},
            "quantifier": "any",
        }
    ]
    course = broken_copy(tmp_path, {"checks": [check], "wrong_answers": []})
    lab = content_lab(cluster.kubeconfig, tmp_path, [course], namespace)
    with pytest.raises(ContentError, match="unsolved starting state: expected FAIL, got PASS"):
        verify_exercise(lab, "examples/web-pod")


def test_progress_and_hints_through_the_lab(
    cluster: EmbeddedCluster, namespace: str, tmp_path: Path
) -> None:
    lab = content_lab(cluster.kubeconfig, tmp_path, [EXAMPLES_DIR], namespace)
    lab.reset("examples/color-config")
    first = lab.check("examples/color-config")
    assert first.outcome is Outcome.FAIL
    assert "shows a hint (0 of 2 used)" in first.text()
    assert lab.hint("examples/color-config") == lab.exercise("examples/color-config").hints[0]
    lab.solve("examples/color-config")
    assert lab.check("examples/color-config").passed
    row = lab.progress.exercise("examples/color-config")
    assert (row.attempts, row.passes, row.hints_used) == (2, 1, 1)


def test_resetting_a_lesson_recreates_its_namespace(
    cluster: EmbeddedCluster, api: KubeAPI, namespace: str, tmp_path: Path
) -> None:
    lab = content_lab(cluster.kubeconfig, tmp_path, [EXAMPLES_DIR], namespace)
    lab.solve("examples/web-pod")
    configmaps = api.resource("v1", "ConfigMap")
    api.create(
        configmaps,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stray"}},
        namespace,
    )
    lab.reset_lesson("examples")
    pods = {p["metadata"]["name"] for p in api.list(api.resource("v1", "Pod"), namespace)}
    assert pods == {"painter"}
    assert api.get(configmaps, "stray", namespace) is None
    assert api.get(api.resource("v1", "Service"), "web", namespace) is not None
    labels = api.get(api.resource("v1", "Namespace"), namespace, None)["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "kubelab"


def test_the_learner_commands(
    cluster: EmbeddedCluster,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KUBELAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBELAB_CONTEXT", raising=False)
    where = ["--kubeconfig", str(cluster.kubeconfig), "--course", str(EXAMPLES_DIR)]
    scoped = [*where, "--namespace", namespace]

    def kubelab(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    assert kubelab("start", "examples/web-pod", *scoped)[0] == 0
    code, out, _ = kubelab("check", "examples/web-pod", *scoped)
    assert code == 1 and out.startswith("FAIL  examples/web-pod")
    code, out, _ = kubelab("hint", "examples/web-pod", "--course", str(EXAMPLES_DIR))
    assert out.startswith("Hint 1 of 3:")
    assert kubelab("solve", "examples/web-pod", *scoped)[0] == 0
    code, out, _ = kubelab("check", "examples/web-pod", *scoped)
    assert code == 0 and out.startswith("PASS")
    code, out, _ = kubelab("progress", "--course", str(EXAMPLES_DIR))
    assert "✓ examples/web-pod" in out and "1 of 2 exercises passed." in out
    assert kubelab("reset", "examples/web-pod", *scoped)[0] == 0
    code, _, err = kubelab("check", "examples/web-pd", *where)
    assert code == 3 and "did you mean examples/web-pod" in err


def test_the_kubelab_command_exits_with_the_verdict(
    cluster: EmbeddedCluster, namespace: str, tmp_path: Path
) -> None:
    env = {**os.environ, "KUBELAB_HOME": str(tmp_path)}
    env.pop("KUBELAB_CONTEXT", None)
    command = [sys.executable, "-m", "kubelab.cli", "check", "examples/web-pod", "--no-record"]
    command += ["--kubeconfig", str(cluster.kubeconfig), "--course", str(EXAMPLES_DIR)]
    command += ["--namespace", namespace, "--timeout", "5"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "No Pod web found in namespace" in done.stdout


def test_the_notebook_functions(
    cluster: EmbeddedCluster,
    api: KubeAPI,
    namespace: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    notebook.use(content_lab(cluster.kubeconfig, tmp_path, [EXAMPLES_DIR], namespace))
    try:
        notebook.start("examples/web-pod")
        assert f"is ready in namespace {namespace}" in capsys.readouterr().out
        report = notebook.check("examples/web-pod")
        assert report.outcome is Outcome.FAIL
        assert "No Pod web found" in report._repr_mimebundle_()["text/html"]
        notebook.hint("examples/web-pod")
        assert capsys.readouterr().out.startswith("Hint 1 of 3:")
        notebook.solve("examples/web-pod")
        assert notebook.check("examples/web-pod").passed
        notebook.cleanup("examples/web-pod")
        assert api.get(api.resource("v1", "Pod"), "web", namespace) is None
        assert api.get(api.resource("v1", "Service"), "web", namespace) is None
    finally:
        notebook.use(None)
