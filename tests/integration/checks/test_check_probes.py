"""Behavioural probes on a real cluster: HTTP through a Service, exec, logs, data that survives
its pod, and rollout history."""

from __future__ import annotations

from typing import Any

import yaml
from check_cluster import create, pod_manifest

from kubelab.checks import Check, KubeAPI, Outcome, parse_check, run_check
from kubelab.checks.results import CheckResult
from tests.polling import eventually


def probe(
    api: KubeAPI, namespace: str, spec: dict[str, Any], timeout: float = 30, **kwargs: Any
) -> CheckResult:
    check = parse_check(
        {
            "id": "t/probe",
            "title": "Probe",
            "timeout": timeout,
            "criteria": [{"id": "p", "title": "probe", "probe": spec}],
        }
    )
    return run_check(check, api, namespace, **kwargs)


def web_service(api: KubeAPI, namespace: str, selector: dict[str, str] | None = None) -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": selector or {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]},
    }
    create(api, namespace, service)


def deployment(
    name: str, image: str, volumes: list | None = None, mounts: list | None = None
) -> dict:
    container: dict[str, Any] = {"name": name, "image": image}
    if image.startswith("busybox"):
        container["command"] = ["sleep", "3600"]
    if mounts:
        container["volumeMounts"] = mounts
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container], "volumes": volumes or []},
            },
        },
    }


HTTP = {
    "http": {"service": "web", "port": 80, "path": "/", "body": {"$contains": "Welcome to nginx"}}
}


def test_http_through_a_service_waits_for_its_pod_then_passes(api: KubeAPI, namespace: str) -> None:
    web_service(api, namespace)
    create(api, namespace, pod_manifest("web", "nginx", {"app": "web"}))
    seen: list[Outcome] = []
    result = probe(api, namespace, HTTP, on_progress=lambda rs: seen.append(rs[0].outcome))
    assert result.outcome is Outcome.PASS, result.text()
    assert seen[0] is Outcome.NOT_YET


def test_http_reports_the_status_it_got(api: KubeAPI, namespace: str) -> None:
    web_service(api, namespace)
    create(api, namespace, pod_manifest("web", "nginx", {"app": "web"}))
    assert probe(api, namespace, HTTP).outcome is Outcome.PASS
    missing = {"http": {"service": "web", "port": 80, "path": "/missing"}}
    result = probe(api, namespace, missing)
    assert result.outcome is Outcome.FAIL
    assert (
        "GET /missing through Service web port 80 answered HTTP 404; expected HTTP 200"
        in result.text()
    )


def test_http_to_a_service_that_selects_nothing(api: KubeAPI, namespace: str) -> None:
    web_service(api, namespace, {"app": "web"})
    create(api, namespace, pod_manifest("web", "nginx", {"app": "frontend"}))
    result = probe(api, namespace, HTTP)
    assert result.outcome is Outcome.FAIL
    (criterion,) = result.criteria
    assert [f.cause for f in criterion.verdict.causes] == ["selector-mismatch"]


def test_http_to_a_missing_service(api: KubeAPI, namespace: str) -> None:
    result = probe(api, namespace, HTTP)
    assert result.outcome is Outcome.FAIL
    assert "answered HTTP 404 from the API server" in result.text()


def settings(color: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"color": color},
    }


def mounted_pod() -> dict[str, Any]:
    manifest = pod_manifest(
        "painter",
        "busybox",
        {"app": "painter"},
        container={
            "command": ["sh", "-c", "echo ready to paint; sleep 3600"],
            "volumeMounts": [{"name": "settings", "mountPath": "/etc/app"}],
        },
    )
    manifest["spec"]["volumes"] = [{"name": "settings", "configMap": {"name": "settings"}}]
    return manifest


EXEC = {
    "exec": {
        "select": {"labels": {"app": "painter"}},
        "command": "cat /etc/app/color",
        "output": "blue",
    }
}


def test_exec_output(api: KubeAPI, namespace: str) -> None:
    create(api, namespace, settings("blue"))
    create(api, namespace, mounted_pod())
    assert probe(api, namespace, EXEC).outcome is Outcome.PASS


def test_exec_output_that_differs(api: KubeAPI, namespace: str) -> None:
    create(api, namespace, settings("red"))
    create(api, namespace, mounted_pod())
    result = probe(api, namespace, EXEC)
    assert result.outcome is Outcome.FAIL
    assert "output: expected blue, found red" in result.text()
    missing = {"exec": {"pod": "painter", "command": ["cat", "/etc/app/size"]}}
    result = probe(api, namespace, missing)
    assert result.outcome is Outcome.FAIL
    assert "exit code: 1 (expected 0)" in result.text()


def test_logs(api: KubeAPI, namespace: str) -> None:
    create(api, namespace, settings("blue"))
    create(api, namespace, mounted_pod())
    contains = {"logs": {"pod": "painter", "log": {"$contains": "ready to paint"}}}
    assert probe(api, namespace, contains).outcome is Outcome.PASS
    absent = {"logs": {"pod": "painter", "log": {"$regex": "painted \\d+ walls"}}}
    result = probe(api, namespace, absent, timeout=3)
    assert result.outcome is Outcome.FAIL
    assert "its last line is ready to paint" in result.text()


SURVIVES = {"data_survives": {"select": {"labels": {"app": "db"}}, "path": "/data/probe"}}


def test_data_on_a_persistent_volume_survives_its_pod(api: KubeAPI, namespace: str) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    create(api, namespace, claim)
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    create(
        api,
        namespace,
        deployment("db", "busybox", volumes, [{"name": "data", "mountPath": "/data"}]),
    )
    result = probe(api, namespace, SURVIVES, timeout=60)
    assert result.outcome is Outcome.PASS, result.text()
    (criterion,) = result.criteria
    first, second = criterion.verdict.evidence.objects
    assert first["metadata"]["uid"] != second["metadata"]["uid"]


def test_data_on_an_empty_dir_does_not_survive(api: KubeAPI, namespace: str) -> None:
    create(
        api,
        namespace,
        deployment(
            "db",
            "busybox",
            [{"name": "data", "emptyDir": {}}],
            [{"name": "data", "mountPath": "/data"}],
        ),
    )
    result = probe(api, namespace, SURVIVES, timeout=60)
    assert result.outcome is Outcome.FAIL, result.text()
    (criterion,) = result.criteria
    assert [f.cause for f in criterion.verdict.causes] == ["ephemeral-volume"]
    assert "was gone after the pod was replaced" in result.text()


def test_data_in_a_pod_without_a_controller_is_not_deleted(api: KubeAPI, namespace: str) -> None:
    create(
        api,
        namespace,
        pod_manifest("db-0", "busybox", {"app": "db"}, container={"command": ["sleep", "3600"]}),
    )
    result = probe(api, namespace, SURVIVES, timeout=30)
    assert result.outcome is Outcome.FAIL
    assert "not managed by a controller" in result.text()
    assert api.get(api.resource("v1", "Pod"), "db-0", namespace) is not None


def test_rollout_history(api: KubeAPI, namespace: str) -> None:
    create(api, namespace, deployment("web", "nginx:1.25"))
    deployments = api.resource("apps/v1", "Deployment")
    eventually(
        lambda: (
            (api.get(deployments, "web", namespace).get("status") or {}).get("readyReplicas") == 1
        )
    )
    patch = {
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}}
    }
    api.json(
        "PATCH",
        deployments.path(namespace, "web"),
        body=patch,
        content_type="application/strategic-merge-patch+json",
    )
    history = yaml.safe_load(
        """
rollout_history:
  deployment: web
  min_revisions: 2
  includes:
    - spec: {containers: [{image: nginx:1.25}]}
    - spec: {containers: [{image: nginx:1.26}]}
"""
    )
    assert probe(api, namespace, history, timeout=60).outcome is Outcome.PASS
    history["rollout_history"]["includes"].append(
        {"spec": {"containers": [{"image": "nginx:1.24"}]}}
    )
    result = probe(api, namespace, history, timeout=5)
    assert result.outcome is Outcome.FAIL
    assert "no revision has a pod template like" in result.text()
    assert "image nginx:1.24" in result.text()


def test_probes_never_run_in_an_unrelated_check(api: KubeAPI, namespace: str) -> None:
    check: Check = parse_check(
        {
            "id": "t/http",
            "title": "HTTP",
            "timeout": 3,
            "criteria": [
                {
                    "title": "http",
                    "hidden": True,
                    "probe": {"http": {"service": "web", "port": 80, "status": 204}},
                }
            ],
        }
    )
    result = run_check(check, api, namespace)
    assert result.outcome is Outcome.FAIL
    assert "204" not in result.text()
