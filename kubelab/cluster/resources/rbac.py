"""RBAC (``rbac.authorization.k8s.io/v1``): Roles, ClusterRoles and their bindings.

Names only have to fit in a URL path (``system:controller:...`` is a valid name). A binding's
``roleRef`` is fixed once created, so changing which role a binding grants means deleting and
re-creating it; kube-apiserver answers an update with ``cannot change roleRef``. Roles have no
printer upstream (``kubectl get roles`` shows NAME and CREATED AT); bindings show their ROLE and,
with ``-o wide``, USERS, GROUPS and SERVICEACCOUNTS.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, invalid, not_supported, required
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import DEFAULT_COLUMNS, default_row, field_doc
from kubelab.cluster.resources.fieldchecks import label_selector, messages_at
from kubelab.cluster.resources.printing import age
from kubelab.cluster.resources.validation import dns1123_subdomain_errors, path_segment_errors

GROUP = "rbac.authorization.k8s.io"
SERVICE_ACCOUNT = "ServiceAccount"
USER = "User"
GROUP_KIND = "Group"


def policy_rule_errors(rule: dict[str, Any], namespaced: bool, path: str) -> list[FieldError]:
    """``ValidatePolicyRule``."""
    errors: list[FieldError] = []
    if not rule.get("verbs"):
        errors.append(required(f"{path}.verbs", "verbs must contain at least one value"))
    urls = rule.get("nonResourceURLs") or []
    if urls:
        if namespaced:
            errors.append(
                invalid(
                    f"{path}.nonResourceURLs",
                    urls,
                    "namespaced rules cannot apply to non-resource URLs",
                )
            )
        if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
            errors.append(
                invalid(
                    f"{path}.nonResourceURLs",
                    urls,
                    "rules cannot apply to both regular resources and non-resource URLs",
                )
            )
        return errors
    if not rule.get("apiGroups"):
        errors.append(
            required(f"{path}.apiGroups", "resource rules must supply at least one api group")
        )
    if not rule.get("resources"):
        errors.append(
            required(f"{path}.resources", "resource rules must supply at least one resource")
        )
    return errors


def _rules_errors(obj: dict[str, Any], namespaced: bool) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, rule in enumerate(obj.get("rules") or []):
        errors += policy_rule_errors(rule or {}, namespaced, f"rules[{i}]")
    return errors


def _subject_errors(subject: dict[str, Any], namespaced: bool, path: str) -> list[FieldError]:
    """``validateRoleBindingSubject``."""
    errors: list[FieldError] = []
    name, kind = subject.get("name") or "", subject.get("kind") or ""
    api_group = subject.get("apiGroup") or ""
    if not name:
        errors.append(required(f"{path}.name"))
    if kind == SERVICE_ACCOUNT:
        if name:
            errors += messages_at(f"{path}.name", name, dns1123_subdomain_errors(name))
        if api_group:
            errors.append(not_supported(f"{path}.apiGroup", api_group, [""]))
        if not namespaced and not subject.get("namespace"):
            errors.append(required(f"{path}.namespace"))
    elif kind in (USER, GROUP_KIND):
        if not name:
            what = "user" if kind == USER else "group"
            errors.append(invalid(f"{path}.name", name, f"{what} name cannot be empty"))
        if api_group != GROUP:
            errors.append(not_supported(f"{path}.apiGroup", api_group, [GROUP]))
    else:
        errors.append(not_supported(f"{path}.kind", kind, [SERVICE_ACCOUNT, USER, GROUP_KIND]))
    return errors


def _binding_errors(obj: dict[str, Any], namespaced: bool) -> list[FieldError]:
    """``ValidateRoleBinding`` and ``ValidateClusterRoleBinding``."""
    errors: list[FieldError] = []
    ref = obj.get("roleRef") or {}
    if ref.get("apiGroup", "") != GROUP:
        errors.append(not_supported("roleRef.apiGroup", ref.get("apiGroup", ""), [GROUP]))
    kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if ref.get("kind", "") not in kinds:
        errors.append(not_supported("roleRef.kind", ref.get("kind", ""), kinds))
    name = ref.get("name") or ""
    if not name:
        errors.append(required("roleRef.name"))
    else:
        errors += messages_at("roleRef.name", name, path_segment_errors(name))
    for i, subject in enumerate(obj.get("subjects") or []):
        errors += _subject_errors(subject or {}, namespaced, f"subjects[{i}]")
    return errors


def _role_ref_change(obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    ref = obj.get("roleRef") or {}
    if ref == (old.get("roleRef") or {}):
        return []
    go_ref = {
        "APIGroup": ref.get("apiGroup", ""),
        "Kind": ref.get("kind", ""),
        "Name": ref.get("name", ""),
    }
    return [invalid("roleRef", go_ref, "cannot change roleRef")]


def _default_binding(obj: dict[str, Any]) -> None:
    """``SetDefaults_RoleBinding`` and ``SetDefaults_Subject``."""
    ref = obj.get("roleRef")
    if isinstance(ref, dict) and not ref.get("apiGroup"):
        ref["apiGroup"] = GROUP
    for subject in obj.get("subjects") or []:
        if isinstance(subject, dict) and not subject.get("apiGroup"):
            if subject.get("kind") in (USER, GROUP_KIND):
                subject["apiGroup"] = GROUP
            elif subject.get("kind") == SERVICE_ACCOUNT:
                subject["apiGroup"] = ""


def subjects_strings(obj: dict[str, Any]) -> tuple[str, str, str]:
    """``SubjectsStrings``: users, groups and ``namespace/name`` service accounts."""
    users, groups, accounts = [], [], []
    for subject in obj.get("subjects") or []:
        kind, name = subject.get("kind"), subject.get("name", "")
        if kind == SERVICE_ACCOUNT:
            accounts.append(f"{subject.get('namespace', '')}/{name}")
        elif kind == USER:
            users.append(name)
        elif kind == GROUP_KIND:
            groups.append(name)
    return ", ".join(users), ", ".join(groups), ", ".join(accounts)


class _RBACStrategy(ResourceStrategy):
    group = GROUP
    #: RBAC names need only be usable as a URL path segment (``system:...`` is fine).
    name_rule = "path_segment"


class RoleStrategy(_RBACStrategy):
    kind = "Role"
    plural = "roles"
    columns = DEFAULT_COLUMNS

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return _rules_errors(obj, namespaced=True)

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return default_row(obj)


class ClusterRoleStrategy(_RBACStrategy):
    kind = "ClusterRole"
    plural = "clusterroles"
    namespaced = False
    columns = DEFAULT_COLUMNS

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        errors = _rules_errors(obj, namespaced=False)
        aggregation = obj.get("aggregationRule")
        if aggregation is not None:
            selectors = (aggregation or {}).get("clusterRoleSelectors") or []
            path = "aggregationRule.clusterRoleSelectors"
            if not selectors:
                errors.append(
                    required(
                        path,
                        "at least one clusterRoleSelector required if aggregationRule is non-nil",
                    )
                )
            for i, selector in enumerate(selectors):
                errors += label_selector(selector, f"{path}[{i}]")
        return errors

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return default_row(obj)


def _binding_columns(what: str, kind: str) -> tuple[Column, ...]:
    return (
        NAME_COLUMN,
        Column("Role", description=field_doc(f"api.rbac.v1.{kind}", "roleRef")),
        AGE_COLUMN,
        Column("Users", priority=1, description=f"Users in the {what}"),
        Column("Groups", priority=1, description=f"Groups in the {what}"),
        Column("ServiceAccounts", priority=1, description=f"ServiceAccounts in the {what}"),
    )


class _BindingStrategy(_RBACStrategy):
    def default(self, obj: dict[str, Any]) -> None:
        _default_binding(obj)

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return _binding_errors(obj, namespaced=self.namespaced)

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return self.validate(obj) + _role_ref_change(obj, old)

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        ref = obj.get("roleRef") or {}
        return [
            obj["metadata"]["name"],
            f"{ref.get('kind', '')}/{ref.get('name', '')}",
            age(obj, now),
            *subjects_strings(obj),
        ]


class RoleBindingStrategy(_BindingStrategy):
    kind = "RoleBinding"
    plural = "rolebindings"
    columns = _binding_columns("roleBinding", "RoleBinding")


class ClusterRoleBindingStrategy(_BindingStrategy):
    kind = "ClusterRoleBinding"
    plural = "clusterrolebindings"
    namespaced = False
    columns = _binding_columns("clusterRoleBinding", "ClusterRoleBinding")


STRATEGIES = [
    ClusterRoleBindingStrategy(),
    ClusterRoleStrategy(),
    RoleBindingStrategy(),
    RoleStrategy(),
]
