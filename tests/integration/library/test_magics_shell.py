"""%kubectl and %%apply in a real IPython shell, loaded the way a notebook loads them."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

CONFIG = """apiVersion: v1
kind: ConfigMap
metadata:
  name: from-cell
data:
  colour: blue
"""


@pytest.fixture()
def shell(lesson) -> InteractiveShell:
    ipython = InteractiveShell.instance()
    assert ipython.run_line_magic("load_ext", "kubelab") is None
    return ipython


def run(shell: InteractiveShell, source: str):
    return shell.run_cell(source, store_history=False)


def test_apply_cell_then_kubectl_in_the_lesson_namespace(shell, lesson, kubectl, capsys):
    assert run(shell, f"%%apply\n{CONFIG}").success
    assert capsys.readouterr().out == "configmap/from-cell created\n"
    assert run(shell, "%kubectl get configmap from-cell -o jsonpath={.data.colour}").success
    assert capsys.readouterr().out == "blue"
    stored = kubectl.json("get", "configmap", "from-cell", "-n", lesson.namespace)
    assert stored["data"] == {"colour": "blue"}


def test_python_variables_expand_in_kubectl_lines(shell, capsys):
    run(shell, f"%%apply\n{CONFIG}")
    capsys.readouterr()
    assert run(shell, 'name = "from-cell"\n%kubectl get configmap {name} -o name').success
    assert capsys.readouterr().out == "configmap/from-cell\n"


def test_namespace_flags_are_respected(shell, namespace, kubectl, capsys):
    assert run(shell, f"%%apply -n {namespace}\n{CONFIG}").success
    assert kubectl("get", "configmap", "from-cell", "-n", namespace, "-o", "name").strip()
    capsys.readouterr()
    run(shell, f"%kubectl get configmap from-cell -n {namespace} -o name")
    assert capsys.readouterr().out == "configmap/from-cell\n"
    run(shell, "%kubectl get namespaces -A -o name")
    assert f"namespace/{namespace}" in capsys.readouterr().out.splitlines()


def test_a_failing_kubectl_shows_its_error_and_carries_on(shell, capsys):
    result = run(shell, "%kubectl get configmap nothing-here\nafter = True")
    assert result.success
    assert shell.user_ns["after"] is True
    captured = capsys.readouterr()
    assert 'configmaps "nothing-here" not found' in captured.err
    assert captured.out == ""


def test_a_refused_manifest_stops_the_cell(shell, capsys):
    result = run(shell, "%%apply\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n")
    assert not result.success
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert "the manifest was not applied" in str(result.error_in_exec)
    assert 'Invalid value: "Bad_Name"' in capsys.readouterr().err


def test_apply_options_are_checked(shell):
    result = run(shell, f"%%apply --force\n{CONFIG}")
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert "takes only -n NAMESPACE" in str(result.error_in_exec)
