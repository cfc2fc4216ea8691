"""On minikube the same ``kubelab image build`` line becomes a real engine's build command."""

from __future__ import annotations

from kubelab.images.external import choose_builder, external_command


def test_minikube_and_docker_commands() -> None:
    args = {"APP_VERSION": "2.0"}
    assert external_command("minikube", "app", ["demo-app:dev"], None, args) == [
        "minikube", "image", "build", "-t", "demo-app:dev",
        "--build-opt", "build-arg=APP_VERSION=2.0", "app",
    ]  # fmt: skip
    assert external_command("docker", "app", ["a:1", "b:1"], "app/Dockerfile.dev", {}) == [
        "docker", "build", "-t", "a:1", "-t", "b:1", "-f", "app/Dockerfile.dev", "app",
    ]  # fmt: skip


def test_an_explicit_choice_wins() -> None:
    assert choose_builder("docker") == "docker"
    assert choose_builder("kubelab") == "kubelab"
