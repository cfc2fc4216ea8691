"""Every verdict on a real cluster: PASS, FAIL, NOT YET (and NOT YET turning into PASS), ERROR."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import yaml
from check_cluster import StandInKubelet, create, pod_manifest
from kubernetes import config

from kubelab.checks import (
    ALL,
    ANY,
    NONE,
    Check,
    KubeAPI,
    NeverCriterion,
    Outcome,
    Selection,
    StateCriterion,
    run_check,
)
from kubelab.checks.matchers import gte
from kubelab.cluster.embedded import EmbeddedCluster
from tests.polling import eventually

READY = {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}


def ready_check(selection: Selection, quantifier=ANY, timeout: float = 20) -> Check:
    criterion = StateCriterion(
        id="ready", title="the pod is Ready", select=selection, quantifier=quantifier, match=READY
    )
    return Check("t/ready", "Ready", (criterion,), timeout=timeout)


def outcomes_seen(check: Check, api: KubeAPI, namespace: str, **kwargs):
    seen: list[Outcome] = []
    result = run_check(
        check, api, namespace, on_progress=lambda rs: seen.append(rs[0].outcome), **kwargs
    )
    return result, seen


def test_not_yet_turns_into_pass_when_the_pod_becomes_ready(
    api: KubeAPI, namespace: str, stand_in: StandInKubelet
) -> None:
    stand_in.pod("web")
    stand_in.starting("web")
    flip = threading.Timer(1.0, stand_in.running, args=("web",))
    flip.start()
    try:
        result, seen = outcomes_seen(ready_check(Selection("Pod", name="web")), api, namespace)
    finally:
        flip.join()
    assert result.outcome is Outcome.PASS
    assert seen[0] is Outcome.NOT_YET and seen[-1] is Outcome.PASS
    assert Outcome.FAIL not in seen
    assert 0.9 < result.duration < 10


def test_not_yet_at_the_deadline_says_it_is_still_converging(
    api: KubeAPI, namespace: str, stand_in: StandInKubelet
) -> None:
    stand_in.pod("web")
    stand_in.starting("web")
    result = run_check(ready_check(Selection("Pod", name="web"), timeout=1.5), api, namespace)
    assert result.outcome is Outcome.NOT_YET and result.timed_out
    (criterion,) = result.criteria
    assert [f.cause for f in criterion.verdict.causes] == ["starting"]
    assert "Still converging after" in result.text()
    assert 1.4 < result.duration < 5


def test_a_real_pod_starts_and_the_check_waits_for_it(api: KubeAPI, namespace: str) -> None:
    create(api, namespace, pod_manifest("web", "nginx"))
    result, seen = outcomes_seen(ready_check(Selection("Pod", name="web")), api, namespace)
    assert result.outcome is Outcome.PASS
    assert seen[0] is Outcome.NOT_YET


def test_a_deployment_rolling_out_is_not_yet_then_passes(api: KubeAPI, namespace: str) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
            },
        },
    }
    create(api, namespace, deployment)
    criteria = (
        StateCriterion(
            id="available",
            title="3 replicas ready",
            select=Selection("Deployment", "apps/v1", name="web"),
            quantifier=ANY,
            match={"status": {"readyReplicas": gte(3)}},
        ),
        StateCriterion(
            id="pods",
            title="every web pod is Ready",
            select=Selection("Pod", labels={"app": "web"}),
            quantifier=ALL,
            match=READY,
        ),
    )
    seen: list[list[Outcome]] = []
    result = run_check(
        Check("t/rollout", "Rollout", criteria, timeout=60),
        api,
        namespace,
        on_progress=lambda rs: seen.append([r.outcome for r in rs]),
    )
    assert result.outcome is Outcome.PASS, result.text()
    assert Outcome.NOT_YET in seen[0]
    assert all(Outcome.FAIL not in step for step in seen)


def test_a_mismatch_fails_quickly_with_what_and_where(api: KubeAPI, namespace: str) -> None:
    create(api, namespace, pod_manifest("web", "nginx", {"app": "api"}))
    criterion = StateCriterion(
        id="labels",
        title="labelled app=web",
        select=Selection("Pod", name="web"),
        quantifier=ANY,
        match={"metadata": {"labels": {"app": "web"}}},
    )
    result = run_check(Check("t/labels", "Labels", (criterion,)), api, namespace)
    assert result.outcome is Outcome.FAIL
    assert result.duration < 5
    assert "Pod web: metadata.labels.app: expected web, found api" in result.text()


def test_all_and_none_do_not_pass_on_nothing(api: KubeAPI, namespace: str) -> None:
    pods = Selection("Pod", labels={"app": "web"})
    for quantifier in (ALL, NONE):
        criterion = StateCriterion(
            id="q", title="pods", select=pods, quantifier=quantifier, match=READY
        )
        result = run_check(Check("t/vacuous", "Vacuous", (criterion,)), api, namespace)
        assert result.outcome is Outcome.FAIL
        assert f"No Pods with labels app=web found in namespace {namespace}." in result.text()


def test_eventually_absent_waits_for_a_terminating_object(
    api: KubeAPI, namespace: str, stand_in: StandInKubelet
) -> None:
    stand_in.pod("old")
    pods = api.resource("v1", "Pod")
    api.delete(pods, "old", namespace)
    eventually(lambda: api.get(pods, "old", namespace)["metadata"].get("deletionTimestamp"))
    gone = threading.Timer(1.0, api.delete, args=(pods, "old", namespace, 0))
    gone.start()
    criterion = StateCriterion(
        id="gone", title="Pod old is gone", select=Selection("Pod", name="old"), quantifier=NONE
    )
    try:
        result, seen = outcomes_seen(
            Check("t/gone", "Gone", (criterion,), timeout=15), api, namespace
        )
    finally:
        gone.join()
    assert result.outcome is Outcome.PASS
    assert seen[0] is Outcome.NOT_YET


def test_an_object_that_stays_is_not_absent(api: KubeAPI, namespace: str) -> None:
    create(api, namespace, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old"}})
    criterion = StateCriterion(
        id="gone",
        title="ConfigMap old is gone",
        select=Selection("ConfigMap", name="old"),
        quantifier=NONE,
    )
    result = run_check(Check("t/gone", "Gone", (criterion,)), api, namespace)
    assert result.outcome is Outcome.FAIL
    assert "Expected no ConfigMap old in namespace" in result.text()


def never_failed(window: float) -> Check:
    criterion = NeverCriterion(
        id="never-failed",
        title="no web pod ever fails",
        select=Selection("Pod", labels={"app": "web"}),
        match={"status": {"phase": "Failed"}},
        window=window,
    )
    return Check("t/never", "Never", (criterion,), timeout=window + 10)


def test_never_passes_when_nothing_happens_during_the_window(
    api: KubeAPI, namespace: str, stand_in: StandInKubelet
) -> None:
    stand_in.pod("web-1", {"app": "web"})
    stand_in.running("web-1")
    result, seen = outcomes_seen(never_failed(2.0), api, namespace)
    assert result.outcome is Outcome.PASS
    assert seen[0] is Outcome.NOT_YET
    assert result.duration >= 2.0


def test_never_catches_what_happened_and_went_away(
    api: KubeAPI, namespace: str, stand_in: StandInKubelet
) -> None:
    stand_in.pod("web-1", {"app": "web"})
    stand_in.running("web-1")

    def blip() -> None:
        time.sleep(0.7)
        stand_in.report("web-1", "Failed", False)
        time.sleep(0.3)
        stand_in.api.delete(stand_in.rtype, "web-1", namespace, grace_seconds=0)

    thread = threading.Thread(target=blip)
    thread.start()
    try:
        result = run_check(never_failed(4.0), api, namespace)
    finally:
        thread.join()
    assert result.outcome is Outcome.FAIL, result.text()
    assert api.get(stand_in.rtype, "web-1", namespace) is None
    (criterion,) = result.criteria
    assert "Pod web-1 matched" in criterion.verdict.details[0]
    assert criterion.verdict.evidence.objects[0]["status"]["phase"] == "Failed"


def test_an_unreachable_cluster_is_an_error_not_a_failure(namespace: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configuration = config.kube_config.Configuration()
    configuration.host = f"https://127.0.0.1:{port}"
    configuration.verify_ssl = False
    api = KubeAPI(config.kube_config.ApiClient(configuration))
    criteria = tuple(
        StateCriterion(
            id=f"c{i}", title=f"c{i}", select=Selection("Pod", name="web"), quantifier=ANY
        )
        for i in range(3)
    )
    started = time.monotonic()
    result = run_check(Check("t/down", "Down", criteria), api, namespace)
    assert result.outcome is Outcome.ERROR
    assert time.monotonic() - started < 20
    assert all(c.outcome is Outcome.ERROR for c in result.criteria)
    assert f"cannot reach the cluster at https://127.0.0.1:{port}" in result.text()
    assert "nothing was judged about your work" in result.text()


def test_rejected_credentials_are_an_error(
    cluster: EmbeddedCluster, tmp_path: Path, namespace: str
) -> None:
    document = yaml.safe_load(cluster.kubeconfig.read_text())
    for user in document["users"]:
        user["user"] = {"token": "not-a-valid-token"}
    bad = tmp_path / "kubeconfig"
    bad.write_text(yaml.safe_dump(document))
    api = KubeAPI(config.new_client_from_config(config_file=str(bad)))
    result = run_check(ready_check(Selection("Pod", name="web")), api, namespace)
    assert result.outcome is Outcome.ERROR
    assert "did not accept these credentials" in result.text()


def test_a_kind_the_cluster_does_not_serve_fails_with_a_reason(
    api: KubeAPI, namespace: str
) -> None:
    criterion = StateCriterion(
        id="crd",
        title="a Widget",
        select=Selection("Widget", "example.com/v1", name="w"),
        quantifier=ANY,
    )
    result = run_check(Check("t/crd", "CRD", (criterion,)), api, namespace)
    assert result.outcome is Outcome.FAIL
    assert "no resource type Widget in example.com/v1" in result.text()
