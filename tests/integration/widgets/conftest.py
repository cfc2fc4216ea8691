"""The live pictures run on the lesson scenarios' faster teaching cluster (the same fixtures),
so a crash loop's back-off or a rolling update happens within seconds."""

from __future__ import annotations

import pytest

from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.connect import Connection, select
from tests.integration.scenarios.conftest import fast_cluster, k, ns

__all__ = ["connection", "fast_cluster", "k", "ns"]


@pytest.fixture()
def connection(fast_cluster: EmbeddedCluster) -> Connection:
    """A connection like a learner's, made from the cluster's kubeconfig."""
    return select(kubeconfig=fast_cluster.kubeconfig)
