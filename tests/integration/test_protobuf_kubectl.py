"""The real kubectl's protobuf request bodies decode to the JSON the same command would send.

A small recording API server (plain HTTP on 127.0.0.1) answers just enough of the API for each
command to reach its POST, decodes the protobuf body with ``decode_object`` and answers with
the decoded object. For every ``kubectl create`` generator the decoded body must equal what
``kubectl create ... --dry-run=client -o json`` prints for the same arguments: that printer
marshals the very Go object the command would send. Commands without a client dry-run
(``create token``, ``auth can-i``, ``drain``) are compared with the JSON their Go source builds.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.protobuf import CONTENT_TYPE, decode_object

KUBECTL = Path(sys.executable).parent / "kubectl"

pytestmark = pytest.mark.timeout(120)

CORE_RESOURCES = [
    ("pods", "Pod", True),
    ("nodes", "Node", False),
    ("namespaces", "Namespace", False),
    ("services", "Service", True),
    ("configmaps", "ConfigMap", True),
    ("secrets", "Secret", True),
    ("serviceaccounts", "ServiceAccount", True),
]
GROUP_RESOURCES = {
    "apps/v1": [("deployments", "Deployment", True), ("replicasets", "ReplicaSet", True)],
    "batch/v1": [("jobs", "Job", True), ("cronjobs", "CronJob", True)],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)],
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]

NODE = {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "node-1"}, "spec": {}}
POD = {
    "kind": "Pod",
    "apiVersion": "v1",
    "metadata": {"name": "web-1", "namespace": "lesson-03", "uid": "pod-uid"},
    "spec": {"nodeName": "node-1", "containers": [{"name": "web", "image": "nginx"}]},
    "status": {"phase": "Running"},
}
CRONJOB = {
    "kind": "CronJob",
    "apiVersion": "batch/v1",
    "metadata": {"name": "nightly", "namespace": "lesson-03", "uid": "cronjob-uid"},
    "spec": {
        "schedule": "0 3 * * *",
        "jobTemplate": {
            "metadata": {"labels": {"app": "nightly"}},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "busybox", "args": ["date"]}],
                    }
                },
            },
        },
    },
}


def resource_list(group_version: str, resources: list[tuple[str, str, bool]]) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [
        {
            "name": plural,
            "singularName": kind.lower(),
            "namespaced": namespaced,
            "kind": kind,
            "verbs": VERBS,
        }
        for plural, kind, namespaced in resources
    ]
    if group_version == "v1":
        entries.append(
            {
                "name": "pods/eviction",
                "singularName": "",
                "namespaced": True,
                "group": "policy",
                "version": "v1",
                "kind": "Eviction",
                "verbs": ["create"],
            }
        )
        entries.append(
            {
                "name": "serviceaccounts/token",
                "singularName": "",
                "namespaced": True,
                "group": "authentication.k8s.io",
                "version": "v1",
                "kind": "TokenRequest",
                "verbs": ["create"],
            }
        )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": entries,
    }


def group_list() -> dict[str, Any]:
    groups = []
    for group_version in GROUP_RESOURCES:
        group, version = group_version.split("/")
        entry = {"groupVersion": group_version, "version": version}
        groups.append({"name": group, "versions": [entry], "preferredVersion": entry})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def not_found() -> web.Response:
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the server could not find the requested resource",
        "reason": "NotFound",
        "code": 404,
    }
    return web.json_response(status, status=404)


@dataclass
class RecordingServer:
    """A stand-in API server that keeps the decoded body of every POST it receives."""

    url: str = ""
    posts: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    evicted: set[str] = field(default_factory=set)

    def routes(self) -> dict[str, dict[str, Any]]:
        pods = {
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "1"},
            "items": [POD] if "web-1" not in self.evicted else [],
        }
        found = {
            "/api": {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": self.url.removeprefix("http://")}
                ],
            },
            "/apis": group_list(),
            "/api/v1": resource_list("v1", CORE_RESOURCES),
            "/api/v1/nodes/node-1": NODE,
            "/api/v1/pods": pods,
            "/apis/batch/v1/namespaces/lesson-03/cronjobs/nightly": CRONJOB,
        }
        if "web-1" not in self.evicted:
            found["/api/v1/namespaces/lesson-03/pods/web-1"] = POD
        for group_version, resources in GROUP_RESOURCES.items():
            found[f"/apis/{group_version}"] = resource_list(group_version, resources)
        return found

    async def handle(self, request: web.Request) -> web.Response:
        if request.method == "GET":
            body = self.routes().get(request.path)
            return web.json_response(body) if body is not None else not_found()
        if request.method == "PATCH" and request.path == "/api/v1/nodes/node-1":
            return web.json_response({**NODE, "spec": {"unschedulable": True}})
        if request.method != "POST":
            return not_found()
        raw = await request.read()
        try:
            obj = decode_object(raw) if request.content_type == CONTENT_TYPE else json.loads(raw)
        except APIError as error:
            return web.json_response(error.status(), status=error.code)
        self.posts.append((request.path, request.content_type, obj))
        return web.json_response(self.answer(request.path, obj), status=201)

    def answer(self, path: str, obj: dict[str, Any]) -> dict[str, Any]:
        """What kube-apiserver would return, as far as the commands under test look at it."""
        if obj["kind"] == "SelfSubjectAccessReview":
            return {**obj, "status": {"allowed": True}}
        if obj["kind"] == "TokenRequest":
            return {**obj, "status": {"token": "a-token", "expirationTimestamp": None}}
        if obj["kind"] == "Eviction":
            self.evicted.add(obj["metadata"]["name"])
            return {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "code": 201,
            }
        return obj


@pytest.fixture()
async def server() -> AsyncIterator[RecordingServer]:
    recording = RecordingServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recording.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    await web.SockSite(runner, listener).start()
    port = listener.getsockname()[1]
    recording.url = f"http://127.0.0.1:{port}"
    yield recording
    await runner.cleanup()


@dataclass
class Kubectl:
    """Runs the project's kubectl against the recording server, with a private HOME."""

    server: RecordingServer
    home: Path

    def kubeconfig(self) -> Path:
        path = self.home / "kubeconfig"
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "test",
                    "clusters": [{"name": "test", "cluster": {"server": self.server.url}}],
                    "contexts": [
                        {
                            "name": "test",
                            "context": {
                                "cluster": "test",
                                "user": "test",
                                "namespace": "lesson-03",
                            },
                        }
                    ],
                    "users": [{"name": "test", "user": {}}],
                }
            )
        )
        return path

    async def run(self, *args: str) -> str:
        process = await asyncio.create_subprocess_exec(
            str(KUBECTL),
            f"--kubeconfig={self.kubeconfig()}",
            f"--cache-dir={self.home / 'cache'}",
            *args,
            cwd=self.home,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "HOME": str(self.home)},
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, f"kubectl {' '.join(args)}: {stderr.decode()}"
        return stdout.decode()

    async def posted(self, *args: str) -> dict[str, Any]:
        """Run a command and return the one body it POSTed, checking it came as protobuf."""
        before = len(self.server.posts)
        await self.run(*args)
        bodies = self.server.posts[before:]
        assert len(bodies) == 1, bodies
        _, content_type, obj = bodies[0]
        assert content_type == CONTENT_TYPE
        return obj


@pytest.fixture()
def kubectl(server: RecordingServer, tmp_path: Path) -> Kubectl:
    return Kubectl(server, tmp_path)


def write_tls_pair(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "web.lesson-03")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "tls.crt", directory / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def write_files(directory: Path) -> None:
    """Files the generators read: text and binary config data, and a TLS key pair."""
    (directory / "app.properties").write_text("color=blue\nsize=3\n")
    (directory / "logo.bin").write_bytes(bytes(range(256)))
    write_tls_pair(directory)


GENERATORS: dict[str, list[str]] = {
    "deployment": ["deployment", "web", "--image=nginx:1.27", "--port=80"],
    "deployment-zero-replicas": ["deployment", "idle", "--image=nginx", "--replicas=0"],
    "deployment-two-images": [
        "deployment",
        "pair",
        "--image=nginx",
        "--image=busybox",
        "--replicas=3",
    ],
    "deployment-command": ["deployment", "sleeper", "--image=busybox", "--", "sleep", "3600"],
    "job": ["job", "once", "--image=busybox", "--", "echo", "hello"],
    "job-from-cronjob": ["job", "manual-run", "--from=cronjob/nightly"],
    "cronjob": [
        "cronjob",
        "every-5",
        "--image=busybox",
        "--schedule=*/5 * * * *",
        "--restart=OnFailure",
        "--",
        "date",
    ],
    "configmap": [
        "configmap",
        "settings",
        "--from-literal=mode=fast",
        "--from-literal=empty=",
        "--from-file=app.properties",
        "--from-file=logo.bin",
    ],
    "configmap-env-file": [
        "configmap",
        "from-env",
        "--from-env-file=app.properties",
        "--append-hash",
    ],
    "secret-generic": [
        "secret",
        "generic",
        "creds",
        "--from-literal=password=s3cr3t",
        "--from-literal=blank=",
        "--from-file=logo.bin",
        "--type=Opaque",
    ],
    "secret-docker-registry": [
        "secret",
        "docker-registry",
        "pull",
        "--docker-server=r.io",
        "--docker-username=u",
        "--docker-password=p",
        "--docker-email=u@example.com",
    ],
    "secret-tls": ["secret", "tls", "web-tls", "--cert=tls.crt", "--key=tls.key"],
    "service-clusterip": ["service", "clusterip", "web", "--tcp=80:8080", "--tcp=443:https"],
    "service-headless": ["service", "clusterip", "headless", "--clusterip=None"],
    "service-nodeport": ["service", "nodeport", "edge", "--tcp=80:8080", "--node-port=30080"],
    "service-loadbalancer": ["service", "loadbalancer", "public", "--tcp=80"],
    "service-externalname": [
        "service",
        "externalname",
        "db",
        "--external-name=db.example.com",
        "--tcp=5432",
    ],
    "namespace": ["namespace", "lesson-04"],
    "serviceaccount": ["serviceaccount", "robot"],
    "role": [
        "role",
        "reader",
        "--verb=get,list,watch",
        "--resource=pods,deployments.apps",
        "--resource-name=web",
    ],
    "clusterrole": [
        "clusterrole",
        "health",
        "--verb=get",
        "--non-resource-url=/healthz",
        "--non-resource-url=/livez",
    ],
    "clusterrole-aggregated": [
        "clusterrole",
        "monitoring",
        "--aggregation-rule=rbac.example.com/aggregate-to-monitoring=true",
    ],
    "rolebinding": [
        "rolebinding",
        "read",
        "--role=reader",
        "--user=alice",
        "--group=devs",
        "--serviceaccount=lesson-03:robot",
    ],
    "clusterrolebinding": ["clusterrolebinding", "viewers", "--clusterrole=view", "--user=bob"],
    "quota": [
        "quota",
        "small",
        "--hard=cpu=1,memory=1Gi,pods=2,requests.storage=5Gi",
        "--scopes=BestEffort,NotTerminating",
    ],
    "poddisruptionbudget-percent": [
        "poddisruptionbudget",
        "half",
        "--selector=app=web",
        "--min-available=50%",
    ],
    "poddisruptionbudget-count": ["pdb", "one", "--selector=app=web", "--max-unavailable=1"],
    "priorityclass": [
        "priorityclass",
        "high",
        "--value=1000",
        "--description=important",
        "--preemption-policy=Never",
    ],
    "priorityclass-zero": ["priorityclass", "zero", "--value=0", "--global-default=true"],
    "ingress": [
        "ingress",
        "site",
        "--class=nginx",
        "--rule=foo.com/bar*=svc:8080,tls=my-cert",
        "--rule=/api=api:http",
        "--annotation=team=web",
        "--default-backend=fallback:80",
    ],
}


@pytest.mark.parametrize("args", GENERATORS.values(), ids=GENERATORS.keys())
async def test_create_generator_body_matches_client_json(kubectl: Kubectl, args: list[str]) -> None:
    write_files(kubectl.home)
    split = args.index("--") if "--" in args else len(args)
    dry_run = [*args[:split], "--dry-run=client", "-o", "json", *args[split:]]
    expected = json.loads(await kubectl.run("create", *dry_run))

    decoded = await kubectl.posted("create", *args)

    assert decoded == expected


async def test_generator_with_explicit_zero_and_empty_values(kubectl: Kubectl) -> None:
    """Pointer zeros survive, non-omitempty zeros stay, omitempty zeros and nil slices go."""
    deployment = await kubectl.posted(
        "create", "deployment", "idle", "--image=nginx", "--replicas=0"
    )
    priority = await kubectl.posted("create", "priorityclass", "zero", "--value=0")
    configmap = await kubectl.posted("create", "configmap", "blank", "--from-literal=empty=")

    assert deployment["spec"]["replicas"] == 0
    assert "creationTimestamp" not in deployment["metadata"]
    assert deployment["spec"]["strategy"] == {} and deployment["status"] == {}
    assert priority["value"] == 0 and "globalDefault" not in priority
    assert configmap["data"] == {"empty": ""}


async def test_create_token_request(kubectl: Kubectl) -> None:
    token = await kubectl.run(
        "create",
        "token",
        "robot",
        "--duration=1h",
        "--audience=api",
        "--audience=vault",
        "--bound-object-kind=Pod",
        "--bound-object-name=web-1",
        "--bound-object-uid=pod-uid",
    )
    plain = await kubectl.run("create", "token", "robot")

    assert token == plain == "a-token"
    assert [path for path, _, _ in kubectl.server.posts] == [
        "/api/v1/namespaces/lesson-03/serviceaccounts/robot/token"
    ] * 2
    bound, unbound = (obj for _, _, obj in kubectl.server.posts)
    assert bound == {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {},
        "spec": {
            "audiences": ["api", "vault"],
            "expirationSeconds": 3600,
            "boundObjectRef": {
                "kind": "Pod",
                "apiVersion": "v1",
                "name": "web-1",
                "uid": "pod-uid",
            },
        },
        "status": {"token": "", "expirationTimestamp": None},
    }
    # Pointers and slices without omitempty are written as null when unset.
    assert unbound["spec"] == {"audiences": None, "expirationSeconds": None, "boundObjectRef": None}


async def test_auth_can_i_self_subject_access_review(kubectl: Kubectl) -> None:
    resource = await kubectl.run(
        "auth", "can-i", "get", "deployments.apps/web", "--subresource=scale"
    )
    url = await kubectl.run("auth", "can-i", "get", "/healthz")

    assert resource == url == "yes\n"
    bodies = [obj for _, _, obj in kubectl.server.posts]
    envelope = {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {},
        "status": {"allowed": False},
    }
    assert bodies == [
        {
            **envelope,
            "spec": {
                "resourceAttributes": {
                    "namespace": "lesson-03",
                    "verb": "get",
                    "group": "apps",
                    "resource": "deployments",
                    "subresource": "scale",
                    "name": "web",
                }
            },
        },
        {**envelope, "spec": {"nonResourceAttributes": {"path": "/healthz", "verb": "get"}}},
    ]


async def test_drain_eviction(kubectl: Kubectl) -> None:
    """kubectl 1.37 sends this Eviction as JSON; a later protobuf body must decode the same."""
    await kubectl.run("drain", "node-1", "--force", "--grace-period=5", "--timeout=20s")

    assert [(path, obj) for path, _, obj in kubectl.server.posts] == [
        (
            "/api/v1/namespaces/lesson-03/pods/web-1/eviction",
            {
                "kind": "Eviction",
                "apiVersion": "policy/v1",
                "metadata": {"name": "web-1", "namespace": "lesson-03"},
                "deleteOptions": {"gracePeriodSeconds": 5},
            },
        )
    ]
