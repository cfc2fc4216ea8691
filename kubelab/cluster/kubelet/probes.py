"""Liveness, readiness and startup probes, run the way the kubelet runs them.

A probe is one check (an HTTP GET, a TCP connect, a command, or a gRPC health call) repeated
every ``periodSeconds``; ``failureThreshold`` failures in a row make it fail and
``successThreshold`` successes make it pass. What failure *means* differs: a failing liveness
or startup probe restarts the container, a failing readiness probe only marks it not ready (and
so removes it from its Services' endpoints).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from kubelab.cluster.runtime.container import Container, ExecFailed

PROBE_NAMES = {
    "livenessProbe": "Liveness",
    "readinessProbe": "Readiness",
    "startupProbe": "Startup",
}


@dataclass
class ProbeResult:
    ok: bool
    message: str = ""


def _port(value: Any, container_spec: dict[str, Any]) -> int | None:
    if isinstance(value, int):
        return value
    for port in container_spec.get("ports") or []:
        if port.get("name") == value:
            return int(port["containerPort"])
    return int(value) if isinstance(value, str) and value.isdigit() else None


async def _http(
    container: Container, spec: dict[str, Any], handler: dict[str, Any], pod_ip: str
) -> ProbeResult:
    port = _port(handler.get("port"), spec)
    path = handler.get("path") or "/"
    scheme = handler.get("scheme", "HTTP").lower()
    url = f"{scheme}://{handler.get('host') or pod_ip}:{port}{path}"
    headers = {h["name"]: h.get("value", "") for h in handler.get("httpHeaders") or []}
    headers.setdefault("User-Agent", "kube-probe/1.37")
    try:
        response = await container.http(port or 0, "GET", path, headers, b"", client=pod_ip)
    except ConnectionRefusedError:
        return ProbeResult(
            False, f'Get "{url}": dial tcp {pod_ip}:{port}: connect: connection refused'
        )
    except (TimeoutError, OSError):
        return ProbeResult(
            False,
            f'Get "{url}": context deadline exceeded (Client.Timeout '
            "exceeded while awaiting headers)",
        )
    if 200 <= response.status < 400:
        return ProbeResult(True)
    return ProbeResult(False, f"HTTP probe failed with statuscode: {response.status}")


async def _exec(container: Container, command: list[str]) -> ProbeResult:
    try:
        code, out, err = await container.exec(command)
    except ExecFailed as error:
        return ProbeResult(False, str(error))
    if code == 0:
        return ProbeResult(True)
    return ProbeResult(False, (out + err).rstrip("\n"))


def _tcp(container: Container, port: int | None, pod_ip: str) -> ProbeResult:
    if port is not None and container.tcp_open(port):
        return ProbeResult(True)
    return ProbeResult(False, f"dial tcp {pod_ip}:{port}: connect: connection refused")


async def run_probe(
    container: Container,
    container_spec: dict[str, Any],
    probe: dict[str, Any],
    pod_ip: str,
    time_scale: float,
) -> ProbeResult:
    """Run a probe's check once, within its ``timeoutSeconds`` (cluster time)."""
    timeout = float(probe.get("timeoutSeconds", 1)) / time_scale
    try:
        if "httpGet" in probe:
            return await asyncio.wait_for(
                _http(container, container_spec, probe["httpGet"], pod_ip), timeout
            )
        if "exec" in probe:
            return await asyncio.wait_for(
                _exec(container, probe["exec"].get("command") or []), timeout
            )
        if "tcpSocket" in probe:
            return _tcp(container, _port(probe["tcpSocket"].get("port"), container_spec), pod_ip)
        if "grpc" in probe:
            port = probe["grpc"].get("port")
            if container.tcp_open(int(port)):
                return ProbeResult(True)
            return ProbeResult(
                False,
                f'timeout: failed to connect service "{pod_ip}:{port}" '
                "within 1s: context deadline exceeded",
            )
    except TimeoutError:
        seconds = probe.get("timeoutSeconds", 1)
        return ProbeResult(
            False,
            f"command timed out after {seconds}s"
            if "exec" in probe
            else f"probe timed out after {seconds}s",
        )
    return ProbeResult(True)


class ProbeState:
    """Consecutive successes and failures of one probe, and its current verdict."""

    def __init__(self, probe: dict[str, Any], initially_ok: bool) -> None:
        self.probe = probe
        self.ok = initially_ok
        self.successes = 0
        self.failures = 0

    def record(self, result: ProbeResult) -> bool:
        """Add one result; return True when the verdict changed."""
        if result.ok:
            self.successes, self.failures = self.successes + 1, 0
            if not self.ok and self.successes >= int(self.probe.get("successThreshold", 1)):
                self.ok = True
                return True
        else:
            self.failures, self.successes = self.failures + 1, 0
            if self.ok and self.failures >= int(self.probe.get("failureThreshold", 3)):
                self.ok = False
                return True
        return False
