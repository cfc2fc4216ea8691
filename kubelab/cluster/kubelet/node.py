"""The Node object a kubelet registers for itself.

Nodes are named like minikube's (``kubelab``, ``kubelab-m02``, ``kubelab-m03``...), carry the
well-known labels the scheduler and DaemonSets look at, and report capacity, conditions,
addresses and version the way ``kubectl describe node`` shows them.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass
from typing import Any

from kubelab.cluster.version import KUBERNETES_VERSION

NODE_NAME_PREFIX = "kubelab"
RUNTIME_VERSION = "kubelab://0.1.0"


@dataclass(frozen=True)
class NodeCapacity:
    """What one simulated node offers to pods."""

    cpu: str = "4"
    memory: str = "8Gi"
    pods: str = "110"
    ephemeral_storage: str = "100Gi"

    def as_resources(self) -> dict[str, str]:
        return {
            "cpu": self.cpu,
            "ephemeral-storage": self.ephemeral_storage,
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
            "memory": self.memory,
            "pods": self.pods,
        }


def node_name(index: int) -> str:
    """``kubelab`` for the first node, then ``kubelab-m02``, ``kubelab-m03``..."""
    return NODE_NAME_PREFIX if index == 0 else f"{NODE_NAME_PREFIX}-m{index + 1:02d}"


def node_ip(index: int) -> str:
    return f"192.168.49.{index + 2}"


def pod_cidr(index: int, max_pods: int = 110) -> str:
    """The node's pod range: a /24, kube-controller-manager's default node mask size, or a
    larger block when the node may run more pods than a /24 has addresses for."""
    prefix = 24
    while 2 ** (32 - prefix) - 3 < max_pods:
        prefix -= 1
    return f"10.244.{index * 2 ** (24 - prefix)}.0/{prefix}"


def _condition(kind: str, status: str, reason: str, message: str, now: str) -> dict[str, str]:
    return {
        "type": kind,
        "status": status,
        "lastHeartbeatTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def healthy_conditions(now: str) -> list[dict[str, str]]:
    return [
        _condition(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
            now,
        ),
        _condition(
            "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now
        ),
        _condition(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
            now,
        ),
        _condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now),
    ]


def node_object(index: int, capacity: NodeCapacity, now: str) -> dict[str, Any]:
    name = node_name(index)
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    if index == 0:
        labels["node-role.kubernetes.io/control-plane"] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
    machine_id = hashlib.sha256(name.encode()).hexdigest()[:32]
    cidr = pod_cidr(index, int(capacity.pods))
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
        "status": {
            "capacity": capacity.as_resources(),
            "allocatable": capacity.as_resources(),
            "conditions": healthy_conditions(now),
            "addresses": [
                {"type": "InternalIP", "address": node_ip(index)},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": machine_id,
                "systemUUID": machine_id,
                "bootID": hashlib.sha256(f"{name}-boot".encode()).hexdigest()[:32],
                "kernelVersion": platform.release(),
                "osImage": "kubelab teaching node",
                "containerRuntimeVersion": RUNTIME_VERSION,
                "kubeletVersion": KUBERNETES_VERSION,
                "kubeProxyVersion": KUBERNETES_VERSION,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }
