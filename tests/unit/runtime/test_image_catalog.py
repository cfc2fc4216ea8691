"""Image references follow Docker's rules; the catalog finds images and words pull failures."""

from __future__ import annotations

import pytest

from kubelab.cluster.runtime import Image, ImageCatalog, InvalidImageName, normalize_reference


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("user/app:1", "docker.io/user/app:1"),
        ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        ("index.docker.io/redis", "docker.io/library/redis:latest"),
        ("ghcr.io/org/team/app:v2", "ghcr.io/org/team/app:v2"),
        ("nginx@sha256:" + "a" * 64, "docker.io/library/nginx@sha256:" + "a" * 64),
        ("nginx:1.27@sha256:" + "b" * 64, "docker.io/library/nginx@sha256:" + "b" * 64),
    ],
)
def test_references_are_normalised_like_docker(given: str, expected: str) -> None:
    assert str(normalize_reference(given)) == expected


def test_reference_splits_into_registry_repository_and_tag() -> None:
    registry, repository, tag = normalize_reference("nginx")
    assert (registry, repository, tag) == ("docker.io", "library/nginx", "latest")


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("Nginx", "invalid reference format: repository name (library/Nginx) must be lowercase"),
        ("nginx:", "invalid reference format"),
        ("nginx::1", "invalid reference format"),
        ("-nginx", "invalid reference format"),
        ("nginx@sha256:abc", "invalid reference format"),
        ("nginx@sha256:" + "a" * 63 + "0a", "invalid checksum digest length"),
    ],
)
def test_invalid_references_are_reported_for_invalid_image_name(given: str, reason: str) -> None:
    with pytest.raises(InvalidImageName) as raised:
        normalize_reference(given)
    assert raised.value.reason == reason
    assert raised.value.kubelet_message == (
        f'Failed to apply default image tag "{given}": '
        f'couldn\'t parse image reference "{given}": {reason}'
    )


@pytest.mark.parametrize(
    "image",
    ["hello-world", "busybox", "busybox:1.36", "alpine:3.20", "ubuntu:22.04", "ubuntu:noble",
     "debian:bookworm-slim", "nginx", "nginx:1.25", "nginx:1.27.3", "nginx:alpine",
     "nginx:1.26-alpine", "httpd:2.4", "redis:7", "redis:7.2-alpine", "python:3.12-slim",
     "registry.k8s.io/pause:3.10", "kubelab/demo-app:1.0", "kubelab/demo-app:2.0"],
)  # fmt: skip
def test_catalog_knows_the_course_images(catalog: ImageCatalog, image: str) -> None:
    resolved = catalog.resolve(image)
    assert resolved is not None
    assert resolved.reference == str(normalize_reference(image))
    assert resolved.digest.startswith("sha256:") and len(resolved.digest) == 71


@pytest.mark.parametrize("image", ["nginx:9.99", "nginx:1.27.99", "busybox:2.0", "ubuntu:99.04"])
def test_unknown_tag_of_a_known_repository_is_not_found(catalog: ImageCatalog, image: str) -> None:
    assert catalog.resolve(image) is None
    error = catalog.pull_error(image)
    reference = str(normalize_reference(image))
    assert error.grpc_code == "NotFound"
    assert error.message == (
        f'failed to pull and unpack image "{reference}": failed to resolve reference '
        f'"{reference}": {reference}: not found'
    )


def test_unknown_repository_is_pull_access_denied(catalog: ImageCatalog) -> None:
    assert catalog.resolve("ngnix") is None
    error = catalog.pull_error("ngnix")
    assert error.message == (
        'failed to pull and unpack image "docker.io/library/ngnix:latest": failed to resolve '
        'reference "docker.io/library/ngnix:latest": pull access denied, repository does not '
        "exist or may require authorization: server message: insufficient_scope: "
        "authorization failed"
    )
    assert error.rpc_message.startswith("rpc error: code = Unknown desc = failed to pull")


def test_images_have_realistic_sizes_and_configuration(catalog: ImageCatalog) -> None:
    nginx = catalog.resolve("nginx:1.27")
    assert nginx is not None
    assert 65_000_000 < nginx.size < 80_000_000
    assert nginx.entrypoint == ("/docker-entrypoint.sh",)
    assert nginx.cmd == ("nginx", "-g", "daemon off;")
    assert nginx.exposed_ports == (80,)
    assert nginx.stop_signal == "SIGQUIT"
    assert "Welcome to nginx!" in str(nginx.file_tree["/usr/share/nginx/html/index.html"])
    assert "ID=debian" in str(nginx.file_tree["/etc/os-release"])
    alpine = catalog.resolve("nginx:alpine")
    assert alpine is not None and "ID=alpine" in str(alpine.file_tree["/etc/os-release"])


def test_same_content_has_the_same_digest_and_can_be_pulled_by_digest(
    catalog: ImageCatalog,
) -> None:
    latest, pinned = catalog.resolve("nginx:latest"), catalog.resolve("nginx:1.29")
    assert latest is not None and pinned is not None
    assert latest.digest == pinned.digest
    assert catalog.resolve("nginx:1.25") is not None
    assert catalog.resolve("nginx:1.25").digest != latest.digest  # type: ignore[union-attr]
    found = catalog.resolve(f"nginx@{pinned.digest}")
    assert found is not None and found.digest == pinned.digest
    assert catalog.resolve("nginx@sha256:" + "0" * 64) is None


def test_pushed_images_can_be_pulled() -> None:
    catalog = ImageCatalog()
    image = Image(
        "student/app:1", 1234, {"/app/run.sh": "#!/bin/sh\necho hi\n"}, cmd=("/app/run.sh",)
    )
    catalog.add(image)
    assert catalog.resolve("docker.io/student/app:1") is image
    assert catalog.resolve(f"student/app@{image.digest}") is image
    assert catalog.pull_error("student/app:2").grpc_code == "NotFound"
