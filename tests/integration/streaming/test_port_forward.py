"""``kubectl port-forward`` (SPDY in WebSockets, and plain SPDY) and the Python client's."""

from __future__ import annotations

import socket
import urllib.request

import pytest
from kubernetes import client
from kubernetes.stream import portforward

from tests.integration.streaming.conftest import run_kubectl

#: kubectl's two ways: SPDY inside a WebSocket (default), or an HTTP upgrade to SPDY.
TRANSPORTS = {
    "websocket": {},
    "spdy": {"KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"},
}
FORWARDING = r"^Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)$"


@pytest.fixture()
def web(ready_pod) -> str:
    return ready_pod("web", "--image=nginx", "--labels=app=web", "--port=80")


@pytest.fixture(params=sorted(TRANSPORTS))
def transport(request) -> dict[str, str]:
    return TRANSPORTS[request.param]


def fetch(port: int, path: str = "/") -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
        return answer.status, answer.read().decode()


def test_forward_a_pod_port(namespace, web, background, transport):
    forwarder = background("port-forward", f"pod/{web}", ":80", "-n", namespace, env=transport)
    local, remote = forwarder.wait_for_line(FORWARDING).groups()
    assert remote == "80"
    status, page = fetch(int(local))
    assert status == 200 and "<title>Welcome to nginx!</title>" in page
    assert fetch(int(local), "/index.html")[0] == 200, "a second connection works too"
    forwarder.wait_for_line(rf"^Handling connection for {local}$")


def test_forward_a_service_port(kubectl, namespace, web, background):
    kubectl("expose", "pod", web, "--name=site", "--port=8000", "--target-port=80",
            "-n", namespace)  # fmt: skip
    forwarder = background("port-forward", "svc/site", ":8000", "-n", namespace)
    local, remote = forwarder.wait_for_line(FORWARDING).groups()
    assert remote == "80", "kubectl maps the service port to the pod's target port"
    assert "Welcome to nginx!" in fetch(int(local))[1]


def test_nothing_listening_is_reported_by_the_node(namespace, web, background, transport):
    forwarder = background("port-forward", f"pod/{web}", ":81", "-n", namespace, env=transport)
    local = int(forwarder.wait_for_line(FORWARDING).group(1))
    with socket.create_connection(("127.0.0.1", local), timeout=10) as connection:
        connection.settimeout(10)
        assert connection.recv(100) == b""
    error = forwarder.wait_for_line(r"An error occurred forwarding")
    assert "error forwarding port 81 to pod" in error.string
    assert "dial tcp4 127.0.0.1:81: connect: connection refused" in error.string
    forwarder.wait_for_line(r"^error: lost connection to pod$")


def test_a_pod_that_is_not_running_is_refused_by_kubectl(kubectl, namespace):
    kubectl("run", "stuck", "-n", namespace, "--image=registry.invalid/nothing:1")
    result = run_kubectl(kubectl, "port-forward", "pod/stuck", ":80", "-n", namespace)
    assert result.returncode == 1
    assert result.stderr == (
        "error: unable to forward port because pod is not running. Current status=Pending\n"
    )


def _http_over(connection: socket.socket) -> bytes:
    connection.sendall(b"GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n")
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
    return answer


def test_python_client_port_forward(api_client, namespace, web):
    core = client.CoreV1Api(api_client)
    forward = portforward(core.connect_get_namespaced_pod_portforward, web, namespace, ports="80")
    connection = forward.socket(80)
    connection.settimeout(10)
    try:
        answer = _http_over(connection)
    finally:
        connection.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Welcome to nginx!" in answer
    assert forward.error(80) is None


def test_python_client_sees_the_error_channel(api_client, namespace, web):
    core = client.CoreV1Api(api_client)
    forward = portforward(core.connect_get_namespaced_pod_portforward, web, namespace, ports="81")
    connection = forward.socket(81)
    connection.settimeout(10)
    try:
        assert connection.recv(100) == b""
    finally:
        connection.close()
    message = forward.error(81)
    assert message is not None and message.startswith("error forwarding port 81 to pod ")
    assert message.endswith("connect: connection refused")
