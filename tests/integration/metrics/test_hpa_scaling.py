"""The HorizontalPodAutoscaler scales a Deployment up under load and back down after the
stabilization window, on a private cluster running twenty times faster than real time.

The load is the one the Kubernetes HPA walkthrough uses: a busybox pod that keeps requesting
the Service with wget. Each request the demo app serves costs it CPU time, so its pods' CPU
usage rises above the target share of their requests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.cluster.resources.printing import parse_time
from tests.conftest import Kubectl
from tests.polling import eventually

TIME_SCALE = 20.0
NAMESPACE = "autoscaling"

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: kubelab/demo-app:1.0
        resources: {requests: {cpu: 10m}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""


@pytest.fixture(scope="module")
def fast_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    home = tmp_path_factory.mktemp("hpa-home")
    with EmbeddedCluster(home, time_scale=TIME_SCALE) as running:
        yield running


@pytest.fixture()
def k(fast_cluster: EmbeddedCluster, tmp_path: Path) -> Kubectl:
    return Kubectl(fast_cluster.kubeconfig, tmp_path)


def hpa(k: Kubectl) -> dict[str, Any]:
    return k.json("get", "hpa", "web", "-n", NAMESPACE)


def rescales(k: Kubectl) -> list[dict[str, Any]]:
    events = json.loads(
        k(
            "get",
            "events",
            "-n",
            NAMESPACE,
            "--field-selector=reason=SuccessfulRescale",
            "-o",
            "json",
        )
    )["items"]
    return sorted(events, key=lambda e: e["firstTimestamp"])


def test_scales_up_under_load_and_down_after_the_window(
    k: Kubectl, fast_cluster: EmbeddedCluster
) -> None:
    k("create", "namespace", NAMESPACE)
    k("apply", "-n", NAMESPACE, "-f", "-", input=APP)
    k("autoscale", "deployment", "web", "-n", NAMESPACE, "--cpu=50%", "--min=1", "--max=5")

    # Idle, the demo app uses 1m of its 10m request.
    eventually(lambda: "cpu: 10%/50%" in k("get", "hpa", "web", "-n", NAMESPACE))
    idle = hpa(k)["status"]
    assert idle["currentReplicas"] == idle["desiredReplicas"] == 1
    conditions = {c["type"]: c for c in idle["conditions"]}
    assert conditions["AbleToScale"]["status"] == "True"
    assert conditions["ScalingActive"]["reason"] == "ValidMetricFound"
    assert conditions["ScalingActive"]["message"] == (
        "the HPA was able to successfully calculate a replica count from cpu resource "
        "utilization (percentage of request)"
    )
    assert conditions["ScalingLimited"]["reason"] == "DesiredWithinRange"

    k(
        "run", "load", "-n", NAMESPACE, "--image=busybox", "--restart=Never", "--",
        "/bin/sh", "-c", "while sleep 0.1; do wget -q -O- http://web; done",
    )  # fmt: skip
    eventually(lambda: hpa(k)["status"].get("desiredReplicas", 1) > 1)
    [first] = rescales(k)[:1]
    assert first["involvedObject"]["kind"] == "HorizontalPodAutoscaler"
    assert first["source"]["component"] == "horizontal-pod-autoscaler"
    assert re.fullmatch(
        r"New size: \d; reason: cpu resource utilization \(percentage of request\) above target",
        first["message"],
    ), first["message"]
    size = hpa(k)["status"]["desiredReplicas"]
    current = hpa(k)["status"]["currentMetrics"][0]["resource"]["current"]
    assert current["averageUtilization"] > 50
    row = k("get", "hpa", "web", "-n", NAMESPACE, "--no-headers").split()
    assert row[:2] == ["web", "Deployment/web"]
    assert row[2] == "cpu:" and row[3].endswith("%/50%")
    eventually(lambda: k("get", "deployment", "web", "-n", NAMESPACE, "-o",
                         "jsonpath={.status.readyReplicas}") == str(size))  # fmt: skip

    k("delete", "pod", "load", "-n", NAMESPACE, "--wait=false")
    load_stopped = fast_cluster.cluster.clock.now()
    eventually(lambda: hpa(k)["status"]["desiredReplicas"] == 1, timeout=90)
    down = [e for e in rescales(k) if "below target" in e["message"]]
    assert down, "scaled down"
    assert down[-1]["message"] == "New size: 1; reason: All metrics below target"
    scaled_down_at = parse_time(down[0]["firstTimestamp"])
    assert isinstance(scaled_down_at, datetime)
    # Recommendations stay high while the load lasts, and the highest of the last 300 s wins.
    waited = (scaled_down_at - load_stopped).total_seconds()
    assert waited >= 299, f"scaled down {waited:.0f}s after the load stopped"
    assert k("get", "deployment", "web", "-n", NAMESPACE, "-o", "jsonpath={.spec.replicas}") == "1"


def test_says_why_it_cannot_scale_pods_without_requests(k: Kubectl) -> None:
    k("create", "namespace", "no-requests")
    k("create", "deployment", "bare", "--image=kubelab/demo-app:1.0", "-n", "no-requests")
    k("autoscale", "deployment", "bare", "-n", "no-requests", "--cpu=50%", "--max=3")

    def refusal() -> dict[str, Any] | None:
        status = k.json("get", "hpa", "bare", "-n", "no-requests").get("status") or {}
        conditions = {c["type"]: c for c in status.get("conditions") or []}
        active = conditions.get("ScalingActive") or {}
        return active if "missing request" in active.get("message", "") else None

    active = eventually(refusal)
    pod = k("get", "pods", "-n", "no-requests", "-o", "jsonpath={.items[0].metadata.name}")
    assert (active["status"], active["reason"]) == ("False", "FailedGetResourceMetric")
    assert active["message"] == (
        "the HPA was unable to compute the replica count: missing request for cpu in container "
        f"demo-app of Pod {pod}"
    )
    assert "cpu: <unknown>/50%" in k("get", "hpa", "bare", "-n", "no-requests")
    described = k("describe", "hpa", "bare", "-n", "no-requests")
    assert "FailedGetResourceMetric" in described
    assert "FailedComputeMetricsReplicas" in described
