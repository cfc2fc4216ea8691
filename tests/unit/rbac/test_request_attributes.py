"""Request attributes are read from the URL exactly as kube-apiserver's RequestInfoFactory does."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from kubelab.cluster.api.authn import User
from kubelab.cluster.api.authz import Attributes, request_attributes

ALICE = User("alice", ("system:authenticated",))


def attributes(method: str, url: str) -> Attributes:
    return request_attributes(make_mocked_request(method, url), ALICE)


@pytest.mark.parametrize(
    ("method", "url", "verb", "namespace", "group", "resource", "subresource", "name"),
    [
        ("GET", "/api/v1/namespaces/team/pods", "list", "team", "", "pods", "", ""),
        ("GET", "/api/v1/namespaces/team/pods?watch=true", "watch", "team", "", "pods", "", ""),
        ("GET", "/api/v1/namespaces/team/pods?watch=0", "list", "team", "", "pods", "", ""),
        ("GET", "/api/v1/namespaces/team/pods/web", "get", "team", "", "pods", "", "web"),
        ("GET", "/api/v1/namespaces/team/pods/web/log", "get", "team", "", "pods", "log", "web"),
        ("POST", "/api/v1/namespaces/team/pods", "create", "team", "", "pods", "", ""),
        (
            "PUT",
            "/api/v1/namespaces/team/pods/web/status",
            "update",
            "team",
            "",
            "pods",
            "status",
            "web",
        ),
        (
            "PATCH",
            "/apis/apps/v1/namespaces/team/deployments/web/scale",
            "patch",
            "team",
            "apps",
            "deployments",
            "scale",
            "web",
        ),
        ("DELETE", "/api/v1/namespaces/team/pods/web", "delete", "team", "", "pods", "", "web"),
        ("DELETE", "/api/v1/namespaces/team/pods", "deletecollection", "team", "", "pods", "", ""),
        ("GET", "/api/v1/nodes", "list", "", "", "nodes", "", ""),
        (
            "GET",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/edit",
            "get",
            "",
            "rbac.authorization.k8s.io",
            "clusterroles",
            "",
            "edit",
        ),
        # A namespace is read *in* itself, so a RoleBinding there can grant it.
        ("GET", "/api/v1/namespaces/team", "get", "team", "", "namespaces", "", "team"),
        (
            "PUT",
            "/api/v1/namespaces/team/finalize",
            "update",
            "team",
            "",
            "namespaces",
            "finalize",
            "team",
        ),
        ("GET", "/api/v1/namespaces", "list", "", "", "namespaces", "", ""),
        # kubectl get pod web -w lists with a field selector on the name.
        (
            "GET",
            "/api/v1/namespaces/team/pods?fieldSelector=metadata.name%3Dweb&watch=1",
            "watch",
            "team",
            "",
            "pods",
            "",
            "web",
        ),
        (
            "GET",
            "/api/v1/namespaces/team/services/web:80/proxy/index.html",
            "get",
            "team",
            "",
            "services",
            "proxy",
            "web:80",
        ),
        ("GET", "/api/v1/watch/namespaces/team/pods", "watch", "team", "", "pods", "", ""),
        ("GET", "/api/v1/proxy/namespaces/team/pods/web/x", "proxy", "team", "", "pods", "", "web"),
    ],
)
def test_resource_requests(
    method: str,
    url: str,
    verb: str,
    namespace: str,
    group: str,
    resource: str,
    subresource: str,
    name: str,
) -> None:
    found = attributes(method, url)
    assert found.resource_request
    assert (found.verb, found.namespace, found.api_group, found.resource) == (
        verb,
        namespace,
        group,
        resource,
    )
    assert (found.subresource, found.name) == (subresource, name)


@pytest.mark.parametrize(
    ("method", "url", "verb"),
    [
        ("GET", "/api", "get"),
        ("GET", "/api/v1", "get"),
        ("GET", "/apis/apps", "get"),
        ("GET", "/apis/apps/v1", "get"),
        ("GET", "/healthz", "get"),
        ("GET", "/openapi/v3/apis/apps/v1", "get"),
        ("POST", "/logs", "post"),
    ],
)
def test_non_resource_requests(method: str, url: str, verb: str) -> None:
    found = attributes(method, url)
    assert not found.resource_request
    assert (found.verb, found.path) == (verb, url)
