"""Which cluster the checker looks at: the same one the lesson's steps and kubectl change.

A check must judge the cluster the learner has been working on, so the checker does not choose
a cluster by rules of its own: it uses :mod:`kubelab.connect`, which picks, in order, an
explicit kubeconfig and/or context, the ``KUBELAB_CONTEXT`` context, a running teaching cluster
(``$KUBELAB_HOME/kubeconfig``), then the default kubeconfig's current context. In a notebook,
the connection the lesson already made (``kubelab.connect(...)``) is reused.

Failing to find any cluster is a :class:`NoCluster`, a :class:`ClusterError`, so a check
reports it as ERROR ("could not look") rather than as a failure of the learner's work.
"""

from __future__ import annotations

import os

from kubelab.checks.kubeapi import ClusterError, KubeAPI
from kubelab.connect import ConnectError, Connection, current, select


class NoCluster(ClusterError):
    """No usable cluster configuration was found."""


def connect(
    kubeconfig: str | os.PathLike[str] | None = None, context: str | None = None
) -> Connection:
    """A connection chosen in the documented order, quietly (for commands and grading)."""
    try:
        return select(context, kubeconfig)
    except ConnectError as exc:
        raise NoCluster(str(exc)) from exc


def notebook_connection() -> Connection:
    """The connection the lesson is using (made now, and announced, if there is none yet)."""
    try:
        return current()
    except ConnectError as exc:
        raise NoCluster(str(exc)) from exc


def kube_api(connection: Connection) -> KubeAPI:
    return KubeAPI(connection.api_client)
