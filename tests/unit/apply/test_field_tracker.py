"""Update entries: what the field tracker records on every write that is not an apply.

The tests drive the real write pipeline (the ``api`` fixture); its clock stands still until a
test moves it, so entry times are known.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kubelab.cluster.api.managedfields import MAX_UPDATE_MANAGERS, default_field_manager
from kubelab.cluster.api.rest import ObjectAPI, WriteOptions
from kubelab.cluster.client import LocalClient


def as_manager(name: str) -> WriteOptions:
    return WriteOptions(field_manager=name)


def entries(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return obj["metadata"].get("managedFields", [])


def fields_of(obj: dict[str, Any], manager: str) -> dict[str, Any]:
    (entry,) = [e for e in entries(obj) if e["manager"] == manager]
    return entry["fieldsV1"]


def deployment(replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def test_a_create_is_an_update_by_its_manager(api: ObjectAPI) -> None:
    deployments = api.registry.get("apps", "v1", "deployments")
    created = api.create(deployments, "default", deployment(), as_manager("kubectl-create"))
    (entry,) = entries(created)
    assert list(entry) == ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1"]
    assert entry["manager"] == "kubectl-create"
    assert entry["operation"] == "Update"
    assert entry["apiVersion"] == "apps/v1"
    assert entry["time"] == "2026-03-01T12:00:00Z"
    assert entry["fieldsType"] == "FieldsV1"
    fields = entry["fieldsV1"]
    # Identity and bookkeeping are nobody's: no f:name, f:uid, f:generation...
    assert fields["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}
    # What defaulting filled in belongs to the writer too, as in kube-apiserver.
    assert {"f:replicas", "f:progressDeadlineSeconds", "f:revisionHistoryLimit"} <= set(
        fields["f:spec"]
    )
    container = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']
    assert {".", "f:image", "f:name", "f:imagePullPolicy"} <= set(container)
    assert "f:status" not in fields
    # The stored object carries the same entries.
    assert api.get(deployments, "default", "web")["metadata"]["managedFields"] == [entry]


def test_a_writer_takes_the_fields_it_changes(api: ObjectAPI, tick: Callable[[], None]) -> None:
    deployments = api.registry.get("apps", "v1", "deployments")
    created = api.create(deployments, "default", deployment(), as_manager("kubectl-create"))
    tick()
    created["spec"]["replicas"] = 5
    edited = api.update(deployments, "default", "web", created, as_manager("kubectl-edit"))
    assert [(e["manager"], e["time"]) for e in entries(edited)] == [
        ("kubectl-create", "2026-03-01T12:00:00Z"),
        ("kubectl-edit", "2026-03-01T12:00:01Z"),
    ]
    assert fields_of(edited, "kubectl-edit") == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in fields_of(edited, "kubectl-create")["f:spec"]


def test_a_write_that_changes_nothing_changes_no_entry(api: ObjectAPI) -> None:
    configmaps = api.registry.get("", "v1", "configmaps")
    body = {"metadata": {"name": "settings"}, "data": {"mode": "prod"}}
    created = api.create(configmaps, "default", body, as_manager("kubectl-create"))
    again = api.update(configmaps, "default", "settings", created, as_manager("someone-else"))
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert entries(again) == entries(created)


def test_the_same_manager_keeps_one_entry_with_a_new_time(
    api: ObjectAPI, tick: Callable[[], None]
) -> None:
    configmaps = api.registry.get("", "v1", "configmaps")
    body = {"metadata": {"name": "settings"}, "data": {"mode": "prod"}}
    created = api.create(configmaps, "default", body, as_manager("tool"))
    tick()
    created["data"]["level"] = "debug"
    updated = api.update(configmaps, "default", "settings", created, as_manager("tool"))
    (entry,) = entries(updated)
    assert entry["time"] == "2026-03-01T12:00:01Z"
    assert entry["fieldsV1"] == {"f:data": {".": {}, "f:level": {}, "f:mode": {}}}


def test_removing_a_field_takes_it_from_its_owner_and_gives_nothing(api: ObjectAPI) -> None:
    configmaps = api.registry.get("", "v1", "configmaps")
    body = {"metadata": {"name": "settings"}, "data": {"mode": "prod", "level": "info"}}
    created = api.create(configmaps, "default", body, as_manager("tool"))
    del created["data"]["level"]
    updated = api.update(configmaps, "default", "settings", created, as_manager("janitor"))
    assert [e["manager"] for e in entries(updated)] == ["tool"]
    assert fields_of(updated, "tool") == {"f:data": {".": {}, "f:mode": {}}}


def test_status_writes_are_recorded_per_subresource(api: ObjectAPI) -> None:
    deployments = api.registry.get("apps", "v1", "deployments")
    created = api.create(deployments, "default", deployment(), as_manager("kubectl-create"))
    created["status"] = {"replicas": 2, "observedGeneration": 1}
    updated = api.update(
        deployments, "default", "web", created, as_manager("deployment-controller"), "status"
    )
    status_entry = [e for e in entries(updated) if e["manager"] == "deployment-controller"][0]
    assert status_entry["subresource"] == "status"
    assert list(status_entry)[-1] == "subresource"
    # status always exists on a Deployment, so only the fields inside it are new.
    assert status_entry["fieldsV1"] == {"f:status": {"f:observedGeneration": {}, "f:replicas": {}}}
    # Status sent to the main resource is ignored, and so not owned.
    updated["status"]["replicas"] = 7
    updated["spec"]["paused"] = True
    again = api.update(deployments, "default", "web", updated, as_manager("kubectl-edit"))
    assert fields_of(again, "kubectl-edit") == {"f:spec": {"f:paused": {}}}


def test_a_request_without_manager_is_recorded_as_unknown(api: ObjectAPI) -> None:
    configmaps = api.registry.get("", "v1", "configmaps")
    created = api.create(configmaps, "default", {"metadata": {"name": "c"}, "data": {"a": "1"}})
    assert [e["manager"] for e in entries(created)] == ["unknown"]


def test_the_manager_a_user_agent_gives() -> None:
    assert default_field_manager("kubectl/v1.37.0 (linux/amd64) kubernetes/abcdef") == "kubectl"
    assert default_field_manager("OpenAPI-Generator/37.0.2/python") == "OpenAPI-Generator"
    assert default_field_manager("kopf/1.45.2") == "kopf"
    assert default_field_manager("tab\there") == "tabhere"
    assert len(default_field_manager("x" * 300)) == 128
    assert default_field_manager("") == ""


def test_controllers_write_as_their_component(api: ObjectAPI) -> None:
    client = LocalClient(api, "replicaset-controller")
    created = client.create(
        ("", "v1", "configmaps"), "default", {"metadata": {"name": "c"}, "data": {"a": "1"}}
    )
    assert [e["manager"] for e in entries(created)] == ["replicaset-controller"]


def test_valid_managed_fields_in_a_request_replace_the_stored_ones(api: ObjectAPI) -> None:
    configmaps = api.registry.get("", "v1", "configmaps")
    body = {"metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}}
    created = api.create(configmaps, "default", body, as_manager("tool"))
    created["metadata"]["managedFields"] = [
        {
            "manager": "migrated",
            "operation": "Apply",
            "apiVersion": "v1",
            "time": "2026-01-01T00:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}}},
        }
    ]
    updated = api.update(configmaps, "default", "c", created, as_manager("kubectl-patch"))
    assert entries(updated) == created["metadata"]["managedFields"]


@pytest.mark.parametrize(
    "bad",
    [
        [{"manager": "x", "operation": "Patch", "apiVersion": "v1", "fieldsType": "FieldsV1"}],
        [{"manager": "x", "operation": "Update", "fieldsType": "FieldsV1"}],
        [{"manager": "x", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV2"}],
        [{"manager": "x", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
          "fieldsV1": {"f:data": "nope"}}],
    ],
)  # fmt: skip
def test_invalid_managed_fields_in_a_request_are_ignored(
    api: ObjectAPI, tick: Callable[[], None], bad: Any
) -> None:
    configmaps = api.registry.get("", "v1", "configmaps")
    body = {"metadata": {"name": "c"}, "data": {"a": "1"}}
    created = api.create(configmaps, "default", body, as_manager("tool"))
    stored = entries(created)
    created["metadata"]["managedFields"] = bad
    created["data"]["b"] = "2"
    tick()
    updated = api.update(configmaps, "default", "c", created, as_manager("other"))
    assert entries(updated)[0] == stored[0]
    assert [e["manager"] for e in entries(updated)] == ["tool", "other"]


@pytest.mark.parametrize("reset", [[], [{}]])
def test_an_empty_list_clears_the_entries_until_the_next_apply(
    api: ObjectAPI, reset: list[Any]
) -> None:
    configmaps = api.registry.get("", "v1", "configmaps")
    body = {"metadata": {"name": "c"}, "data": {"a": "1"}}
    created = api.create(configmaps, "default", body, as_manager("tool"))
    created["metadata"]["managedFields"] = reset
    cleared = api.update(configmaps, "default", "c", created, as_manager("tool"))
    assert "managedFields" not in cleared["metadata"]
    cleared["data"]["b"] = "2"
    later = api.update(configmaps, "default", "c", cleared, as_manager("tool"))
    assert "managedFields" not in later["metadata"]
    # The next apply finds the fields unowned and gives them to a placeholder manager first.
    applied, _ = api.server_side_apply(  # type: ignore[attr-defined]
        configmaps,
        "default",
        "c",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"c": "3"}},
        as_manager("ssa"),
        False,
    )
    assert [(e["manager"], e["operation"]) for e in entries(applied)] == [
        ("ssa", "Apply"),
        ("before-first-apply", "Update"),
    ]
    assert fields_of(applied, "before-first-apply") == {"f:data": {".": {}, "f:a": {}, "f:b": {}}}


def test_update_entries_beyond_the_cap_are_merged_oldest_first(
    api: ObjectAPI, tick: Callable[[], None]
) -> None:
    configmaps = api.registry.get("", "v1", "configmaps")
    body = {"metadata": {"name": "c"}, "data": {"seed": "v"}}
    obj = api.create(configmaps, "default", body, as_manager("creator"))
    for number in range(MAX_UPDATE_MANAGERS):
        tick()
        obj["data"][f"k{number}"] = "v"
        obj = api.update(configmaps, "default", "c", obj, as_manager(f"tool-{number}"))
    managers = [e["manager"] for e in entries(obj)]
    assert len(managers) == MAX_UPDATE_MANAGERS
    # The creator and the first tool, the two oldest, now share one bucket with the first
    # tool's time.
    assert managers[0] == "ancient-changes"
    bucket = [e for e in entries(obj) if e["manager"] == "ancient-changes"][0]
    assert bucket["time"] == "2026-03-01T12:00:01Z"
    assert bucket["fieldsV1"] == {"f:data": {".": {}, "f:k0": {}, "f:seed": {}}}
    assert managers[1:] == [f"tool-{n}" for n in range(1, MAX_UPDATE_MANAGERS)]


def test_entries_are_ordered_applies_first_then_by_time(
    api: ObjectAPI, tick: Callable[[], None]
) -> None:
    configmaps = api.registry.get("", "v1", "configmaps")
    body = {"metadata": {"name": "c"}, "data": {"z": "1"}}
    api.create(configmaps, "default", body, as_manager("zeta"))
    tick()
    obj = api.get(configmaps, "default", "c")
    obj["data"]["a"] = "1"
    api.update(configmaps, "default", "c", obj, as_manager("alpha"))
    tick()
    applied, _ = api.server_side_apply(  # type: ignore[attr-defined]
        configmaps,
        "default",
        "c",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"m": "1"}},
        as_manager("middle"),
        False,
    )
    assert [(e["operation"], e["manager"]) for e in entries(applied)] == [
        ("Apply", "middle"),
        ("Update", "zeta"),
        ("Update", "alpha"),
    ]
