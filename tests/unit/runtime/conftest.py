"""Helpers for runtime tests: a fast clock, the built-in catalog, and container starters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from kubelab.cluster.clock import Clock
from kubelab.cluster.runtime import Container, ImageCatalog, default_catalog

#: Cluster time runs this much faster than real time in these tests.
TIME_SCALE = 1000.0

StartContainer = Callable[..., Awaitable[Container]]


@pytest.fixture(scope="session")
def catalog() -> ImageCatalog:
    return default_catalog()


@pytest.fixture()
def clock() -> Clock:
    return Clock(TIME_SCALE)


@pytest.fixture()
async def start(catalog: ImageCatalog, clock: Clock) -> Any:
    """Start a container from an image name and spec; stopped again after the test."""
    started: list[Container] = []

    async def start_container(
        image: str, spec: dict[str, Any] | None = None, **options: Any
    ) -> Container:
        resolved = catalog.resolve(image)
        assert resolved is not None, image
        container = Container(
            resolved,
            {"name": "c", **(spec or {})},
            clock=clock,
            hostname=options.pop("hostname", "web-0"),
            **options,
        )
        container.start()
        started.append(container)
        await asyncio.sleep(0.005)
        return container

    yield start_container
    for container in started:
        if container.running:
            container.kill()
            await container.wait()


@pytest.fixture()
def until() -> Callable[[Callable[[], bool]], Awaitable[None]]:
    """Wait (at most two real seconds) until ``condition()`` holds."""

    async def wait_until(condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(2.0):
            while not condition():
                await asyncio.sleep(0.002)

    return wait_until
