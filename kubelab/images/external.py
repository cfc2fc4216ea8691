"""Building with a real container engine when the course runs on minikube.

On minikube the image must end up where minikube's container runtime can find it, so
``kubelab image build`` hands the build to ``minikube image build`` (which builds inside the
minikube node), or to ``docker build`` when only Docker is there (with ``minikube docker-env``
the Docker daemon is minikube's own). The lesson's cell stays the same on both kinds of cluster.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence


def choose_builder(requested: str) -> str:
    """``kubelab``, ``minikube`` or ``docker``: the one asked for, or the one that fits."""
    if requested != "auto":
        return requested
    try:
        from kubelab.connect import ClusterKind, select

        kind = select().kind
    except Exception:  # noqa: BLE001 - no usable kubeconfig: the kubelab builder needs none
        return "kubelab"
    if kind is not ClusterKind.MINIKUBE:
        return "kubelab"
    if shutil.which("minikube"):
        return "minikube"
    return "docker" if shutil.which("docker") else "kubelab"


def external_command(
    builder: str,
    context: str,
    tags: Sequence[str],
    dockerfile: str | None,
    build_args: Mapping[str, str],
) -> list[str]:
    """The argv of ``minikube image build`` or ``docker build`` for the same build."""
    command = ["minikube", "image", "build"] if builder == "minikube" else ["docker", "build"]
    for tag in tags:
        command += ["-t", tag]
    if dockerfile:
        command += ["-f", dockerfile]
    for name, value in build_args.items():
        command += (
            ["--build-opt", f"build-arg={name}={value}"]
            if builder == "minikube"
            else ["--build-arg", f"{name}={value}"]
        )
    return [*command, context]


def run_external(command: list[str]) -> int:
    if shutil.which(command[0]) is None:
        print(f"error: {command[0]} is not installed; use --builder kubelab")
        return 1
    print("+ " + " ".join(command))
    return subprocess.run(command, check=False).returncode
