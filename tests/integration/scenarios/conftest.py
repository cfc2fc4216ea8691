"""A faster teaching cluster for the lesson scenarios: back-offs, probes and schedules run at
twenty times real speed, so a crash loop or a CronJob shows its behaviour in seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubelab.cluster.embedded import EmbeddedCluster
from tests.conftest import Kubectl, fresh_namespace

TIME_SCALE = 20.0


@pytest.fixture(scope="module")
def fast_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(tmp_path_factory.mktemp("fast-home"), time_scale=TIME_SCALE) as running:
        yield running


@pytest.fixture()
def k(fast_cluster: EmbeddedCluster, tmp_path: Path) -> Kubectl:
    return Kubectl(fast_cluster.kubeconfig, tmp_path)


@pytest.fixture()
def ns(k: Kubectl) -> Iterator[str]:
    yield from fresh_namespace(k, "s")


def container_status(k: Kubectl, namespace: str, pod: str) -> dict[str, Any]:
    """The pod's first container status, or ``{}`` while the kubelet has reported none."""
    status = k.json("get", "pod", pod, "-n", namespace)["status"]
    return (status.get("containerStatuses") or [{}])[0]


def waiting_reason(k: Kubectl, namespace: str, pod: str) -> str | None:
    """Why the pod's first container is waiting (``ImagePullBackOff``, ...), or None."""
    return container_status(k, namespace, pod).get("state", {}).get("waiting", {}).get("reason")
