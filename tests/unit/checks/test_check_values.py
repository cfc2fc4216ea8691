"""Kubernetes-aware scalar comparison: quantities, image references, numbers."""

from __future__ import annotations

import pytest

from kubelab.checks.values import (
    images_equal,
    parse_image,
    plain_equal,
    quantities_equal,
    quantity_amount,
)


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ("500m", "0.5"),
        ("500m", 0.5),
        ("1", "1000m"),
        (1, "1"),
        ("1Gi", "1024Mi"),
        ("1Gi", "1073741824"),
        ("128Mi", 134217728),
        ("1k", "1000"),
        ("0.1", "100m"),
        ("2", 2.0),
    ],
)
def test_equal_quantities(expected: object, actual: object) -> None:
    assert quantities_equal(expected, actual)


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ("1G", "1Gi"),
        ("500m", "5"),
        ("1Mi", "1M"),
        ("1", "nginx"),
        ("1", None),
        ("1", True),
    ],
)
def test_different_quantities(expected: object, actual: object) -> None:
    assert not quantities_equal(expected, actual)


def test_a_non_quantity_has_no_amount() -> None:
    assert quantity_amount("lots") is None
    assert quantity_amount([1]) is None


@pytest.mark.parametrize(
    ("reference", "normalised"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.25", "docker.io/library/nginx:1.25"),
        ("docker.io/library/nginx", "docker.io/library/nginx:latest"),
        ("index.docker.io/library/nginx:1.25", "docker.io/library/nginx:1.25"),
        ("bitnami/redis", "docker.io/bitnami/redis:latest"),
        ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        ("localhost:5000/app:v2", "localhost:5000/app:v2"),
        ("nginx@sha256:abc", "docker.io/library/nginx@sha256:abc"),
        ("NGINX", "docker.io/library/nginx:latest"),
    ],
)
def test_image_normalisation(reference: str, normalised: str) -> None:
    assert str(parse_image(reference)) == normalised


def test_image_equality_ignores_the_default_registry_and_tag() -> None:
    assert images_equal("nginx", "docker.io/library/nginx:latest")
    assert images_equal("docker.io/library/nginx:latest", "nginx")
    assert images_equal("nginx:latest", "nginx")
    assert not images_equal("nginx", "nginx:1.25")
    assert not images_equal("nginx:1.25", "nginx:1.26")
    assert not images_equal("nginx", "quay.io/nginx")
    assert not images_equal("nginx", None)


def test_image_equality_with_any_tag_compares_repositories() -> None:
    assert images_equal("nginx", "nginx:1.25", any_tag=True)
    assert images_equal("nginx", "docker.io/library/nginx@sha256:abc", any_tag=True)
    assert not images_equal("nginx", "httpd:2.4", any_tag=True)
    assert not images_equal("nginx", "ngnix:1.25", any_tag=True)


def test_digests_must_match_when_given() -> None:
    assert images_equal("nginx@sha256:abc", "docker.io/library/nginx@sha256:abc")
    assert not images_equal("nginx@sha256:abc", "nginx@sha256:def")


def test_plain_equality_keeps_booleans_apart_from_numbers() -> None:
    assert plain_equal(1, 1.0)
    assert not plain_equal(True, 1)
    assert not plain_equal(1, "1")
    assert plain_equal("a", "a")
    assert plain_equal(None, None)
