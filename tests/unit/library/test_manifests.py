"""Manifests in every form a lesson gives them: YAML text, files, dicts and lists."""

from __future__ import annotations

import pytest

from kubelab.steps import ManifestError, _kubectl_input, _looks_like_path, load_manifest

TWO_DOCUMENTS = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
---
# a comment-only document in between is skipped
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
"""


def test_yaml_text_with_several_documents():
    objects = load_manifest(TWO_DOCUMENTS)
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("ConfigMap", "settings"),
        ("Deployment", "web"),
    ]


def test_a_file_path_as_text_or_path(tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text(TWO_DOCUMENTS)
    assert load_manifest(str(path)) == load_manifest(path) == load_manifest(TWO_DOCUMENTS)
    assert _kubectl_input(str(path)) == (["-f", str(path)], None)


def test_a_directory_of_manifests_in_name_order(tmp_path):
    (tmp_path / "b.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: b}\n")
    (tmp_path / "a.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "notes.txt").write_text("not a manifest")
    assert [o["metadata"]["name"] for o in load_manifest(tmp_path)] == ["a", "b"]


def test_a_dict_and_a_list_of_dicts():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}
    assert load_manifest(pod) == [pod]
    assert load_manifest([pod, service]) == [pod, service]
    arguments, stdin = _kubectl_input([pod, service])
    assert arguments == ["-f", "-"]
    assert load_manifest(stdin) == [pod, service]


def test_text_goes_to_kubectl_unchanged():
    assert _kubectl_input(TWO_DOCUMENTS) == (["-f", "-"], TWO_DOCUMENTS)


def test_list_kinds_are_flattened():
    listed = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one"}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "two"}},
        ],
    }
    assert [o["metadata"]["name"] for o in load_manifest(listed)] == ["one", "two"]


def test_one_line_flow_yaml_is_text_not_a_path():
    text = "{apiVersion: v1, kind: ConfigMap, metadata: {name: inline}}"
    assert not _looks_like_path(text)
    assert load_manifest(text)[0]["metadata"]["name"] == "inline"


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("kind: Pod\nmetadata: {name: p}\n", "document 1 has no apiVersion"),
        ("apiVersion: v1\nmetadata: {name: p}\n", "document 1 has no kind"),
        ("- just\n- a list\n", "document 1 is a list, not a Kubernetes object"),
        ("apiVersion: v1\nkind: Pod\n  metadata: bad indent\n", "not valid YAML"),
        ("---\n# nothing here\n", "holds no objects"),
        ("missing-file.yaml", "cannot read missing-file.yaml"),
        (42, "cannot apply a int"),
    ],
)
def test_problems_are_reported_in_words(manifest, message):
    with pytest.raises(ManifestError, match=message):
        load_manifest(manifest)
