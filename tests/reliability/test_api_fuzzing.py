"""Fuzzing the API with requests generated from the teaching cluster's own OpenAPI documents:
no 5xx, no traceback, every error a Status, and nothing outside the target namespace changes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from tests.reliability.background import ServerProcess
from tests.reliability.rawapi import RawAPI

EXAMPLES_PER_OPERATION = 4
TARGET = "fuzz"
BYSTANDER = "bystander"
#: Plain CRUD on a few kinds with very different schemas; streaming subresources and watches
#: would hold the connection open, which is not what this test is about.
DOCUMENTS = {
    "/openapi/v3/api/v1": r"^/api/v1/namespaces/\{namespace\}/"
    r"(configmaps|secrets|services|pods)(/\{name\}(/status)?)?$",
    "/openapi/v3/apis/apps/v1": r"^/apis/apps/v1/namespaces/\{namespace\}/"
    r"(deployments)(/\{name\}(/status|/scale)?)?$",
}
#: Query parameters that turn a list into a long-lived stream.
STREAMING_PARAMETERS = ("watch", "follow", "sendInitialEvents")
KINDS = ("configmaps", "secrets", "services", "pods")


@pytest.fixture(scope="module")
def fuzz_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawAPI]:
    """A cluster of its own, in a child process so that generating cases does not slow it."""
    server = ServerProcess(tmp_path_factory.mktemp("fuzz-home"))
    try:
        yield server.start()
    finally:
        server.stop()


def openapi_document(api: RawAPI, path: str) -> dict[str, Any]:
    reply = api.request("GET", path)
    assert reply.status == 200
    return reply.json()


def bystander_state(api: RawAPI) -> dict[str, dict[str, str]]:
    """Every object in the bystander namespace (and every namespace), by resourceVersion."""
    state = {}
    paths = [f"/api/v1/namespaces/{BYSTANDER}/{kind}" for kind in KINDS]
    paths += [f"/apis/apps/v1/namespaces/{BYSTANDER}/deployments", "/api/v1/namespaces"]
    for path in paths:
        items = api.request("GET", path).json()["items"]
        state[path] = {i["metadata"]["name"]: i["metadata"]["resourceVersion"] for i in items}
    return state


def seed(api: RawAPI) -> None:
    for name in (TARGET, BYSTANDER):
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        assert api.request("POST", "/api/v1/namespaces", body).status == 201
    base = f"/api/v1/namespaces/{BYSTANDER}"
    objects = [
        (f"{base}/configmaps", {"kind": "ConfigMap", "data": {"k": "v"}}),
        (f"{base}/secrets", {"kind": "Secret", "stringData": {"password": "s3cret"}}),
        (
            f"{base}/services",
            {"kind": "Service", "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}},
        ),
    ]
    for path, body in objects:
        body = {"apiVersion": "v1", "metadata": {"name": "keep"}, **body}
        assert api.request("POST", path, body).status == 201, path


def test_generated_requests_never_break_the_server(fuzz_api: RawAPI) -> None:
    api = fuzz_api
    seed(api)
    before = bystander_state(api)
    failures: list[str] = []
    requests = 0
    for document, paths in DOCUMENTS.items():
        schema = schemathesis.openapi.from_dict(openapi_document(api, document))
        for result in schema.include(path_regex=paths).get_all_operations():
            operation = result.ok()

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def send(case: Any) -> None:
                nonlocal requests
                case.path_parameters = {**(case.path_parameters or {}), "namespace": TARGET}
                case.query = {
                    k: v for k, v in (case.query or {}).items() if k not in STREAMING_PARAMETERS
                }
                response = case.call(
                    base_url=f"https://127.0.0.1:{api.port}",
                    headers={"Authorization": f"Bearer {api.token}"},
                    verify=str(api.ca_file),
                    timeout=30,
                )
                requests += 1
                problem = response_problem(response.status_code, response.content)
                if problem:
                    failures.append(f"{case.method} {case.formatted_path} {case.query}: {problem}")

            send()
    assert requests >= 150
    assert not failures, "\n".join(failures[:20])
    assert bystander_state(api) == before


def response_problem(status: int, body: bytes) -> str | None:
    """What is wrong with one reply, or None."""
    if status >= 500:
        return f"{status}: {body[:300]!r}"
    if b"Traceback" in body or re.search(rb'File "[^"]+\.py", line', body):
        return f"traceback in reply: {body[:300]!r}"
    if status >= 400:
        try:
            document = json.loads(body)
        except ValueError:
            return f"{status} without a Status body: {body[:300]!r}"
        if document.get("kind") != "Status" or document.get("code") != status:
            return f"{status} with a body that is not its Status: {body[:300]!r}"
    return None


def test_the_fuzzed_documents_are_the_served_ones(fuzz_api: RawAPI) -> None:
    """The fuzzer reads the same documents kubectl does, found through the OpenAPI v3 index."""
    index = fuzz_api.request("GET", "/openapi/v3").json()["paths"]
    for document in DOCUMENTS:
        served = index[document.removeprefix("/openapi/v3/")]["serverRelativeURL"]
        assert served.split("?")[0] == document
