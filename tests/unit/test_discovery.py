"""Discovery documents, checked against the shapes kube-apiserver 1.37 serves."""

from __future__ import annotations

import pytest

from kubelab.cluster.api import discovery
from kubelab.cluster.resources.base import ResourceStrategy
from kubelab.cluster.resources.registry import Registry
from tests.fake_strategies import (
    Binding,
    Deployment,
    HorizontalPodAutoscalerV1,
    HorizontalPodAutoscalerV2,
    Namespace,
    Node,
    ServiceAccount,
)


class Pod(ResourceStrategy):
    kind = "Pod"
    plural = "pods"
    short_names = ("po",)
    categories = ("all",)
    subresources = (
        "status",
        "log",
        "exec",
        "attach",
        "portforward",
        "proxy",
        "binding",
        "eviction",
        "ephemeralcontainers",
    )


class ConfigMap(ResourceStrategy):
    kind = "ConfigMap"
    plural = "configmaps"
    short_names = ("cm",)


class TokenReview(ResourceStrategy):
    group = "authentication.k8s.io"
    kind = "TokenReview"
    plural = "tokenreviews"
    namespaced = False
    verbs = ("create",)


def make_registry() -> Registry:
    return Registry(
        [
            Pod(),
            Namespace(),
            Node(),
            Binding(),
            ServiceAccount(),
            ConfigMap(),
            Deployment(),
            HorizontalPodAutoscalerV2(),
            HorizontalPodAutoscalerV1(),
            TokenReview(),
        ]
    )


@pytest.fixture()
def registry() -> Registry:
    return make_registry()


def by_name(resource_list: dict) -> dict[str, dict]:
    return {entry["name"]: entry for entry in resource_list["resources"]}


ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


# --- legacy documents -----------------------------------------------------------------------


def test_api_versions_lists_v1_and_the_server_address() -> None:
    assert discovery.api_versions("127.0.0.1:8443") == {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:8443"}
        ],
    }


def test_group_list_has_named_groups_with_the_preferred_version_first(
    registry: Registry,
) -> None:
    body = discovery.api_group_list(registry)
    assert body["kind"] == "APIGroupList"
    assert body["apiVersion"] == "v1"
    groups = {group["name"]: group for group in body["groups"]}
    assert list(groups) == ["apps", "autoscaling", "authentication.k8s.io"]
    assert groups["autoscaling"] == {
        "name": "autoscaling",
        "versions": [
            {"groupVersion": "autoscaling/v2", "version": "v2"},
            {"groupVersion": "autoscaling/v1", "version": "v1"},
        ],
        "preferredVersion": {"groupVersion": "autoscaling/v2", "version": "v2"},
    }


def test_api_group_for_one_group_and_none_for_core_or_unknown(registry: Registry) -> None:
    assert discovery.api_group(registry, "apps") == {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": "apps",
        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
    }
    assert discovery.api_group(registry, "") is None
    assert discovery.api_group(registry, "batch") is None


def test_core_resource_list_matches_kube_apiserver(registry: Registry) -> None:
    body = discovery.api_resource_list(registry, "", "v1")
    assert body is not None
    assert body["kind"] == "APIResourceList"
    assert "apiVersion" not in body  # the core list carries none, unlike named groups
    assert body["groupVersion"] == "v1"
    names = [entry["name"] for entry in body["resources"]]
    assert names == sorted(names)
    entries = by_name(body)
    assert entries["pods"] == {
        "name": "pods",
        "singularName": "pod",
        "namespaced": True,
        "kind": "Pod",
        "verbs": ALL_VERBS,
        "shortNames": ["po"],
        "categories": ["all"],
        "storageVersionHash": "xPOwRZ+Yhw8=",
    }
    assert entries["pods/status"] == {
        "name": "pods/status",
        "singularName": "",
        "namespaced": True,
        "kind": "Pod",
        "verbs": ["get", "patch", "update"],
    }
    assert entries["pods/log"]["kind"] == "Pod"
    assert entries["pods/log"]["verbs"] == ["get"]
    assert entries["pods/exec"]["kind"] == "PodExecOptions"
    assert entries["pods/exec"]["verbs"] == ["create", "get"]
    assert entries["pods/attach"]["kind"] == "PodAttachOptions"
    assert entries["pods/portforward"]["kind"] == "PodPortForwardOptions"
    assert entries["pods/proxy"]["kind"] == "PodProxyOptions"
    assert entries["pods/proxy"]["verbs"] == ["create", "delete", "get", "patch", "update"]
    assert entries["pods/binding"] == {
        "name": "pods/binding",
        "singularName": "",
        "namespaced": True,
        "kind": "Binding",
        "verbs": ["create"],
    }
    assert entries["pods/eviction"] == {
        "name": "pods/eviction",
        "singularName": "",
        "namespaced": True,
        "group": "policy",
        "version": "v1",
        "kind": "Eviction",
        "verbs": ["create"],
    }
    assert entries["pods/ephemeralcontainers"]["verbs"] == ["get", "patch", "update"]
    assert entries["nodes/proxy"]["kind"] == "NodeProxyOptions"
    assert entries["nodes/proxy"]["namespaced"] is False
    assert entries["serviceaccounts/token"]["group"] == "authentication.k8s.io"
    assert entries["serviceaccounts/token"]["kind"] == "TokenRequest"
    assert entries["namespaces/finalize"]["verbs"] == ["update"]
    assert entries["namespaces/finalize"]["kind"] == "Namespace"


def test_resource_verbs_come_from_the_strategy(registry: Registry) -> None:
    entries = by_name(discovery.api_resource_list(registry, "", "v1"))
    assert entries["namespaces"]["verbs"] == [
        "create",
        "delete",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ]
    assert entries["bindings"]["verbs"] == ["create"]


def test_only_persisted_resources_carry_a_storage_version_hash(registry: Registry) -> None:
    entries = by_name(discovery.api_resource_list(registry, "", "v1"))
    assert entries["namespaces"]["storageVersionHash"] == "Q3oi5N2YM8M="
    assert entries["configmaps"]["storageVersionHash"] == "qFsyl6wFWjQ="
    assert "storageVersionHash" not in entries["bindings"]
    assert "storageVersionHash" not in entries["pods/status"]


def test_named_group_resource_list(registry: Registry) -> None:
    body = discovery.api_resource_list(registry, "apps", "v1")
    assert body is not None
    assert body["apiVersion"] == "v1"
    assert body["groupVersion"] == "apps/v1"
    entries = by_name(body)
    assert [entry["name"] for entry in body["resources"]] == [
        "deployments",
        "deployments/scale",
        "deployments/status",
    ]
    assert entries["deployments"]["storageVersionHash"] == discovery.storage_version_hash(
        "apps", "v1", "Deployment"
    )
    assert entries["deployments/scale"] == {
        "name": "deployments/scale",
        "singularName": "",
        "namespaced": True,
        "group": "autoscaling",
        "version": "v1",
        "kind": "Scale",
        "verbs": ["get", "patch", "update"],
    }
    assert "shortNames" not in by_name(discovery.api_resource_list(registry, "", "v1"))["bindings"]


def test_unknown_group_version_has_no_resource_list(registry: Registry) -> None:
    assert discovery.api_resource_list(registry, "apps", "v1beta1") is None
    assert discovery.api_resource_list(registry, "batch", "v1") is None


def test_storage_version_hash_matches_kube_apiserver() -> None:
    assert discovery.storage_version_hash("", "v1", "Pod") == "xPOwRZ+Yhw8="
    assert discovery.storage_version_hash("", "v1", "Service") == "0/CO1lhkEBI="
    assert discovery.storage_version_hash("", "v1", "Event") == "r2yiGXH7wu8="


# --- aggregated documents -------------------------------------------------------------------


def test_aggregated_core_document_holds_only_the_core_group(registry: Registry) -> None:
    body = discovery.aggregated_discovery(registry, core=True)
    assert body["kind"] == "APIGroupDiscoveryList"
    assert body["apiVersion"] == "apidiscovery.k8s.io/v2"
    assert body["metadata"] == {}
    assert len(body["items"]) == 1
    core = body["items"][0]
    assert core["metadata"] == {}
    [version] = core["versions"]
    assert version["version"] == "v1"
    assert version["freshness"] == "Current"
    resources = {entry["resource"]: entry for entry in version["resources"]}
    assert list(resources) == sorted(resources)
    pods = resources["pods"]
    assert pods["responseKind"] == {"group": "", "kind": "Pod", "version": ""}
    assert pods["scope"] == "Namespaced"
    assert pods["singularResource"] == "pod"
    assert pods["verbs"] == ALL_VERBS
    assert pods["shortNames"] == ["po"]
    assert pods["categories"] == ["all"]
    subresources = {entry["subresource"]: entry for entry in pods["subresources"]}
    assert list(subresources) == sorted(subresources)
    assert subresources["eviction"] == {
        "subresource": "eviction",
        "responseKind": {"group": "policy", "kind": "Eviction", "version": "v1"},
        "verbs": ["create"],
    }
    assert subresources["exec"]["responseKind"] == {
        "group": "",
        "kind": "PodExecOptions",
        "version": "",
    }
    assert subresources["status"]["verbs"] == ["get", "patch", "update"]
    assert resources["namespaces"]["scope"] == "Cluster"
    assert "subresources" not in resources["configmaps"]
    assert "categories" not in resources["configmaps"]


def test_aggregated_groups_document(registry: Registry) -> None:
    body = discovery.aggregated_discovery(registry, core=False)
    groups = {item["metadata"]["name"]: item for item in body["items"]}
    assert list(groups) == ["apps", "autoscaling", "authentication.k8s.io"]
    assert [v["version"] for v in groups["autoscaling"]["versions"]] == ["v2", "v1"]
    [apps] = groups["apps"]["versions"]
    [deployments] = apps["resources"]
    assert deployments["resource"] == "deployments"
    assert deployments["responseKind"] == {"group": "", "kind": "Deployment", "version": ""}
    assert deployments["subresources"] == [
        {
            "subresource": "scale",
            "responseKind": {"group": "autoscaling", "kind": "Scale", "version": "v1"},
            "verbs": ["get", "patch", "update"],
        },
        {
            "subresource": "status",
            "responseKind": {"group": "", "kind": "Deployment", "version": ""},
            "verbs": ["get", "patch", "update"],
        },
    ]
    [reviews] = groups["authentication.k8s.io"]["versions"][0]["resources"]
    assert reviews["verbs"] == ["create"]
    assert reviews["scope"] == "Cluster"


def test_documents_follow_registry_changes(registry: Registry) -> None:
    registry.remove("authentication.k8s.io", "v1", "tokenreviews")
    assert discovery.api_group(registry, "authentication.k8s.io") is None
    names = [group["name"] for group in discovery.api_group_list(registry)["groups"]]
    assert "authentication.k8s.io" not in names
    items = discovery.aggregated_discovery(registry, core=False)["items"]
    assert "authentication.k8s.io" not in [item["metadata"]["name"] for item in items]


def test_every_subresource_has_response_kind_facts() -> None:
    parent = Pod()
    for name, facts in discovery.SUBRESOURCES.items():
        group, version, kind = facts.response_gvk(parent)
        assert kind and version, name
        assert tuple(sorted(facts.verbs)) == facts.verbs, name


def test_unknown_subresource_is_reported_by_name(registry: Registry) -> None:
    class Odd(ResourceStrategy):
        kind = "Odd"
        plural = "odds"
        subresources = ("teleport",)

    registry.add(Odd())
    with pytest.raises(ValueError, match="teleport"):
        discovery.api_resource_list(registry, "", "v1")
