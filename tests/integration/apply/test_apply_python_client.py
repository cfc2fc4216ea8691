"""Server-side apply from the official Python client, as a notebook or an operator sends it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes.client import ApiClient
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ConflictError


def configmap(namespace: str, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "notes", "namespace": namespace},
        "data": data,
    }


def apply_patch(
    api_client: ApiClient, namespace: str, body: dict[str, Any], manager: str
) -> tuple[int, dict[str, Any]]:
    """A raw apply PATCH: the body is a dict, sent with the apply-patch content type."""
    request = api_client.param_serialize(
        "PATCH",
        "/api/v1/namespaces/{namespace}/configmaps/{name}",
        path_params={"namespace": namespace, "name": body["metadata"]["name"]},
        query_params=[("fieldManager", manager)],
        header_params={
            "Content-Type": "application/apply-patch+yaml",
            "Accept": "application/json",
        },
        body=body,
        auth_settings=["BearerToken"],
    )
    response = api_client.call_api(*request)
    response.read()
    return response.status, json.loads(response.data)


def test_call_api_with_an_apply_patch(api_client: ApiClient, namespace: str) -> None:
    status, created = apply_patch(api_client, namespace, configmap(namespace, a="1"), "notebook")
    assert status == 201
    (entry,) = created["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("notebook", "Apply")
    assert entry["fieldsV1"] == {"f:data": {"f:a": {}}}

    status, updated = apply_patch(api_client, namespace, configmap(namespace, b="2"), "notebook")
    assert status == 200
    assert updated["data"] == {"b": "2"}


def test_dynamic_client_server_side_apply(api_client: ApiClient, namespace: str) -> None:
    dynamic = DynamicClient(api_client)
    configmaps = dynamic.resources.get(api_version="v1", kind="ConfigMap")
    created = dynamic.server_side_apply(
        configmaps, body=configmap(namespace, a="1"), field_manager="operator"
    )
    assert created.data.a == "1"

    with pytest.raises(ConflictError) as caught:
        dynamic.server_side_apply(
            configmaps, body=configmap(namespace, a="2"), field_manager="intruder"
        )
    status = json.loads(caught.value.body)
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "operator": .data.a'
    assert status["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "operator"',
            "field": ".data.a",
        }
    ]

    forced = dynamic.server_side_apply(
        configmaps, body=configmap(namespace, a="2"), field_manager="intruder", force_conflicts=True
    )
    assert forced.data.a == "2"
    owners = [e.manager for e in forced.metadata.managedFields]
    assert owners == ["intruder"]
