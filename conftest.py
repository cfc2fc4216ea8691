"""A teaching cluster for the notebooks that nbval runs (the course in ``notebooks/`` and the
library's demo in ``tests/notebooks/``; pytest runs them with ``--nbval-lax``).

nbval starts one kernel per notebook, and a kernel inherits this process's environment at the
moment it starts. So just before the first cell runs, the hook below starts one in-process
teaching cluster for the session and exports ``KUBELAB_HOME`` and ``KUBECONFIG`` pointing at
it. In the kernel, ``kubelab.connect()`` then finds it exactly as a learner's notebook finds the
cluster ``kubelab cluster up`` started, and ``!kubectl`` in a cell reaches it too.

The cluster runs its clock five times faster than a learner's (image pulls, probe periods,
back-off), so that lessons which wait for the cluster to act do not make the suite slow.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from kubelab.cluster.embedded import EmbeddedCluster

#: How much faster than a learner's cluster the notebooks' cluster runs.
NOTEBOOK_TIME_SCALE = 5.0

_cluster: EmbeddedCluster | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Start the cluster before the notebook's kernel, which starts in the setup of its first
    cell; later cells find it running. Notebooks that are only collected start nothing."""
    global _cluster
    if _cluster is not None or item.path.suffix != ".ipynb":
        return
    home = Path(tempfile.mkdtemp(prefix="kubelab-notebooks-"))
    _cluster = EmbeddedCluster(home, time_scale=NOTEBOOK_TIME_SCALE).start()
    item.config.add_cleanup(_cluster.stop)
    # What `kubelab cluster up` records, so that the kernel finds the cluster's image registry
    # too (the images lesson pushes to it).
    state = {"pid": os.getpid(), "port": _cluster.cluster.port, "url": _cluster.url,
             "registry": _cluster.cluster.registry.host}  # fmt: skip
    (home / "server.json").write_text(json.dumps(state))
    os.environ["KUBELAB_HOME"] = str(home)
    os.environ["KUBECONFIG"] = str(_cluster.kubeconfig)
    os.environ.pop("KUBELAB_CONTEXT", None)
    # Helm keeps its repositories and cache under these; the Helm lesson adds a repository,
    # which belongs to this test run, not to the user running it.
    for variable in ("HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME"):
        os.environ[variable] = str(home / "helm" / variable.split("_")[1].lower())
