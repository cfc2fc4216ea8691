"""Fixtures for the reliability and security tests: raw HTTPS access to the shared cluster."""

from __future__ import annotations

import pytest

from kubelab.cluster.embedded import EmbeddedCluster
from tests.reliability.rawapi import RawAPI


@pytest.fixture()
def raw(cluster: EmbeddedCluster) -> RawAPI:
    """The session cluster, spoken to over plain HTTPS with the admin token."""
    return RawAPI.admin(cluster.cluster.home, cluster.cluster.port)
