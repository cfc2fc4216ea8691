"""Each likely cause a FAIL can name, produced by the real scheduler, kubelet and controllers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from check_cluster import create, pod_manifest

from kubelab.checks import ANY, Check, KubeAPI, Outcome, Selection, StateCriterion, run_check
from kubelab.checks.results import CheckResult, CriterionResult

READY = {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}


def judge(
    api: KubeAPI, namespace: str, selection: Selection, match: object = None, **options: object
) -> tuple[CheckResult, CriterionResult]:
    timeout = float(options.pop("timeout", 30))  # type: ignore[arg-type]
    criterion = StateCriterion(
        id="c", title="criterion", select=selection, quantifier=ANY, match=match, **options
    )
    result = run_check(
        Check("t/diagnosis", "Diagnosis", (criterion,), timeout=timeout), api, namespace
    )
    return result, result.criteria[0]


def causes(criterion: CriterionResult) -> list[str]:
    return [finding.cause for finding in criterion.verdict.causes]


@pytest.fixture()
def other_namespace(api: KubeAPI) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    namespaces = api.resource("v1", "Namespace")
    api.create(
        namespaces, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, None
    )
    yield name
    api.delete(namespaces, name, None)


def test_wrong_namespace(api: KubeAPI, namespace: str, other_namespace: str) -> None:
    create(
        api,
        other_namespace,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}},
    )
    result, criterion = judge(api, namespace, Selection("ConfigMap", name="settings"))
    assert result.outcome is Outcome.FAIL
    assert causes(criterion) == ["wrong-namespace"]
    assert (
        f"ConfigMap settings exists in namespace {other_namespace}, not in {namespace}"
        in result.text()
    )


def test_a_mistyped_name(api: KubeAPI, namespace: str) -> None:
    create(
        api, namespace, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "setings"}}
    )
    result, criterion = judge(api, namespace, Selection("ConfigMap", name="settings"))
    assert causes(criterion) == ["name-mismatch"]
    assert "there is ConfigMap setings: is the name mistyped?" in result.text()


def test_labels_that_select_nothing(api: KubeAPI, namespace: str) -> None:
    create(api, namespace, pod_manifest("web", "nginx", {"app": "wbe"}))
    result, criterion = judge(api, namespace, Selection("Pod", labels={"app": "web"}))
    assert result.outcome is Outcome.FAIL
    assert causes(criterion) == ["label-mismatch"]
    assert "No Pod in " in result.text() and "web (app=wbe)" in result.text()


def test_a_service_selecting_no_pod(api: KubeAPI, namespace: str) -> None:
    create(api, namespace, pod_manifest("web", "nginx", {"app": "wbe"}))
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }
    create(api, namespace, service)
    result, criterion = judge(
        api,
        namespace,
        Selection(
            "EndpointSlice", "discovery.k8s.io/v1", labels={"kubernetes.io/service-name": "web"}
        ),
        {"endpoints": [{"conditions": {"ready": True}}]},
    )
    assert result.outcome is Outcome.FAIL
    assert causes(criterion) == ["selector-mismatch"]
    assert "Service web selects pods with labels app=web, but no pod" in result.text()
    assert "Likely cause:" in result.text()


def test_an_image_that_cannot_be_pulled(api: KubeAPI, namespace: str) -> None:
    create(api, namespace, pod_manifest("web", "ngnix:1.25"))
    result, criterion = judge(api, namespace, Selection("Pod", name="web"), READY)
    assert result.outcome is Outcome.FAIL
    assert causes(criterion) == ["image-pull"]
    assert "container app of Pod web cannot pull its image ngnix:1.25" in result.text()


def test_a_failing_readiness_probe(api: KubeAPI, namespace: str) -> None:
    probe = {
        "httpGet": {"path": "/no-such-page", "port": 80},
        "periodSeconds": 1,
        "failureThreshold": 3,
    }
    create(api, namespace, pod_manifest("web", "nginx", container={"readinessProbe": probe}))
    result, criterion = judge(api, namespace, Selection("Pod", name="web"), READY)
    assert result.outcome is Outcome.FAIL, result.text()
    assert causes(criterion) == ["failing-probe"]
    assert "the readiness probe of Pod web is failing" in result.text()
    assert "404" in result.text()


def test_a_crash_loop(api: KubeAPI, namespace: str) -> None:
    command = {"command": ["sh", "-c", "echo boom; exit 3"]}
    create(api, namespace, pod_manifest("web", "busybox", container=command))
    result, criterion = judge(api, namespace, Selection("Pod", name="web"), READY)
    assert result.outcome is Outcome.FAIL
    assert "crash-loop" in causes(criterion)
    assert "keeps crashing (CrashLoopBackOff" in result.text()


def test_a_crash_loop_shows_the_last_log_lines(api: KubeAPI, namespace: str) -> None:
    command = {"command": ["sh", "-c", "echo boom; exit 3"]}
    create(api, namespace, pod_manifest("web", "busybox", container=command))
    result, criterion = judge(api, namespace, Selection("Pod", name="web"), READY)
    status, _ = api.request("GET", api.resource("v1", "Pod").path(namespace, "web", "log"))
    if status == 405:
        pytest.skip("this teaching cluster does not serve pods/log yet")
    (crash,) = [f for f in criterion.verdict.causes if f.cause == "crash-loop"]
    assert crash.log_tail[-1] == "boom"
    assert "| boom" in result.text()


def test_an_unschedulable_pod(api: KubeAPI, namespace: str) -> None:
    huge = {"resources": {"requests": {"cpu": "500"}}}
    create(api, namespace, pod_manifest("big", "nginx", container=huge))
    result, criterion = judge(api, namespace, Selection("Pod", name="big"), READY)
    assert result.outcome is Outcome.FAIL
    assert causes(criterion) == ["unschedulable"]
    assert (
        "Pod big cannot be scheduled: 0/1 nodes are available: 1 Insufficient cpu" in result.text()
    )


def test_a_missing_configmap_key(api: KubeAPI, namespace: str) -> None:
    create(
        api,
        namespace,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings"},
            "data": {"colour": "blue"},
        },
    )
    env = {
        "env": [
            {
                "name": "COLOR",
                "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "color"}},
            }
        ]
    }
    create(
        api,
        namespace,
        pod_manifest("painter", "busybox", container={**env, "command": ["sleep", "3600"]}),
    )
    result, criterion = judge(api, namespace, Selection("Pod", name="painter"), READY)
    assert result.outcome is Outcome.FAIL
    assert causes(criterion) == ["config-error"]
    assert "cannot start (CreateContainerConfigError)" in result.text()
    assert "couldn't find key color in ConfigMap" in result.text()


def test_a_deployment_whose_pods_cannot_pull(api: KubeAPI, namespace: str) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:no-such-tag"}]},
            },
        },
    }
    create(api, namespace, deployment)
    result, criterion = judge(
        api,
        namespace,
        Selection("Deployment", "apps/v1", name="web"),
        {"status": {"readyReplicas": 2}},
        timeout=45,
    )
    assert result.outcome is Outcome.FAIL, result.text()
    assert "image-pull" in causes(criterion)
    assert "cannot pull its image nginx:no-such-tag" in result.text()


def test_hidden_criteria_say_what_is_wrong_but_not_the_answer(api: KubeAPI, namespace: str) -> None:
    create(api, namespace, pod_manifest("web", "httpd:2.4"))
    result, _ = judge(
        api,
        namespace,
        Selection("Pod", name="web"),
        {"spec": {"containers": [{"image": "nginx:1.25.3-alpine"}]}},
        hidden=True,
    )
    text = result.text() + result._repr_html_() + str(result.to_dict(evidence=True))
    assert result.outcome is Outcome.FAIL
    assert "1.25.3-alpine" not in text
    assert "httpd:2.4, which is not what the task asks for" in result.text()


def test_hidden_criteria_do_not_name_what_is_missing(
    api: KubeAPI, namespace: str, other_namespace: str
) -> None:
    create(
        api,
        other_namespace,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "zebra-42"}},
    )
    result, criterion = judge(api, namespace, Selection("ConfigMap", name="zebra-42"), hidden=True)
    assert causes(criterion) == ["wrong-namespace"]
    assert "zebra-42" not in result.text()
    assert (
        f"The ConfigMap this check looks for exists in namespace {other_namespace}" in result.text()
    )
