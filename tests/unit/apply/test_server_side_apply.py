"""Server-side apply through the real write pipeline: merging, pruning, conflicts, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from kubelab.cluster.api.apply import LAST_APPLIED_ANNOTATION, merge
from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.managedfields import kind_shape
from kubelab.cluster.api.rest import ObjectAPI, WriteOptions

NAMESPACE = "default"


def apply(
    api: ObjectAPI,
    body: Any,
    manager: str = "tester",
    force: bool = False,
    subresource: str = "",
    dry_run: bool = False,
) -> tuple[dict[str, Any], int]:
    plural = {"Deployment": "deployments", "ConfigMap": "configmaps"}[body["kind"]]
    group, version = ("apps", "v1") if body["kind"] == "Deployment" else ("", "v1")
    strategy = api.registry.get(group, version, plural)
    options = WriteOptions(field_manager=manager, field_validation="Strict", dry_run=dry_run)
    return api.server_side_apply(  # type: ignore[attr-defined]
        strategy, NAMESPACE, body["metadata"]["name"], body, options, force, subresource
    )


def deployment(**spec: Any) -> dict[str, Any]:
    containers = spec.pop("containers", [{"name": "web", "image": "nginx:1.27"}])
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers},
            },
            **spec,
        },
    }


def configmap(**data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": data}


def entries(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return obj["metadata"].get("managedFields", [])


def managers(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in entries(obj)]


def fields_of(obj: dict[str, Any], manager: str, operation: str = "Apply") -> dict[str, Any]:
    (entry,) = [e for e in entries(obj) if (e["manager"], e["operation"]) == (manager, operation)]
    return entry["fieldsV1"]


def stored(api: ObjectAPI, kind: str = "configmaps", name: str = "settings") -> dict[str, Any]:
    group = "apps" if kind == "deployments" else ""
    return api.get(api.registry.get(group, "v1", kind), NAMESPACE, name)


def conflict_of(call: Callable[[], Any]) -> APIError:
    with pytest.raises(APIError) as caught:
        call()
    assert caught.value.code == 409
    return caught.value


# --- creating and updating ------------------------------------------------------------------------


def test_apply_creates_a_missing_object(api: ObjectAPI) -> None:
    created, status = apply(api, deployment(replicas=2), manager="kubectl")
    assert status == 201
    assert created["metadata"]["generation"] == 1
    # The pipeline defaulted and stored it.
    assert created["spec"]["strategy"]["type"] == "RollingUpdate"
    assert stored(api, "deployments", "web")["metadata"]["uid"] == created["metadata"]["uid"]
    (entry,) = entries(created)
    assert entry == {
        "manager": "kubectl",
        "operation": "Apply",
        "apiVersion": "apps/v1",
        "time": "2026-03-01T12:00:00Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:selector": {},
                "f:template": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {
                        "f:containers": {'k:{"name":"web"}': {".": {}, "f:image": {}, "f:name": {}}}
                    },
                },
            },
        },
    }


def test_apply_updates_an_object_and_bumps_generation(
    api: ObjectAPI, tick: Callable[[], None]
) -> None:
    apply(api, deployment(replicas=2))
    tick()
    updated, status = apply(api, deployment(replicas=4))
    assert status == 200
    assert updated["spec"]["replicas"] == 4
    assert updated["metadata"]["generation"] == 2
    assert entries(updated)[0]["time"] == "2026-03-01T12:00:01Z"


def test_an_identical_apply_writes_nothing(api: ObjectAPI, tick: Callable[[], None]) -> None:
    first, _ = apply(api, configmap(mode="prod"))
    tick()
    again, status = apply(api, configmap(mode="prod"))
    assert status == 200
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert entries(again) == entries(first)


def test_a_null_in_the_configuration_leaves_the_field_unset(api: ObjectAPI) -> None:
    apply(api, deployment(replicas=3))
    updated, _ = apply(api, deployment(replicas=None))
    assert updated["spec"]["replicas"] == 1  # unset, then defaulted
    assert "f:replicas" in fields_of(updated, "tester")["f:spec"]


# --- removing what a manager stopped applying -----------------------------------------------------


def test_fields_a_manager_stops_applying_are_removed(api: ObjectAPI) -> None:
    apply(api, configmap(mode="prod", level="debug"))
    updated, _ = apply(api, configmap(mode="prod"))
    assert updated["data"] == {"mode": "prod"}
    assert fields_of(updated, "tester") == {"f:data": {"f:mode": {}}}


def test_list_items_a_manager_stops_applying_are_removed(api: ObjectAPI) -> None:
    sidecar = {"name": "log", "image": "busybox", "env": [{"name": "A", "value": "1"}]}
    web = {"name": "web", "image": "nginx:1.27", "env": [{"name": "MODE", "value": "x"}]}
    apply(api, deployment(containers=[web, sidecar]))
    web_only = {"name": "web", "image": "nginx:1.27"}
    updated, _ = apply(api, deployment(containers=[web_only]))
    containers = updated["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["web"]
    assert "env" not in containers[0]


def test_fields_someone_else_also_owns_are_kept(api: ObjectAPI) -> None:
    apply(api, configmap(mode="prod", level="debug"), manager="first")
    # The second manager applies the same value for level: they now share it.
    shared, _ = apply(api, configmap(level="debug"), manager="second")
    assert fields_of(shared, "first") == {"f:data": {"f:level": {}, "f:mode": {}}}
    assert fields_of(shared, "second") == {"f:data": {"f:level": {}}}
    updated, _ = apply(api, configmap(mode="prod"), manager="first")
    assert updated["data"] == {"mode": "prod", "level": "debug"}
    # Once nobody applies it any more, it goes.
    gone, _ = apply(api, configmap(), manager="second")
    assert gone["data"] == {"mode": "prod"}


def test_a_struct_goes_when_nothing_in_it_is_owned(api: ObjectAPI) -> None:
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3}}
    apply(api, deployment(strategy=strategy))
    updated, _ = apply(api, deployment())
    # Removed, then defaulted again by the pipeline.
    assert updated["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == "25%"


def test_fields_set_by_updates_are_not_pruned(api: ObjectAPI) -> None:
    apply(api, configmap(mode="prod"))
    obj = stored(api)
    obj["data"]["extra"] = "by hand"
    api.update(
        api.registry.get("", "v1", "configmaps"),
        NAMESPACE,
        "settings",
        obj,
        WriteOptions(field_manager="kubectl-edit"),
    )
    updated, _ = apply(api, configmap(mode="dev"))
    assert updated["data"] == {"mode": "dev", "extra": "by hand"}


# --- merging --------------------------------------------------------------------------------------


def test_list_maps_merge_by_key_in_the_configurations_order() -> None:
    shape = kind_shape_for("deployments")
    live = deployment(containers=[{"name": n, "image": "old"} for n in ("a", "b", "c")])
    config = deployment(containers=[{"name": "c", "image": "new"}, {"name": "a"}])
    merged = merge(live, config, shape)
    containers = merged["spec"]["template"]["spec"]["containers"]
    assert containers == [
        {"name": "b", "image": "old"},
        {"name": "c", "image": "new"},
        {"name": "a", "image": "old"},
    ]


def test_new_items_follow_the_item_they_follow_in_the_configuration() -> None:
    shape = kind_shape_for("deployments")
    live = deployment(containers=[{"name": "a"}, {"name": "b"}])
    config = deployment(containers=[{"name": "b"}, {"name": "z"}])
    merged = merge(live, config, shape)
    assert [c["name"] for c in merged["spec"]["template"]["spec"]["containers"]] == ["a", "b", "z"]


def test_atomic_values_are_replaced_whole() -> None:
    shape = kind_shape_for("deployments")
    live = deployment(containers=[{"name": "a", "args": ["1", "2"]}])
    live["spec"]["selector"] = {"matchLabels": {"app": "web", "tier": "x"}}
    config = deployment(containers=[{"name": "a", "args": ["3"]}])
    merged = merge(live, config, shape)
    assert merged["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert merged["spec"]["template"]["spec"]["containers"][0]["args"] == ["3"]


def kind_shape_for(plural: str) -> Any:
    from kubelab.cluster.resources.builtin import builtin_registry

    return kind_shape(builtin_registry().get("apps", "v1", plural))


# --- conflicts ------------------------------------------------------------------------------------


def test_a_conflict_names_the_manager_and_the_field(api: ObjectAPI) -> None:
    deployments = api.registry.get("apps", "v1", "deployments")
    body = deployment(replicas=2)
    api.create(deployments, NAMESPACE, body, WriteOptions(field_manager="kubectl-create"))
    error = conflict_of(lambda: apply(api, deployment(replicas=3), manager="kubectl"))
    assert error.reason == "Conflict"
    assert error.message == (
        'Apply failed with 1 conflict: conflict with "kubectl-create" using apps/v1: .spec.replicas'
    )
    assert error.status()["details"] == {
        "causes": [
            {
                "reason": "FieldManagerConflict",
                "message": 'conflict with "kubectl-create" using apps/v1',
                "field": ".spec.replicas",
            }
        ]
    }
    assert stored(api, "deployments", "web")["spec"]["replicas"] == 2


def test_several_conflicts_are_listed_per_manager(api: ObjectAPI) -> None:
    apply(api, configmap(a="1", b="1"), manager="zed")
    apply(api, configmap(c="1"), manager="amy")
    error = conflict_of(lambda: apply(api, configmap(a="2", b="2", c="2"), manager="me"))
    assert error.message == (
        'Apply failed with 3 conflicts: conflicts with "amy":\n'
        "- .data.c\n"
        'conflicts with "zed":\n'
        "- .data.a\n"
        "- .data.b"
    )
    assert [c["field"] for c in error.status()["details"]["causes"]] == [
        ".data.c",
        ".data.a",
        ".data.b",
    ]


def test_the_same_value_is_not_a_conflict(api: ObjectAPI) -> None:
    apply(api, configmap(a="1"), manager="first")
    shared, _ = apply(api, configmap(a="1"), manager="second")
    assert fields_of(shared, "first") == fields_of(shared, "second") == {"f:data": {"f:a": {}}}


def test_force_takes_the_field_over(api: ObjectAPI) -> None:
    apply(api, configmap(a="1", b="1"), manager="first")
    forced, _ = apply(api, configmap(a="2"), manager="second", force=True)
    assert forced["data"] == {"a": "2", "b": "1"}
    assert fields_of(forced, "first") == {"f:data": {"f:b": {}}}
    assert fields_of(forced, "second") == {"f:data": {"f:a": {}}}


def test_status_managers_are_named_with_their_subresource(api: ObjectAPI) -> None:
    apply(api, deployment())
    status = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "status": {"replicas": 1},
    }
    applied, code = apply(api, status, manager="controller", subresource="status")
    assert code == 200
    assert applied["status"]["replicas"] == 1
    (entry,) = [e for e in entries(applied) if e["manager"] == "controller"]
    assert entry["subresource"] == "status"
    assert entry["fieldsV1"] == {"f:status": {"f:replicas": {}}}
    status["status"]["replicas"] = 2
    error = conflict_of(lambda: apply(api, status, manager="other", subresource="status"))
    assert error.message == (
        'Apply failed with 1 conflict: conflict with "controller" with subresource "status": '
        ".status.replicas"
    )


def test_status_apply_needs_an_existing_object(api: ObjectAPI) -> None:
    status = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nope"}}
    with pytest.raises(APIError) as caught:
        apply(api, status, subresource="status")
    assert caught.value.code == 404
    assert caught.value.message == 'deployments.apps "nope" not found'


# --- client-side apply's history ------------------------------------------------------------------


def client_side_applied(api: ObjectAPI, body: dict[str, Any]) -> None:
    """What ``kubectl apply`` without ``--server-side`` leaves: an Update entry and the
    last-applied annotation holding the manifest."""
    annotated = json.loads(json.dumps(body))
    annotations = annotated["metadata"].setdefault("annotations", {})
    annotations[LAST_APPLIED_ANNOTATION] = json.dumps(body, separators=(",", ":")) + "\n"
    api.create(
        api.registry.get("apps", "v1", "deployments"),
        NAMESPACE,
        annotated,
        WriteOptions(field_manager="kubectl-client-side-apply"),
    )


def test_kubectl_inherits_what_client_side_apply_set(api: ObjectAPI) -> None:
    client_side_applied(api, deployment(replicas=2))
    migrated, _ = apply(api, deployment(replicas=3), manager="kubectl")
    assert migrated["spec"]["replicas"] == 3
    assert "f:replicas" not in fields_of(migrated, "kubectl-client-side-apply", "Update")["f:spec"]
    # The server keeps kubectl's last-applied annotation up to date.
    last_applied = migrated["metadata"]["annotations"][LAST_APPLIED_ANNOTATION]
    assert last_applied.endswith("\n")
    assert json.loads(last_applied) == deployment(replicas=3)
    assert last_applied.index('"apiVersion"') < last_applied.index('"kind"')


def test_other_managers_do_not_inherit_from_client_side_apply(api: ObjectAPI) -> None:
    client_side_applied(api, deployment(replicas=2))
    error = conflict_of(lambda: apply(api, deployment(replicas=3), manager="other"))
    assert error.message == (
        "Apply failed with 1 conflict: conflict with "
        '"kubectl-client-side-apply" using apps/v1: .spec.replicas'
    )


def test_kubectl_still_conflicts_on_fields_the_manifest_never_set(api: ObjectAPI) -> None:
    """Defaulting filled in the strategy at create time; the annotation does not list it, so
    changing it is a real conflict with client-side apply."""
    client_side_applied(api, deployment(replicas=2))
    error = conflict_of(
        lambda: apply(api, deployment(replicas=2, strategy={"type": "Recreate"}), manager="kubectl")
    )
    assert error.message == (
        "Apply failed with 1 conflict: conflict with "
        '"kubectl-client-side-apply" using apps/v1: .spec.strategy.type'
    )


# --- refused requests -----------------------------------------------------------------------------


def api_error(call: Callable[[], Any]) -> APIError:
    with pytest.raises(APIError) as caught:
        call()
    return caught.value


def test_a_field_manager_is_required(api: ObjectAPI) -> None:
    error = api_error(lambda: apply(api, configmap(a="1"), manager=""))
    assert (error.code, error.reason) == (422, "Invalid")
    assert error.message == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for '
        "apply patch"
    )


def test_a_field_manager_must_be_short_and_printable(api: ObjectAPI) -> None:
    error = api_error(lambda: apply(api, configmap(a="1"), manager="x" * 129))
    assert error.message == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than '
        "128 bytes"
    )
    error = api_error(lambda: apply(api, configmap(a="1"), manager="a\tb"))
    assert error.status()["details"]["causes"][0]["message"].endswith(
        "invalid character U+0009 (at position 1)"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**configmap(a="1"), "kind": "Secret"}, "invalid object type: /v1, Kind=Secret"),
        (
            {**configmap(a="1"), "apiVersion": "apps/v1"},
            "invalid object type: apps/v1, Kind=ConfigMap",
        ),
        (
            {**configmap(a="1"), "metadata": {"name": "settings", "managedFields": []}},
            "metadata.managedFields must be nil",
        ),
        (
            {**configmap(a="1"), "metadata": {"name": "other"}},
            "the name of the object (other) does not match the name on the URL (settings)",
        ),
    ],
)  # fmt: skip
def test_malformed_configurations_are_bad_requests(
    api: ObjectAPI, body: dict[str, Any], message: str
) -> None:
    strategy = api.registry.get("", "v1", "configmaps")
    options = WriteOptions(field_manager="tester")
    error = api_error(
        lambda: api.server_side_apply(  # type: ignore[attr-defined]
            strategy, NAMESPACE, "settings", body, options, False
        )
    )
    assert (error.code, error.reason, error.message) == (400, "BadRequest", message)


def test_a_body_that_is_not_an_object_is_a_bad_request(api: ObjectAPI) -> None:
    strategy = api.registry.get("", "v1", "configmaps")
    error = api_error(
        lambda: api.server_side_apply(  # type: ignore[attr-defined]
            strategy, NAMESPACE, "x", ["a"], WriteOptions(field_manager="m"), False
        )
    )
    assert error.message == (
        "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot "
        "unmarshal array into Go value of type map[string]interface {}"
    )


def test_a_configuration_the_schema_cannot_read_is_refused(api: ObjectAPI) -> None:
    body = deployment(replicaz=3)
    body["metadata"]["namespace"] = NAMESPACE
    error = api_error(lambda: apply(api, body))
    assert error.code == 500
    assert error.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): "
        ".spec.replicaz: field not declared in schema",
        "code": 500,
    }


def test_dry_run_stores_nothing(api: ObjectAPI) -> None:
    created, status = apply(api, configmap(a="1"), dry_run=True)
    assert status == 201
    assert created["metadata"]["managedFields"][0]["manager"] == "tester"
    assert api_error(lambda: stored(api)).code == 404
    apply(api, configmap(a="1"))
    changed, status = apply(api, configmap(a="2"), dry_run=True)
    assert (status, changed["data"]) == (200, {"a": "2"})
    assert stored(api)["data"] == {"a": "1"}
