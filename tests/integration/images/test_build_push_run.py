"""Build, push, apply, pull, run: the demo app from its Dockerfile to an answer via a Service.

The image is built with the kubelab builder from the course's own source, pushed with the
distribution protocol to the cluster's registry, and run by a Deployment; the real kubectl
reaches it through a Service (the API server's service proxy). Changing ``app.py`` changes the
answer, because the simulated container runs the ``app.py`` inside the pushed image.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.images import build, push
from tests.conftest import Kubectl
from tests.polling import eventually

DEMO_APP = Path(__file__).resolve().parents[3] / "kubelab" / "course" / "apps" / "demo-app"


def deploy(kubectl: Kubectl, namespace: str, name: str, image: str) -> None:
    kubectl("create", "deployment", name, f"--image={image}", "--port=8080", "-n", namespace)
    kubectl("expose", "deployment", name, "--port=80", "--target-port=8080", "-n", namespace)
    kubectl("rollout", "status", f"deployment/{name}", "-n", namespace, "--timeout=60s", timeout=90)


def through_service(kubectl: Kubectl, namespace: str, name: str, path: str = "") -> str:
    proxy = f"/api/v1/namespaces/{namespace}/services/{name}:80/proxy/{path}"
    return eventually(lambda: kubectl.run("get", "--raw", proxy, check=False).stdout)


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    return tmp_path / "images"


def test_demo_app_runs_from_the_pushed_image(
    cluster: EmbeddedCluster, kubectl: Kubectl, namespace: str, store: Path, tmp_path: Path
) -> None:
    registry = cluster.cluster.registry.host
    lines: list[str] = []
    built = build(DEMO_APP, "demo-app:dev", store=store, progress=None)
    pushed = push("demo-app:dev", registry=registry, store=store, progress=lines.append)
    assert pushed.reference == f"{registry}/demo-app:dev" and pushed.digest == built.digest
    assert len(pushed.uploaded) == 5  # four layers and the config
    assert lines[0] == f"The push refers to repository [{registry}/demo-app]"
    manifest_size = (
        (store / "blobs" / "sha256" / built.digest.removeprefix("sha256:")).stat().st_size
    )
    assert lines[-2] == f"dev: digest: {built.digest} size: {manifest_size}"
    deploy(kubectl, namespace, "web", pushed.reference)
    page = through_service(kubectl, namespace, "web")
    pod = kubectl.json("get", "pods", "-n", namespace, "-l", "app=web")["items"][0]
    assert "<h1>kubelab demo-app v1.0</h1>" in page
    assert f"Served by pod <b>{pod['metadata']['name']}</b>" in page
    status = pod["status"]["containerStatuses"][0]
    assert status["imageID"] == f"{registry}/demo-app@{built.digest}"
    assert through_service(kubectl, namespace, "web", "health?code=200") == "ok\n"
    assert "PORT=8080" in through_service(kubectl, namespace, "web", "env")
    logs = kubectl("logs", "deployment/web", "-n", namespace)
    assert "demo-app 1.0 starting" in logs and "GET / 200" in logs

    # A second push of the same image sends nothing but the manifest.
    again = push("demo-app:dev", registry=registry, store=store, progress=None)
    assert again.uploaded == []

    # Change the source, rebuild under a new tag, roll the Deployment to it.
    context = tmp_path / "demo-app"
    shutil.copytree(DEMO_APP, context)
    source = context / "app.py"
    source.write_text(source.read_text().replace("Hello from kubelab!", "Built by the class"))
    rebuilt = build(context, "demo-app:v2", store=store, progress=None)
    assert [step.cached for step in rebuilt.steps] == [True, True, True, False]
    second = push("demo-app:v2", registry=registry, store=store, progress=None)
    assert len(second.uploaded) == 2  # only the new top layer and the new config
    kubectl("set", "image", "deployment/web", f"demo-app={second.reference}", "-n", namespace)
    kubectl("rollout", "status", "deployment/web", "-n", namespace, "--timeout=60s", timeout=90)

    def new_page() -> str | None:
        page = through_service(kubectl, namespace, "web")
        return page if "<p>Built by the class</p>" in page else None

    eventually(new_page)


def test_a_name_never_pushed_cannot_be_pulled(
    cluster: EmbeddedCluster, kubectl: Kubectl, namespace: str
) -> None:
    image = f"{cluster.cluster.registry.host}/never-pushed:1.0"
    kubectl("run", "ghost", f"--image={image}", "-n", namespace)

    def waiting_reason() -> str | None:
        pod = kubectl.json("get", "pod", "ghost", "-n", namespace)
        statuses = pod["status"].get("containerStatuses") or [{}]
        waiting = statuses[0].get("state", {}).get("waiting", {})
        return (
            waiting.get("reason")
            if waiting.get("reason") in ("ErrImagePull", "ImagePullBackOff")
            else None
        )

    eventually(waiting_reason)
    events = kubectl("get", "events", "-n", namespace, "-o", "json")
    messages = [event["message"] for event in json.loads(events)["items"]]
    assert any(
        f'failed to resolve reference "{image}": {image}: not found' in message
        for message in messages
    ), messages
