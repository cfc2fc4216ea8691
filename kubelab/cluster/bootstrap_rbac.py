"""The default RBAC policy every cluster starts with, as kube-apiserver ships it.

The user-facing ClusterRoles ``cluster-admin``, ``admin``, ``edit`` and ``view`` (the last three
aggregated from the ``system:aggregate-to-*`` roles through aggregation labels, so a role
labelled ``rbac.authorization.k8s.io/aggregate-to-edit: "true"`` extends ``edit``), the roles
every user holds (``system:basic-user``, ``system:discovery``, ``system:public-info-viewer``)
and the roles of the system components, with their ClusterRoleBindings. The per-controller
``system:controller:*`` roles are left out: the teaching cluster's controllers run inside the
API server process and make no authenticated requests.

At every start, as kube-apiserver's policy reconciliation does, a missing default is created
and a default still annotated ``rbac.authorization.kubernetes.io/autoupdate: "true"`` gets back
any rule or subject that was removed from it; other changes are kept.
"""

from __future__ import annotations

import copy
from typing import Any

from kubelab.cluster.api.authz import RBAC_GROUP, uncovered
from kubelab.cluster.api.rest import ObjectAPI, WriteOptions

BOOTSTRAP_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
AUTOUPDATE_ANNOTATION = "rbac.authorization.kubernetes.io/autoupdate"
FIELD_MANAGER = "kube-apiserver"

READ = ("get", "list", "watch")
WRITE = ("create", "delete", "deletecollection", "patch", "update")
READ_WRITE = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
EVENT_WRITE = ("create", "patch", "update")

AGGREGATE_TO = "rbac.authorization.k8s.io/aggregate-to-"


def _as_list(value: tuple[str, ...] | str) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def rule(verbs: tuple[str, ...] | str, groups: tuple[str, ...] | str, *resources: str) -> dict:
    """A resource rule; ``groups`` and ``verbs`` may be one string or a tuple."""
    return {"apiGroups": _as_list(groups), "resources": list(resources), "verbs": _as_list(verbs)}


def named(base: dict, *names: str) -> dict:
    return {**base, "resourceNames": list(names)}


def urls(verbs: tuple[str, ...] | str, *paths: str) -> dict:
    return {"nonResourceURLs": list(paths), "verbs": _as_list(verbs)}


def _events(*groups: str) -> dict:
    return rule(EVENT_WRITE, groups or ("", "events.k8s.io"), "events")


#: ClusterRoles with rules, by name: (extra labels, rules).
_ROLES: dict[str, tuple[dict[str, str], list[dict]]] = {
    "cluster-admin": ({}, [rule("*", "*", "*"), urls("*", "*")]),
    "system:discovery": (
        {},
        [
            urls(
                "get",
                "/api",
                "/api/*",
                "/apis",
                "/apis/*",
                "/healthz",
                "/livez",
                "/openapi",
                "/openapi/*",
                "/readyz",
                "/version",
                "/version/",
            )
        ],
    ),
    "system:public-info-viewer": (
        {},
        [urls("get", "/healthz", "/livez", "/readyz", "/version", "/version/")],
    ),
    "system:monitoring": (
        {},
        [
            urls(
                "get",
                "/healthz",
                "/healthz/*",
                "/livez",
                "/livez/*",
                "/metrics",
                "/metrics/slis",
                "/readyz",
                "/readyz/*",
            )
        ],
    ),
    "system:basic-user": (
        {},
        [
            rule(
                "create",
                "authorization.k8s.io",
                "selfsubjectaccessreviews",
                "selfsubjectrulesreviews",
            ),
            rule("create", "authentication.k8s.io", "selfsubjectreviews"),
        ],
    ),
    "system:aggregate-to-admin": (
        {f"{AGGREGATE_TO}admin": "true"},
        [
            rule("create", "authorization.k8s.io", "localsubjectaccessreviews"),
            rule(READ_WRITE, RBAC_GROUP, "rolebindings", "roles"),
        ],
    ),
    "system:aggregate-to-edit": (
        {f"{AGGREGATE_TO}edit": "true"},
        [
            rule(
                READ,
                "",
                "pods/attach",
                "pods/exec",
                "pods/portforward",
                "pods/proxy",
                "secrets",
                "services/proxy",
            ),
            rule("impersonate", "", "serviceaccounts"),
            rule(WRITE, "", "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"),
            rule("create", "", "pods/eviction"),
            rule(
                WRITE,
                "",
                "configmaps",
                "events",
                "persistentvolumeclaims",
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "secrets",
                "serviceaccounts",
                "services",
                "services/proxy",
            ),
            rule("create", "", "serviceaccounts/token"),
            rule(
                WRITE,
                "apps",
                "daemonsets",
                "deployments",
                "deployments/rollback",
                "deployments/scale",
                "replicasets",
                "replicasets/scale",
                "statefulsets",
                "statefulsets/scale",
            ),
            rule(WRITE, "autoscaling", "horizontalpodautoscalers"),
            rule(WRITE, "batch", "cronjobs", "jobs"),
            rule(
                WRITE,
                "extensions",
                "daemonsets",
                "deployments",
                "deployments/rollback",
                "deployments/scale",
                "ingresses",
                "networkpolicies",
                "replicasets",
                "replicasets/scale",
                "replicationcontrollers/scale",
            ),
            rule(WRITE, "policy", "poddisruptionbudgets"),
            rule(WRITE, "networking.k8s.io", "ingresses", "networkpolicies"),
            rule(READ_WRITE, "coordination.k8s.io", "leases"),
        ],
    ),
    "system:aggregate-to-view": (
        {f"{AGGREGATE_TO}view": "true"},
        [
            rule(
                READ,
                "",
                "configmaps",
                "endpoints",
                "persistentvolumeclaims",
                "persistentvolumeclaims/status",
                "pods",
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "serviceaccounts",
                "services",
                "services/status",
            ),
            rule(
                READ,
                "",
                "bindings",
                "events",
                "limitranges",
                "namespaces/status",
                "pods/log",
                "pods/status",
                "replicationcontrollers/status",
                "resourcequotas",
                "resourcequotas/status",
            ),
            rule(READ, "", "namespaces"),
            rule(READ, "discovery.k8s.io", "endpointslices"),
            rule(
                READ,
                "apps",
                "controllerrevisions",
                "daemonsets",
                "daemonsets/status",
                "deployments",
                "deployments/scale",
                "deployments/status",
                "replicasets",
                "replicasets/scale",
                "replicasets/status",
                "statefulsets",
                "statefulsets/scale",
                "statefulsets/status",
            ),
            rule(
                READ, "autoscaling", "horizontalpodautoscalers", "horizontalpodautoscalers/status"
            ),
            rule(READ, "batch", "cronjobs", "cronjobs/status", "jobs", "jobs/status"),
            rule(
                READ,
                "extensions",
                "daemonsets",
                "daemonsets/status",
                "deployments",
                "deployments/scale",
                "deployments/status",
                "ingresses",
                "ingresses/status",
                "networkpolicies",
                "replicasets",
                "replicasets/scale",
                "replicasets/status",
                "replicationcontrollers/scale",
            ),
            rule(READ, "policy", "poddisruptionbudgets", "poddisruptionbudgets/status"),
            rule(READ, "networking.k8s.io", "ingresses", "ingresses/status", "networkpolicies"),
        ],
    ),
    "system:auth-delegator": (
        {},
        [
            rule("create", "authentication.k8s.io", "tokenreviews"),
            rule("create", "authorization.k8s.io", "subjectaccessreviews"),
        ],
    ),
    "system:heapster": (
        {},
        [
            rule(READ, "", "events", "namespaces", "nodes", "pods"),
            rule(READ, "extensions", "deployments"),
        ],
    ),
    "system:kube-aggregator": ({}, [rule(READ, "", "endpoints", "services")]),
    "system:kube-controller-manager": (
        {},
        [
            _events(),
            rule("create", "coordination.k8s.io", "leases"),
            named(
                rule(("get", "update"), "coordination.k8s.io", "leases"), "kube-controller-manager"
            ),
            rule("create", "", "secrets", "serviceaccounts"),
            rule("delete", "", "secrets"),
            rule("get", "", "configmaps", "namespaces", "secrets", "serviceaccounts"),
            rule("update", "", "secrets", "serviceaccounts"),
            rule("create", "authentication.k8s.io", "tokenreviews"),
            rule("create", "authorization.k8s.io", "subjectaccessreviews"),
            rule(("list", "watch"), "*", "*"),
            rule("create", "", "serviceaccounts/token"),
        ],
    ),
    "system:kube-dns": ({}, [rule(("list", "watch"), "", "endpoints", "services")]),
    "system:kube-scheduler": (
        {},
        [
            _events(),
            rule("create", "coordination.k8s.io", "leases"),
            named(rule(("get", "update"), "coordination.k8s.io", "leases"), "kube-scheduler"),
            rule(READ, "", "nodes"),
            rule(("delete", "get", "list", "watch"), "", "pods"),
            rule("create", "", "bindings", "pods/binding"),
            rule(("patch", "update"), "", "pods/status"),
            rule(READ, "", "replicationcontrollers", "services"),
            rule(READ, ("apps", "extensions"), "replicasets"),
            rule(READ, "apps", "statefulsets"),
            rule(READ, "policy", "poddisruptionbudgets"),
            rule(READ, "", "persistentvolumeclaims", "persistentvolumes"),
            rule("create", "authentication.k8s.io", "tokenreviews"),
            rule("create", "authorization.k8s.io", "subjectaccessreviews"),
            rule(READ, "storage.k8s.io", "csinodes"),
            rule(READ, "", "namespaces"),
            rule(READ, "storage.k8s.io", "csidrivers"),
            rule(READ, "storage.k8s.io", "csistoragecapacities"),
        ],
    ),
    "system:kubelet-api-admin": (
        {},
        [
            rule(READ, "", "nodes"),
            rule("proxy", "", "nodes"),
            rule("*", "", "nodes/log", "nodes/metrics", "nodes/proxy", "nodes/stats"),
        ],
    ),
    "system:node": (
        {},
        [
            rule("create", "authentication.k8s.io", "tokenreviews"),
            rule(
                "create",
                "authorization.k8s.io",
                "localsubjectaccessreviews",
                "subjectaccessreviews",
            ),
            rule(READ, "", "services"),
            rule(("create", "get", "list", "watch"), "", "nodes"),
            rule(("patch", "update"), "", "nodes/status"),
            rule(("patch", "update"), "", "nodes"),
            rule(EVENT_WRITE, "", "events"),
            rule(READ, "", "pods"),
            rule(("create", "delete"), "", "pods"),
            rule(("patch", "update"), "", "pods/status"),
            rule("create", "", "pods/eviction"),
            rule(READ, "", "configmaps", "secrets"),
            rule("get", "", "persistentvolumeclaims", "persistentvolumes"),
            rule("get", "", "endpoints"),
            rule(
                ("create", "get", "list", "watch"),
                "certificates.k8s.io",
                "certificatesigningrequests",
            ),
            rule(("create", "delete", "get", "patch", "update"), "coordination.k8s.io", "leases"),
            rule("get", "storage.k8s.io", "volumeattachments"),
            rule("create", "", "serviceaccounts/token"),
            rule(("get", "patch", "update"), "", "persistentvolumeclaims/status"),
            rule(READ, "storage.k8s.io", "csidrivers"),
            rule(("create", "delete", "get", "patch", "update"), "storage.k8s.io", "csinodes"),
            rule(READ, "node.k8s.io", "runtimeclasses"),
        ],
    ),
    "system:node-bootstrapper": (
        {},
        [
            rule(
                ("create", "get", "list", "watch"),
                "certificates.k8s.io",
                "certificatesigningrequests",
            )
        ],
    ),
    "system:node-problem-detector": (
        {},
        [rule("get", "", "nodes"), rule("patch", "", "nodes/status"), _events()],
    ),
    "system:node-proxier": (
        {},
        [
            rule(("list", "watch"), "", "endpoints", "services"),
            rule(READ, "", "nodes"),
            _events(),
            rule(("list", "watch"), "discovery.k8s.io", "endpointslices"),
        ],
    ),
    "system:persistent-volume-provisioner": (
        {},
        [
            rule(("create", "delete", "get", "list", "watch"), "", "persistentvolumes"),
            rule(("get", "list", "update", "watch"), "", "persistentvolumeclaims"),
            rule(READ, "storage.k8s.io", "storageclasses"),
            rule("watch", "", "events"),
            _events(),
        ],
    ),
    "system:service-account-issuer-discovery": (
        {},
        [urls("get", "/.well-known/openid-configuration", "/openid/v1/jwks")],
    ),
    "system:volume-scheduler": (
        {},
        [
            rule(("get", "list", "patch", "update", "watch"), "", "persistentvolumes"),
            rule(READ, "storage.k8s.io", "storageclasses"),
            rule(("get", "list", "patch", "update", "watch"), "", "persistentvolumeclaims"),
        ],
    ),
}

#: Roles that come with the add-ons the cluster serves rather than with kube-apiserver (not
#: reconciled): metrics-server's reader of ``metrics.k8s.io``, aggregated into view, edit and
#: admin, which is how ``kubectl top pods`` works for anyone who may read pods.
_ADDON_ROLES: dict[str, tuple[dict[str, str], list[dict]]] = {
    "system:aggregated-metrics-reader": (
        {
            "k8s-app": "metrics-server",
            f"{AGGREGATE_TO}admin": "true",
            f"{AGGREGATE_TO}edit": "true",
            f"{AGGREGATE_TO}view": "true",
        },
        [rule(READ, "metrics.k8s.io", "pods", "nodes")],
    ),
}

#: Aggregated ClusterRoles: name -> (labels that aggregate it further, the label it gathers).
_AGGREGATED: dict[str, tuple[dict[str, str], str]] = {
    "admin": ({}, f"{AGGREGATE_TO}admin"),
    "edit": ({f"{AGGREGATE_TO}admin": "true"}, f"{AGGREGATE_TO}edit"),
    "view": ({f"{AGGREGATE_TO}edit": "true"}, f"{AGGREGATE_TO}view"),
}


def _group(name: str) -> dict:
    return {"apiGroup": RBAC_GROUP, "kind": "Group", "name": name}


def _user(name: str) -> dict:
    return {"apiGroup": RBAC_GROUP, "kind": "User", "name": name}


#: ClusterRoleBindings: role name -> subjects.
_BINDINGS: dict[str, list[dict]] = {
    "cluster-admin": [_group("system:masters")],
    "system:basic-user": [_group("system:authenticated")],
    "system:discovery": [_group("system:authenticated")],
    "system:kube-controller-manager": [_user("system:kube-controller-manager")],
    "system:kube-dns": [{"kind": "ServiceAccount", "name": "kube-dns", "namespace": "kube-system"}],
    "system:kube-scheduler": [_user("system:kube-scheduler")],
    "system:monitoring": [_group("system:monitoring")],
    "system:node": [],
    "system:node-proxier": [_user("system:kube-proxy")],
    "system:public-info-viewer": [_group("system:authenticated"), _group("system:unauthenticated")],
    "system:service-account-issuer-discovery": [_group("system:serviceaccounts")],
    "system:volume-scheduler": [_user("system:kube-scheduler")],
}


def _metadata(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "name": name,
        "labels": {**BOOTSTRAP_LABELS, **labels},
        "annotations": {AUTOUPDATE_ANNOTATION: "true"},
    }


def _labels_of(name: str) -> dict[str, str]:
    for table in (_ROLES, _ADDON_ROLES):
        if name in table:
            return table[name][0]
    return _AGGREGATED[name][0]


def _rules_of(name: str) -> list[dict]:
    if name in _AGGREGATED:
        return _aggregated_rules(name)
    return (_ROLES.get(name) or _ADDON_ROLES[name])[1]


def _aggregated_rules(name: str) -> list[dict]:
    """What the aggregation controller writes into an aggregated role: the rules of every role
    carrying its label, taken in name order."""
    gathered: list[dict] = []
    label = _AGGREGATED[name][1]
    for other in sorted([*_ROLES, *_ADDON_ROLES, *_AGGREGATED]):
        if _labels_of(other).get(label) == "true":
            gathered.extend(r for r in _rules_of(other) if r not in gathered)
    return gathered


def cluster_roles() -> list[dict[str, Any]]:
    """The default ClusterRoles, in name order."""
    roles = []
    for name in sorted([*_ROLES, *_ADDON_ROLES, *_AGGREGATED]):
        meta = (
            {"name": name, "labels": dict(_labels_of(name))}
            if name in _ADDON_ROLES
            else _metadata(name, _labels_of(name))
        )
        role: dict[str, Any] = {
            "apiVersion": f"{RBAC_GROUP}/v1",
            "kind": "ClusterRole",
            "metadata": meta,
        }
        if name in _AGGREGATED:
            label = _AGGREGATED[name][1]
            role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {label: "true"}}]}
        role["rules"] = copy.deepcopy(_rules_of(name))
        roles.append(role)
    return roles


def cluster_role_bindings() -> list[dict[str, Any]]:
    """The default ClusterRoleBindings, each named after the role it grants."""
    return [
        {
            "apiVersion": f"{RBAC_GROUP}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _metadata(name, {}),
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": name},
            "subjects": copy.deepcopy(subjects),
        }
        for name, subjects in sorted(_BINDINGS.items())
    ]


def _reconcile(existing: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any] | None:
    """The default put back into a stored object, or None when nothing is missing."""
    annotations = existing["metadata"].get("annotations") or {}
    if annotations.get(AUTOUPDATE_ANNOTATION) != "true":
        return None
    updated = copy.deepcopy(existing)
    if "roleRef" in wanted:
        have = updated.get("subjects") or []
        missing = [s for s in wanted["subjects"] if s not in have]
        if not missing:
            return None
        updated["subjects"] = have + missing
        return updated
    if "aggregationRule" in existing:
        return None
    missing = uncovered(existing.get("rules") or [], wanted["rules"])
    if not missing:
        return None
    updated["rules"] = (existing.get("rules") or []) + missing
    return updated


def ensure_default_policy(api: ObjectAPI) -> None:
    """Create or repair the default ClusterRoles and ClusterRoleBindings."""
    options = WriteOptions(field_manager=FIELD_MANAGER)
    for plural, objects in (
        ("clusterroles", cluster_roles()),
        ("clusterrolebindings", cluster_role_bindings()),
    ):
        strategy = api.registry.get(RBAC_GROUP, "v1", plural)
        assert strategy is not None, "RBAC kinds are built in"
        for wanted in objects:
            name = wanted["metadata"]["name"]
            stored = api.store.get(api.storage_key(strategy), "", name)
            if stored is None:
                api.create(strategy, "", wanted, options)
                continue
            repaired = _reconcile(api.present(strategy, stored), wanted)
            if repaired is not None:
                api.update(strategy, "", name, repaired, options)
