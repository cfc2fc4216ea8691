"""The course's WebApp operator, run by the real kopf against the teaching cluster.

kopf discovers the CRD through legacy discovery (with its ``/status`` subresource), lists and
watches WebApps with bookmarks, adds its finalizer with a JSON patch guarded by a ``test`` of
the resourceVersion, merge-patches the object and its status, and posts events: everything a
real operator needs from an API server.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import kubelab.course.operators

OPERATORS = Path(kubelab.course.operators.__file__).parent
KOPF = Path(sys.executable).parent / "kopf"
FINALIZER = "apps.kubelab.io/webapp-operator"


@pytest.fixture()
def operator(kubectl, namespace, tmp_path) -> Iterator[Path]:
    """The WebApp CRD installed, and the operator watching ``namespace``; yields its log."""
    kubectl("apply", "-f", str(OPERATORS / "webapp-crd.yaml"))
    kubectl("wait", "--for=condition=Established", "crd/webapps.apps.kubelab.io")
    log = tmp_path / "kopf.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                str(KOPF),
                "run",
                "--standalone",
                f"--namespace={namespace}",
                str(OPERATORS / "webapp_operator.py"),
            ],
            env={**kubectl.env, "WEBAPP_SYNC_INTERVAL": "0.5"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield log
        finally:
            process.terminate()
            process.wait(30)
    assert "Traceback" not in log.read_text(), log.read_text()


def webapp(name: str, **spec: object) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "apps.kubelab.io/v1",
            "kind": "WebApp",
            "metadata": {"name": name},
            "spec": spec,
        }
    )


def test_the_operator_runs_a_webapp_from_creation_to_deletion(operator, crds, kubectl, namespace):
    kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=webapp("shop", image="nginx:1.25", replicas=2, port=8080),
    )
    # Create: the operator (slow to start on a busy machine) makes a Deployment and a Service.
    deployment = crds.wait_for(
        lambda: _json_or_none(kubectl, "deployment", "shop", namespace),
        timeout=90,
        what="the operator to create the Deployment",
    )
    app = kubectl.json("get", "webapp", "shop", "-n", namespace)
    owner = deployment["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"]) == (
        "WebApp",
        "shop",
        app["metadata"]["uid"],
    )
    assert owner["controller"] is True
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert (deployment["spec"]["replicas"], container["image"]) == (2, "nginx:1.25")
    service = crds.wait_for(lambda: _json_or_none(kubectl, "service", "shop", namespace))
    assert service["spec"]["ports"][0]["port"] == 8080
    assert service["metadata"]["ownerReferences"][0]["uid"] == app["metadata"]["uid"]
    assert FINALIZER in app["metadata"]["finalizers"]

    # Status: the timer reports ready replicas, which the printer columns show.
    crds.wait_for(
        lambda: _field(kubectl, namespace, "{.status.ready}") == "2",
        timeout=60,
        what="two ready replicas in the WebApp's status",
    )
    header, row = kubectl("get", "webapps", "-n", namespace).splitlines()
    assert header.split() == ["NAME", "IMAGE", "REPLICAS", "READY", "AGE"]
    assert row.split()[:4] == ["shop", "nginx:1.25", "2", "2"]

    # Update: editing the WebApp changes the Deployment.
    kubectl(
        "patch",
        "webapp",
        "shop",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"replicas":3,"image":"nginx:1.26"}}',
    )
    crds.wait_for(
        lambda: _deployment_shape(kubectl, namespace) == ("3", "nginx:1.26"),
        timeout=60,
        what="the Deployment to follow the WebApp",
    )

    # Drift: scaling the Deployment by hand is undone.
    kubectl("scale", "deployment/shop", "-n", namespace, "--replicas=1")
    crds.wait_for(
        lambda: _deployment_shape(kubectl, namespace) == ("3", "nginx:1.26"),
        timeout=60,
        what="the operator to undo the drift",
    )
    crds.wait_for(
        lambda: _event_reasons(kubectl, namespace) >= {"Create", "Update", "DriftCorrected"},
        what="the operator's events",
    )

    # Delete: the finalizer lets the operator clean up, then everything it made is gone.
    kubectl("delete", "webapp", "shop", "-n", namespace, "--timeout=90s")
    crds.wait_for(
        lambda: (
            _json_or_none(kubectl, "deployment", "shop", namespace) is None
            and _json_or_none(kubectl, "service", "shop", namespace) is None
        ),
        timeout=60,
        what="the Deployment and Service to go",
    )


def _json_or_none(kubectl, kind: str, name: str, namespace: str) -> dict | None:
    result = kubectl.run("get", kind, name, "-n", namespace, "-o", "yaml", check=False)
    return yaml.safe_load(result.stdout) if result.returncode == 0 else None


def _event_reasons(kubectl, namespace: str) -> set[str]:
    events = kubectl.json(
        "get", "events", "-n", namespace, "--field-selector", "involvedObject.name=shop"
    )["items"]
    return {e["reason"] for e in events if e["involvedObject"]["kind"] == "WebApp"}


def _field(kubectl, namespace: str, path: str) -> str:
    return kubectl("get", "webapp", "shop", "-n", namespace, "-o", f"jsonpath={path}")


def _deployment_shape(kubectl, namespace: str) -> tuple[str, str]:
    path = "{.spec.replicas} {.spec.template.spec.containers[0].image}"
    replicas, image = kubectl(
        "get", "deployment", "shop", "-n", namespace, "-o", f"jsonpath={path}"
    ).split()
    return replicas, image
