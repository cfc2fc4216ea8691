"""Fixtures for the check engine tests: the official client on the session's teaching cluster,
and a stand-in kubelet for pods whose status a test must control (see :mod:`check_cluster`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from check_cluster import StandInKubelet
from kubernetes import config

from kubelab.checks.kubeapi import KubeAPI
from kubelab.cluster.embedded import EmbeddedCluster


@pytest.fixture()
def api(cluster: EmbeddedCluster) -> Iterator[KubeAPI]:
    client = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    yield KubeAPI(client)
    client.close()


@pytest.fixture()
def stand_in(api: KubeAPI, namespace: str) -> Iterator[StandInKubelet]:
    kubelet = StandInKubelet(api, namespace)
    yield kubelet
    kubelet.remove_all()
