"""The default roles and bindings a cluster starts with, and their repair at start-up."""

from __future__ import annotations

from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.bootstrap_rbac import (
    AUTOUPDATE_ANNOTATION,
    cluster_role_bindings,
    cluster_roles,
    ensure_default_policy,
)
from kubelab.cluster.clock import Clock
from kubelab.cluster.resources.builtin import builtin_registry
from kubelab.cluster.store.objects import ObjectStore

RBAC = "rbac.authorization.k8s.io"


def by_name(objects: list[dict]) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects}


def test_user_facing_roles_aggregate_upward() -> None:
    roles = by_name(cluster_roles())
    view, edit, admin = (roles[n]["rules"] for n in ("view", "edit", "admin"))
    assert all(rule in edit for rule in view), "edit includes view"
    assert all(rule in admin for rule in edit), "admin includes edit"
    assert roles["edit"]["aggregationRule"] == {
        "clusterRoleSelectors": [{"matchLabels": {f"{RBAC}/aggregate-to-edit": "true"}}]
    }
    assert roles["view"]["metadata"]["labels"][f"{RBAC}/aggregate-to-edit"] == "true"
    rolebindings = {"apiGroups": [RBAC], "resources": ["rolebindings", "roles"]}
    assert any(r.items() >= rolebindings.items() for r in admin)
    assert not any(r.items() >= rolebindings.items() for r in edit)


def test_every_binding_names_a_default_role() -> None:
    roles = by_name(cluster_roles())
    bindings = by_name(cluster_role_bindings())
    assert set(bindings) <= set(roles)
    assert bindings["cluster-admin"]["subjects"] == [
        {"apiGroup": RBAC, "kind": "Group", "name": "system:masters"}
    ]
    unauthenticated = {"apiGroup": RBAC, "kind": "Group", "name": "system:unauthenticated"}
    assert unauthenticated in bindings["system:public-info-viewer"]["subjects"]
    assert unauthenticated not in bindings["system:discovery"]["subjects"]
    for binding in bindings.values():
        assert binding["metadata"]["labels"] == {"kubernetes.io/bootstrapping": "rbac-defaults"}
        assert binding["metadata"]["annotations"] == {AUTOUPDATE_ANNOTATION: "true"}


def test_start_up_restores_removed_rules_unless_opted_out() -> None:
    api = ObjectAPI(ObjectStore(), builtin_registry(), Clock())
    ensure_default_policy(api)
    roles = api.registry.get(RBAC, "v1", "clusterroles")
    basic = api.get(roles, "", "system:basic-user")
    basic["rules"] = basic["rules"][:1]
    api.update(roles, "", "system:basic-user", basic)
    monitoring = api.get(roles, "", "system:monitoring")
    monitoring["metadata"]["annotations"][AUTOUPDATE_ANNOTATION] = "false"
    monitoring["rules"] = []
    api.update(roles, "", "system:monitoring", monitoring)
    ensure_default_policy(api)
    restored = api.get(roles, "", "system:basic-user")["rules"]
    reviews = {
        "apiGroups": ["authentication.k8s.io"],
        "resources": ["selfsubjectreviews"],
        "verbs": ["create"],
    }
    assert reviews in restored
    assert api.get(roles, "", "system:monitoring")["rules"] == []
