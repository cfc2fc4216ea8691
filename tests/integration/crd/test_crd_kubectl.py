"""CustomResourceDefinitions and custom resources through the real kubectl, as a learner uses
them: define a kind, wait for it, create, read, explain, apply, scale and delete its objects."""

from __future__ import annotations

import copy
import re

import yaml

from tests.crd_manifests import crd_manifest, served_version


def test_a_new_crd_is_established_and_listed(crds, kubectl, group):
    name = crds.install(crds.widget(group))
    crd = kubectl.json("get", "crd", name)
    status = crd["status"]
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["NamesAccepted"]["status"] == "True"
    assert conditions["NamesAccepted"]["reason"] == "NoConflicts"
    assert conditions["NamesAccepted"]["message"] == "no conflicts found"
    assert conditions["Established"]["status"] == "True"
    assert conditions["Established"]["reason"] == "InitialNamesAccepted"
    assert conditions["Established"]["message"] == "the initial names have been accepted"
    assert status["storedVersions"] == ["v1"]
    assert status["acceptedNames"]["kind"] == "Widget"
    assert status["acceptedNames"]["shortNames"] == [crds.short_name(group)]
    assert crd["spec"]["conversion"] == {"strategy": "None"}
    assert crd["spec"]["names"]["listKind"] == "WidgetList"

    header, row = kubectl("get", "crd", name).splitlines()
    assert header.split() == ["NAME", "SCOPE", "VERSIONS", "CREATED", "AT"]
    assert row.split()[:3] == [name, "Namespaced", "v1(storage)"]
    wide = kubectl("get", "crds", name, "-o", "wide").splitlines()
    assert wide[0].split()[-4:] == ["GROUP", "KIND", "SHORTNAMES", "ESTABLISHED"]
    assert wide[1].split()[-4:] == [group, "Widget", crds.short_name(group), "true"]


def test_discovery_lists_the_new_kind(crds, kubectl, group):
    crds.install(crds.widget(group))
    resources = kubectl("api-resources", f"--api-group={group}")
    short = crds.short_name(group)
    assert re.search(
        rf"^widgets\s+{short}\s+{re.escape(group)}/v1\s+true\s+Widget$", resources, re.M
    )
    assert f"{group}/v1" in kubectl("api-versions").split()


def test_custom_resources_are_created_defaulted_and_printed(crds, kubectl, namespace, group):
    crds.install(crds.widget(group))
    out = kubectl(
        "apply", "-n", namespace, "-f", "-", input=crds.manifest(group, "w1", {"size": "small"})
    )
    assert out.strip() == f"widget.{group}/w1 created"
    widget = kubectl.json("get", f"widgets.{group}", "w1", "-n", namespace)
    assert widget["apiVersion"] == f"{group}/v1"
    assert widget["spec"] == {"size": "small", "replicas": 1, "maxReplicas": 10}
    assert widget["metadata"]["generation"] == 1

    header, row = kubectl("get", crds.short_name(group), "-n", namespace).splitlines()
    assert header.split() == ["NAME", "SIZE", "REPLICAS", "AGE"]
    assert row.split()[:3] == ["w1", "small", "1"]
    wide_header = kubectl(
        "get", crds.short_name(group), "-n", namespace, "-o", "wide"
    ).splitlines()[0]
    assert wide_header.split() == ["NAME", "SIZE", "REPLICAS", "PHASE", "AGE"]


def test_apply_updates_with_a_merge_patch_and_counts_generations(crds, kubectl, namespace, group):
    crds.install(crds.widget(group))
    kubectl(
        "apply", "-n", namespace, "-f", "-", input=crds.manifest(group, "w1", {"size": "small"})
    )
    changed = crds.manifest(group, "w1", {"size": "large", "replicas": 3})
    assert kubectl("apply", "-n", namespace, "-f", "-", input=changed).strip() == (
        f"widget.{group}/w1 configured"
    )
    widget = kubectl.json("get", f"widget.{group}", "w1", "-n", namespace)
    assert widget["spec"]["size"] == "large"
    assert widget["spec"]["replicas"] == 3
    assert widget["metadata"]["generation"] == 2
    unchanged = kubectl("apply", "-n", namespace, "-f", "-", input=changed)
    assert unchanged.strip() == f"widget.{group}/w1 unchanged"


def test_server_side_apply_works_on_custom_resources(crds, kubectl, namespace, group):
    crds.install(crds.widget(group))
    manifest = crds.manifest(group, "w1", {"size": "small", "color": "red"})
    kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=manifest)
    widget = kubectl.json("get", f"widget.{group}", "w1", "-n", namespace, "--show-managed-fields")
    managers = {entry["manager"]: entry for entry in widget["metadata"]["managedFields"]}
    assert managers["kubectl"]["operation"] == "Apply"
    assert widget["spec"]["color"] == "red"


def test_validation_errors_read_as_upstream(crds, kubectl, namespace, group):
    crds.install(crds.widget(group))
    bad = crds.manifest(group, "bad", {"size": "medium", "replicas": "two", "color": "Red"})
    result = kubectl.run("apply", "-n", namespace, "-f", "-", input=bad, check=False)
    assert result.returncode == 1
    assert 'The Widget "bad" is invalid:' in result.stderr
    assert (
        '* spec.replicas: Invalid value: "string": spec.replicas in body must be of type '
        'integer: "string"'
    ) in result.stderr
    assert '* spec.size: Unsupported value: "medium": supported values: "small", "large"' in (
        result.stderr
    )
    assert "* spec.color: Invalid value: \"Red\": spec.color in body should match '^[a-z]+$'" in (
        result.stderr
    )
    missing = kubectl.run(
        "apply", "-n", namespace, "-f", "-", input=crds.manifest(group, "bad", {}), check=False
    )
    assert 'The Widget "bad" is invalid: ' in missing.stderr
    assert "spec.size: Required value" in missing.stderr


def test_cel_rules_reject_with_their_message(crds, kubectl, namespace, group):
    crds.install(crds.widget(group))
    too_many = crds.manifest(group, "w", {"size": "small", "replicas": 20, "maxReplicas": 5})
    result = kubectl.run("apply", "-n", namespace, "-f", "-", input=too_many, check=False)
    assert result.stderr.strip() == (
        'The Widget "w" is invalid: spec: Invalid value: replicas must not exceed maxReplicas'
    )


def test_transition_rules_compare_with_the_old_object(crds, kubectl, namespace, group):
    crd = crds.widget(group)
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    schema["properties"]["spec"]["properties"]["size"]["x-kubernetes-validations"] = [
        {"rule": "self == oldSelf", "message": "size is immutable"}
    ]
    crds.install(crd)
    kubectl("apply", "-n", namespace, "-f", "-", input=crds.manifest(group, "w", {"size": "small"}))
    result = kubectl.run(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=crds.manifest(group, "w", {"size": "large"}),
        check=False,
    )
    assert result.stderr.strip() == (
        'The Widget "w" is invalid: spec.size: Invalid value: "large": size is immutable'
    )


def test_unknown_fields_follow_field_validation(crds, kubectl, namespace, group):
    crds.install(crds.widget(group))
    extra = crds.manifest(group, "w", {"size": "small", "shape": "round"})
    strict = kubectl.run("apply", "-n", namespace, "-f", "-", input=extra, check=False)
    assert strict.stderr.strip() == (
        'Error from server (BadRequest): error when creating "STDIN": Widget in version "v1" '
        'cannot be handled as a Widget: strict decoding error: unknown field "spec.shape"'
    )
    warned = kubectl.run("apply", "--validate=warn", "-n", namespace, "-f", "-", input=extra)
    assert 'Warning: unknown field "spec.shape"' in warned.stderr
    stored = kubectl.json("get", f"widget.{group}", "w", "-n", namespace)
    assert "shape" not in stored["spec"]


def test_explain_reads_the_crd_schema(crds, kubectl, group):
    crds.install(crds.widget(group))
    out = kubectl("explain", "widgets.spec", f"--api-version={group}/v1")
    assert f"GROUP:      {group}" in out
    assert "KIND:       Widget" in out
    assert re.search(r"size\s+<string> -required-", out)
    assert "How big the widget is." in out
    assert re.search(r"replicas\s+<integer>", out)


def test_categories_put_custom_resources_in_get_all(crds, kubectl, namespace, group):
    crds.install(crds.widget(group))
    kubectl(
        "apply", "-n", namespace, "-f", "-", input=crds.manifest(group, "w1", {"size": "small"})
    )
    out = kubectl("get", "all", "-n", namespace)
    assert f"widget.{group}/w1" in out


def test_status_and_scale_subresources(crds, kubectl, namespace, group):
    crds.install(crds.widget(group))
    kubectl("apply", "-n", namespace, "-f", "-", input=crds.manifest(group, "w", {"size": "small"}))
    kubectl(
        "patch",
        f"widget.{group}",
        "w",
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"phase":"Running","replicas":1}}',
    )
    kubectl(
        "patch",
        f"widget.{group}",
        "w",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"status":{"phase":"X"}}',
    )
    widget = kubectl.json("get", f"widget.{group}", "w", "-n", namespace)
    assert widget["status"] == {"phase": "Running", "replicas": 1}
    assert widget["metadata"]["generation"] == 1
    assert "Running" in kubectl("get", f"widget.{group}", "w", "-n", namespace, "-o", "wide")

    kubectl("scale", f"widget.{group}/w", "-n", namespace, "--replicas=4")
    widget = kubectl.json("get", f"widget.{group}", "w", "-n", namespace)
    assert widget["spec"]["replicas"] == 4
    assert widget["metadata"]["generation"] == 2

    bad_status = kubectl.run(
        "patch",
        f"widget.{group}",
        "w",
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"replicas":"one"}}',
        check=False,
    )
    assert (
        'status.replicas: Invalid value: "string": replicas in body must be of type integer: '
        '"string"'
    ) in bad_status.stderr


def test_versions_share_storage_with_none_conversion(crds, kubectl, namespace, group):
    crd = crds.widget(group)
    v1 = crd["spec"]["versions"][0]
    beta = copy.deepcopy(v1)
    beta.update(name="v1beta1", storage=False, deprecated=True)
    crd["spec"]["versions"] = [beta, v1]
    crds.install(crd)
    created = kubectl.run(
        "create",
        "-n",
        namespace,
        "-f",
        "-",
        input=crds.manifest(group, "w", {"size": "large"}, version="v1beta1"),
    )
    assert f"Warning: {group}/v1beta1 Widget is deprecated; use {group}/v1 Widget" in (
        created.stderr
    )
    as_v1 = kubectl.json("get", f"widgets.v1.{group}", "w", "-n", namespace)
    as_beta = kubectl.json("get", f"widgets.v1beta1.{group}", "w", "-n", namespace)
    assert as_v1["apiVersion"] == f"{group}/v1"
    assert as_beta["apiVersion"] == f"{group}/v1beta1"
    assert as_v1["spec"] == as_beta["spec"] == {"size": "large", "replicas": 1, "maxReplicas": 10}
    assert as_v1["metadata"]["uid"] == as_beta["metadata"]["uid"]
    # The preferred (GA) version is what plain ``kubectl get`` uses.
    assert (
        kubectl.json("get", f"widget.{group}", "w", "-n", namespace)["apiVersion"] == f"{group}/v1"
    )
    crd_status = kubectl.json("get", "crd", f"widgets.{group}")["status"]
    assert crd_status["storedVersions"] == ["v1"]


def test_a_deleted_crd_waits_for_its_custom_resources(crds, kubectl, namespace, group):
    name = crds.install(crds.widget(group))
    kubectl(
        "apply", "-n", namespace, "-f", "-", input=crds.manifest(group, "keep", {"size": "small"})
    )
    kubectl(
        "patch",
        f"widget.{group}",
        "keep",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":["example.com/hold"]}}',
    )
    kubectl("delete", "crd", name, "--wait=false")
    crd = kubectl.json("get", "crd", name)
    assert crd["metadata"]["deletionTimestamp"]
    assert "customresourcecleanup.apiextensions.k8s.io" in crd["metadata"]["finalizers"]
    crds.wait_for(
        lambda: kubectl.json("get", f"widget.{group}", "keep", "-n", namespace)["metadata"].get(
            "deletionTimestamp"
        ),
        what="the custom resource to be deleted",
    )
    terminating = {c["type"]: c for c in kubectl.json("get", "crd", name)["status"]["conditions"]}[
        "Terminating"
    ]
    assert terminating["status"] == "True"
    assert terminating["reason"] == "InstanceDeletionInProgress"
    assert terminating["message"] == "CustomResource deletion is in progress"
    refused = kubectl.run(
        "create",
        "-n",
        namespace,
        "-f",
        "-",
        input=crds.manifest(group, "new", {"size": "small"}),
        check=False,
    )
    assert (
        f'widgets.{group} "new" is forbidden: create not allowed while custom resource '
        "definition is terminating"
    ) in refused.stderr

    kubectl(
        "patch",
        f"widget.{group}",
        "keep",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":null}}',
    )
    crds.wait_for(
        lambda: kubectl.run("get", "crd", name, check=False).returncode != 0,
        what="the CRD to go",
    )
    gone = kubectl.run("get", f"widgets.{group}", "-n", namespace, check=False)
    assert gone.returncode != 0
    assert f'doesn\'t have a resource type "widgets" in group "{group}"' in gone.stderr


def test_conflicting_names_are_not_accepted(crds, kubectl, group):
    crds.install(crds.widget(group))
    rival = crds.widget(group)
    rival["metadata"]["name"] = f"gadgets.{group}"
    rival["spec"]["names"] = {"plural": "gadgets", "kind": "Widget"}
    kubectl("apply", "-f", "-", input=yaml.safe_dump(rival))
    conditions = crds.wait_for(
        lambda: {
            c["type"]: c
            for c in kubectl.json("get", "crd", f"gadgets.{group}")["status"].get("conditions")
            or []
        },
        what="conditions",
    )
    assert conditions["NamesAccepted"]["status"] == "False"
    assert conditions["NamesAccepted"]["reason"] == "ListKindConflict"
    assert conditions["NamesAccepted"]["message"] == '"WidgetList" is already in use'
    assert conditions["Established"] == {
        **conditions["Established"],
        "status": "False",
        "reason": "NotAccepted",
        "message": "not all names are accepted",
    }
    assert "gadgets" not in kubectl("api-resources", f"--api-group={group}")


def test_an_invalid_crd_is_refused_with_upstream_texts(kubectl, group):
    untyped_spec = {
        "type": "object",
        "properties": {"spec": {"properties": {"n": {"type": "integer"}}}},
    }
    versions = [served_version(untyped_spec), {"name": "v2", "served": True, "storage": True}]
    crd = crd_manifest(group, {"plural": "things", "kind": "Thing"}, versions)
    result = kubectl.run("apply", "-f", "-", input=yaml.safe_dump(crd), check=False)
    assert f'The CustomResourceDefinition "things.{group}" is invalid:' in result.stderr
    assert "* spec.versions[1].schema.openAPIV3Schema: Required value" in result.stderr
    assert (
        "* spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: "
        "must not be empty for specified object fields"
    ) in result.stderr
    assert "must have exactly one version marked as storage version" in result.stderr
    misnamed = copy.deepcopy(crd)
    misnamed["metadata"]["name"] = f"wrong.{group}"
    misnamed["spec"]["versions"] = misnamed["spec"]["versions"][:1]
    misnamed["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = {"type": "object"}
    result = kubectl.run("apply", "-f", "-", input=yaml.safe_dump(misnamed), check=False)
    assert result.stderr.strip() == (
        f'The CustomResourceDefinition "wrong.{group}" is invalid: metadata.name: Invalid '
        f'value: "wrong.{group}": must be spec.names.plural+"."+spec.group'
    )


def test_python_client_custom_objects(crds, api_client, namespace, group):
    from kubernetes import client

    crds.install(crds.widget(group))
    objects = client.CustomObjectsApi(api_client)
    body = {
        "apiVersion": f"{group}/v1",
        "kind": "Widget",
        "metadata": {"name": "py"},
        "spec": {"size": "large"},
    }
    created = objects.create_namespaced_custom_object(group, "v1", namespace, "widgets", body)
    assert created["spec"]["replicas"] == 1
    objects.patch_namespaced_custom_object_status(
        group, "v1", namespace, "widgets", "py", {"status": {"phase": "Ready"}}
    )
    listed = objects.list_namespaced_custom_object(group, "v1", namespace, "widgets")
    assert [item["status"]["phase"] for item in listed["items"]] == ["Ready"]
    extensions = client.ApiextensionsV1Api(api_client)
    crd = extensions.read_custom_resource_definition(f"widgets.{group}")
    assert crd.status.accepted_names.kind == "Widget"
    assert crd.spec.names.short_names == [crds.short_name(group)]
