"""Students on a shared cluster: each acts in their own namespace and is refused elsewhere,
with kube-apiserver's wording, through the real kubectl and their own kubeconfig."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import Kubectl
from tests.integration.rbac.conftest import ClassCluster


@pytest.fixture(scope="module")
def alice_kubeconfig(class_cluster: ClassCluster) -> Path:
    return class_cluster.add_user("alice", "alice")


@pytest.fixture()
def alice(alice_kubeconfig: Path, tmp_path: Path) -> Kubectl:
    return Kubectl(alice_kubeconfig, tmp_path)


def forbidden(result) -> str:  # noqa: ANN001 - a CompletedProcess
    assert result.returncode != 0
    return result.stderr.strip()


def test_add_user_writes_a_private_kubeconfig_for_the_namespace(
    class_cluster: ClassCluster, alice_kubeconfig: Path
) -> None:
    assert alice_kubeconfig == class_cluster.home / "users" / "alice.kubeconfig"
    assert alice_kubeconfig.stat().st_mode & 0o077 == 0
    document = yaml.safe_load(alice_kubeconfig.read_text())
    [context] = document["contexts"]
    assert context["context"]["namespace"] == "alice"
    assert document["users"][0]["name"] == "alice"
    again = class_cluster.kubelab("cluster", "add-user", "alice", "--namespace", "alice")
    assert again.stdout.splitlines()[0] == (
        'User "alice" has ClusterRole "edit" in namespace "alice". Their kubeconfig:'
    )
    assert yaml.safe_load(alice_kubeconfig.read_text()) == document, "the token is kept"


def test_add_user_explains_what_is_wrong(class_cluster: ClassCluster) -> None:
    result = class_cluster.kubelab(
        "cluster", "add-user", "dora", "--namespace", "dora", "--role", "nope", check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip() == ('error: clusterrole "nope" not found; try edit, view or admin')
    result = class_cluster.kubelab("cluster", "add-user", "Dora", "-n", "dora", check=False)
    assert "invalid user name 'Dora'" in result.stderr


def test_a_student_works_in_their_namespace(alice: Kubectl, admin: Kubectl) -> None:
    assert admin("get", "namespace", "alice", "-o", "name").strip() == "namespace/alice"
    alice("create", "deployment", "web", "--image=nginx:1.27")
    alice("create", "configmap", "settings", "--from-literal=color=blue")
    assert alice("get", "deployments", "-o", "name").split() == ["deployment.apps/web"]
    alice("scale", "deployment", "web", "--replicas=2")
    alice("delete", "configmap", "settings")
    assert alice("get", "namespace", "alice", "-o", "name").strip() == "namespace/alice"


def test_a_student_is_refused_elsewhere(alice: Kubectl) -> None:
    assert forbidden(alice.run("get", "pods", "-n", "default", check=False)) == (
        'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource '
        '"pods" in API group "" in the namespace "default"'
    )
    assert forbidden(alice.run("get", "nodes", check=False)) == (
        'Error from server (Forbidden): nodes is forbidden: User "alice" cannot list resource '
        '"nodes" in API group "" at the cluster scope'
    )
    assert forbidden(
        alice.run("get", "deployment", "coredns", "-n", "kube-system", check=False)
    ) == (
        'Error from server (Forbidden): deployments.apps "coredns" is forbidden: User "alice" '
        'cannot get resource "deployments" in API group "apps" in the namespace "kube-system"'
    )
    assert forbidden(alice.run("logs", "web", "-n", "default", check=False)) == (
        'Error from server (Forbidden): pods "web" is forbidden: User "alice" cannot get '
        'resource "pods" in API group "" in the namespace "default"'
    )
    assert forbidden(alice.run("delete", "namespace", "alice", check=False)) == (
        'Error from server (Forbidden): namespaces "alice" is forbidden: User "alice" cannot '
        'delete resource "namespaces" in API group "" in the namespace "alice"'
    )
    assert forbidden(alice.run("get", "--raw", "/metrics", check=False)) == (
        'Error from server (Forbidden): forbidden: User "alice" cannot get path "/metrics"'
    )


def test_can_i_answers(alice: Kubectl) -> None:
    assert alice("auth", "can-i", "create", "deployments").strip() == "yes"
    assert alice("auth", "can-i", "get", "pods", "--subresource=log").strip() == "yes"
    refused = alice.run("auth", "can-i", "create", "pods", "-n", "default", check=False)
    assert (refused.returncode, refused.stdout.strip()) == (1, "no")
    assert alice.run("auth", "can-i", "list", "nodes", check=False).stdout.strip() == "no"
    assert alice.run("auth", "can-i", "create", "rolebindings", check=False).stdout == "no\n"
    listed = alice("auth", "can-i", "--list")
    rows = {line.split()[0]: line for line in listed.splitlines()[1:] if line.strip()}
    assert re.search(
        r"\[create delete deletecollection patch update get list watch\]", rows["pods"]
    )
    assert "[/healthz]" in listed
    assert "selfsubjectaccessreviews.authorization.k8s.io" in rows


def test_whoami(alice: Kubectl) -> None:
    lines = alice("auth", "whoami").splitlines()
    assert lines[0].split() == ["ATTRIBUTE", "VALUE"]
    assert lines[1].split() == ["Username", "alice"]
    assert lines[-1].split() == ["Groups", "[system:authenticated]"]


def test_create_token_for_a_service_account(alice: Kubectl, tmp_path: Path) -> None:
    token = alice("create", "token", "default").strip()
    assert token.count(".") == 2
    robot = Kubectl(alice.kubeconfig, tmp_path)
    whoami = robot("--token", token, "auth", "whoami")
    assert "system:serviceaccount:alice:default" in whoami
    assert "[system:serviceaccounts system:serviceaccounts:alice system:authenticated]" in whoami
    assert forbidden(robot.run("--token", token, "get", "pods", check=False)) == (
        "Error from server (Forbidden): pods is forbidden: User "
        '"system:serviceaccount:alice:default" cannot list resource "pods" in API group "" in '
        'the namespace "alice"'
    )
    short = alice.run("create", "token", "default", "--duration=5m", check=False)
    assert short.stderr.strip() == (
        'error: failed to create token: TokenRequest.authentication.k8s.io "default" is '
        "invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less "
        "than 10 minutes"
    )
    missing = alice.run("create", "token", "ghost", check=False)
    assert (
        missing.stderr.strip() == 'error: failed to create token: serviceaccounts "ghost" not found'
    )
    elsewhere = alice.run("create", "token", "default", "-n", "default", check=False)
    assert elsewhere.stderr.strip() == (
        'error: failed to create token: serviceaccounts "default" is forbidden: User "alice" '
        'cannot create resource "serviceaccounts/token" in API group "" in the namespace "default"'
    )


def test_a_bad_token_is_unauthorized(alice: Kubectl) -> None:
    result = alice.run("--token", "not-a-token", "get", "pods", check=False)
    assert result.returncode == 1
    # A fresh kubectl fails in discovery first, and says so as it does against kube-apiserver.
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "error: You must be logged in to the server (the server has asked for the client to "
        "provide credentials)"
    )


def test_roles_and_bindings_cannot_escalate(class_cluster: ClassCluster, tmp_path: Path) -> None:
    bob = Kubectl(class_cluster.add_user("bob", "bob", role="admin"), tmp_path)
    bob("create", "role", "pod-reader", "--verb=get,list", "--resource=pods")
    bob("create", "rolebinding", "carol-view", "--clusterrole=view", "--user=carol")
    refused = bob.run(
        "create", "role", "node-reader", "--verb=get", "--resource=nodes", check=False
    )
    assert refused.stderr.strip() == (
        'Error from server (Forbidden): roles.rbac.authorization.k8s.io "node-reader" is '
        'forbidden: user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC '
        "permissions not currently held:\n"
        '{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}'
    )
    refused = bob.run(
        "create",
        "rolebinding",
        "carol-root",
        "--clusterrole=cluster-admin",
        "--user=carol",
        check=False,
    )
    assert refused.stderr.strip() == (
        "error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "
        '"carol-root" is forbidden: user "bob" (groups=["system:authenticated"]) is attempting '
        "to grant RBAC permissions not currently held:\n"
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n'
        '{NonResourceURLs:["*"], Verbs:["*"]}'
    )
    assert bob("auth", "can-i", "list", "pods", "--as=system:serviceaccount:bob:default",
               check=False).strip() == "no"  # fmt: skip


def test_impersonation_is_for_those_allowed_to(admin: Kubectl, alice: Kubectl) -> None:
    as_alice = admin.run("get", "pods", "-n", "default", "--as=alice", check=False)
    assert forbidden(as_alice) == (
        'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource '
        '"pods" in API group "" in the namespace "default"'
    )
    assert admin("auth", "can-i", "create", "pods", "-n", "alice", "--as=alice").strip() == "yes"
    as_bob = alice.run("get", "pods", "--as=bob", check=False)
    assert forbidden(as_bob) == (
        'Error from server (Forbidden): users "bob" is forbidden: User "alice" cannot '
        'impersonate resource "users" in API group "" at the cluster scope'
    )


def test_students_survive_a_restart(class_cluster: ClassCluster, alice: Kubectl) -> None:
    class_cluster.kubelab("cluster", "down")
    class_cluster.kubelab("cluster", "up")
    deadline = time.monotonic() + 30
    while alice.run("get", "deployments", check=False).returncode != 0:
        assert time.monotonic() < deadline, "the student's kubeconfig stopped working"
        time.sleep(0.2)
    assert "web" in alice("get", "deployments", "-o", "name")
