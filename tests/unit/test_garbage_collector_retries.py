"""One object the garbage collector cannot handle does not stop it handling the others, and is
tried again on a later pass."""

from __future__ import annotations

from typing import Any

from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.client import LocalClient
from kubelab.cluster.clock import Clock
from kubelab.cluster.controllers.garbagecollector import GarbageCollector
from kubelab.cluster.resources.builtin import builtin_registry
from kubelab.cluster.store.objects import ObjectStore

CONFIGMAPS = ("", "v1", "configmaps")


def configmap(name: str, owner: dict[str, Any] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if owner is not None:
        ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"]}
        meta["ownerReferences"] = [{**ref, "uid": owner["metadata"]["uid"]}]
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}


def test_a_failing_dependent_is_retried_while_the_others_are_collected() -> None:
    client = LocalClient(ObjectAPI(ObjectStore(), builtin_registry(), Clock()), "test")
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    client.create(("", "v1", "namespaces"), "", namespace)
    owner = client.create(CONFIGMAPS, "team", configmap("owner"))
    dependents = [client.create(CONFIGMAPS, "team", configmap(n, owner)) for n in ("a", "b")]
    collector = GarbageCollector(LocalClient(client.api, GarbageCollector.name))
    client.delete(CONFIGMAPS, "team", "owner", "Background")
    deleting = collector.client.delete

    def delete_failing_for_a(resource, namespace, name, *args, **kwargs):  # noqa: ANN001, ANN202
        if name == "a":
            raise RuntimeError("the object could not be decoded")
        return deleting(resource, namespace, name, *args, **kwargs)

    collector.client.delete = delete_failing_for_a
    uids = {d["metadata"]["uid"] for d in dependents}
    failed = collector.collect(uids)
    assert failed == {dependents[0]["metadata"]["uid"]}
    assert client.get(CONFIGMAPS, "team", "b") is None
    assert client.get(CONFIGMAPS, "team", "a") is not None
    collector.client.delete = deleting
    assert collector.collect(failed) == set()
    assert client.get(CONFIGMAPS, "team", "a") is None
