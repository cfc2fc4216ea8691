"""Bad query parameters get kube-apiserver's answers, through the official client, raw HTTP
and kubectl; good ones keep working (pages, streaming lists, graceful deletes)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException


def send(
    api_client: Any, method: str, path: str, query: list[tuple[str, str]], body: Any = None
) -> Any:
    """One raw HTTP request with the client's credentials; the response, read."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    prepared = api_client.param_serialize(
        method,
        path,
        query_params=query,
        header_params=headers,
        body=body,
        auth_settings=["BearerToken"],
    )
    response = api_client.call_api(*prepared)
    response.read()
    return response


def request(
    api_client: Any, method: str, path: str, query: list[tuple[str, str]], body: Any = None
) -> tuple[int, Any]:
    """(status, decoded JSON body) of one raw request."""
    response = send(api_client, method, path, query, body)
    return response.status, json.loads(response.data)


def configmaps(namespace: str) -> str:
    return f"/api/v1/namespaces/{namespace}/configmaps"


def make_configmaps(api_client: Any, namespace: str, *names: str) -> None:
    core = client.CoreV1Api(api_client)
    for name in names:
        core.create_namespaced_config_map(
            namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name))
        )


def assert_status(reply: tuple[int, Any], code: int, reason: str, message: str) -> dict:
    status, body = reply
    assert (status, body["kind"], body["code"], body["reason"]) == (code, "Status", code, reason)
    assert body["message"] == message
    return body


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("limit", "ten", 'strconv.ParseInt: parsing "ten": invalid syntax'),
        ("timeoutSeconds", "1.5", 'strconv.ParseInt: parsing "1.5": invalid syntax'),
        (
            "resourceVersion",
            "latest",
            'invalid resource version: resourceVersion: Invalid value: "latest": '
            'strconv.ParseUint: parsing "latest": invalid syntax',
        ),
        ("fieldSelector", "spec.foo=bar", "field label not supported: spec.foo"),
        (
            "continue",
            "not-a-token!",
            "invalid continue token: continue key is not valid: illegal base64 data at input "
            "byte 11",
        ),
    ],
)
def test_unparsable_list_parameters_are_bad_requests(
    api_client: Any, namespace: str, name: str, value: str, message: str
) -> None:
    assert_status(
        request(api_client, "GET", configmaps(namespace), [(name, value)]),
        400,
        "BadRequest",
        message,
    )


def test_resource_version_match_rules_are_422_with_causes(api_client: Any, namespace: str) -> None:
    core = client.CoreV1Api(api_client)
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_config_map(namespace, resource_version_match="NotOlderThan")
    body = json.loads(caught.value.body)
    assert (caught.value.status, body["reason"]) == (422, "Invalid")
    assert body["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
        "resourceVersionMatch is forbidden unless resourceVersion is provided"
    )
    assert body["details"]["group"] == "meta.k8s.io"
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueForbidden",
            "message": "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is "
            "provided",
            "field": "resourceVersionMatch",
        }
    ]
    exact_zero = [("resourceVersion", "0"), ("resourceVersionMatch", "Exact")]
    assert_status(
        request(api_client, "GET", configmaps(namespace), exact_zero),
        422,
        "Invalid",
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
        'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    )
    unknown = [("resourceVersion", "1"), ("resourceVersionMatch", "Latest")]
    assert_status(
        request(api_client, "GET", configmaps(namespace), unknown),
        422,
        "Invalid",
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: '
        '"Latest": supported values: "Exact", "NotOlderThan", ""',
    )
    listed = core.list_namespaced_config_map(
        namespace, resource_version="1", resource_version_match="NotOlderThan"
    )
    assert [item.metadata.name for item in listed.items] == ["kube-root-ca.crt"]


def test_send_initial_events_rules(api_client: Any, namespace: str) -> None:
    path = configmaps(namespace)
    assert_status(
        request(api_client, "GET", path, [("sendInitialEvents", "false")]),
        422,
        "Invalid",
        'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: '
        "sendInitialEvents is forbidden for list",
    )
    assert_status(
        request(api_client, "GET", path, [("watch", "1"), ("sendInitialEvents", "true")]),
        422,
        "Invalid",
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
        "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
    )


def watch_lines(api_client: Any, path: str, query: list[tuple[str, str]]) -> list[dict]:
    response = send(api_client, "GET", path, [*query, ("timeoutSeconds", "1")])
    assert response.status == 200
    return [json.loads(line) for line in response.data.decode().splitlines() if line]


def test_streaming_list_ends_with_a_bookmark_only_when_bookmarks_are_allowed(
    api_client: Any, namespace: str
) -> None:
    make_configmaps(api_client, namespace, "one")
    path = configmaps(namespace)
    streaming = [
        ("watch", "true"),
        ("sendInitialEvents", "true"),
        ("resourceVersionMatch", "NotOlderThan"),
    ]
    events = watch_lines(api_client, path, [*streaming, ("allowWatchBookmarks", "true")])
    assert [e["type"] for e in events[:3]] == ["ADDED", "ADDED", "BOOKMARK"]
    bookmark = events[2]["object"]["metadata"]
    assert bookmark["annotations"] == {"k8s.io/initial-events-end": "true"}
    without = watch_lines(api_client, path, streaming)
    assert [e["type"] for e in without] == ["ADDED", "ADDED"]
    assert {e["object"]["metadata"]["name"] for e in without} == {"one", "kube-root-ca.crt"}


def test_pages_follow_continue_tokens(api_client: Any, namespace: str) -> None:
    make_configmaps(api_client, namespace, "a", "b", "c")
    core = client.CoreV1Api(api_client)
    first = core.list_namespaced_config_map(namespace, limit=2)
    assert [i.metadata.name for i in first.items] == ["a", "b"]
    assert first.metadata.remaining_item_count == 2
    assert "=" not in first.metadata._continue
    second = core.list_namespaced_config_map(namespace, limit=2, _continue=first.metadata._continue)
    assert [i.metadata.name for i in second.items] == ["c", "kube-root-ca.crt"]
    assert second.metadata._continue is None
    assert second.metadata.resource_version == first.metadata.resource_version
    selected = core.list_namespaced_config_map(namespace, limit=1, label_selector="!absent")
    assert selected.metadata._continue and selected.metadata.remaining_item_count is None
    whole = core.list_namespaced_config_map(namespace, limit=2, resource_version="0")
    assert len(whole.items) == 4 and whole.metadata._continue is None


def test_expired_continue_is_410_with_a_token_to_go_on(
    api_client: Any, namespace: str, cluster: Any
) -> None:
    make_configmaps(api_client, namespace, "a", "b", "c")
    path = configmaps(namespace)
    status, first = request(api_client, "GET", path, [("limit", "1")])
    assert status == 200
    make_configmaps(api_client, namespace, "later")
    cluster.run_sync(cluster.cluster.store.compact)
    body = assert_status(
        request(
            api_client, "GET", path, [("limit", "1"), ("continue", first["metadata"]["continue"])]
        ),
        410,
        "Expired",
        "The provided continue parameter is too old to display a consistent list result. You "
        "can start a new list without the continue parameter, or use the continue token in this "
        "response to retrieve the remainder of the results. Continuing with the provided token "
        "results in an inconsistent list - objects that were created, modified, or deleted "
        "between the time the first chunk was returned and now may show up in the list.",
    )
    status, rest = request(api_client, "GET", path, [("continue", body["metadata"]["continue"])])
    assert status == 200
    assert [i["metadata"]["name"] for i in rest["items"]] == ["b", "c", "kube-root-ca.crt", "later"]
    assert int(rest["metadata"]["resourceVersion"]) >= int(first["metadata"]["resourceVersion"])


def names(listed: Any) -> list[str]:
    return [i["metadata"]["name"] for i in listed["items"]]


def test_later_pages_come_from_the_first_pages_snapshot(api_client: Any, namespace: str) -> None:
    make_configmaps(api_client, namespace, "a", "b", "c", "d")
    path = configmaps(namespace)
    status, first = request(api_client, "GET", path, [("limit", "2")])
    assert (status, names(first)) == (200, ["a", "b"])
    core = client.CoreV1Api(api_client)
    core.delete_namespaced_config_map("c", namespace)
    make_configmaps(api_client, namespace, "bb")
    core.patch_namespaced_config_map("d", namespace, {"data": {"changed": "yes"}})
    token = first["metadata"]["continue"]
    status, rest = request(api_client, "GET", path, [("continue", token)])
    assert (status, names(rest)) == (200, ["c", "d", "kube-root-ca.crt"])
    assert "data" not in rest["items"][1]
    assert rest["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_an_exact_version_lists_the_objects_as_they_were(api_client: Any, namespace: str) -> None:
    make_configmaps(api_client, namespace, "a", "b")
    path = configmaps(namespace)
    version = request(api_client, "GET", path, [])[1]["metadata"]["resourceVersion"]
    core = client.CoreV1Api(api_client)
    core.patch_namespaced_config_map("a", namespace, {"metadata": {"labels": {"new": "label"}}})
    core.delete_namespaced_config_map("b", namespace)
    make_configmaps(api_client, namespace, "c")
    exact = [("resourceVersion", version), ("resourceVersionMatch", "Exact")]
    status, then = request(api_client, "GET", path, exact)
    assert (status, names(then)) == (200, ["a", "b", "kube-root-ca.crt"])
    assert "labels" not in then["items"][0]["metadata"]
    assert then["metadata"]["resourceVersion"] == version
    labelled = request(api_client, "GET", path, [*exact, ("labelSelector", "new")])[1]
    assert names(labelled) == []
    status, now = request(api_client, "GET", path, [("resourceVersion", version)])
    assert (status, names(now)) == (200, ["a", "c", "kube-root-ca.crt"])


def test_versions_outside_the_history_are_410_or_504(
    api_client: Any, namespace: str, cluster: Any
) -> None:
    make_configmaps(api_client, namespace, "a")
    path = configmaps(namespace)
    version = int(request(api_client, "GET", path, [])[1]["metadata"]["resourceVersion"])
    future = str(version + 1_000_000)
    status, body = request(api_client, "GET", path, [("resourceVersion", future)])
    assert (status, body["reason"]) == (504, "Timeout")
    assert body["message"].startswith(f"Timeout: Too large resource version: {future}, current: ")
    assert body["details"]["causes"] == [
        {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
    ]
    # A version just ahead is waited for: here the next write makes it current.
    ahead = int(request(api_client, "GET", path, [])[1]["metadata"]["resourceVersion"]) + 1
    writer = threading.Timer(0.5, make_configmaps, (api_client, namespace, "b"))
    writer.start()
    status, listed = request(api_client, "GET", path, [("resourceVersion", str(ahead))])
    writer.join()
    assert status == 200 and int(listed["metadata"]["resourceVersion"]) >= ahead
    cluster.run_sync(cluster.cluster.store.compact)
    exact = [("resourceVersion", str(version)), ("resourceVersionMatch", "Exact")]
    assert_status(
        request(api_client, "GET", path, exact),
        410,
        "Expired",
        "The resourceVersion for the provided list is too old.",
    )


def test_write_options_are_validated_per_verb(api_client: Any, namespace: str) -> None:
    path = configmaps(namespace)
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "opts"}}
    assert_status(
        request(api_client, "POST", path, [("dryRun", "Al")], body),
        422,
        "Invalid",
        'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Al"]: '
        'supported values: "All"',
    )
    bad = [("fieldManager", "m" * 129), ("fieldValidation", "Loud")]
    reply = assert_status(
        request(api_client, "POST", path, bad, body),
        422,
        "Invalid",
        'CreateOptions.meta.k8s.io "" is invalid: [fieldManager: Too long: may not be more '
        'than 128 bytes, fieldValidation: Unsupported value: "Loud": supported values: "", '
        '"Ignore", "Strict", "Warn"]',
    )
    assert [c["field"] for c in reply["details"]["causes"]] == ["fieldManager", "fieldValidation"]
    assert request(api_client, "POST", path, [("fieldManager", "m" * 128)], body)[0] == 201
    assert_status(
        request(api_client, "PUT", f"{path}/opts", [("dryRun", "Yes")], body),
        422,
        "Invalid",
        'UpdateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Yes"]: '
        'supported values: "All"',
    )


def test_delete_options_are_validated(api_client: Any, namespace: str) -> None:
    make_configmaps(api_client, namespace, "doomed")
    path = f"{configmaps(namespace)}/doomed"
    assert_status(
        request(api_client, "DELETE", path, [("propagationPolicy", "Sideways")]),
        422,
        "Invalid",
        'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
        '"Sideways": supported values: "Foreground", "Background", "Orphan", "nil"',
    )
    both = {"propagationPolicy": "Orphan", "orphanDependents": True}
    assert_status(
        request(api_client, "DELETE", path, [], both),
        422,
        "Invalid",
        'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": '
        "orphanDependents and deletionPropagation cannot be both set",
    )
    assert_status(
        request(api_client, "DELETE", path, [("gracePeriodSeconds", "soon")]),
        400,
        "BadRequest",
        'strconv.ParseInt: parsing "soon": invalid syntax',
    )
    assert request(api_client, "GET", path, [])[0] == 200


def test_negative_grace_period_means_one_second(
    api_client: Any, namespace: str, kubectl: Any
) -> None:
    node = kubectl.json("get", "nodes")["items"][0]["metadata"]["name"]
    core = client.CoreV1Api(api_client)
    core.create_namespaced_pod(
        namespace,
        client.V1Pod(
            metadata=client.V1ObjectMeta(name="slow"),
            spec=client.V1PodSpec(
                node_name=node, containers=[client.V1Container(name="c", image="nginx")]
            ),
        ),
    )
    status, deleting = request(
        api_client,
        "DELETE",
        f"/api/v1/namespaces/{namespace}/pods/slow",
        [("gracePeriodSeconds", "-5")],
    )
    assert status == 200
    assert deleting["metadata"]["deletionGracePeriodSeconds"] == 1


def test_kubectl_negative_chunk_size_lists_everything(kubectl: Any, namespace: str) -> None:
    kubectl("create", "configmap", "first", "-n", namespace)
    kubectl("create", "configmap", "second", "-n", namespace)
    result = kubectl.run("get", "configmaps", "-n", namespace, "--chunk-size=-1", "-o", "name")
    assert result.stdout.split() == [
        "configmap/first",
        "configmap/kube-root-ca.crt",
        "configmap/second",
    ]


def test_kubectl_bad_label_selector_shows_the_parser_message(kubectl: Any, namespace: str) -> None:
    result = kubectl.run("get", "pods", "-n", namespace, "-l", "a in (", check=False)
    assert result.returncode == 1
    assert "Error from server (BadRequest)" in result.stderr
    assert result.stderr.rstrip().endswith(
        "unable to parse requirement: found '', expected: ',', ')' or identifier"
    )
    result = kubectl.run(
        "get", "pods", "-n", namespace, "--field-selector", "spec.foo=bar", check=False
    )
    assert result.returncode == 1
    assert "field label not supported: spec.foo" in result.stderr
