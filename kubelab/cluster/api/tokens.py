"""Service account tokens: the identity of programs that call the API from inside the cluster.

A token is a JWT the cluster signs and later checks, naming the service account as subject
(``system:serviceaccount:<namespace>:<name>``) with the claims kube-apiserver writes: issuer,
audiences, expiry, a unique id, and under ``kubernetes.io`` the namespace, the account (name
and uid) and, for bound tokens, the pod or secret the token lives and dies with. Upstream signs
with RS256 and a key pair; the teaching cluster signs with HMAC-SHA256 and a secret key kept in
``$KUBELAB_HOME/pki/sa.key``, which learners never need. A token stays valid only while its
account (and bound object) still exists with the same uid, so deleting and re-creating an
account invalidates its old tokens, as it does upstream.

``POST .../serviceaccounts/NAME/token`` (a TokenRequest, what ``kubectl create token`` sends)
issues one.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import json
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from kubelab.cluster.api import errors, negotiation
from kubelab.cluster.api.authn import AUTHENTICATOR_KEY, User
from kubelab.cluster.api.handlers import Target, json_response, read_body
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.resources.printing import format_time, parse_time

#: The issuer, and the audience the API server itself accepts (kube-apiserver's defaults).
ISSUER = "https://kubernetes.default.svc.cluster.local"
API_AUDIENCES = (ISSUER,)
DEFAULT_EXPIRATION_SECONDS = 3600
MIN_EXPIRATION_SECONDS = 600
MAX_EXPIRATION_SECONDS = 1 << 32
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts"
#: A token bound to a deleted pod still works while the pod shuts down, this long at most.
DELETED_POD_GRACE_SECONDS = 60
AUTHENTICATION_GROUP = "authentication.k8s.io"

_BOUND_KINDS = {"Pod": ("", "v1", "pods"), "Secret": ("", "v1", "secrets")}


def service_account_username(namespace: str, name: str) -> str:
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"


def split_service_account_username(username: str) -> tuple[str, str] | None:
    """(namespace, name) of a ``system:serviceaccount:ns:name`` user name, else None."""
    if not username.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    namespace, sep, name = username[len(SERVICE_ACCOUNT_PREFIX) :].partition(":")
    if not sep or not namespace or not name or ":" in name:
        return None
    return namespace, name


def service_account_groups(namespace: str) -> tuple[str, str]:
    return SERVICE_ACCOUNTS_GROUP, f"{SERVICE_ACCOUNTS_GROUP}:{namespace}"


# --- JWT ------------------------------------------------------------------------------------


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SigningKey:
    """The cluster's token signing secret, created on first use and kept across restarts."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(base64.b64encode(secrets.token_bytes(32)).decode())
        self._secret = base64.b64decode(path.read_text().strip())
        self.key_id = _b64encode(hashlib.sha256(self._secret).digest()[:16])

    def _mac(self, signing_input: str) -> bytes:
        return hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()

    def sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": "HS256", "kid": self.key_id}
        signing_input = ".".join(
            _b64encode(json.dumps(part, separators=(",", ":")).encode())
            for part in (header, claims)
        )
        return f"{signing_input}.{_b64encode(self._mac(signing_input))}"

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this key signed; None for anything else."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            header = json.loads(_b64decode(parts[0]))
            signature = _b64decode(parts[2])
            claims = json.loads(_b64decode(parts[1]))
        except (ValueError, binascii.Error):
            return None
        if not isinstance(header, dict) or header.get("alg") != "HS256":
            return None
        if not hmac.compare_digest(signature, self._mac(f"{parts[0]}.{parts[1]}")):
            return None
        return claims if isinstance(claims, dict) else None


# --- issuing and checking tokens --------------------------------------------------------------


class TokenInvalid(Exception):
    """A token this cluster signed that is no longer (or not yet) good; the message says why."""


@dataclass(frozen=True)
class Review:
    """What a token proves: who, for which audiences."""

    user: User
    audiences: tuple[str, ...]


class ServiceAccountTokens:
    """Issues service account tokens and recognises them on requests."""

    def __init__(self, api: ObjectAPI, key: SigningKey) -> None:
        self.api = api
        self.key = key

    def _now(self) -> datetime:
        return self.api.clock.now()

    def issue(
        self,
        account: dict[str, Any],
        audiences: list[str],
        expiration_seconds: int,
        bound: dict[str, Any] | None,
    ) -> tuple[str, datetime]:
        """A signed token for ``account`` and the moment it expires."""
        now = self._now()
        expires = now + timedelta(seconds=expiration_seconds)
        meta = account["metadata"]
        private: dict[str, Any] = {
            "namespace": meta["namespace"],
            "serviceaccount": {"name": meta["name"], "uid": meta["uid"]},
        }
        if bound is not None:
            private[bound["kind"].lower()] = {"name": bound["name"], "uid": bound["uid"]}
            node = bound.get("node")
            if node:
                private["node"] = node
        claims = {
            "aud": audiences,
            "exp": int(expires.timestamp()),
            "iat": int(now.timestamp()),
            "iss": ISSUER,
            "jti": str(uuid.uuid4()),
            "kubernetes.io": private,
            "nbf": int(now.timestamp()),
            "sub": service_account_username(meta["namespace"], meta["name"]),
        }
        return self.key.sign(claims), expires

    def authenticate(self, token: str) -> User | None:
        """The account a bearer token on an API request stands for (API audiences only)."""
        try:
            review = self.review(token, list(API_AUDIENCES))
        except TokenInvalid:
            return None
        return review.user if review else None

    def review(self, token: str, audiences: list[str]) -> Review | None:
        """Check a token for some audiences: None if it is not one of this cluster's tokens,
        :class:`TokenInvalid` if it is but does not hold (expired, account gone, ...)."""
        claims = self.key.verify(token)
        if claims is None or claims.get("iss") != ISSUER:
            return None
        now = self._now().timestamp()
        if not isinstance(claims.get("exp"), int) or now >= claims["exp"]:
            raise TokenInvalid("service account token has expired")
        if isinstance(claims.get("nbf"), int) and now < claims["nbf"]:
            raise TokenInvalid("service account token is not valid yet")
        token_audiences = tuple(claims.get("aud") or ())
        accepted = tuple(a for a in token_audiences if a in audiences)
        if not accepted:
            raise TokenInvalid("token audiences is invalid")
        private = claims.get("kubernetes.io") or {}
        namespace = private.get("namespace", "")
        account_ref = private.get("serviceaccount") or {}
        account = self.api.store.get("/serviceaccounts", namespace, account_ref.get("name", ""))
        if account is None:
            raise TokenInvalid(
                f"service account {namespace}/{account_ref.get('name', '')} has been deleted"
            )
        if account["metadata"].get("uid") != account_ref.get("uid"):
            raise TokenInvalid(
                f"service account UID ({account['metadata'].get('uid')}) does not match claim "
                f"({account_ref.get('uid')})"
            )
        extra = {"authentication.kubernetes.io/credential-id": (f"JTI={claims.get('jti', '')}",)}
        for kind, resource in _BOUND_KINDS.items():
            ref = private.get(kind.lower())
            if ref:
                self._check_bound(kind, resource, namespace, ref)
                if kind == "Pod":
                    extra["authentication.kubernetes.io/pod-name"] = (ref["name"],)
                    extra["authentication.kubernetes.io/pod-uid"] = (ref["uid"],)
        node = private.get("node")
        if node:
            extra["authentication.kubernetes.io/node-name"] = (node["name"],)
            extra["authentication.kubernetes.io/node-uid"] = (node["uid"],)
        user = User(
            service_account_username(namespace, account_ref["name"]),
            service_account_groups(namespace),
            account["metadata"]["uid"],
            extra,
        )
        return Review(user, accepted)

    def _check_bound(
        self, kind: str, resource: tuple[str, str, str], namespace: str, ref: dict[str, Any]
    ) -> None:
        strategy = self.api.registry.get(*resource)
        key = self.api.storage_key(strategy)
        stored = self.api.store.get(key, namespace, ref.get("name", ""))
        if stored is None or stored["metadata"].get("uid") != ref.get("uid"):
            raise TokenInvalid(f"{kind.lower()} {namespace}/{ref.get('name', '')} has been deleted")
        deleting = parse_time(stored["metadata"].get("deletionTimestamp"))
        grace = timedelta(seconds=DELETED_POD_GRACE_SECONDS)
        if deleting is not None and deleting < self._now() - grace:
            raise TokenInvalid("Token has been invalidated")


# --- TokenRequest --------------------------------------------------------------------------------


def _invalid(name: str, problems: list[errors.FieldError]) -> errors.APIError:
    return errors.invalid_object(AUTHENTICATION_GROUP, "TokenRequest", name, problems)


def _token_request_body(raw: bytes, content_type: str | None) -> dict[str, Any]:
    body = negotiation.decode_body(content_type, raw)
    if not isinstance(body, dict):
        raise errors.bad_request("the body of the request was in an unknown format")
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if (kind and kind != "TokenRequest") or (
        api_version and api_version != f"{AUTHENTICATION_GROUP}/v1"
    ):
        raise errors.bad_request(
            f"no kind {json.dumps(kind or '')} is registered for version "
            f"{json.dumps(api_version or '')}"
        )
    return body


def _spec_problems(spec: dict[str, Any]) -> list[errors.FieldError]:
    seconds = spec["expirationSeconds"]
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        json_type = {str: "string", list: "array", dict: "object", bool: "bool"}.get(
            type(seconds), f"number {seconds}"
        )
        raise errors.bad_request(
            'TokenRequest in version "v1" cannot be handled as a TokenRequest: json: cannot '
            f"unmarshal {json_type} into Go struct field TokenRequestSpec.spec.expirationSeconds "
            "of type int64"
        )
    if seconds < MIN_EXPIRATION_SECONDS:
        return [
            errors.invalid(
                "spec.expirationSeconds", seconds, "may not specify a duration less than 10 minutes"
            )
        ]
    if seconds > MAX_EXPIRATION_SECONDS:
        return [
            errors.invalid(
                "spec.expirationSeconds",
                seconds,
                "may not specify a duration larger than 2^32 seconds",
            )
        ]
    return []


def _bound_object(
    api: ObjectAPI, namespace: str, account_name: str, ref: dict[str, Any]
) -> dict[str, Any]:
    """Resolve ``spec.boundObjectRef`` to the object the token will be tied to."""
    kind, api_version, name = ref.get("kind", ""), ref.get("apiVersion", ""), ref.get("name", "")
    resource = _BOUND_KINDS.get(kind)
    if resource is None or api_version != "v1":
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        version = api_version.rpartition("/")[2]
        raise errors.bad_request(
            f"cannot bind token to object of type {group}/{version}, Kind={kind}"
        )
    target = api.get(api.registry.get(*resource), namespace, name)
    uid = target["metadata"]["uid"]
    if kind == "Pod":
        runs_as = target.get("spec", {}).get("serviceAccountName") or "default"
        if runs_as != account_name:
            raise errors.bad_request(
                f'cannot bind token for serviceaccount "{account_name}" to pod running with '
                "different serviceaccount name."
            )
    if ref.get("uid") and ref["uid"] != uid:
        raise errors.conflict(
            "",
            kind,
            name,
            f"the UID in the bound object reference ({ref['uid']}) does not match the UID in "
            "record. The object might have been deleted and then recreated",
        )
    bound: dict[str, Any] = {"kind": kind, "name": name, "uid": uid}
    node_name = target.get("spec", {}).get("nodeName") if kind == "Pod" else None
    if node_name:
        node = api.store.get("/nodes", "", node_name)
        if node is not None:
            bound["node"] = {"name": node_name, "uid": node["metadata"]["uid"]}
    return bound


async def handle_token_request(
    request: web.Request, api: ObjectAPI, target: Target
) -> web.StreamResponse:
    """``POST serviceaccounts/NAME/token``: issue a token for the account."""
    if request.method != "POST":
        raise errors.method_not_allowed(request.method, "TokenRequest")
    namespace, name = target.namespace or "", target.name or ""
    body = _token_request_body(await read_body(request), request.headers.get("Content-Type"))
    meta = body.get("metadata") or {}
    if meta.get("name") and meta["name"] != name:
        raise _invalid(
            name,
            [
                errors.invalid(
                    "metadata.name",
                    meta["name"],
                    "must match the service account name if specified",
                )
            ],
        )
    if meta.get("namespace") and meta["namespace"] != namespace:
        raise _invalid(
            name,
            [
                errors.invalid(
                    "metadata.namespace",
                    meta["namespace"],
                    "must match the service account namespace if specified",
                )
            ],
        )
    account = api.get(target.strategy, namespace, name)
    spec = copy.deepcopy(body.get("spec") or {})
    spec["audiences"] = list(spec.get("audiences") or API_AUDIENCES)
    if not spec.get("expirationSeconds"):
        spec["expirationSeconds"] = DEFAULT_EXPIRATION_SECONDS
    problems = _spec_problems(spec)
    if problems:
        raise _invalid(name, problems)
    ref = spec.get("boundObjectRef")
    bound = _bound_object(api, namespace, name, ref) if ref else None
    issuer = request.app[AUTHENTICATOR_KEY].service_accounts
    token, expires = issuer.issue(account, spec["audiences"], spec["expirationSeconds"], bound)
    spec.setdefault("boundObjectRef", None)
    response = {
        "kind": "TokenRequest",
        "apiVersion": f"{AUTHENTICATION_GROUP}/v1",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "creationTimestamp": api.clock.timestamp(),
        },
        "spec": spec,
        "status": {"token": token, "expirationTimestamp": format_time(expires)},
    }
    return json_response(response, 201)


SUBRESOURCE_HANDLERS = {("serviceaccounts", "token"): handle_token_request}
