"""Authorization: may this user do this? RBAC, as kube-apiserver decides it.

Every request is described by its attributes (user, verb, API group, resource, subresource,
namespace, name, or a non-resource path), worked out from the URL exactly as upstream's
``RequestInfoFactory`` does: ``GET`` of a collection is ``list`` (``watch`` with ``?watch=1``),
``DELETE`` of one is ``deletecollection``, ``/api/v1/namespaces/x`` is the namespace ``x`` read
*in* namespace ``x``. Members of ``system:masters`` may do anything; everyone else needs a rule
from a Role or ClusterRole bound to them (by user name, group or service account) by a
ClusterRoleBinding, or by a RoleBinding in the request's namespace. Refusals are 403s with
upstream's wording, which learners paste into search engines.

The same rules guard RBAC itself: a user may create a role, or bind one, only if they already
hold every permission it grants, or have the ``escalate``/``bind`` verb on it
(:func:`prevent_escalation`). Impersonation (``kubectl --as``) is authorized here too, with the
``impersonate`` verb on users, groups and service accounts.

A ClusterRole with an ``aggregationRule`` also grants the rules of every ClusterRole its
selectors match, looked up when a request is checked; upstream a controller copies those rules
into the aggregated role, which ``kubectl get clusterrole -o yaml`` then shows.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from kubelab.cluster.api import errors
from kubelab.cluster.api.authn import (
    ANONYMOUS_USER,
    AUTHENTICATED_GROUP,
    PRIVILEGED_GROUP,
    UNAUTHENTICATED_GROUP,
    USER_KEY,
    User,
    current_user,
    reset_current_user,
    set_current_user,
)
from kubelab.cluster.api.listoptions import parse_go_bool
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.api.selectors import parse_field_selector, selector_from_object
from kubelab.cluster.api.tokens import service_account_groups, split_service_account_username
from kubelab.cluster.resources.base import ResourceStrategy

RBAC_GROUP = "rbac.authorization.k8s.io"
AUTHENTICATION_GROUP = "authentication.k8s.io"
_SPECIAL_VERBS = ("proxy", "watch")
_NAMESPACE_SUBRESOURCES = ("status", "finalize")
#: What ``cluster-admin`` holds; needed to use an aggregationRule.
FULL_AUTHORITY = (
    {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
    {"verbs": ["*"], "nonResourceURLs": ["*"]},
)

Rule = dict[str, Any]


def _go_quote(text: str) -> str:
    """A string as Go's ``%q`` prints it (for the texts upstream formats that way)."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True)
class Attributes:
    """What a request asks to do (``authorizer.Attributes``)."""

    user: User
    verb: str
    resource_request: bool
    path: str = ""
    namespace: str = ""
    api_group: str = ""
    api_version: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


# --- request attributes --------------------------------------------------------------------------


def _is_path_segment_name(name: str) -> bool:
    return name not in (".", "..") and "/" not in name and "%" not in name


def request_attributes(request: web.Request, user: User) -> Attributes:
    """The attributes of an HTTP request, parsed from its URL as ``RequestInfoFactory`` does."""
    path = request.path
    parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
    non_resource = Attributes(user, request.method.lower(), False, path=path)
    if len(parts) < 3 or parts[0] not in ("api", "apis"):
        return non_resource
    prefix, parts = parts[0], parts[1:]
    group = ""
    if prefix == "apis":
        if len(parts) < 3:
            return non_resource
        group, parts = parts[0], parts[1:]
    version, parts = parts[0], parts[1:]
    verb = {
        "POST": "create",
        "GET": "get",
        "HEAD": "get",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete",
    }.get(request.method, "")
    via_path = parts[0] in _SPECIAL_VERBS and len(parts) >= 2
    if via_path:
        verb, parts = parts[0], parts[1:]
    namespace = ""
    if parts[0] == "namespaces" and len(parts) > 1:
        namespace = parts[1]
        if len(parts) > 2 and parts[2] not in _NAMESPACE_SUBRESOURCES:
            parts = parts[2:]
    resource = parts[0]
    name = parts[1] if len(parts) >= 2 else ""
    subresource = parts[2] if len(parts) >= 3 and verb != "proxy" else ""
    if not name and verb == "get":
        watch = request.query.getall("watch", [])
        verb = "watch" if watch and parse_go_bool(watch[0]) else "list"
        try:
            fields = parse_field_selector(request.query.get("fieldSelector"))
        except errors.APIError:  # the handler refuses it; upstream authorizes a plain list first
            fields = parse_field_selector(None)
        selected = fields.value_of("metadata.name")
        if selected and _is_path_segment_name(selected):
            name = selected
    if not name and verb == "delete":
        verb = "deletecollection"
    return Attributes(
        user, verb, True, path, namespace, group, version, resource, subresource, name
    )


# --- rule matching ------------------------------------------------------------------------------


def _verb_matches(rule: Rule, verb: str) -> bool:
    return any(v in ("*", verb) for v in rule.get("verbs") or ())


def _group_matches(rule: Rule, group: str) -> bool:
    return any(g in ("*", group) for g in rule.get("apiGroups") or ())


def _resource_matches(rule: Rule, resource: str, subresource: str) -> bool:
    combined = f"{resource}/{subresource}" if subresource else resource
    for candidate in rule.get("resources") or ():
        if candidate in ("*", combined):
            return True
        if subresource and candidate == f"*/{subresource}":
            return True
    return False


def _name_matches(rule: Rule, name: str) -> bool:
    names = rule.get("resourceNames") or ()
    return not names or name in names


def _url_matches(rule: Rule, path: str) -> bool:
    for url in rule.get("nonResourceURLs") or ():
        if url in ("*", path) or (url.endswith("*") and path.startswith(url.rstrip("*"))):
            return True
    return False


def rule_allows(attributes: Attributes, rule: Rule) -> bool:
    """``RuleAllows``: whether one policy rule permits the request."""
    if not _verb_matches(rule, attributes.verb):
        return False
    if not attributes.resource_request:
        return _url_matches(rule, attributes.path)
    return (
        _group_matches(rule, attributes.api_group)
        and _resource_matches(rule, attributes.resource, attributes.subresource)
        and _name_matches(rule, attributes.name)
    )


# --- resolving the rules that apply to a user ---------------------------------------------------


def _subject_applies(user: User, subject: dict[str, Any], namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name", "")
    if kind == "User":
        return user.name == name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        account_namespace = subject.get("namespace") or namespace
        return bool(account_namespace) and split_service_account_username(user.name) == (
            account_namespace,
            name,
        )
    return False


def _describe_subject(subject: dict[str, Any], namespace: str) -> str:
    name = subject.get("name", "")
    if subject.get("kind") == "ServiceAccount":
        name = f"{name}/{subject.get('namespace') or namespace}"
    return f"{subject.get('kind', '')} {_go_quote(name)}"


class RoleNotFound(Exception):
    """A binding names a role that does not exist; the message is the lister's NotFound."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f'{kind.lower()}.{RBAC_GROUP} "{name}" not found')
        self.kind = kind
        self.name = name


class RuleResolver:
    """Reads RBAC objects from the store and finds the rules that apply to a user."""

    def __init__(self, api: ObjectAPI) -> None:
        self.api = api

    def _strategy(self, plural: str) -> ResourceStrategy:
        strategy = self.api.registry.get(RBAC_GROUP, "v1", plural)
        if strategy is None:
            raise KeyError(plural)
        return strategy

    def _list(self, plural: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.api.list(self._strategy(plural), namespace)

    def _get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        strategy = self._strategy(plural)
        return self.api.store.get(self.api.storage_key(strategy), namespace, name)

    def _cluster_role_rules(self, role: dict[str, Any], seen: frozenset[str]) -> list[Rule]:
        rules = list(role.get("rules") or [])
        aggregation = role.get("aggregationRule") or {}
        selectors = [selector_from_object(s) for s in aggregation.get("clusterRoleSelectors") or []]
        if not selectors:
            return rules
        for other in self._list("clusterroles"):
            name = other["metadata"]["name"]
            labels = other["metadata"].get("labels") or {}
            if name in seen or not any(s.matches(labels) for s in selectors):
                continue
            for rule in self._cluster_role_rules(other, seen | {name}):
                if rule not in rules:
                    rules.append(rule)
        return rules

    def role_reference_rules(self, ref: dict[str, Any], namespace: str) -> list[Rule]:
        """The rules a binding's ``roleRef`` (a Role or, as validation ensures otherwise, a
        ClusterRole) grants; :class:`RoleNotFound` if there is no such role."""
        kind, name = ref.get("kind"), ref.get("name", "")
        if kind == "Role":
            role = self._get("roles", namespace, name)
            if role is None:
                raise RoleNotFound("Role", name)
            return list(role.get("rules") or [])
        role = self._get("clusterroles", "", name)
        if role is None:
            raise RoleNotFound("ClusterRole", name)
        return self._cluster_role_rules(role, frozenset({name}))

    def visit(self, user: User, namespace: str) -> Iterator[tuple[str, Rule | None, str | None]]:
        """(source, rule, error) for every rule that applies to ``user`` in ``namespace``:
        the cluster-wide bindings first, then the namespace's role bindings."""
        scopes: list[tuple[str, str, list[dict[str, Any]]]] = [
            ("ClusterRoleBinding", "", self._list("clusterrolebindings"))
        ]
        if namespace:
            scopes.append(("RoleBinding", namespace, self._list("rolebindings", namespace)))
        for kind, scope, bindings in scopes:
            for binding in bindings:
                subject = next(
                    (s for s in binding.get("subjects") or [] if _subject_applies(user, s, scope)),
                    None,
                )
                if subject is None:
                    continue
                ref = binding.get("roleRef") or {}
                try:
                    rules = self.role_reference_rules(ref, scope)
                except RoleNotFound as missing:
                    yield "", None, str(missing)
                    continue
                name = binding["metadata"]["name"]
                described = f"{name}/{scope}" if scope else name
                source = (
                    f"{kind} {_go_quote(described)} of {ref.get('kind', '')} "
                    f"{_go_quote(ref.get('name', ''))} to {_describe_subject(subject, scope)}"
                )
                for rule in rules:
                    yield source, rule, None

    def rules_for(self, user: User, namespace: str) -> tuple[list[Rule], list[str]]:
        """Every rule that applies, and the resolution errors met on the way."""
        rules, problems = [], []
        for _, rule, error in self.visit(user, namespace):
            if rule is not None:
                rules.append(rule)
            if error is not None:
                problems.append(error)
        return rules, problems


def aggregate_errors(problems: list[str]) -> str:
    """``utilerrors.NewAggregate(errs).Error()``: one message, or ``[a, b]``."""
    return problems[0] if len(problems) == 1 else f"[{', '.join(problems)}]"


class Authorizer:
    """kube-apiserver's chain: ``system:masters`` may do anything, then RBAC decides."""

    def __init__(self, api: ObjectAPI) -> None:
        self.resolver = RuleResolver(api)

    def authorize(self, attributes: Attributes) -> Decision:
        if PRIVILEGED_GROUP in attributes.user.groups:
            return Decision(True)
        problems: list[str] = []
        for source, rule, error in self.resolver.visit(attributes.user, attributes.namespace):
            if rule is not None and rule_allows(attributes, rule):
                return Decision(True, f"RBAC: allowed by {source}")
            if error is not None:
                problems.append(error)
        return Decision(False, f"RBAC: {aggregate_errors(problems)}" if problems else "")


AUTHORIZER_KEY = web.AppKey("authorizer", Authorizer)


def _sanitize(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def forbidden(attributes: Attributes, reason: str = "") -> errors.APIError:
    """The 403 a refused request gets, worded as ``responsewriters.ForbiddenStatusError``."""
    who = _go_quote(attributes.user.name)
    if not attributes.resource_request:
        what = f"User {who} cannot {attributes.verb} path {_go_quote(attributes.path)}"
    else:
        resource = attributes.resource
        if attributes.subresource:
            resource = f"{resource}/{attributes.subresource}"
        what = (
            f"User {who} cannot {attributes.verb} resource {_go_quote(resource)} in API group "
            f"{_go_quote(attributes.api_group)}"
        )
        what += (
            f" in the namespace {_go_quote(attributes.namespace)}"
            if attributes.namespace
            else " at the cluster scope"
        )
    cause = _sanitize(what) + (f": {reason}" if reason else "")
    return forbidden_error(attributes.api_group, attributes.resource, attributes.name, cause)


def forbidden_error(group: str, resource: str, name: str, cause: str) -> errors.APIError:
    """``errors.NewForbidden``: the group-qualified resource and name, then why."""
    qualified = errors.qualified_resource(group, resource)
    if not resource:
        message = f"forbidden: {cause}"
    elif not name:
        message = f"{qualified} is forbidden: {cause}"
    else:
        message = f"{qualified} {_go_quote(name)} is forbidden: {cause}"
    details = {k: v for k, v in (("name", name), ("group", group), ("kind", resource)) if v}
    return errors.APIError(403, "Forbidden", message, details)


# --- impersonation ------------------------------------------------------------------------------


_IMPERSONATE_USER = "Impersonate-User"
_IMPERSONATE_GROUP = "Impersonate-Group"
_IMPERSONATE_UID = "Impersonate-Uid"
_IMPERSONATE_EXTRA = "impersonate-extra-"


def impersonate(request: web.Request, requester: User, authorizer: Authorizer) -> User:
    """The user a request acts as: the requester, or whom its Impersonate-* headers name
    once the requester is allowed to ``impersonate`` each of them."""
    headers = request.headers
    wanted_user = headers.get(_IMPERSONATE_USER, "")
    wanted_groups = headers.getall(_IMPERSONATE_GROUP, [])
    wanted_uid = headers.get(_IMPERSONATE_UID, "")
    extras = [
        (unquote(key[len(_IMPERSONATE_EXTRA) :].lower()), value)
        for key, value in headers.items()
        if key.lower().startswith(_IMPERSONATE_EXTRA)
    ]
    if not (wanted_user or wanted_groups or wanted_uid or extras):
        return requester
    if not wanted_user:
        requested = [_reference_text("Group", g) for g in wanted_groups]
        requested += [
            _reference_text("UserExtra", v, f"{AUTHENTICATION_GROUP}/v1", k) for k, v in extras
        ]
        if wanted_uid:
            requested.append(_reference_text("UID", wanted_uid, f"{AUTHENTICATION_GROUP}/v1"))
        raise errors.bad_request(f"requested [{' '.join(requested)}] without impersonating a user")
    checks: list[Attributes] = []
    groups: list[str] = []
    account = split_service_account_username(wanted_user)
    if account is not None:
        checks.append(_acting_as(requester, "", "serviceaccounts", account[1], account[0]))
        if not wanted_groups:
            groups.extend(service_account_groups(account[0]))
    else:
        checks.append(_acting_as(requester, "", "users", wanted_user))
    for group in wanted_groups:
        checks.append(_acting_as(requester, "", "groups", group))
        groups.append(group)
    extra: dict[str, tuple[str, ...]] = {}
    for key, value in extras:
        check = _acting_as(requester, AUTHENTICATION_GROUP, "userextras", value)
        checks.append(replace(check, subresource=key))
        extra[key] = (*extra.get(key, ()), value)
    if wanted_uid:
        checks.append(_acting_as(requester, AUTHENTICATION_GROUP, "uids", wanted_uid))
    for check in checks:
        decision = authorizer.authorize(check)
        if not decision.allowed:
            raise forbidden(check, decision.reason)
    if wanted_user == ANONYMOUS_USER:
        if UNAUTHENTICATED_GROUP not in groups:
            groups.append(UNAUTHENTICATED_GROUP)
    elif not {AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP} & set(groups):
        groups.append(AUTHENTICATED_GROUP)
    return User(wanted_user, tuple(groups), wanted_uid, extra)


def _reference_text(kind: str, name: str, api_version: str = "", field_path: str = "") -> str:
    """An ``ObjectReference`` as Go's ``%v`` prints it, for upstream's impersonation errors."""
    return f"{{{kind}  {name}  {api_version}  {field_path}}}"


def _acting_as(
    requester: User, group: str, resource: str, name: str, namespace: str = ""
) -> Attributes:
    return Attributes(
        requester,
        "impersonate",
        True,
        namespace=namespace,
        api_group=group,
        resource=resource,
        name=name,
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def authorization_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Resolve impersonation, then refuse what the (effective) user may not do."""
    authorizer = request.app[AUTHORIZER_KEY]
    user = impersonate(request, request[USER_KEY], authorizer)
    request[USER_KEY] = user
    attributes = request_attributes(request, user)
    decision = authorizer.authorize(attributes)
    if not decision.allowed:
        raise forbidden(attributes, decision.reason)
    token = set_current_user(user)
    try:
        return await handler(request)
    finally:
        reset_current_user(token)


# --- escalation prevention ----------------------------------------------------------------------


def breakdown(rule: Rule) -> list[Rule]:
    """``BreakdownRule``: one rule per group, resource, verb (and resource name or URL)."""
    pieces: list[Rule] = []
    verbs = rule.get("verbs") or []
    for group in rule.get("apiGroups") or []:
        for resource in rule.get("resources") or []:
            for verb in verbs:
                base = {"apiGroups": [group], "resources": [resource], "verbs": [verb]}
                names = rule.get("resourceNames") or []
                if names:
                    pieces.extend({**base, "resourceNames": [name]} for name in names)
                else:
                    pieces.append(base)
    for url in rule.get("nonResourceURLs") or []:
        pieces.extend({"nonResourceURLs": [url], "verbs": [verb]} for verb in verbs)
    return pieces


def _has_all(owned: list[str], wanted: list[str]) -> bool:
    return set(wanted) <= set(owned)


def _resources_cover(owned: list[str], wanted: list[str]) -> bool:
    if "*" in owned or _has_all(owned, wanted):
        return True
    for path in wanted:
        if path in owned:
            continue
        if "/" not in path or f"*/{path.split('/', 1)[1]}" not in owned:
            return False
    return True


def _urls_cover(owned: list[str], wanted: list[str]) -> bool:
    return all(
        any(o == w or (o.endswith("*") and w.startswith(o.rstrip("*"))) for o in owned)
        for w in wanted
    )


def rule_covers(owner: Rule, piece: Rule) -> bool:
    """``ruleCovers``: whether an owned rule grants all of a broken-down rule."""
    owned_names = owner.get("resourceNames") or []
    wanted_names = piece.get("resourceNames") or []
    names_match = not owned_names or (bool(wanted_names) and _has_all(owned_names, wanted_names))
    return (
        ("*" in (owner.get("verbs") or []) or _has_all(owner.get("verbs") or [], piece["verbs"]))
        and (
            "*" in (owner.get("apiGroups") or [])
            or _has_all(owner.get("apiGroups") or [], piece.get("apiGroups") or [])
        )
        and _resources_cover(owner.get("resources") or [], piece.get("resources") or [])
        and _urls_cover(owner.get("nonResourceURLs") or [], piece.get("nonResourceURLs") or [])
        and names_match
    )


def uncovered(owned: list[Rule], wanted: list[Rule]) -> list[Rule]:
    """``Covers``: the broken-down pieces of ``wanted`` that no owned rule grants."""
    return [
        piece
        for rule in wanted
        for piece in breakdown(rule)
        if not any(rule_covers(owner, piece) for owner in owned)
    ]


def compact(rules: list[Rule]) -> list[Rule]:
    """``CompactRules``: merge simple one-group, one-resource rules that differ only in verbs."""
    merged: dict[tuple[str, str], Rule] = {}
    result: list[Rule] = []
    for rule in rules:
        simple = (
            set(rule) <= {"apiGroups", "resources", "verbs"}
            and len(rule.get("apiGroups") or []) == 1
            and len(rule.get("resources") or []) == 1
        )
        if not simple:
            result.append(rule)
            continue
        key = (rule["apiGroups"][0], rule["resources"][0])
        if key in merged:
            merged[key]["verbs"] = merged[key]["verbs"] + list(rule.get("verbs") or [])
        else:
            merged[key] = {**rule, "verbs": list(rule.get("verbs") or [])}
    return result + list(merged.values())


def _go_list(values: list[str]) -> str:
    return "[" + " ".join(_go_quote(v) for v in values) + "]"


def compact_string(rule: Rule) -> str:
    """``CompactString``: ``{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}``."""
    fields = (
        ("APIGroups", "apiGroups"),
        ("Resources", "resources"),
        ("NonResourceURLs", "nonResourceURLs"),
        ("ResourceNames", "resourceNames"),
        ("Verbs", "verbs"),
    )
    return (
        "{"
        + ", ".join(f"{label}:{_go_list(rule[key])}" for label, key in fields if rule.get(key))
        + "}"
    )


def escalation_problem(
    resolver: RuleResolver, user: User, namespace: str, wanted: list[Rule]
) -> str | None:
    """``ConfirmNoEscalation``: None if ``user`` holds every rule in ``wanted``, else why not."""
    owned, problems = resolver.rules_for(user, namespace)
    missing = uncovered(owned, wanted)
    if not missing:
        return None
    described = sorted({compact_string(rule) for rule in compact(missing)})
    message = (
        f"user {_go_quote(user.name)} (groups={_go_list(list(user.groups))}) is attempting to "
        "grant RBAC permissions not currently held:\n" + "\n".join(described)
    )
    if problems:
        message += f"; resolution errors: [{' '.join(problems)}]"
    return message


def _only_garbage_collection_fields_changed(obj: dict[str, Any], old: dict[str, Any]) -> bool:
    """``IsOnlyMutatingGCFields``: owner references and finalizers may change freely."""

    def without(o: dict[str, Any]) -> dict[str, Any]:
        meta = {
            k: v
            for k, v in o.get("metadata", {}).items()
            if k not in ("ownerReferences", "finalizers", "resourceVersion", "managedFields")
        }
        return {**o, "metadata": meta}

    return without(obj) == without(old)


def _verb_authorized(
    authorizer: Authorizer, user: User, verb: str, plural: str, namespace: str, name: str
) -> bool:
    attributes = Attributes(
        user, verb, True, namespace=namespace, api_group=RBAC_GROUP, resource=plural, name=name
    )
    return authorizer.authorize(attributes).allowed


def _has_aggregation_rule(role: dict[str, Any] | None) -> bool:
    return bool(((role or {}).get("aggregationRule") or {}).get("clusterRoleSelectors"))


def prevent_escalation(
    api: ObjectAPI, strategy: ResourceStrategy, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """Admission for RBAC writes: refuse roles and bindings that grant what the user lacks."""
    if strategy.group != RBAC_GROUP:
        return
    user = current_user()
    if user is None or PRIVILEGED_GROUP in user.groups:
        return
    if old is not None and _only_garbage_collection_fields_changed(obj, old):
        return
    authorizer = Authorizer(api)
    resolver = authorizer.resolver
    meta = obj["metadata"]
    namespace = meta.get("namespace", "") if strategy.namespaced else ""
    name = meta.get("name", "")
    if strategy.plural in ("roles", "clusterroles"):
        request_name = name if old is not None else ""
        if _verb_authorized(authorizer, user, "escalate", strategy.plural, namespace, request_name):
            return
        problem = escalation_problem(resolver, user, namespace, list(obj.get("rules") or []))
        if problem:
            raise forbidden_error(RBAC_GROUP, strategy.plural, name, problem)
        aggregates = _has_aggregation_rule(obj) or _has_aggregation_rule(old)
        if aggregates and escalation_problem(resolver, user, namespace, list(FULL_AUTHORITY)):
            raise forbidden_error(
                RBAC_GROUP,
                strategy.plural,
                name,
                "must have cluster-admin privileges to use the aggregationRule",
            )
        return
    ref = obj.get("roleRef") or {}
    bound_plural = {"Role": "roles", "ClusterRole": "clusterroles"}.get(ref.get("kind", ""))
    if bound_plural and _verb_authorized(
        authorizer, user, "bind", bound_plural, namespace, ref.get("name", "")
    ):
        return
    try:
        rules = resolver.role_reference_rules(ref, namespace)
    except RoleNotFound as missing:
        plural = {"Role": "roles", "ClusterRole": "clusterroles"}.get(missing.kind, missing.kind)
        raise errors.not_found(RBAC_GROUP, plural, missing.name) from None
    problem = escalation_problem(resolver, user, namespace, rules)
    if problem:
        raise forbidden_error(RBAC_GROUP, strategy.plural, name, problem)
