"""The demo app is one program: the same answers as a real process, in the teaching cluster's
simulated container, and (where Docker runs) in a real container built by ``docker build``."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelab.cluster.clock import Clock
from kubelab.cluster.runtime import Container, default_catalog

DEMO_APP = Path(__file__).resolve().parents[3] / "kubelab" / "course" / "apps" / "demo-app"
PATHS = [
    "/version",
    "/health",
    "/health?code=503",
    "/ready",
    "/ready?set=false",
    "/ready",
    "/alloc?mb=3",
    "/nope",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as failure:
        return failure.code, failure.read()


def wait_until_serving(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


@pytest.fixture()
def real_app() -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    environment = {**os.environ, "PORT": str(port), "APP_VERSION": "1.0", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=DEMO_APP,
        env=environment,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url + "/health")
    yield process, url
    if process.poll() is None:
        process.kill()
    process.wait(5)


async def simulated_answers(paths: list[str]) -> list[tuple[int, bytes]]:
    image = default_catalog().resolve("kubelab/demo-app:1.0")
    assert image is not None
    container = Container(image, {"name": "app"}, clock=Clock(100), hostname="web-0")
    container.start()
    await asyncio.sleep(0.01)
    answers = []
    for path in paths:
        response = await container.http(8080, path=path)
        answers.append((response.status, response.body))
    container.kill()
    await container.wait()
    return answers


def test_a_real_process_answers_like_the_simulated_container(
    real_app: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = real_app
    real = [get(url + path) for path in PATHS]
    assert real == asyncio.run(simulated_answers(PATHS))
    status, page = get(url + "/")
    assert status == 200 and f"Served by pod <b>{socket.gethostname()}</b>".encode() in page
    assert get(url + "/crash") == (500, b"crashing\n")
    assert process.wait(5) == 1
    output = process.stdout.read() if process.stdout else ""
    assert "demo-app 1.0 starting" in output and "crash requested: exiting with code 1" in output
    assert "GET /health?code=503 503 (127.0.0.1)" in output


def test_sigterm_stops_the_real_process_cleanly(
    real_app: tuple[subprocess.Popen[str], str],
) -> None:
    process, _ = real_app
    process.send_signal(signal.SIGTERM)
    assert process.wait(5) == 0
    assert "received SIGTERM, shutting down" in (process.stdout.read() if process.stdout else "")


def docker_is_usable() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


@pytest.mark.skipif(
    not docker_is_usable(),
    reason="no working Docker daemon here: the real 'docker build' of the demo app needs one",
)
def test_docker_builds_the_same_dockerfile_into_the_same_app() -> None:
    tag = f"kubelab-demo-app-test:{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "build", "-t", tag, str(DEMO_APP)], check=True, timeout=600)
    port = free_port()
    container = subprocess.run(
        ["docker", "run", "-d", "--rm", "-p", f"127.0.0.1:{port}:8080", tag],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url + "/health")
        assert [get(url + path) for path in PATHS] == asyncio.run(simulated_answers(PATHS))
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, timeout=60)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60)
