"""Credentials: static user tokens on disk and service account tokens the cluster signs."""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kubelab.cluster.api.authn import Authenticator, User, UserTokens
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.api.tokens import (
    API_AUDIENCES,
    ServiceAccountTokens,
    SigningKey,
    TokenInvalid,
    split_service_account_username,
)
from kubelab.cluster.clock import Clock
from kubelab.cluster.resources.builtin import builtin_registry
from kubelab.cluster.store.objects import ObjectStore


class FrozenClock(Clock):
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.offset = 0.0
        self._base = super().now()

    def now(self) -> datetime:
        return self._base + timedelta(seconds=self.offset)


@pytest.fixture()
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture()
def api(clock: FrozenClock) -> ObjectAPI:
    api = ObjectAPI(ObjectStore(), builtin_registry(), clock)
    api.create(api.registry.get("", "v1", "namespaces"), "", {"metadata": {"name": "team"}})
    api.create(api.registry.get("", "v1", "serviceaccounts"), "team", {"metadata": {"name": "ci"}})
    return api


@pytest.fixture()
def issuer(api: ObjectAPI, tmp_path: Path) -> ServiceAccountTokens:
    return ServiceAccountTokens(api, SigningKey(tmp_path / "pki" / "sa.key"))


def account(api: ObjectAPI) -> dict:
    return api.get(api.registry.get("", "v1", "serviceaccounts"), "team", "ci")


def test_user_tokens_are_kept_in_kube_apiserver_token_file_format(tmp_path: Path) -> None:
    path = tmp_path / "users" / "tokens.csv"
    tokens = UserTokens(path)
    token = tokens.add("alice")
    assert tokens.add("alice") == token
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    fields = path.read_text().strip().split(",")
    assert fields[:2] == [token, "alice"]
    assert UserTokens(path).lookup(token).name == "alice"


def test_user_tokens_added_elsewhere_are_seen(tmp_path: Path) -> None:
    path = tmp_path / "tokens.csv"
    serving = UserTokens(path)
    assert serving.lookup("t0k3n") is None
    path.write_text('t0k3n,carol,c-1,"teachers,graders"\n')
    carol = serving.lookup("t0k3n")
    assert carol == User("carol", ("teachers", "graders"), "c-1")


def test_signed_tokens_round_trip_and_reject_tampering(tmp_path: Path) -> None:
    key = SigningKey(tmp_path / "sa.key")
    token = key.sign({"sub": "x"})
    assert key.verify(token) == {"sub": "x"}
    header, claims, signature = token.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"sub": "y"}).encode()).rstrip(b"=").decode()
    assert key.verify(f"{header}.{forged}.{signature}") is None
    assert key.verify("not-a-token") is None
    assert SigningKey(tmp_path / "sa.key").verify(token) == {"sub": "x"}, "the key persists"
    assert SigningKey(tmp_path / "other.key").verify(token) is None


def test_a_service_account_token_names_the_account(
    api: ObjectAPI, issuer: ServiceAccountTokens
) -> None:
    token, _ = issuer.issue(account(api), list(API_AUDIENCES), 3600, None)
    user = issuer.authenticate(token)
    assert user is not None
    assert user.name == "system:serviceaccount:team:ci"
    assert user.groups == ("system:serviceaccounts", "system:serviceaccounts:team")
    assert user.uid == account(api)["metadata"]["uid"]
    assert split_service_account_username(user.name) == ("team", "ci")


def test_tokens_expire_in_cluster_time(
    api: ObjectAPI, issuer: ServiceAccountTokens, clock: FrozenClock
) -> None:
    token, expires = issuer.issue(account(api), list(API_AUDIENCES), 600, None)
    assert (expires - clock.now()).total_seconds() == 600
    clock.offset = 601
    assert issuer.authenticate(token) is None
    with pytest.raises(TokenInvalid, match="service account token has expired"):
        issuer.review(token, list(API_AUDIENCES))


def test_tokens_die_with_their_account(api: ObjectAPI, issuer: ServiceAccountTokens) -> None:
    token, _ = issuer.issue(account(api), list(API_AUDIENCES), 3600, None)
    strategy = api.registry.get("", "v1", "serviceaccounts")
    api.delete(strategy, "team", "ci")
    assert issuer.authenticate(token) is None
    api.create(strategy, "team", {"metadata": {"name": "ci"}})
    with pytest.raises(TokenInvalid, match="does not match claim"):
        issuer.review(token, list(API_AUDIENCES))


def test_audiences_must_match(api: ObjectAPI, issuer: ServiceAccountTokens) -> None:
    token, _ = issuer.issue(account(api), ["vault"], 3600, None)
    assert issuer.authenticate(token) is None, "not for the API server"
    review = issuer.review(token, ["vault", "other"])
    assert review is not None and review.audiences == ("vault",)


def test_the_authenticator_adds_system_authenticated(
    api: ObjectAPI, issuer: ServiceAccountTokens, tmp_path: Path
) -> None:
    users = UserTokens(tmp_path / "tokens.csv")
    alice_token = users.add("alice")
    authenticator = Authenticator(
        {"admin-token": User("admin", ("system:masters",))}, users, issuer
    )
    assert authenticator.authenticate("admin-token").groups == (
        "system:masters",
        "system:authenticated",
    )
    assert authenticator.authenticate(alice_token).groups == ("system:authenticated",)
    token, _ = issuer.issue(account(api), list(API_AUDIENCES), 3600, None)
    assert "system:authenticated" in authenticator.authenticate(token).groups
    assert authenticator.authenticate("nonsense") is None


def test_the_signing_key_is_private(tmp_path: Path) -> None:
    SigningKey(tmp_path / "pki" / "sa.key")
    assert os.stat(tmp_path / "pki" / "sa.key").st_mode & 0o077 == 0
