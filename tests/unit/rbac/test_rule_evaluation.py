"""Policy rules, refusals and escalation checks, worded as kube-apiserver words them."""

from __future__ import annotations

import pytest

from kubelab.cluster.api.authn import User
from kubelab.cluster.api.authz import (
    Attributes,
    breakdown,
    compact,
    compact_string,
    forbidden,
    rule_allows,
    uncovered,
)

ALICE = User("alice", ("system:authenticated",))


def resource(
    verb: str,
    resource: str,
    group: str = "",
    namespace: str = "team",
    subresource: str = "",
    name: str = "",
) -> Attributes:
    return Attributes(
        ALICE,
        verb,
        True,
        namespace=namespace,
        api_group=group,
        resource=resource,
        subresource=subresource,
        name=name,
    )


def path(verb: str, url: str) -> Attributes:
    return Attributes(ALICE, verb, False, path=url)


PODS_READ = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}


@pytest.mark.parametrize(
    ("rule", "request_", "allowed"),
    [
        (PODS_READ, resource("get", "pods"), True),
        (PODS_READ, resource("delete", "pods"), False),
        (PODS_READ, resource("get", "pods", group="apps"), False),
        # A rule for pods does not reach their subresources.
        (PODS_READ, resource("get", "pods", subresource="log"), False),
        (
            {**PODS_READ, "resources": ["pods/log"]},
            resource("get", "pods", subresource="log"),
            True,
        ),
        ({**PODS_READ, "resources": ["*/log"]}, resource("get", "pods", subresource="log"), True),
        ({**PODS_READ, "resources": ["*/log"]}, resource("get", "pods"), False),
        (
            {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
            resource("escalate", "roles"),
            True,
        ),
        ({**PODS_READ, "resourceNames": ["web"]}, resource("get", "pods", name="web"), True),
        ({**PODS_READ, "resourceNames": ["web"]}, resource("get", "pods", name="db"), False),
        # A named rule cannot allow listing: a list request names no object.
        ({**PODS_READ, "resourceNames": ["web"]}, resource("list", "pods"), False),
        ({"nonResourceURLs": ["/healthz"], "verbs": ["get"]}, path("get", "/healthz"), True),
        ({"nonResourceURLs": ["/apis/*"], "verbs": ["get"]}, path("get", "/apis/apps/v1"), True),
        ({"nonResourceURLs": ["/apis/*"], "verbs": ["get"]}, path("get", "/apis"), False),
        ({"nonResourceURLs": ["*"], "verbs": ["*"]}, path("post", "/logs"), True),
        (PODS_READ, path("get", "/healthz"), False),
    ],
)
def test_rule_allows(rule: dict, request_: Attributes, allowed: bool) -> None:
    assert rule_allows(request_, rule) is allowed


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            resource("list", "pods", namespace="default"),
            'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in '
            'the namespace "default"',
        ),
        (
            resource("list", "nodes", namespace=""),
            'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at '
            "the cluster scope",
        ),
        (
            resource("get", "deployments", group="apps", name="web"),
            'deployments.apps "web" is forbidden: User "alice" cannot get resource '
            '"deployments" in API group "apps" in the namespace "team"',
        ),
        (
            resource("get", "pods", subresource="log", name="web"),
            'pods "web" is forbidden: User "alice" cannot get resource "pods/log" in API group '
            '"" in the namespace "team"',
        ),
        (
            path("get", "/metrics"),
            'forbidden: User "alice" cannot get path "/metrics"',
        ),
    ],
)
def test_forbidden_messages(request_: Attributes, message: str) -> None:
    error = forbidden(request_)
    assert (error.code, error.reason, error.message) == (403, "Forbidden", message)


def test_forbidden_details_name_the_group_resource_and_object() -> None:
    error = forbidden(resource("get", "deployments", group="apps", name="web"))
    assert error.details == {"name": "web", "group": "apps", "kind": "deployments"}
    assert forbidden(resource("list", "pods")).details == {"kind": "pods"}


def test_forbidden_reason_is_appended() -> None:
    reason = 'RBAC: role.rbac.authorization.k8s.io "gone" not found'
    error = forbidden(resource("list", "pods"), reason)
    assert error.message.endswith(f'in the namespace "team": {reason}')


def test_breakdown_splits_into_single_permissions() -> None:
    rule = {"apiGroups": ["", "apps"], "resources": ["pods"], "verbs": ["get", "list"]}
    assert len(breakdown(rule)) == 4
    named = {**PODS_READ, "resourceNames": ["a", "b"]}
    assert {r["resourceNames"][0] for r in breakdown(named)} == {"a", "b"}
    urls = {"nonResourceURLs": ["/a", "/b"], "verbs": ["get"]}
    assert breakdown(urls) == [
        {"nonResourceURLs": ["/a"], "verbs": ["get"]},
        {"nonResourceURLs": ["/b"], "verbs": ["get"]},
    ]


def test_uncovered_finds_what_the_owner_lacks() -> None:
    owned = [
        {"apiGroups": [""], "resources": ["pods", "pods/*"], "verbs": ["*"]},
        {"nonResourceURLs": ["/apis/*"], "verbs": ["get"]},
    ]
    wanted = [
        {"apiGroups": [""], "resources": ["pods", "secrets"], "verbs": ["get"]},
        {"nonResourceURLs": ["/apis/apps", "/healthz"], "verbs": ["get"]},
    ]
    assert uncovered(owned, wanted) == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
        {"nonResourceURLs": ["/healthz"], "verbs": ["get"]},
    ]


def test_subresource_wildcards_cover_any_resource() -> None:
    owned = [{"apiGroups": [""], "resources": ["*/status"], "verbs": ["get"]}]
    wanted = [{"apiGroups": [""], "resources": ["pods/status", "pods"], "verbs": ["get"]}]
    assert uncovered(owned, wanted) == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
    ]


def test_named_rules_do_not_cover_unnamed_ones() -> None:
    owned = [{**PODS_READ, "resourceNames": ["web"]}]
    assert uncovered(owned, [{**PODS_READ, "resourceNames": ["web"]}]) == []
    assert len(uncovered(owned, [PODS_READ])) == 3


def test_compact_merges_verbs_of_simple_rules() -> None:
    pieces = breakdown(
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}
    )
    assert compact(pieces) == [
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}
    ]


def test_compact_string_is_gos_format() -> None:
    rule = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}
    assert compact_string(rule) == '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}'
    named = {"apiGroups": ["apps"], "resources": ["x"], "resourceNames": ["a"], "verbs": ["get"]}
    assert compact_string(named) == (
        '{APIGroups:["apps"], Resources:["x"], ResourceNames:["a"], Verbs:["get"]}'
    )
    assert compact_string({"nonResourceURLs": ["*"], "verbs": ["*"]}) == (
        '{NonResourceURLs:["*"], Verbs:["*"]}'
    )
