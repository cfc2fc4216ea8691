"""Authentication: who is sending a request.

kube-apiserver tries each configured authenticator on a request's bearer token and takes the
first that recognises it. The teaching cluster has three, because a class needs three kinds of
identity:

* the admin token written into ``$KUBELAB_HOME/kubeconfig`` (group ``system:masters``);
* the static tokens of named users, kept in ``$KUBELAB_HOME/users/tokens.csv`` in
  kube-apiserver's ``--token-auth-file`` format (``token,user,uid,"group1,group2"``). The file is
  read again whenever it changes, so ``kubelab cluster add-user`` can add a student while the
  cluster runs;
* service account tokens: JWTs the cluster signs itself (:mod:`kubelab.cluster.api.tokens`).

Whoever is recognised also joins ``system:authenticated``, as upstream's authenticated-group
adder arranges. A request with a bad token is refused with 401, whatever it asks for. A request
without any token is ``system:anonymous`` (group ``system:unauthenticated``) but may only read
the health and version endpoints; anything else gets 401 at once instead of the 403 that
RBAC would give anonymous users upstream.
"""

from __future__ import annotations

import contextvars
import csv
import io
import os
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kubelab.cluster.api import errors

if TYPE_CHECKING:
    from kubelab.cluster.api.tokens import ServiceAccountTokens

AUTHENTICATED_GROUP = "system:authenticated"
UNAUTHENTICATED_GROUP = "system:unauthenticated"
ANONYMOUS_USER = "system:anonymous"
#: The group whose members may do anything; no RBAC rule is consulted for them.
PRIVILEGED_GROUP = "system:masters"
#: What a request without credentials may still read (upstream's system:public-info-viewer).
PUBLIC_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version", "/version/"})


def user_tokens_path(home: Path) -> Path:
    """Where a cluster keeps its named users' tokens."""
    return home / "users" / "tokens.csv"


@dataclass(frozen=True)
class User:
    """An authenticated identity (``user.Info``): name, uid, groups and extra attributes."""

    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def user_info(self) -> dict[str, Any]:
        """The ``UserInfo`` JSON of TokenReview and SelfSubjectReview statuses."""
        info: dict[str, Any] = {"username": self.name}
        if self.uid:
            info["uid"] = self.uid
        if self.groups:
            info["groups"] = list(self.groups)
        if self.extra:
            info["extra"] = {key: list(values) for key, values in self.extra.items()}
        return info

    def with_group(self, group: str) -> User:
        if group in self.groups:
            return self
        return User(self.name, (*self.groups, group), self.uid, self.extra)


ANONYMOUS = User(ANONYMOUS_USER, (UNAUTHENTICATED_GROUP,))

USER_KEY = web.RequestKey("user", User)

#: The user a request acts as, for checks that run deep inside the write pipeline (RBAC
#: escalation prevention). Controllers run outside any request and leave it unset.
_REQUEST_USER: contextvars.ContextVar[User | None] = contextvars.ContextVar(
    "kubelab_request_user", default=None
)


def current_user() -> User | None:
    """The user of the API request being served, or None inside the control plane."""
    return _REQUEST_USER.get()


def set_current_user(user: User) -> contextvars.Token[User | None]:
    return _REQUEST_USER.set(user)


def reset_current_user(token: contextvars.Token[User | None]) -> None:
    _REQUEST_USER.reset(token)


# --- static user tokens -------------------------------------------------------------------------


class UserTokens:
    """Named users' bearer tokens, in a kube-apiserver token file that may change at any time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, User] = {}

    def _current_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _reload(self) -> None:
        stamp = self._current_stamp()
        if stamp == self._stamp:
            return
        self._stamp = stamp
        self._users = {}
        if stamp is None:
            return
        for token, user in _read_token_file(self.path.read_text()):
            self._users[token] = user

    def lookup(self, token: str) -> User | None:
        self._reload()
        return self._users.get(token)

    def add(self, name: str) -> str:
        """The token of user ``name``, made and saved if the user has none yet."""
        self._reload()
        for token, user in self._users.items():
            if user.name == name:
                return token
        token = secrets.token_urlsafe(32)
        rows = [_token_row(t, u) for t, u in self._users.items()]
        rows.append(_token_row(token, User(name, uid=str(uuid.uuid4()))))
        _write_private(self.path, rows)
        self._reload()
        return token


def _read_token_file(text: str) -> list[tuple[str, User]]:
    entries = []
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 3 or not row[0] or row[0].startswith("#"):
            continue
        groups = tuple(g.strip() for g in row[3].split(",") if g.strip()) if len(row) > 3 else ()
        entries.append((row[0], User(row[1], groups, row[2])))
    return entries


def _token_row(token: str, user: User) -> list[str]:
    return [token, user.name, user.uid, ",".join(user.groups)]


def _write_private(path: Path, rows: list[list[str]]) -> None:
    """Replace the file atomically, readable by its owner only (it holds credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(buffer.getvalue())
    os.replace(temporary, path)


# --- the authenticator ------------------------------------------------------------------------


class Authenticator:
    """Tries the admin tokens, the named users' tokens and then service account tokens."""

    def __init__(
        self,
        static: Mapping[str, User],
        users: UserTokens,
        service_accounts: ServiceAccountTokens,
    ) -> None:
        self.static = dict(static)
        self.users = users
        self.service_accounts = service_accounts

    def authenticate_static(self, token: str) -> User | None:
        """The admin or named user a token belongs to (tokens that never expire)."""
        user = self.static.get(token) or self.users.lookup(token)
        return user.with_group(AUTHENTICATED_GROUP) if user is not None else None

    def authenticate(self, token: str) -> User | None:
        user = self.static.get(token) or self.users.lookup(token)
        if user is None:
            user = self.service_accounts.authenticate(token)
        return user.with_group(AUTHENTICATED_GROUP) if user is not None else None


AUTHENTICATOR_KEY = web.AppKey("authenticator", Authenticator)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def bearer_token(request: web.Request) -> str | None:
    """The bearer token of a request; None when it sends no Authorization header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


@web.middleware
async def authentication_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = bearer_token(request)
    if token is None:
        if request.path not in PUBLIC_PATHS:
            raise errors.unauthorized()
        request[USER_KEY] = ANONYMOUS
        return await handler(request)
    user = request.app[AUTHENTICATOR_KEY].authenticate(token) if token else None
    if user is None:
        raise errors.unauthorized()
    request[USER_KEY] = user
    return await handler(request)
