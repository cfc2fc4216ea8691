"""``kubelab break``: a scenario breaks a namespace, the check names the fault until it is fixed,
and once it is fixed the check passes and says what was wrong. Driven through the real command
line against a fast teaching cluster, with the learner's fix made by the real kubectl."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelab.cli import main
from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.course import breakage
from kubelab.course.commands import EXIT_CODES
from kubelab.course.loader import COURSE_DIR, load_catalog
from kubelab.testing import content_lab
from tests.conftest import Kubectl
from tests.integration.scenarios.conftest import fast_cluster, k, ns
from tests.polling import eventually

__all__ = ["fast_cluster", "k", "ns"]

SCENARIOS = {
    "image-typo",
    "wrong-selector",
    "failing-probe",
    "missing-config-key",
    "unschedulable",
    "crash-loop",
    "port-mismatch",
    "pending-claim",
}


@pytest.fixture(autouse=True)
def private_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks record progress in ``$KUBELAB_HOME``: keep it out of the user's."""
    monkeypatch.setenv("KUBELAB_HOME", str(tmp_path / "home"))


def kubelab_break(cluster: EmbeddedCluster, namespace: str, *args: str) -> int:
    return main(["break", *args, "--kubeconfig", str(cluster.kubeconfig), "--namespace", namespace])


def check_scenario(
    cluster: EmbeddedCluster,
    namespace: str,
    scenario: str,
    timeout: str,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str]:
    """``kubelab break SCENARIO --check``: its exit code and what it printed."""
    code = kubelab_break(cluster, namespace, scenario, "--check", "--timeout", timeout)
    return code, capsys.readouterr().out


def test_every_fault_of_the_lab_is_a_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["break"]) == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]}
    assert listed == SCENARIOS
    catalog = load_catalog([COURSE_DIR])
    assert {s.exercise.id for s in breakage.scenarios(catalog).values()} == {
        f"troubleshooting/{name}" for name in SCENARIOS
    }


def test_break_diagnose_fix_and_check(
    fast_cluster: EmbeddedCluster, k: Kubectl, ns: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kubelab_break(fast_cluster, ns, "image-typo") == 0
    briefing = capsys.readouterr().out
    assert f"Namespace {ns} is broken (image-typo)" in briefing
    assert "nginx 1.27" in briefing and f"kubectl get events -n {ns}" in briefing
    assert "kubelab break image-typo --check" in briefing

    # The broken state is real: the pods cannot pull their image.
    image = k("get", "deployment", "storefront", "-n", ns, "-o", "jsonpath={..image}")
    assert image == "ngnix:1.27"
    eventually(
        lambda: (
            "ImagePullBackOff" in k("get", "pods", "-n", ns, "-l", "app=storefront")
            or "ErrImagePull" in k("get", "pods", "-n", ns, "-l", "app=storefront")
        ),
        timeout=60,
    )

    # Unfixed: the check fails and names the fault, and does not explain it yet.
    code, unfixed = check_scenario(fast_cluster, ns, "image-typo", "10", capsys)
    assert code == EXIT_CODES["FAIL"]
    assert "asks for an image no registry has" in unfixed
    assert "cannot pull its image ngnix:1.27" in unfixed
    assert "What was wrong" not in unfixed

    k("set", "image", "deployment/storefront", "web=nginx:1.27", "-n", ns)
    code, fixed = check_scenario(fast_cluster, ns, "image-typo", "60", capsys)
    assert code == EXIT_CODES["PASS"]
    assert "PASS" in fixed
    assert "What was wrong: The image name was misspelled (ngnix instead of nginx)" in fixed


def test_breaking_again_undoes_a_fix(
    fast_cluster: EmbeddedCluster, k: Kubectl, ns: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kubelab_break(fast_cluster, ns, "port-mismatch") == 0
    k("patch", "service", "catalog", "-n", ns, "--type=json",
      "-p", '[{"op": "replace", "path": "/spec/ports/0/targetPort", "value": 8080}]')  # fmt: skip
    assert kubelab_break(fast_cluster, ns, "port-mismatch") == 0
    target = k("get", "service", "catalog", "-n", ns, "-o", "jsonpath={.spec.ports[0].targetPort}")
    assert target == "80"


def test_an_unknown_scenario_is_refused_with_suggestions(
    fast_cluster: EmbeddedCluster, ns: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kubelab_break(fast_cluster, ns, "image-typos") == EXIT_CODES["ERROR"]
    error = capsys.readouterr().err
    assert "there is no break scenario 'image-typos'; did you mean image-typo?" in error
    assert "crash-loop" in error


def test_the_python_api_breaks_the_same_way(
    fast_cluster: EmbeddedCluster, k: Kubectl, ns: str, tmp_path: Path
) -> None:
    lab = content_lab(fast_cluster.kubeconfig, tmp_path, [COURSE_DIR], ns)
    chosen, text = breakage.break_in(lab, "troubleshooting/missing-config-key")
    assert chosen.name == "missing-config-key"
    assert "CreateContainerConfigError" in text
    data = k("get", "configmap", "payments", "-n", ns, "-o", "jsonpath={.data}")
    assert "database-host" in data and "database_host" not in data
    _, report = breakage.check_in(lab, "missing-config-key", timeout=10)
    assert not report.passed
    assert breakage.verdict_note(chosen, report) is None
    assert "still has no key database_host" in report.text()
