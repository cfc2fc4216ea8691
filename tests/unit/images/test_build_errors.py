"""A Dockerfile the kubelab builder cannot build fails with a message that says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelab.cli import main
from kubelab.images import BuildError, build


def dockerfile(tmp_path: Path, text: str) -> Path:
    (tmp_path / "Dockerfile").write_text(text)
    return tmp_path


def test_unsupported_run_command_names_it_and_points_to_docker(tmp_path: Path) -> None:
    context = dockerfile(tmp_path, "FROM debian:bookworm\nRUN apt-get update\n")
    with pytest.raises(BuildError) as raised:
        build(context, "x:1", store=tmp_path / "store", progress=None)
    message = str(raised.value)
    assert message.startswith(
        'Dockerfile:2: process "/bin/sh -c apt-get update" did not complete successfully: '
        "exit code: 127"
    )
    assert '"apt-get" is not a command the teaching cluster\'s images can run' in message
    assert "docker build" in message and "minikube image build" in message


def test_a_failing_supported_command_reports_its_exit_code(tmp_path: Path) -> None:
    context = dockerfile(tmp_path, "FROM alpine\nRUN ls /nowhere\n")
    with pytest.raises(BuildError, match="exit code: 1\nls: /nowhere: No such file"):
        build(context, "x:1", store=tmp_path / "store", progress=None)


def test_unknown_base_image_lists_the_catalog(tmp_path: Path) -> None:
    context = dockerfile(tmp_path, 'FROM node:20\nCMD ["node"]\n')
    with pytest.raises(BuildError) as raised:
        build(context, "x:1", store=tmp_path / "store", progress=None)
    message = str(raised.value)
    assert message.startswith('Dockerfile:1: FROM node:20: "node:20" is not an image')
    assert "alpine" in message and "python" in message and "minikube image build" in message


def test_scratch_has_no_shell_for_run(tmp_path: Path) -> None:
    context = dockerfile(tmp_path, "FROM scratch\nRUN echo hi\n")
    with pytest.raises(BuildError, match="the image has no /bin/sh"):
        build(context, "x:1", store=tmp_path / "store", progress=None)


def test_the_command_prints_the_error_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KUBELAB_HOME", str(tmp_path / "home"))
    context = dockerfile(tmp_path, "FROM python:3.12-slim\nRUN pip install flask\n")
    code = main(["image", "build", "--builder", "kubelab", "-t", "x:1", str(context)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith('error: Dockerfile:2: process "/bin/sh -c pip install flask"')
    assert "Traceback" not in err and '"pip" is not a command' in err


def test_push_without_a_running_cluster_says_how_to_start_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KUBELAB_HOME", str(tmp_path / "home"))
    context = dockerfile(tmp_path, "FROM busybox\n")
    assert main(["image", "build", "--builder", "kubelab", "-t", "x:1", str(context)]) == 0
    capsys.readouterr()
    assert main(["image", "push", "x:1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: The teaching cluster is not running")
    assert "kubelab cluster up" in err and "minikube image build" in err
