"""The store's indexes (namespace, uid, owner uid, registered ones) follow every write, and are
rebuilt from SQLite when a cluster restarts."""

from __future__ import annotations

from pathlib import Path

from kubelab.cluster.store.objects import ObjectStore


def pod(name: str, namespace: str = "a", node: str = "", owners: tuple[str, ...] = ()) -> dict:
    meta: dict = {"name": name, "namespace": namespace, "uid": f"uid-{namespace}-{name}"}
    if owners:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": o, "uid": o} for o in owners]
    return {"metadata": meta, "spec": {"nodeName": node} if node else {}}


def node_of(obj: dict) -> list[str]:
    return [obj["spec"].get("nodeName") or ""]


def names(objects: list[dict]) -> list[str]:
    return sorted(o["metadata"]["name"] for o in objects)


def test_namespace_listing_is_ordered_and_follows_deletes(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "db")
    for name, namespace in (("c", "a"), ("a", "b"), ("b", "a"), ("a", "a")):
        store.create("/pods", pod(name, namespace))
    assert [o["metadata"]["name"] for o in store.list("/pods", "a")] == ["a", "b", "c"]
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in store.list("/pods")] == [
        ("a", "a"),
        ("a", "b"),
        ("a", "c"),
        ("b", "a"),
    ]
    store.delete("/pods", "b", "a")
    assert store.list("/pods", "b") == []
    assert store.namespace_is_empty("b")
    assert not store.namespace_is_empty("a")


def test_uid_and_owner_indexes_follow_updates_and_deletes(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "db")
    store.create("/replicasets", pod("rs"))
    store.create("/pods", pod("one", owners=("uid-a-rs",)))
    store.create("/pods", pod("two", owners=("uid-a-rs", "other")))
    assert store.by_uid("uid-a-rs")[0] == "/replicasets"
    assert names([obj for _, obj in store.dependents("uid-a-rs")]) == ["one", "two"]
    released = pod("one")
    released["metadata"]["resourceVersion"] = store.get("/pods", "a", "one")["metadata"][
        "resourceVersion"
    ]
    store.update("/pods", released, None)
    assert names([obj for _, obj in store.dependents("uid-a-rs")]) == ["two"]
    assert names([obj for _, obj in store.dependents("other")]) == ["two"]
    store.delete("/pods", "a", "two")
    assert store.dependents("uid-a-rs") == []
    assert store.dependents("other") == []
    store.delete("/replicasets", "a", "rs")
    assert store.by_uid("uid-a-rs") is None


def test_a_registered_index_covers_existing_and_new_objects(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "db")
    store.create("/pods", pod("early", node="n1"))
    store.create("/pods", pod("waiting"))
    by_node = store.add_index("/pods", "spec.nodeName", node_of)
    assert store.add_index("/pods", "spec.nodeName", node_of) is by_node
    store.create("/pods", pod("late", node="n1"))
    assert names(by_node.get("n1")) == ["early", "late"]
    assert names(by_node.get("")) == ["waiting"]
    bound = pod("waiting", node="n2")
    store.update("/pods", bound, None)
    assert by_node.get("") == []
    assert names(by_node.get("n2")) == ["waiting"]
    assert by_node.get("n2")[0] is store.get("/pods", "a", "waiting")


def test_indexes_are_rebuilt_from_disk(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "db")
    store.create("/replicasets", pod("rs"))
    store.create("/pods", pod("one", node="n1", owners=("uid-a-rs",)))
    store.close()
    reopened = ObjectStore(tmp_path / "db")
    assert reopened.by_uid("uid-a-pod") is None
    assert reopened.by_uid("uid-a-one")[1]["metadata"]["name"] == "one"
    assert names([obj for _, obj in reopened.dependents("uid-a-rs")]) == ["one"]
    assert names(reopened.add_index("/pods", "spec.nodeName", node_of).get("n1")) == ["one"]
    assert names(reopened.list("/pods", "a")) == ["one"]


def test_field_set_leaves_are_shared_but_the_data_is_unchanged(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "db")
    obj = pod("one")
    fields = {"f:spec": {"f:nodeName": {}, "f:containers": {".": {}, 'k:{"name":"a"}': {}}}}
    obj["metadata"]["managedFields"] = [{"manager": "m", "fieldsV1": fields}]
    obj["spec"]["empty"] = {}
    stored = store.create("/pods", obj)
    leaves = stored["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]
    assert leaves["f:nodeName"] is leaves["f:containers"]["."]
    assert leaves == {"f:nodeName": {}, "f:containers": {".": {}, 'k:{"name":"a"}': {}}}
    assert stored["spec"]["empty"] == {}
    assert stored["spec"]["empty"] is not leaves["f:nodeName"]
    store.close()
    reopened = ObjectStore(tmp_path / "db").get("/pods", "a", "one")
    assert reopened["metadata"]["managedFields"][0]["fieldsV1"] == {
        "f:spec": {"f:nodeName": {}, "f:containers": {".": {}, 'k:{"name":"a"}': {}}}
    }


def test_an_update_shares_unchanged_parts_with_the_version_it_replaces(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "db")
    first = store.create("/pods", {**pod("one", node="n1"), "status": {"phase": "Pending"}})
    watcher, _ = store.watch("/pods", store.revision)
    changed = {
        "metadata": dict(first["metadata"], labels={"app": "web"}),
        "spec": {"nodeName": "n1"},
        "status": {"phase": "Running"},
    }
    second = store.update("/pods", changed, int(first["metadata"]["resourceVersion"]))
    assert second["spec"] is first["spec"]
    assert second["metadata"]["uid"] is first["metadata"]["uid"]
    assert second["metadata"] is not first["metadata"]
    assert second["status"] == {"phase": "Running"}
    change = watcher.queue.get_nowait()
    assert change.previous is first
    assert change.previous["status"] == {"phase": "Pending"}
    assert "labels" not in change.previous["metadata"]
    assert change.previous["metadata"]["resourceVersion"] != second["metadata"]["resourceVersion"]
    watcher.close()
