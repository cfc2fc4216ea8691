"""Reviews and authentication through the official Python client and plain HTTP: the questions
``kubectl auth`` asks, and what a request without credentials may still see."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kubelab.cluster.embedded import EmbeddedCluster


def anonymous_get(cluster: EmbeddedCluster, path: str) -> tuple[int, dict | str]:
    context = ssl.create_default_context(cafile=str(cluster.kubeconfig.parent / "pki" / "ca.crt"))
    try:
        with urllib.request.urlopen(cluster.url + path, context=context, timeout=10) as reply:
            body = reply.read().decode()
            return reply.status, json.loads(body) if body.startswith("{") else body
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_health_and_version_need_no_credentials(cluster: EmbeddedCluster) -> None:
    assert anonymous_get(cluster, "/readyz") == (200, "ok")
    status, version = anonymous_get(cluster, "/version")
    assert status == 200 and version["major"] == "1"


def test_everything_else_needs_credentials(cluster: EmbeddedCluster) -> None:
    assert anonymous_get(cluster, "/api/v1/namespaces") == (
        401,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        },
    )


def test_subject_access_reviews(api_client: client.ApiClient, namespace: str) -> None:
    rbac = client.RbacAuthorizationV1Api(api_client)
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "erin-view"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "view",
            },
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "erin"}],
        },
    )
    authorization = client.AuthorizationV1Api(api_client)

    def review(verb: str, resource: str, where: str) -> client.V1SubjectAccessReviewStatus:
        body = {
            "spec": {
                "user": "erin",
                "groups": ["system:authenticated"],
                "resourceAttributes": {"namespace": where, "verb": verb, "resource": resource},
            }
        }
        return authorization.create_subject_access_review(body).status

    allowed = review("list", "pods", namespace)
    assert allowed.allowed is True
    assert allowed.reason == (
        f'RBAC: allowed by RoleBinding "erin-view/{namespace}" of ClusterRole "view" to User "erin"'
    )
    assert review("delete", "pods", namespace).allowed is False
    assert review("list", "pods", "default").allowed is False
    local = authorization.create_namespaced_local_subject_access_review(
        namespace,
        {
            "spec": {
                "user": "erin",
                "resourceAttributes": {
                    "namespace": namespace,
                    "verb": "get",
                    "resource": "secrets",
                },
            }
        },
    )
    assert local.status.allowed is False, "view does not read secrets"
    with pytest.raises(ApiException) as mismatch:
        authorization.create_namespaced_local_subject_access_review(
            namespace,
            {"spec": {"user": "erin", "resourceAttributes": {"namespace": "x", "verb": "get"}}},
        )
    assert mismatch.value.status == 422
    assert json.loads(mismatch.value.body)["message"] == (
        'LocalSubjectAccessReview.authorization.k8s.io "" is invalid: '
        'spec.resourceAttributes.namespace: Invalid value: "x": must match metadata.namespace'
    )


def test_a_review_needs_a_question(api_client: client.ApiClient) -> None:
    authorization = client.AuthorizationV1Api(api_client)
    with pytest.raises(ApiException) as invalid:
        authorization.create_subject_access_review({"spec": {"user": "erin"}})
    assert json.loads(invalid.value.body)["message"] == (
        'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: '
        'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must '
        "be specified"
    )


def test_self_subject_rules_review(api_client: client.ApiClient, namespace: str) -> None:
    authorization = client.AuthorizationV1Api(api_client)
    review = authorization.create_self_subject_rules_review({"spec": {"namespace": namespace}})
    assert review.status.incomplete is False
    assert any(
        rule.verbs == ["*"] and rule.resources == ["*"] for rule in review.status.resource_rules
    )
    assert any("/api/*" in rule.non_resource_urls for rule in review.status.non_resource_rules)


def test_token_request_and_review(api_client: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api_client)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "ci"}})
    issued = core.create_namespaced_service_account_token(
        "ci", namespace, {"spec": {"audiences": ["vault"], "expirationSeconds": 1200}}
    )
    assert issued.spec.audiences == ["vault"]
    assert issued.status.token.count(".") == 2
    authentication = client.AuthenticationV1Api(api_client)
    review = authentication.create_token_review(
        {"spec": {"token": issued.status.token, "audiences": ["vault"]}}
    )
    assert review.status.authenticated is True
    assert review.status.user.username == f"system:serviceaccount:{namespace}:ci"
    assert review.status.audiences == ["vault"]
    unknown = authentication.create_token_review({"spec": {"token": "nonsense"}})
    assert unknown.status.authenticated is False
    core.delete_namespaced_service_account("ci", namespace)
    gone = authentication.create_token_review(
        {"spec": {"token": issued.status.token, "audiences": ["vault"]}}
    )
    assert gone.status.authenticated is False
    assert gone.status.error == (
        f"[invalid bearer token, service account {namespace}/ci has been deleted]"
    )
