"""A corpus of bad manifests and requests: each gets kube-apiserver's 4xx Status, with a message
that says what is wrong, and leaves what is stored alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.reliability.rawapi import RawAPI

CONFIGMAPS = "/api/v1/namespaces/{ns}/configmaps"
DEPLOYMENTS = "/apis/apps/v1/namespaces/{ns}/deployments"
NOT_FOUND_PATH = "the server could not find the requested resource"
NAME_RULE = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters"


def configmap(name: str = "cm", **fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, **fields}


def nested(depth: int, opening: str = "[", closing: str = "]") -> str:
    return opening * depth + closing * depth


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    body: Any
    code: int
    reason: str
    message: str
    content_type: str = "application/json"
    #: The message must equal ``message``, or (when False) start with it.
    exact: bool = True


CORPUS = [
    Case(
        "truncated-json",
        "POST",
        CONFIGMAPS,
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"',
        400,
        "BadRequest",
        "couldn't get version/kind; json parse error: ",
        exact=False,
    ),
    Case(
        "empty-body",
        "POST",
        CONFIGMAPS,
        "",
        400,
        "BadRequest",
        "couldn't get version/kind; json parse error: unexpected end of JSON input",
    ),
    Case(
        "binary-garbage",
        "POST",
        CONFIGMAPS,
        b"\xff\xfe\x00garbage",
        400,
        "BadRequest",
        "couldn't get version/kind; json parse error: ",
        exact=False,
    ),
    Case(
        "malformed-yaml",
        "POST",
        CONFIGMAPS,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x",
        400,
        "BadRequest",
        "error converting YAML to JSON: yaml: line 3: ",
        "application/yaml",
        exact=False,
    ),
    Case(
        "json-array-body",
        "POST",
        CONFIGMAPS,
        [1, 2],
        400,
        "BadRequest",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml, application/vnd.kubernetes.protobuf",
    ),
    Case(
        "string-for-int",
        "POST",
        DEPLOYMENTS,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "d"},
            "spec": {"replicas": "three"},
        },
        400,
        "BadRequest",
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '
        "string into Go struct field DeploymentSpec.spec.replicas of type int32",
    ),
    Case(
        "number-for-string",
        "POST",
        CONFIGMAPS,
        configmap(data={"a": 1}),
        400,
        "BadRequest",
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal '
        "number into Go struct field ConfigMap.data.a of type string",
    ),
    Case(
        "string-for-object",
        "POST",
        CONFIGMAPS,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": "cm"},
        400,
        "BadRequest",
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal '
        "string into Go struct field ConfigMap.metadata of type struct",
    ),
    Case(
        "body-over-3mib",
        "POST",
        CONFIGMAPS,
        configmap(data={"a": "x" * (4 * 1024 * 1024)}),
        413,
        "RequestEntityTooLarge",
        "Request entity too large: limit is 3145728",
    ),
    Case(
        "configmap-over-1mib",
        "POST",
        CONFIGMAPS,
        configmap(data={"a": "x" * (1024 * 1024 + 1)}),
        422,
        "Invalid",
        'ConfigMap "cm" is invalid: Too long: may not be more than 1048576 bytes',
    ),
    Case(
        "json-nested-past-go-limit",
        "POST",
        CONFIGMAPS,
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":'
        + nested(20_000)
        + "}",
        400,
        "BadRequest",
        "couldn't get version/kind; json parse error: exceeded max depth",
    ),
    Case(
        "json-nested-deep-objects",
        "POST",
        CONFIGMAPS,
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"x":'
        + nested(5_000, '{"a":', "}").replace('{"a":}', '{"a":1}')
        + "}",
        400,
        "BadRequest",
        "couldn't get version/kind; json parse error: exceeded max depth",
    ),
    Case(
        "yaml-nested-deep",
        "POST",
        CONFIGMAPS,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\nx: " + nested(3_000),
        400,
        "BadRequest",
        "error converting YAML to JSON: yaml: exceeded max depth of 10000",
        "application/yaml",
    ),
    Case(
        "merge-patch-nested-deep",
        "PATCH",
        CONFIGMAPS + "/keep",
        '{"data":' + nested(20_000) + "}",
        400,
        "BadRequest",
        "couldn't get version/kind; json parse error: exceeded max depth",
        "application/merge-patch+json",
    ),
    Case(
        "unknown-group",
        "POST",
        "/apis/example.com/v1/namespaces/{ns}/widgets",
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}},
        404,
        "NotFound",
        NOT_FOUND_PATH,
    ),
    Case(
        "unknown-version",
        "POST",
        "/apis/apps/v9/namespaces/{ns}/deployments",
        {"apiVersion": "apps/v9", "kind": "Deployment", "metadata": {"name": "d"}},
        404,
        "NotFound",
        NOT_FOUND_PATH,
    ),
    Case(
        "unknown-resource",
        "GET",
        "/api/v1/namespaces/{ns}/widgets",
        None,
        404,
        "NotFound",
        NOT_FOUND_PATH,
    ),
    Case(
        "kind-not-served-at-path",
        "POST",
        CONFIGMAPS,
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}},
        400,
        "BadRequest",
        'Secret in version "v1" cannot be handled as a ConfigMap: '
        'no kind "Secret" is registered for version "v1"',
    ),
    Case(
        "version-not-served-at-path",
        "POST",
        CONFIGMAPS,
        {"apiVersion": "v2", "kind": "ConfigMap", "metadata": {"name": "cm"}},
        400,
        "BadRequest",
        "the API version in the data (v2) does not match the expected API version (v1)",
    ),
    Case(
        "uppercase-name",
        "POST",
        CONFIGMAPS,
        configmap("Bad_Name"),
        422,
        "Invalid",
        'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ' + NAME_RULE,
        exact=False,
    ),
    Case(
        "dot-dot-name",
        "POST",
        CONFIGMAPS,
        configmap(".."),
        422,
        "Invalid",
        'ConfigMap ".." is invalid: metadata.name: Invalid value: "..": ' + NAME_RULE,
        exact=False,
    ),
    Case(
        "name-too-long",
        "POST",
        CONFIGMAPS,
        configmap("x" * 300),
        422,
        "Invalid",
        f'ConfigMap "{"x" * 300}" is invalid: metadata.name: Invalid value: ',
        exact=False,
    ),
    Case(
        "namespace-mismatch",
        "POST",
        CONFIGMAPS,
        {**configmap(), "metadata": {"name": "cm", "namespace": "kube-system"}},
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
    ),
    Case(
        "name-mismatch",
        "PUT",
        CONFIGMAPS + "/keep",
        configmap("other"),
        400,
        "BadRequest",
        "the name of the object (other) does not match the name on the URL (keep)",
    ),
    Case(
        "dot-dot-name-in-url",
        "GET",
        CONFIGMAPS + "/%2e%2e",
        None,
        400,
        "BadRequest",
        "Name parameter invalid: \"..\": may not be '..'",
    ),
    Case(
        "percent-in-name",
        "DELETE",
        CONFIGMAPS + "/a%25b",
        None,
        400,
        "BadRequest",
        "Name parameter invalid: \"a%b\": may not contain '%'",
    ),
    Case(
        "climb-out-of-namespace",
        "GET",
        "/api/v1/namespaces/{ns}/../kube-system/secrets",
        None,
        400,
        "BadRequest",
        "Name parameter invalid: \"..\": may not be '..'",
    ),
    Case(
        "namespace-dot-dot-to-all-secrets",
        "GET",
        "/api/v1/namespaces/../secrets",
        None,
        400,
        "BadRequest",
        "Name parameter invalid: \"..\": may not be '..'",
    ),
    Case(
        "encoded-slash-in-name",
        "GET",
        CONFIGMAPS + "/keep%2F..%2F..%2Fsecrets",
        None,
        404,
        "NotFound",
        NOT_FOUND_PATH,
    ),
    Case(
        "unsupported-body-type",
        "POST",
        CONFIGMAPS,
        configmap(),
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml, application/vnd.kubernetes.protobuf",
        "text/plain",
    ),
    Case(
        "patch-without-patch-type",
        "PATCH",
        CONFIGMAPS + "/keep",
        {"data": {"a": "b"}},
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/strategic-merge-patch+json, application/apply-patch+yaml",
    ),
    Case(
        "strict-unknown-field",
        "POST",
        CONFIGMAPS + "?fieldValidation=Strict",
        configmap(bogus=1),
        400,
        "BadRequest",
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
        'unknown field "bogus"',
    ),
    Case(
        "bad-dry-run",
        "POST",
        CONFIGMAPS + "?dryRun=Maybe",
        configmap(),
        422,
        "Invalid",
        'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Maybe"]: '
        'supported values: "All"',
    ),
    Case(
        "bad-label-selector",
        "GET",
        CONFIGMAPS + "?labelSelector=a+in+(",
        None,
        400,
        "BadRequest",
        "unable to parse requirement: found '', expected: ',', ')' or identifier",
    ),
    Case(
        "into-missing-namespace",
        "POST",
        "/api/v1/namespaces/no-such-namespace-x/configmaps",
        configmap(),
        404,
        "NotFound",
        'namespaces "no-such-namespace-x" not found',
    ),
]


@pytest.fixture()
def stored(raw: RawAPI, namespace: str) -> dict[str, Any]:
    """A ConfigMap that every bad request must leave exactly as it was."""
    reply = raw.request("POST", CONFIGMAPS.format(ns=namespace), configmap("keep", data={"k": "v"}))
    assert reply.status == 201, reply.body
    return reply.json()


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_bad_request_gets_a_status_that_explains_it(
    raw: RawAPI, namespace: str, stored: dict[str, Any], case: Case
) -> None:
    reply = raw.request(case.method, case.path.format(ns=namespace), case.body, case.content_type)
    assert b"Traceback" not in reply.body
    status = reply.json()
    assert (reply.status, status["kind"], status["status"]) == (case.code, "Status", "Failure")
    assert (status["code"], status["reason"]) == (case.code, case.reason), status
    if case.exact:
        assert status["message"] == case.message
    else:
        assert status["message"].startswith(case.message), status["message"]
    listed = raw.request("GET", CONFIGMAPS.format(ns=namespace)).json()
    names = sorted(item["metadata"]["name"] for item in listed["items"])
    assert names == ["keep", "kube-root-ca.crt"]
    keep = raw.request("GET", CONFIGMAPS.format(ns=namespace) + "/keep").json()
    assert keep == stored


def test_invalid_objects_name_every_bad_field(raw: RawAPI, namespace: str) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"bad key!": "v"}},
        "spec": {
            "containers": [
                {"name": "c", "image": "nginx", "resources": {"limits": {"cpu": "lots"}}}
            ]
        },
    }
    reply = raw.request("POST", f"/api/v1/namespaces/{namespace}/pods", pod)
    status = reply.json()
    assert (reply.status, status["reason"]) == (422, "Invalid")
    fields = [cause["field"] for cause in status["details"]["causes"]]
    assert "metadata.labels" in fields
    assert "spec.containers[0].resources.limits[cpu]" in fields
    assert json.dumps(status).count("quantities must match the regular expression") >= 1


@pytest.mark.parametrize("value", ["", "yes", "True"])
def test_any_watch_value_but_false_or_0_asks_for_a_watch(
    raw: RawAPI, namespace: str, value: str
) -> None:
    """apimachinery reads a boolean query value as true unless it is ``false`` or ``0``: the
    authorizer, the handler and the resources that cannot be watched agree on it."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "list-only"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "list-only"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "list-only"},
        "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": namespace}],
    }
    rbac = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}"
    assert raw.request("POST", f"{rbac}/roles", role).status == 201
    assert raw.request("POST", f"{rbac}/rolebindings", binding).status == 201
    request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}
    issued = raw.request(
        "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/default/token", request
    )
    lister = raw.with_token(issued.json()["status"]["token"])
    configmaps = CONFIGMAPS.format(ns=namespace)
    assert lister.request("GET", f"{configmaps}?watch=false").status == 200
    refused = lister.request("GET", f"{configmaps}?watch={value}&timeoutSeconds=1")
    assert refused.status == 403
    assert refused.json()["message"] == (
        f'configmaps is forbidden: User "system:serviceaccount:{namespace}:default" cannot '
        f'watch resource "configmaps" in API group "" in the namespace "{namespace}"'
    )
    statuses = raw.request("GET", f"/api/v1/componentstatuses?watch={value}")
    assert (statuses.status, statuses.json()["reason"]) == (405, "MethodNotAllowed")
