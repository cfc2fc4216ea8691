"""A release of the course's webapp chart through its whole life, driven by the installed helm:
install --wait, status/list/get, an upgrade that rolls the Deployment, history, helm test,
rollback, a failed upgrade that rolls itself back, and uninstall. After every step the cluster's
objects and helm's release Secrets are checked directly, not through helm's own account."""

from __future__ import annotations

from typing import Any

import yaml

from kubelab.cluster import charts
from tests.conftest import Kubectl
from tests.integration.helm.conftest import Helm, release_record
from tests.polling import eventually

WEBAPP_SOURCE = charts.COURSE_CHARTS / "webapp"
CHART_VERSION = yaml.safe_load((WEBAPP_SOURCE / "Chart.yaml").read_text())["version"]
RELEASE = "shop"
FULLNAME = f"{RELEASE}-webapp"
SELECTOR = f"app.kubernetes.io/instance={RELEASE}"
WAIT = ("--wait", "--timeout", "120s")


def _deployment(k: Kubectl, ns: str) -> dict[str, Any]:
    return k.json("get", "deployment", FULLNAME, "-n", ns)


def _replica_sets(k: Kubectl, ns: str) -> dict[str, dict[str, Any]]:
    listed = k.json("get", "replicasets", "-n", ns, "-l", SELECTOR)["items"]
    return {rs["metadata"]["name"]: rs for rs in listed}


def _workload_pods(k: Kubectl, ns: str) -> list[dict[str, Any]]:
    """The Deployment's pods, terminating ones included (not the ``helm test`` pod)."""
    return k.json("get", "pods", "-n", ns, "-l", f"{SELECTOR},pod-template-hash")["items"]


def _assert_ready(k: Kubectl, ns: str, replicas: int, image: str) -> dict[str, Any]:
    """What helm --wait promises once it returns: the rollout is complete, right now."""
    deployment = _deployment(k, ns)
    status = deployment["status"]
    assert status["observedGeneration"] == deployment["metadata"]["generation"]
    assert status.get("updatedReplicas") == replicas
    assert status.get("readyReplicas") == replicas
    assert status.get("availableReplicas") == replicas
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == image
    return deployment


def _current_replica_set(k: Kubectl, ns: str, deployment: dict[str, Any]) -> str:
    revision = deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
    for name, rs in _replica_sets(k, ns).items():
        if rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == revision:
            return name
    raise AssertionError(f"no ReplicaSet has revision {revision}")


def _pods_only_of(k: Kubectl, ns: str, replica_set: str, count: int) -> bool:
    """Every pod of the release, terminating ones included, belongs to ``replica_set``."""
    pods = _workload_pods(k, ns)
    owners = {pod["metadata"]["ownerReferences"][0]["name"] for pod in pods}
    return len(pods) == count and owners == {replica_set}


def _assert_record(
    k: Kubectl, ns: str, revision: int, status: str, config: dict[str, Any]
) -> dict[str, Any]:
    record = release_record(k, ns, RELEASE, revision)
    secret = record.secret
    assert secret["type"] == "helm.sh/release.v1"
    assert secret["metadata"]["name"] == f"sh.helm.release.v1.{RELEASE}.v{revision}"
    labels = secret["metadata"]["labels"]
    assert labels["owner"] == "helm"
    assert labels["name"] == RELEASE
    assert labels["status"] == status
    assert labels["version"] == str(revision)
    release = record.release
    assert release["name"] == RELEASE
    assert release["namespace"] == ns
    assert release["version"] == revision
    assert release["info"]["status"] == status
    assert release["chart"]["metadata"]["name"] == "webapp"
    assert release["chart"]["metadata"]["version"] == CHART_VERSION
    assert release.get("config", {}) == config
    return release


def _release_statuses(k: Kubectl, ns: str) -> dict[str, str]:
    listed = k.json("get", "secrets", "-n", ns, "-l", f"owner=helm,name={RELEASE}")["items"]
    return {s["metadata"]["labels"]["version"]: s["metadata"]["labels"]["status"] for s in listed}


def test_template_renders_and_lint_passes(helm: Helm, k: Kubectl, ns: str) -> None:
    assert "1 chart(s) linted, 0 chart(s) failed" in helm("lint", str(WEBAPP_SOURCE), "--strict")
    rendered = helm(
        "template", RELEASE, str(WEBAPP_SOURCE), "--namespace", ns,
        "--set", "replicaCount=3", "--set", "service.type=NodePort",
        "--set", "config.color=green",
    )  # fmt: skip
    documents = [doc for doc in yaml.safe_load_all(rendered) if doc]
    by_kind = {doc["kind"]: doc for doc in documents}
    assert sorted(by_kind) == ["ConfigMap", "Deployment", "Pod", "Service"]
    assert by_kind["Deployment"]["spec"]["replicas"] == 3
    assert by_kind["Service"]["spec"]["type"] == "NodePort"
    assert by_kind["ConfigMap"]["data"] == {"color": "green", "greeting": "Hello from Helm"}
    assert by_kind["Pod"]["metadata"]["annotations"]["helm.sh/hook"] == "test"
    labels = by_kind["Deployment"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "Helm"
    assert labels["helm.sh/chart"] == f"webapp-{CHART_VERSION}"
    without_tests = helm("template", RELEASE, str(WEBAPP_SOURCE), "-n", ns, "--skip-tests")
    checked = k("apply", "--dry-run=server", "-n", ns, "-f", "-", input=without_tests)
    assert f"deployment.apps/{FULLNAME} created (server dry run)" in checked
    assert k.json("get", "all", "-n", ns)["items"] == []


def test_release_lifecycle_from_the_course_repository(repo_helm: Helm, k: Kubectl, ns: str) -> None:
    helm = repo_helm
    # install --wait: everything exists and the Deployment is ready when helm returns
    installed = helm("install", RELEASE, "kubelab/webapp", "-n", ns, *WAIT)
    assert "STATUS: deployed" in installed
    assert f"kubectl get pods --namespace {ns} -l {SELECTOR}" in installed
    deployment = _assert_ready(k, ns, 2, "kubelab/demo-app:1.0")
    first_rs = _current_replica_set(k, ns, deployment)
    managers = k.json("get", "deployment", FULLNAME, "-n", ns, "--show-managed-fields")
    applied = [m for m in managers["metadata"]["managedFields"] if m["manager"] == "helm"]
    assert [m["operation"] for m in applied] == ["Apply"]
    service = k.json("get", "service", FULLNAME, "-n", ns)
    assert service["spec"]["ports"][0]["port"] == 80
    assert service["spec"]["clusterIP"]
    config = k.json("get", "configmap", FULLNAME, "-n", ns)
    assert config["data"] == {"color": "blue", "greeting": "Hello from Helm"}
    assert config["metadata"]["annotations"]["meta.helm.sh/release-name"] == RELEASE
    _assert_record(k, ns, 1, "deployed", {})

    # status, list, get values, get manifest
    status = helm.json("status", RELEASE, "-n", ns)
    assert status["info"]["status"] == "deployed"
    assert status["version"] == 1
    (listed,) = helm.json("list", "-n", ns)
    assert (listed["name"], listed["revision"], listed["status"]) == (RELEASE, "1", "deployed")
    assert listed["chart"] == f"webapp-{CHART_VERSION}"
    assert helm.json("get", "values", RELEASE, "-n", ns) is None
    assert helm.json("get", "values", RELEASE, "-n", ns, "--all")["replicaCount"] == 2
    manifest = [d for d in yaml.safe_load_all(helm("get", "manifest", RELEASE, "-n", ns)) if d]
    assert sorted(d["kind"] for d in manifest) == ["ConfigMap", "Deployment", "Service"]

    # upgrade with new values: a new ReplicaSet takes over and the old pods go away
    new_values = {"config": {"color": "green"}, "image": {"tag": "2.0"}}
    upgraded = helm(
        "upgrade", RELEASE, "kubelab/webapp", "-n", ns, *WAIT,
        "--set", "image.tag=2.0", "--set", "config.color=green",
    )  # fmt: skip
    assert "REVISION: 2" in upgraded
    deployment = _assert_ready(k, ns, 2, "kubelab/demo-app:2.0")
    second_rs = _current_replica_set(k, ns, deployment)
    assert second_rs != first_rs
    assert _replica_sets(k, ns)[first_rs]["spec"]["replicas"] == 0
    eventually(lambda: _pods_only_of(k, ns, second_rs, 2))
    assert k.json("get", "configmap", FULLNAME, "-n", ns)["data"]["color"] == "green"
    _assert_record(k, ns, 1, "superseded", {})
    _assert_record(k, ns, 2, "deployed", new_values)
    assert helm.json("get", "values", RELEASE, "-n", ns) == new_values

    # helm test: the hook pod calls the Service and finds the new version behind it
    tested = helm("test", RELEASE, "-n", ns, "--logs")
    assert "Phase:          Succeeded" in tested
    assert "2.0" in tested.split("POD LOGS:")[1]
    test_pod = k.json("get", "pod", f"{FULLNAME}-test-connection", "-n", ns)
    assert test_pod["status"]["phase"] == "Succeeded"

    # history shows both revisions
    history = helm.json("history", RELEASE, "-n", ns)
    assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"), (2, "deployed")]

    # rollback to 1: the old values come back as a third revision, on the first ReplicaSet
    helm("rollback", RELEASE, "1", "-n", ns, *WAIT)
    deployment = _assert_ready(k, ns, 2, "kubelab/demo-app:1.0")
    assert _current_replica_set(k, ns, deployment) == first_rs
    eventually(lambda: _pods_only_of(k, ns, first_rs, 2))
    assert k.json("get", "configmap", FULLNAME, "-n", ns)["data"]["color"] == "blue"
    rolled_back = _assert_record(k, ns, 3, "deployed", {})
    assert rolled_back["info"]["description"] == "Rollback to 1"
    assert _release_statuses(k, ns) == {"1": "superseded", "2": "superseded", "3": "deployed"}
    history = helm.json("history", RELEASE, "-n", ns)
    assert [h["revision"] for h in history] == [1, 2, 3]

    # uninstall: the chart's objects and every release Secret are gone
    assert "uninstalled" in helm("uninstall", RELEASE, "-n", ns, "--wait")
    for kind in ("deployment", "service", "configmap"):
        assert k.run("get", kind, FULLNAME, "-n", ns, check=False).returncode != 0
    assert _release_statuses(k, ns) == {}
    eventually(lambda: _workload_pods(k, ns) == [])
    assert helm.json("list", "-n", ns) == []


def test_failed_upgrade_rolls_back_on_failure(repo_helm: Helm, k: Kubectl, ns: str) -> None:
    helm = repo_helm
    helm("install", RELEASE, "kubelab/webapp", "-n", ns, *WAIT)
    first_rs = _current_replica_set(k, ns, _deployment(k, ns))
    broken_upgrade = ("upgrade", RELEASE, "kubelab/webapp", "-n", ns, "--rollback-on-failure")
    failed = helm.run(
        *broken_upgrade, "--set", "image.tag=2.0-broken", "--timeout", "8s", check=False
    )
    assert failed.returncode == 1
    assert "has been rolled back due to rollback-on-failure" in failed.stderr
    assert f"resource Deployment/{ns}/{FULLNAME} not ready" in failed.stderr
    assert _release_statuses(k, ns) == {"1": "superseded", "2": "failed", "3": "deployed"}
    broken = _assert_record(k, ns, 2, "failed", {"image": {"tag": "2.0-broken"}})
    assert "not ready" in broken["info"]["description"]
    assert _assert_record(k, ns, 3, "deployed", {})["info"]["description"] == "Rollback to 1"
    deployment = _deployment(k, ns)
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "kubelab/demo-app:1.0"
    )
    assert _current_replica_set(k, ns, deployment) == first_rs
    eventually(lambda: _pods_only_of(k, ns, first_rs, 2))
    eventually(lambda: _deployment(k, ns)["status"].get("availableReplicas") == 2)


def test_upgrade_after_kubectl_scale_conflicts_until_forced(
    helm: Helm, k: Kubectl, ns: str
) -> None:
    """helm 4 applies server-side: a field another manager took over is a conflict, as on a
    real cluster, until ``--force-conflicts`` takes it back."""
    helm("install", RELEASE, str(WEBAPP_SOURCE), "-n", ns, *WAIT)
    k("scale", "deployment", FULLNAME, "-n", ns, "--replicas=3")
    upgrade = ("upgrade", RELEASE, str(WEBAPP_SOURCE), "-n", ns, *WAIT)
    refused = helm.run(*upgrade, "--set", "message=hello", check=False)
    assert refused.returncode == 1
    assert (
        f"conflict occurred while applying object {ns}/{FULLNAME} apps/v1, Kind=Deployment: "
        'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" '
        "using apps/v1: .spec.replicas"
    ) in refused.stderr
    assert _deployment(k, ns)["spec"]["replicas"] == 3
    helm(*upgrade, "--set", "message=hello", "--force-conflicts")
    deployment = _assert_ready(k, ns, 2, "kubelab/demo-app:1.0")
    managed = k.json("get", "deployment", FULLNAME, "-n", ns, "--show-managed-fields")
    assert "kubectl" not in {m["manager"] for m in managed["metadata"]["managedFields"]}
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "MESSAGE", "value": "hello"}]
