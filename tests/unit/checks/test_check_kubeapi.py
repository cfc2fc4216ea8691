"""How the checker tells "could not look" (ERROR) from "looked and it is wrong" (FAIL).

A small HTTP server plays an API server that knows pods but refuses to show them (403), as a
shared classroom cluster does for a namespace that is not the student's.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from kubernetes.client import ApiClient, Configuration

from kubelab.checks import (
    ANY,
    AccessDenied,
    Check,
    KubeAPI,
    Outcome,
    Selection,
    StateCriterion,
    run_check,
)
from kubelab.checks.kubeapi import UnknownResource

DISCOVERY = {
    "kind": "APIResourceList",
    "groupVersion": "v1",
    "resources": [
        {"name": "pods", "kind": "Pod", "namespaced": True, "verbs": ["get", "list"]},
        {"name": "pods/log", "kind": "Pod", "namespaced": True, "verbs": ["get"]},
    ],
}
FORBIDDEN = {
    "kind": "Status",
    "apiVersion": "v1",
    "status": "Failure",
    "message": 'pods is forbidden: User "student-b" cannot list resource "pods" in API group "" '
    'in the namespace "student-a"',
    "reason": "Forbidden",
    "code": 403,
}


class StrictServer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        if self.path == "/api/v1":
            self._send(200, DISCOVERY)
        elif self.path.startswith("/api/v1/"):
            self._send(403, FORBIDDEN)
        else:
            self._send(404, {"kind": "Status", "reason": "NotFound", "code": 404})

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def strict_api() -> Iterator[KubeAPI]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StrictServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    configuration = Configuration()
    configuration.host = f"http://127.0.0.1:{server.server_address[1]}"
    client = ApiClient(configuration)
    yield KubeAPI(client)
    client.close()
    server.shutdown()
    thread.join()


def test_forbidden_is_access_denied(strict_api: KubeAPI) -> None:
    pods = strict_api.resource("v1", "Pod")
    assert pods.plural == "pods" and pods.namespaced
    with pytest.raises(AccessDenied, match='cannot list resource "pods"'):
        strict_api.list(pods, "student-a")


def test_a_forbidden_look_is_an_error_verdict(strict_api: KubeAPI) -> None:
    criterion = StateCriterion(
        id="web", title="Pod web", select=Selection("Pod", name="web"), quantifier=ANY
    )
    result = run_check(Check("t/forbidden", "Forbidden", (criterion,)), strict_api, "student-a")
    assert result.outcome is Outcome.ERROR
    assert "this account may not look at that" in result.text()
    assert result.duration < 5


def test_an_unknown_group_is_an_unknown_resource(strict_api: KubeAPI) -> None:
    with pytest.raises(UnknownResource, match="no resource type Widget in example.com/v1"):
        strict_api.resource("example.com/v1", "Widget")
    with pytest.raises(UnknownResource, match="no resource type Deployment in v1"):
        strict_api.resource("v1", "Deployment")
