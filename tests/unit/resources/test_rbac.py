"""RBAC: rules, subjects, the fixed roleRef and the printers."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.rbac import (
    ClusterRoleBindingStrategy,
    ClusterRoleStrategy,
    RoleBindingStrategy,
    RoleStrategy,
)

ROLE = RoleStrategy()
CLUSTER_ROLE = ClusterRoleStrategy()
BINDING = RoleBindingStrategy()
CLUSTER_BINDING = ClusterRoleBindingStrategy()
NOW = datetime(2026, 1, 1, 0, 4, tzinfo=UTC)
META = {"name": "read-pods", "namespace": "lesson-13", "creationTimestamp": "2026-01-01T00:00:00Z"}


def binding(**fields) -> dict:
    obj = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": dict(META),
        "roleRef": {"kind": "Role", "name": "pod-reader"},
        "subjects": [
            {"kind": "User", "name": "jane"},
            {"kind": "ServiceAccount", "name": "ci", "namespace": "lesson-13"},
            {"kind": "Group", "name": "devs"},
        ],
        **fields,
    }
    BINDING.default(obj)
    return obj


def test_identity():
    for strategy in (ROLE, CLUSTER_ROLE, BINDING, CLUSTER_BINDING):
        assert strategy.api_version == "rbac.authorization.k8s.io/v1"
        assert strategy.name_rule == "path_segment"
    assert not CLUSTER_ROLE.namespaced and not CLUSTER_BINDING.namespaced


def test_rules():
    role = {
        "metadata": dict(META),
        "rules": [{"resources": ["pods"]}, {"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
    }
    assert [str(e) for e in ROLE.validate(role)] == [
        "rules[0].verbs: Required value: verbs must contain at least one value",
        "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
        'rules[1].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to '
        "non-resource URLs",
    ]
    cluster_role = {
        "metadata": {"name": "x"},
        "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
    }
    assert CLUSTER_ROLE.validate(cluster_role) == []
    aggregated = {"metadata": {"name": "x"}, "aggregationRule": {}}
    assert [str(e) for e in CLUSTER_ROLE.validate(aggregated)] == [
        "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector "
        "required if aggregationRule is non-nil"
    ]


def test_binding_defaults_and_validation():
    obj = binding()
    assert obj["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"
    assert obj["subjects"][0]["apiGroup"] == "rbac.authorization.k8s.io"
    assert obj["subjects"][1]["apiGroup"] == ""
    assert BINDING.validate(obj) == []
    bad = binding(
        roleRef={"kind": "Roles", "name": "pod-reader"}, subjects=[{"kind": "user", "name": "jane"}]
    )
    assert [str(e) for e in BINDING.validate(bad)] == [
        'roleRef.kind: Unsupported value: "Roles": supported values: "Role", "ClusterRole"',
        'subjects[0].kind: Unsupported value: "user": supported values: "ServiceAccount", '
        '"User", "Group"',
    ]


def test_cluster_bindings_need_service_account_namespaces():
    obj = binding(
        roleRef={"kind": "Role", "name": "x"}, subjects=[{"kind": "ServiceAccount", "name": "ci"}]
    )
    assert [str(e) for e in CLUSTER_BINDING.validate(obj)] == [
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
        "subjects[0].namespace: Required value",
    ]


def test_role_ref_cannot_change():
    old = binding()
    new = binding(roleRef={"kind": "ClusterRole", "name": "view"})
    assert [str(e) for e in BINDING.validate_update(new, old)] == [
        'roleRef: Invalid value: {"APIGroup":"rbac.authorization.k8s.io","Kind":"ClusterRole",'
        '"Name":"view"}: cannot change roleRef'
    ]
    assert BINDING.validate_update(binding(subjects=[]), old) == []


def test_printers():
    assert [c.name for c in ROLE.columns] == ["Name", "Created At"]
    assert ROLE.row({"metadata": dict(META)}, NOW) == ["read-pods", "2026-01-01T00:00:00Z"]
    assert BINDING.row(binding(), NOW) == [
        "read-pods",
        "Role/pod-reader",
        "4m",
        "jane",
        "devs",
        "lesson-13/ci",
    ]
    assert [c.priority for c in BINDING.columns] == [0, 0, 0, 1, 1, 1]
