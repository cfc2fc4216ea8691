"""What every criterion evaluation needs to know about the run it belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from kubelab.checks.kubeapi import KubeAPI


@dataclass(frozen=True)
class RunContext:
    """One run of one check: the cluster, the namespace it defaults to, and its time limit."""

    api: KubeAPI
    namespace: str
    started: float
    deadline: float
