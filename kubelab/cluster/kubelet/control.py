"""Switching one node of a running teaching cluster off and on: ``kubelab cluster node stop|start``.

On a real cluster one would stop a node's machine (or ``systemctl stop kubelet`` on it) and
watch the control plane notice. The teaching cluster runs in a background process, so the
command records which nodes should be off in ``$KUBELAB_HOME/stopped-nodes.json`` and sends the
server ``SIGUSR1``; the server then stops or starts kubelets to match. The server lists its
nodes in ``server.json``, which is how the command knows the names before it asks.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

STOPPED_NODES_FILE = "stopped-nodes.json"
#: The signal that asks the server to apply the file.
APPLY_SIGNAL = signal.SIGUSR1


class NodeControlError(Exception):
    """The request cannot be passed on; the message says why, for the learner."""


def stopped_nodes(home: Path) -> set[str]:
    """The nodes that should be switched off."""
    try:
        return set(json.loads((home / STOPPED_NODES_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return set()


def forget_stopped_nodes(home: Path) -> None:
    """A cluster that starts up starts every node."""
    (home / STOPPED_NODES_FILE).unlink(missing_ok=True)


def _server(home: Path) -> tuple[int, list[str]]:
    try:
        state = json.loads((home / "server.json").read_text())
        return int(state["pid"]), [str(name) for name in state.get("nodes", [])]
    except (OSError, ValueError, KeyError, TypeError):
        raise NodeControlError(
            "The teaching cluster is not running. Start it with: kubelab cluster up"
        ) from None


def set_node_running(home: Path, name: str, running: bool) -> None:
    """Ask the running cluster to switch node ``name`` on or off."""
    pid, nodes = _server(home)
    if name not in nodes:
        choices = ", ".join(nodes)
        raise NodeControlError(f'The teaching cluster has no node "{name}" (its nodes: {choices}).')
    wanted = stopped_nodes(home)
    if running:
        wanted.discard(name)
    else:
        wanted.add(name)
    path = home / STOPPED_NODES_FILE
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps(sorted(wanted)))
    staging.replace(path)
    try:
        os.kill(pid, APPLY_SIGNAL)
    except ProcessLookupError:
        raise NodeControlError(
            "The teaching cluster is not running. Start it with: kubelab cluster up"
        ) from None
