"""How CRDs change what the API serves: at once when they change, after a restart, in OpenAPI
and discovery, and when a namespace full of custom resources goes."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from kubelab.cluster.embedded import EmbeddedCluster

KUBECTL = Path(sys.executable).parent / "kubectl"


def test_crds_and_custom_resources_survive_a_restart(tmp_path, crds, group):
    home = tmp_path / "cluster"

    def kubectl(cluster: EmbeddedCluster, *args: str, stdin: str | None = None) -> str:
        env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig), "HOME": str(tmp_path)}
        result = subprocess.run(
            [str(KUBECTL), *args], input=stdin, capture_output=True, text=True, env=env, check=False
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    with EmbeddedCluster(home) as first:
        kubectl(first, "apply", "-f", "-", stdin=yaml.safe_dump(crds.widget(group)))
        kubectl(first, "wait", "--for=condition=Established", f"crd/widgets.{group}")
        kubectl(
            first,
            "apply",
            "-n",
            "default",
            "-f",
            "-",
            stdin=crds.manifest(group, "kept", {"size": "large"}),
        )
    with EmbeddedCluster(home) as second:
        widget = json.loads(
            kubectl(second, "get", f"widgets.{group}", "kept", "-n", "default", "-o", "json")
        )
        assert widget["spec"]["size"] == "large"
        assert f"widgets.{group}" in kubectl(second, "get", "crds")


def test_crd_changes_are_served_at_once(crds, kubectl, namespace, group):
    crd = crds.widget(group)
    crds.install(crd)
    kubectl("apply", "-n", namespace, "-f", "-", input=crds.manifest(group, "w", {"size": "small"}))
    changed = copy.deepcopy(crd)
    version = changed["spec"]["versions"][0]
    version["additionalPrinterColumns"] = [
        {"name": "Color", "type": "string", "jsonPath": ".spec.color"}
    ]
    spec_props = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    spec_props["color"]["default"] = "blue"
    kubectl("apply", "-f", "-", input=yaml.safe_dump(changed))
    header, row = kubectl("get", f"widgets.{group}", "-n", namespace).splitlines()
    assert header.split() == ["NAME", "COLOR"]
    # Defaults apply on read too: the stored object never had a color.
    assert row.split() == ["w", "blue"]


def test_openapi_publishes_the_schema_without_strategic_merge_patch(crds, kubectl, group):
    crds.install(crds.widget(group))
    index = json.loads(kubectl("get", "--raw", "/openapi/v3"))
    url = index["paths"][f"apis/{group}/v1"]["serverRelativeURL"]
    document = json.loads(kubectl("get", "--raw", url))
    item = f"/apis/{group}/v1/namespaces/{{namespace}}/widgets/{{name}}"
    patch = document["paths"][item]["patch"]
    media = set(patch["requestBody"]["content"])
    assert "application/merge-patch+json" in media
    assert "application/strategic-merge-patch+json" not in media
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": group,
        "version": "v1",
        "kind": "Widget",
    }
    name = ".".join([*reversed(group.split(".")), "v1", "Widget"])
    schema = document["components"]["schemas"][name]
    assert schema["properties"]["spec"]["required"] == ["size"]
    assert (
        f"/apis/{group}/v1/namespaces/{{namespace}}/widgets/{{name}}/status" in (document["paths"])
    )


def test_legacy_discovery_lists_the_status_subresource(crds, kubectl, group):
    crds.install(crds.widget(group))
    resources = json.loads(kubectl("get", "--raw", f"/apis/{group}/v1"))["resources"]
    by_name = {r["name"]: r for r in resources}
    assert by_name["widgets"]["kind"] == "Widget"
    assert by_name["widgets"]["categories"] == ["all"]
    assert by_name["widgets/status"]["verbs"] == ["get", "patch", "update"]
    assert by_name["widgets/scale"]["kind"] == "Scale"
    group_doc = json.loads(kubectl("get", "--raw", f"/apis/{group}"))
    assert group_doc["preferredVersion"]["version"] == "v1"


def test_deleting_a_namespace_deletes_its_custom_resources(crds, kubectl, group):
    crds.install(crds.widget(group))
    kubectl("create", "namespace", f"gone-{group.split('.')[0]}")
    namespace = f"gone-{group.split('.')[0]}"
    kubectl("apply", "-n", namespace, "-f", "-", input=crds.manifest(group, "w", {"size": "small"}))
    kubectl("delete", "namespace", namespace, "--timeout=60s")
    assert kubectl.run("get", "namespace", namespace, check=False).returncode != 0
    leftovers = kubectl.json("get", f"widgets.{group}", "-A")["items"]
    assert leftovers == []
