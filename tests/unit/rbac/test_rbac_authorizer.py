"""The RBAC authorizer and escalation prevention, on a real object API with no HTTP in between."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kubelab.cluster.api.authn import User, reset_current_user, set_current_user
from kubelab.cluster.api.authz import Attributes, Authorizer, prevent_escalation
from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.bootstrap_rbac import ensure_default_policy
from kubelab.cluster.clock import Clock
from kubelab.cluster.resources.builtin import builtin_registry
from kubelab.cluster.store.objects import ObjectStore

RBAC = "rbac.authorization.k8s.io"
ALICE = User("alice", ("system:authenticated",))
ADMIN = User("admin", ("system:masters", "system:authenticated"))


@pytest.fixture()
def api() -> ObjectAPI:
    api = ObjectAPI(ObjectStore(), builtin_registry(), Clock())
    for name in ("team", "other"):
        api.create(api.registry.get("", "v1", "namespaces"), "", {"metadata": {"name": name}})
    ensure_default_policy(api)
    api.admission.append(prevent_escalation)
    return api


def create(api: ObjectAPI, plural: str, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
    strategy = api.registry.get(RBAC, "v1", plural)
    return api.create(strategy, namespace, {"apiVersion": f"{RBAC}/v1", **body})


def binding(name: str, role_kind: str, role: str, *subjects: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "RoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": role},
        "subjects": list(subjects),
    }


def user(name: str) -> dict[str, str]:
    return {"kind": "User", "name": name, "apiGroup": RBAC}


def can(api: ObjectAPI, who: User, verb: str, resource: str, namespace: str = "team", **more: str):
    attributes = Attributes(who, verb, True, namespace=namespace, resource=resource, **more)
    return Authorizer(api).authorize(attributes)


@pytest.fixture()
def acting_as() -> Iterator[Any]:
    tokens = []

    def act(who: User) -> None:
        tokens.append(set_current_user(who))

    yield act
    for token in reversed(tokens):
        reset_current_user(token)


def test_nobody_may_do_anything_without_a_binding(api: ObjectAPI) -> None:
    decision = can(api, ALICE, "list", "pods")
    assert not decision.allowed
    assert decision.reason == ""


def test_system_masters_may_do_anything(api: ObjectAPI) -> None:
    assert can(api, ADMIN, "delete", "nodes", namespace="").allowed


def test_a_role_binding_grants_its_role_in_its_namespace_only(api: ObjectAPI) -> None:
    create(api, "rolebindings", "team", binding("alice-edit", "ClusterRole", "edit", user("alice")))
    decision = can(api, ALICE, "create", "pods")
    assert decision.allowed
    assert decision.reason == (
        'RBAC: allowed by RoleBinding "alice-edit/team" of ClusterRole "edit" to User "alice"'
    )
    assert not can(api, ALICE, "create", "pods", namespace="other").allowed
    assert not can(api, ALICE, "list", "nodes", namespace="").allowed
    # edit reads this namespace (the object itself is read in its own namespace) ...
    assert can(api, ALICE, "get", "namespaces", name="team").allowed
    # ... but grants no RBAC: that is admin's.
    assert not can(api, ALICE, "create", "rolebindings", api_group=RBAC).allowed


def test_groups_and_service_accounts_are_subjects(api: ObjectAPI) -> None:
    account = {"kind": "ServiceAccount", "name": "builder"}
    group = {"kind": "Group", "name": "students", "apiGroup": RBAC}
    create(api, "rolebindings", "team", binding("view", "ClusterRole", "view", account, group))
    robot = User("system:serviceaccount:team:builder", ("system:serviceaccounts",))
    assert can(api, robot, "list", "pods").allowed
    other_robot = User("system:serviceaccount:other:builder", ("system:serviceaccounts",))
    assert not can(api, other_robot, "list", "pods").allowed
    assert can(api, User("bob", ("students",)), "list", "pods").allowed


def test_a_missing_role_is_the_reason_of_a_refusal(api: ObjectAPI) -> None:
    create(api, "rolebindings", "team", binding("gone", "Role", "gone", user("alice")))
    decision = can(api, ALICE, "list", "pods")
    assert not decision.allowed
    assert decision.reason == 'RBAC: role.rbac.authorization.k8s.io "gone" not found'


def test_resource_names_restrict_a_rule(api: ObjectAPI) -> None:
    rule = {
        "apiGroups": [""],
        "resources": ["configmaps"],
        "resourceNames": ["app"],
        "verbs": ["get"],
    }
    create(api, "roles", "team", {"kind": "Role", "metadata": {"name": "one"}, "rules": [rule]})
    create(api, "rolebindings", "team", binding("one", "Role", "one", user("alice")))
    assert can(api, ALICE, "get", "configmaps", name="app").allowed
    assert not can(api, ALICE, "get", "configmaps", name="other").allowed
    assert not can(api, ALICE, "list", "configmaps").allowed


def test_aggregated_roles_gather_labelled_roles(api: ObjectAPI) -> None:
    create(api, "rolebindings", "team", binding("alice-view", "ClusterRole", "view", user("alice")))
    assert not can(api, ALICE, "list", "widgets", api_group="example.com").allowed
    extra = {
        "kind": "ClusterRole",
        "metadata": {
            "name": "widget-reader",
            "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        },
        "rules": [{"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["list"]}],
    }
    create(api, "clusterroles", "", extra)
    assert can(api, ALICE, "list", "widgets", api_group="example.com").allowed


def test_metrics_are_readable_by_viewers(api: ObjectAPI) -> None:
    create(api, "rolebindings", "team", binding("alice-view", "ClusterRole", "view", user("alice")))
    assert can(api, ALICE, "list", "pods", api_group="metrics.k8s.io").allowed


def test_rules_for_lists_every_applicable_rule(api: ObjectAPI) -> None:
    create(api, "rolebindings", "team", binding("alice-view", "ClusterRole", "view", user("alice")))
    rules, problems = Authorizer(api).resolver.rules_for(ALICE, "team")
    assert problems == []
    assert {
        "apiGroups": [""],
        "resources": ["namespaces"],
        "verbs": ["get", "list", "watch"],
    } in rules
    public = ["/healthz", "/livez", "/readyz", "/version", "/version/"]
    assert {"nonResourceURLs": public, "verbs": ["get"]} in rules


# --- escalation ---------------------------------------------------------------------------------


def test_a_role_may_only_grant_what_its_author_holds(api: ObjectAPI, acting_as: Any) -> None:
    create(
        api, "rolebindings", "team", binding("alice-admin", "ClusterRole", "admin", user("alice"))
    )
    acting_as(ALICE)
    allowed = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}
    create(api, "roles", "team", {"kind": "Role", "metadata": {"name": "ok"}, "rules": [allowed]})
    nodes = {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]}
    with pytest.raises(APIError) as refused:
        create(api, "roles", "team", {"kind": "Role", "metadata": {"name": "no"}, "rules": [nodes]})
    assert refused.value.code == 403
    assert refused.value.message == (
        'roles.rbac.authorization.k8s.io "no" is forbidden: user "alice" '
        '(groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently '
        'held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}'
    )


def test_a_binding_may_only_grant_what_its_author_holds(api: ObjectAPI, acting_as: Any) -> None:
    create(
        api, "rolebindings", "team", binding("alice-admin", "ClusterRole", "admin", user("alice"))
    )
    acting_as(ALICE)
    create(api, "rolebindings", "team", binding("bob-view", "ClusterRole", "view", user("bob")))
    with pytest.raises(APIError) as refused:
        create(
            api, "rolebindings", "team", binding("bob", "ClusterRole", "cluster-admin", user("bob"))
        )
    assert refused.value.message == (
        'rolebindings.rbac.authorization.k8s.io "bob" is forbidden: user "alice" '
        '(groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently '
        'held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n'
        '{NonResourceURLs:["*"], Verbs:["*"]}'
    )
    with pytest.raises(APIError) as missing:
        create(api, "rolebindings", "team", binding("x", "Role", "nothing", user("bob")))
    assert (missing.value.code, missing.value.message) == (
        404,
        'roles.rbac.authorization.k8s.io "nothing" not found',
    )


def test_the_bind_verb_allows_granting_more(api: ObjectAPI, acting_as: Any) -> None:
    create(
        api, "rolebindings", "team", binding("alice-admin", "ClusterRole", "admin", user("alice"))
    )
    may_bind = {
        "apiGroups": [RBAC],
        "resources": ["clusterroles"],
        "resourceNames": ["cluster-admin"],
        "verbs": ["bind"],
    }
    create(
        api, "roles", "team", {"kind": "Role", "metadata": {"name": "binder"}, "rules": [may_bind]}
    )
    create(api, "rolebindings", "team", binding("binder", "Role", "binder", user("alice")))
    acting_as(ALICE)
    create(api, "rolebindings", "team", binding("bob", "ClusterRole", "cluster-admin", user("bob")))


def test_aggregation_rules_need_cluster_admin(api: ObjectAPI, acting_as: Any) -> None:
    everything = {"apiGroups": [RBAC], "resources": ["clusterroles"], "verbs": ["create"]}
    role = {"kind": "ClusterRole", "metadata": {"name": "maker"}, "rules": [everything]}
    create(api, "clusterroles", "", role)
    grant = {
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "maker"},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "maker"},
        "subjects": [user("alice")],
    }
    create(api, "clusterrolebindings", "", grant)
    acting_as(ALICE)
    aggregated = {
        "kind": "ClusterRole",
        "metadata": {"name": "gatherer"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]},
    }
    with pytest.raises(APIError) as refused:
        create(api, "clusterroles", "", aggregated)
    assert refused.value.message == (
        'clusterroles.rbac.authorization.k8s.io "gatherer" is forbidden: must have '
        "cluster-admin privileges to use the aggregationRule"
    )
