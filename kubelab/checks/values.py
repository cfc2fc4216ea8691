"""Kubernetes-aware comparison of single values: quantities, image references, numbers.

A learner who writes ``cpu: 0.5`` has done the same as one who writes ``cpu: 500m``, and
``image: nginx`` is the same image as ``docker.io/library/nginx:latest``. Comparing these as
plain strings would fail correct answers, the worst thing a checker can do, so the matcher
compares them the way Kubernetes and container runtimes understand them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from kubelab.cluster.quantity import Quantity, QuantityError

DEFAULT_REGISTRY = "docker.io"
DEFAULT_TAG = "latest"
_REGISTRY_ALIASES = {"index.docker.io": DEFAULT_REGISTRY, "registry-1.docker.io": DEFAULT_REGISTRY}


def quantity_amount(value: Any) -> Fraction | None:
    """The exact amount of a resource quantity (``"500m"`` -> 1/2), or None if it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Quantity.parse(value).amount
    except (QuantityError, ValueError, TypeError):
        return None


def quantities_equal(expected: Any, actual: Any) -> bool:
    left, right = quantity_amount(expected), quantity_amount(actual)
    return left is not None and left == right


@dataclass(frozen=True)
class ImageReference:
    """An image reference split the way a container runtime resolves it."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """``registry/repository`` without tag or digest."""
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def parse_image(reference: str) -> ImageReference:
    """Normalise ``nginx`` to ``docker.io/library/nginx:latest`` (digests keep no default tag)."""
    text = reference.strip()
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
    tag = None
    last_slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > last_slash:
        text, tag = text[:colon], text[colon + 1 :]
    first, _, rest = text.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = DEFAULT_REGISTRY, text
    registry = _REGISTRY_ALIASES.get(registry, registry)
    if registry == DEFAULT_REGISTRY and "/" not in repository:
        repository = f"library/{repository}"
    if tag is None and digest is None:
        tag = DEFAULT_TAG
    return ImageReference(registry, repository.lower(), tag, digest)


def images_equal(expected: str, actual: Any, any_tag: bool = False) -> bool:
    """Whether two references name the same image (or the same repository, with ``any_tag``)."""
    if not isinstance(actual, str) or not actual:
        return False
    want, have = parse_image(expected), parse_image(actual)
    if any_tag:
        return want.name == have.name
    if want.digest is not None or have.digest is not None:
        return want.name == have.name and want.digest == have.digest
    return want.name == have.name and want.tag == have.tag


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def plain_equal(expected: Any, actual: Any) -> bool:
    """Equality that keeps booleans apart from numbers (``True`` is not ``1`` in YAML)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if is_number(expected) and is_number(actual):
        return expected == actual
    return type(expected) is type(actual) and expected == actual


def ordering_key(value: Any) -> Fraction | str | None:
    """A value that ``<`` can compare: numbers and quantities as exact amounts, else strings."""
    if is_number(value):
        return Fraction(value)
    amount = quantity_amount(value)
    if amount is not None:
        return amount
    if isinstance(value, str):
        return value
    return None
