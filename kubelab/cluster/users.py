"""Named users of a shared teaching cluster: one student, one namespace, one kubeconfig.

A class shares one cluster, so each student gets an identity of their own: a static bearer
token (kept in ``$KUBELAB_HOME/users/tokens.csv``), a namespace, and a RoleBinding that grants
a ClusterRole (``edit`` by default) in that namespace only, exactly how a Kubernetes
administrator would onboard a team. The student's kubeconfig
(``$KUBELAB_HOME/users/NAME.kubeconfig``) points at that namespace, so plain ``kubectl get pods``
works and everything outside it is refused with the usual 403.

The cluster must be running: the namespace and the binding are made through its API with the
admin credentials. The API's port may change from one start to the next, so the cluster rewrites
the server address in every user kubeconfig when it starts (:func:`refresh_kubeconfigs`).
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubelab.cluster import process
from kubelab.cluster.api.authn import UserTokens, user_tokens_path
from kubelab.cluster.kubeconfig import kubeconfig_document, write_kubeconfig

RBAC = "/apis/rbac.authorization.k8s.io/v1"
#: User names end up in file names and object names, so they must be DNS labels.
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class UserSetupError(Exception):
    """Adding a user failed; the message says why and what to do."""


@dataclass(frozen=True)
class AddedUser:
    name: str
    namespace: str
    role: str
    kubeconfig: Path


def users_directory(home: Path) -> Path:
    return home / "users"


def kubeconfig_path(home: Path, name: str) -> Path:
    return users_directory(home) / f"{name}.kubeconfig"


class _AdminAPI:
    """Just enough of an API client, acting with the cluster's admin token."""

    def __init__(self, home: Path, url: str) -> None:
        self.url = url
        self.token = (home / "admin.token").read_text().strip()
        self.context = ssl.create_default_context(cafile=str(home / "pki" / "ca.crt"))

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> int:
        """Send a request; the HTTP status, or :class:`UserSetupError` for failures other
        than 404 Not Found and 409 Already Exists, which callers handle."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            if error.code in (404, 409):
                return error.code
            try:
                message = json.loads(error.read()).get("message", "")
            except ValueError:
                message = ""
            raise UserSetupError(f"{method} {path}: {message or error.reason}") from None
        except OSError as error:
            raise UserSetupError(f"the teaching cluster did not answer: {error}") from None


def _check_name(what: str, value: str) -> None:
    if not _LABEL.match(value) or len(value) > 63:
        raise UserSetupError(
            f"invalid {what} {value!r}: use lower case letters, digits and '-', starting and "
            "ending with a letter or digit (at most 63 characters)"
        )


def add_user(home: Path, name: str, namespace: str, role: str = "edit") -> AddedUser:
    """Give ``name`` a token, the ClusterRole ``role`` in ``namespace`` (made if missing) and a
    kubeconfig. Running it again keeps the token and the objects that already exist."""
    _check_name("user name", name)
    _check_name("namespace", namespace)
    state = process.read_state(home)
    if state is None:
        raise UserSetupError(
            "the teaching cluster is not running; start it with: kubelab cluster up"
        )
    api = _AdminAPI(home, state.url)
    if api.call("GET", f"{RBAC}/clusterroles/{role}") == 404:
        raise UserSetupError(f'clusterrole "{role}" not found; try edit, view or admin')
    if api.call("GET", f"/api/v1/namespaces/{namespace}") == 404:
        created = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        api.call("POST", "/api/v1/namespaces", created)
    token = UserTokens(user_tokens_path(home)).add(name)
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": f"{name}-{role}", "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}],
    }
    api.call("POST", f"{RBAC}/namespaces/{namespace}/rolebindings", binding)
    path = kubeconfig_path(home, name)
    ca = (home / "pki" / "ca.crt").read_bytes()
    write_kubeconfig(path, kubeconfig_document(state.url, ca, token, name, namespace))
    return AddedUser(name, namespace, role, path)


def refresh_kubeconfigs(home: Path, url: str) -> None:
    """Point every user kubeconfig at the API server's current address."""
    directory = users_directory(home)
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.kubeconfig")):
        document = yaml.safe_load(path.read_text())
        for cluster in (document or {}).get("clusters") or []:
            cluster["cluster"]["server"] = url
        write_kubeconfig(path, document)
