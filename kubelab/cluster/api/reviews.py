"""Review requests: questions put to the authenticator and the authorizer, answered at once.

``kubectl auth can-i create pods`` creates a SelfSubjectAccessReview and reads ``status.allowed``;
``can-i --list`` creates a SelfSubjectRulesReview; ``kubectl auth whoami`` a SelfSubjectReview.
SubjectAccessReview, LocalSubjectAccessReview and TokenReview let a privileged caller ask the
same about someone else or about a token. None of them is stored: the request body comes back
with a ``status`` filled in (201 Created, as for any create). They are decided by the very
authorizer and authenticator that guard every request, so an answer is never wrong about what
the cluster would really do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from kubelab.cluster.api import errors, negotiation
from kubelab.cluster.api.authn import AUTHENTICATED_GROUP, AUTHENTICATOR_KEY, USER_KEY, User
from kubelab.cluster.api.authz import AUTHORIZER_KEY, Attributes, aggregate_errors
from kubelab.cluster.api.handlers import json_response, read_body
from kubelab.cluster.api.tokens import API_AUDIENCES, Review, TokenInvalid

AUTHORIZATION = "authorization.k8s.io"
AUTHENTICATION = "authentication.k8s.io"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _method_not_allowed() -> errors.APIError:
    return errors.APIError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


async def _review_body(request: web.Request, group: str, kind: str) -> dict[str, Any]:
    if request.method != "POST":
        raise _method_not_allowed()
    body = negotiation.decode_body(request.headers.get("Content-Type"), await read_body(request))
    if not isinstance(body, dict):
        raise errors.bad_request("the body of the request was in an unknown format")
    expected = f"{group}/v1"
    api_version, sent_kind = body.get("apiVersion") or expected, body.get("kind") or kind
    if api_version != expected:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API "
            f"version ({expected})"
        )
    if sent_kind != kind:
        raise errors.bad_request(
            f'{sent_kind} in version "v1" cannot be handled as a {kind}: no kind "{sent_kind}" '
            f'is registered for version "{expected}"'
        )
    body["apiVersion"], body["kind"] = expected, kind
    return body


def _metadata_problems(meta: dict[str, Any], namespace: str | None) -> list[errors.FieldError]:
    """Review objects carry no metadata (a LocalSubjectAccessReview only its namespace)."""
    allowed = {"managedFields"} if namespace is None else {"managedFields", "namespace"}
    present = {k: v for k, v in meta.items() if v not in (None, "", {}, []) and k not in allowed}
    if not present:
        return []
    what = "must be empty except for namespace" if namespace is not None else "must be empty"
    return [errors.invalid("metadata", meta, what)]


def _spec_problems(spec: dict[str, Any], subject_required: bool) -> list[errors.FieldError]:
    """``ValidateSubjectAccessReviewSpec`` and its self-subject variant."""
    problems = []
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if resource is not None and non_resource is not None:
        problems.append(
            errors.invalid(
                "spec.nonResourceAttributes",
                non_resource,
                "cannot be specified in combination with resourceAttributes",
            )
        )
    if resource is None and non_resource is None:
        problems.append(
            errors.invalid(
                "spec.resourceAttributes",
                "null",  # a nil pointer, as Go's field errors print it
                "exactly one of nonResourceAttributes or resourceAttributes must be specified",
            )
        )
    if subject_required and not spec.get("user") and not spec.get("groups"):
        problems.append(
            errors.invalid(
                "spec.user", spec.get("user", ""), "at least one of user or group must be specified"
            )
        )
    return problems


def _attributes(user: User, spec: dict[str, Any]) -> Attributes:
    """``AuthorizationAttributesFrom``: the request a review describes."""
    resource = spec.get("resourceAttributes")
    if resource is not None:
        return Attributes(
            user,
            resource.get("verb", ""),
            True,
            namespace=resource.get("namespace", ""),
            api_group=resource.get("group", ""),
            api_version=resource.get("version", ""),
            resource=resource.get("resource", ""),
            subresource=resource.get("subresource", ""),
            name=resource.get("name", ""),
        )
    non_resource = spec.get("nonResourceAttributes") or {}
    return Attributes(user, non_resource.get("verb", ""), False, path=non_resource.get("path", ""))


def _answer(body: dict[str, Any], status: dict[str, Any]) -> web.Response:
    """The review as it was asked, with its ``status`` filled in."""
    answered = {
        "kind": body["kind"],
        "apiVersion": body["apiVersion"],
        "metadata": body.get("metadata") or {},
        "spec": body.get("spec") or {},
        "status": status,
    }
    return json_response(answered, 201)


def _decide(request: web.Request, body: dict[str, Any], user: User) -> web.Response:
    decision = request.app[AUTHORIZER_KEY].authorize(_attributes(user, body.get("spec") or {}))
    status: dict[str, Any] = {"allowed": decision.allowed}
    if decision.reason:
        status["reason"] = decision.reason
    return _answer(body, status)


async def self_subject_access_review(request: web.Request) -> web.Response:
    body = await _review_body(request, AUTHORIZATION, "SelfSubjectAccessReview")
    spec = body.get("spec") or {}
    problems = _metadata_problems(body.get("metadata") or {}, None) + _spec_problems(spec, False)
    if problems:
        raise errors.invalid_object(AUTHORIZATION, "SelfSubjectAccessReview", "", problems)
    return _decide(request, body, request[USER_KEY])


def _subject(spec: dict[str, Any]) -> User:
    extra = {k: tuple(v or ()) for k, v in (spec.get("extra") or {}).items()}
    return User(spec.get("user", ""), tuple(spec.get("groups") or ()), spec.get("uid", ""), extra)


async def subject_access_review(request: web.Request) -> web.Response:
    body = await _review_body(request, AUTHORIZATION, "SubjectAccessReview")
    spec = body.get("spec") or {}
    problems = _metadata_problems(body.get("metadata") or {}, None) + _spec_problems(spec, True)
    if problems:
        raise errors.invalid_object(AUTHORIZATION, "SubjectAccessReview", "", problems)
    return _decide(request, body, _subject(spec))


async def local_subject_access_review(request: web.Request) -> web.Response:
    namespace = request.match_info["namespace"]
    body = await _review_body(request, AUTHORIZATION, "LocalSubjectAccessReview")
    meta = body.setdefault("metadata", {})
    if meta.get("namespace") and meta["namespace"] != namespace:
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    meta["namespace"] = namespace
    spec = body.get("spec") or {}
    problems = _spec_problems(spec, True) + _metadata_problems(meta, namespace)
    resource = spec.get("resourceAttributes")
    if resource is not None and resource.get("namespace", "") != namespace:
        problems.append(
            errors.invalid(
                "spec.resourceAttributes.namespace",
                resource.get("namespace", ""),
                "must match metadata.namespace",
            )
        )
    if spec.get("nonResourceAttributes") is not None:
        problems.append(
            errors.invalid(
                "spec.nonResourceAttributes",
                spec["nonResourceAttributes"],
                "disallowed on this kind of request",
            )
        )
    if problems:
        raise errors.invalid_object(AUTHORIZATION, "LocalSubjectAccessReview", "", problems)
    return _decide(request, body, _subject(spec))


def _split_rules(rules: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """RBAC rules as ``ResourceRule`` and ``NonResourceRule`` entries."""
    resource_rules, non_resource_rules = [], []
    for rule in rules:
        if rule.get("resources"):
            entry = {"verbs": list(rule.get("verbs") or [])}
            for key in ("apiGroups", "resources", "resourceNames"):
                if rule.get(key):
                    entry[key] = list(rule[key])
            resource_rules.append(entry)
        if rule.get("nonResourceURLs"):
            non_resource_rules.append(
                {
                    "verbs": list(rule.get("verbs") or []),
                    "nonResourceURLs": list(rule["nonResourceURLs"]),
                }
            )
    return resource_rules, non_resource_rules


async def self_subject_rules_review(request: web.Request) -> web.Response:
    body = await _review_body(request, AUTHORIZATION, "SelfSubjectRulesReview")
    namespace = (body.get("spec") or {}).get("namespace", "")
    if not namespace:
        raise errors.bad_request("no namespace on request")
    resolver = request.app[AUTHORIZER_KEY].resolver
    rules, problems = resolver.rules_for(request[USER_KEY], namespace)
    resource_rules, non_resource_rules = _split_rules(rules)
    status: dict[str, Any] = {
        "resourceRules": resource_rules,
        "nonResourceRules": non_resource_rules,
        "incomplete": False,
    }
    if problems:
        status["evaluationError"] = aggregate_errors(problems)
    response = {
        "kind": "SelfSubjectRulesReview",
        "apiVersion": f"{AUTHORIZATION}/v1",
        "metadata": {},
        "spec": {},
        "status": status,
    }
    return json_response(response, 201)


async def token_review(request: web.Request) -> web.Response:
    body = await _review_body(request, AUTHENTICATION, "TokenReview")
    spec = body.get("spec") or {}
    token = spec.get("token", "")
    if not token:
        raise errors.bad_request(f"token is required for TokenReview in {AUTHENTICATION}")
    audiences = list(spec.get("audiences") or API_AUDIENCES)
    authenticator = request.app[AUTHENTICATOR_KEY]
    try:
        review = authenticator.service_accounts.review(token, audiences)
    except TokenInvalid as invalid:
        failed = {"authenticated": False, "user": {}, "error": f"[invalid bearer token, {invalid}]"}
        return _answer(body, failed)
    if review is None:
        # Static tokens are good for the API server's own audiences only.
        for_api = tuple(a for a in audiences if a in API_AUDIENCES)
        user = authenticator.authenticate_static(token) if for_api else None
        review = Review(user, for_api) if user is not None else None
    if review is None:
        status: dict[str, Any] = {"authenticated": False, "user": {}}
    else:
        status = {
            "authenticated": True,
            "user": review.user.with_group(AUTHENTICATED_GROUP).user_info(),
            "audiences": list(review.audiences),
        }
    return _answer(body, status)


async def self_subject_review(request: web.Request) -> web.Response:
    await _review_body(request, AUTHENTICATION, "SelfSubjectReview")
    response = {
        "kind": "SelfSubjectReview",
        "apiVersion": f"{AUTHENTICATION}/v1",
        "metadata": {"creationTimestamp": None},
        "status": {"userInfo": request[USER_KEY].user_info()},
    }
    return json_response(response, 201)


#: (path, handler) of every review resource.
ROUTES: tuple[tuple[str, Handler], ...] = (
    (f"/apis/{AUTHORIZATION}/v1/selfsubjectaccessreviews", self_subject_access_review),
    (f"/apis/{AUTHORIZATION}/v1/selfsubjectrulesreviews", self_subject_rules_review),
    (f"/apis/{AUTHORIZATION}/v1/subjectaccessreviews", subject_access_review),
    (
        f"/apis/{AUTHORIZATION}/v1/namespaces/{{namespace}}/localsubjectaccessreviews",
        local_subject_access_review,
    ),
    (f"/apis/{AUTHENTICATION}/v1/tokenreviews", token_review),
    (f"/apis/{AUTHENTICATION}/v1/selfsubjectreviews", self_subject_review),
)


def add_routes(router: web.UrlDispatcher) -> None:
    """Serve the review resources ahead of the generic resource routes (which would store
    them)."""
    for path, handler in ROUTES:
        router.add_route("*", path, handler)
