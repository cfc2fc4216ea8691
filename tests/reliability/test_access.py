"""Access: credentials are required and checked, a student stays in their namespace, the state
on disk is private to its owner, and the API is reachable from this machine only."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest
import yaml

from tests.integration.rbac.conftest import ClassCluster, class_cluster  # noqa: F401
from tests.reliability.rawapi import RawAPI

UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}


@pytest.fixture(scope="module")
def admin_api(class_cluster: ClassCluster) -> RawAPI:  # noqa: F811
    state = json.loads((class_cluster.home / "server.json").read_text())
    return RawAPI.admin(class_cluster.home, state["port"])


def student_api(admin_api: RawAPI, kubeconfig: Path) -> RawAPI:
    document = yaml.safe_load(kubeconfig.read_text())
    return admin_api.with_token(document["users"][0]["user"]["token"])


@pytest.fixture(scope="module")
def students(class_cluster: ClassCluster, admin_api: RawAPI) -> dict[str, RawAPI]:  # noqa: F811
    """Two students, each with a ConfigMap and a Secret of their own."""
    apis = {}
    for name in ("ann", "ben"):
        api = student_api(admin_api, class_cluster.add_user(name, name))
        for kind, body in (
            ("configmaps", {"kind": "ConfigMap", "data": {"answer": name}}),
            ("secrets", {"kind": "Secret", "stringData": {"token": f"{name}-secret"}}),
        ):
            body = {"apiVersion": "v1", "metadata": {"name": "work"}, **body}
            reply = api.request("POST", f"/api/v1/namespaces/{name}/{kind}", body)
            assert reply.status == 201, reply.body
        apis[name] = api
    return apis


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer wrong-token", "Basic YWRtaW46YWRtaW4=", "bearer x"],
)
def test_no_token_or_a_wrong_token_is_401(admin_api: RawAPI, authorization: str | None) -> None:
    api = admin_api.with_token(None)
    headers = {} if authorization is None else {"Authorization": authorization}
    for path in ("/api/v1/namespaces/default/secrets", "/apis", "/openapi/v2", "/metrics"):
        reply = api.request("GET", path, headers=headers)
        assert (reply.status, reply.json()) == (401, UNAUTHORIZED), (path, authorization)


def test_public_paths_need_no_token_but_refuse_a_wrong_one(admin_api: RawAPI) -> None:
    anonymous = admin_api.with_token(None)
    assert anonymous.request("GET", "/version").status == 200
    assert anonymous.request("GET", "/healthz").body == b"ok"
    wrong = admin_api.with_token("wrong-token")
    assert (wrong.request("GET", "/version").status, wrong.request("GET", "/healthz").status) == (
        401,
        401,
    )


def test_a_token_of_one_user_does_not_open_another_namespace(
    admin_api: RawAPI, students: dict[str, RawAPI]
) -> None:
    ann = students["ann"]
    refused = {
        ("GET", "/api/v1/namespaces/ben/secrets/work"): (
            'secrets "work" is forbidden: User "ann" cannot get resource "secrets" in API group '
            '"" in the namespace "ben"'
        ),
        ("GET", "/api/v1/namespaces/kube-system/secrets"): (
            'secrets is forbidden: User "ann" cannot list resource "secrets" in API group "" in '
            'the namespace "kube-system"'
        ),
        ("GET", "/api/v1/secrets"): (
            'secrets is forbidden: User "ann" cannot list resource "secrets" in API group "" at '
            "the cluster scope"
        ),
        ("DELETE", "/api/v1/namespaces/ben/configmaps/work"): (
            'configmaps "work" is forbidden: User "ann" cannot delete resource "configmaps" in '
            'API group "" in the namespace "ben"'
        ),
    }
    for (method, path), message in refused.items():
        reply = ann.request(method, path)
        status = reply.json()
        assert (reply.status, status["reason"], status["message"]) == (403, "Forbidden", message)
    patch = {"data": {"answer": "ann was here"}}
    reply = ann.request(
        "PATCH", "/api/v1/namespaces/ben/configmaps/work", patch, "application/merge-patch+json"
    )
    assert reply.status == 403
    reply = ann.request(
        "PUT",
        "/api/v1/namespaces/ben/configmaps/work",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "work"}, "data": {}},
    )
    assert reply.status == 403
    ben_work = admin_api.request("GET", "/api/v1/namespaces/ben/configmaps/work").json()
    assert ben_work["data"] == {"answer": "ben"}
    assert ann.request("GET", "/api/v1/namespaces/ann/secrets/work").status == 200


def test_a_student_cannot_grant_themselves_more(students: dict[str, RawAPI]) -> None:
    ann = students["ann"]
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "root"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "cluster-admin",
        },
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "ann"}],
    }
    for namespace in ("ann", "ben"):
        path = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings"
        assert ann.request("POST", path, binding).status == 403
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ann-extra"}}
    assert ann.request("POST", "/api/v1/namespaces", namespace).status == 403


def test_state_on_disk_is_private(class_cluster: ClassCluster, students: dict[str, RawAPI]) -> None:  # noqa: F811
    home = class_cluster.home
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    private = [
        home / "kubeconfig",
        home / "admin.token",
        home / "cluster.db",
        home / "users" / "tokens.csv",
        home / "users" / "ann.kubeconfig",
        home / "pki" / "apiserver.key",
        home / "pki" / "sa.key",
    ]
    private += [path for path in home.glob("cluster.db-*")]
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} is readable by others"


def listening_addresses(port: int) -> list[str]:
    """The local addresses of the sockets listening on ``port``, from the kernel's tables."""
    found = []
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, local_port = local.split(":")
            if state == "0A" and int(local_port, 16) == port:
                raw = bytes.fromhex(address)
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                found.append(socket.inet_ntop(family, words))
    return found


def test_the_api_listens_on_loopback_only(admin_api: RawAPI) -> None:
    assert listening_addresses(admin_api.port) == ["127.0.0.1"]
