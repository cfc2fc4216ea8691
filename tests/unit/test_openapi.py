"""OpenAPI v3 and v2 documents: valid specs, and the details kubectl and helm depend on."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV2SpecValidator, OpenAPIV30SpecValidator
from openapi_spec_validator.validation import keywords

from kubelab.cluster.api import openapi
from kubelab.cluster.resources.base import ResourceStrategy
from kubelab.cluster.resources.registry import Registry
from tests.fake_strategies import (
    Binding,
    Deployment,
    Namespace,
    Node,
    ServiceAccount,
)
from tests.fake_strategies import (
    HorizontalPodAutoscalerV2 as HorizontalPodAutoscaler,
)

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
REF = "#/components/schemas/"


class Pod(ResourceStrategy):
    kind = "Pod"
    plural = "pods"
    short_names = ("po",)
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
        "resize",
    )
    returns_deleted_object = True


WIDGET_SCHEMA = {
    "description": "A widget of some size.",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"$ref": REF + META + "ObjectMeta"},
        "spec": {
            "properties": {
                "size": {"description": "How big the widget is.", "type": "integer"},
                "color": {"type": "string", "nullable": True},
            },
            "required": ["size"],
            "type": "object",
        },
    },
    "type": "object",
}


class Widget(ResourceStrategy):
    """A custom resource: its schema comes from its definition, and it takes no SMP."""

    group = "example.kubelab.dev"
    kind = "Widget"
    plural = "widgets"
    subresources = ("status",)
    supports_strategic_merge_patch = False

    def openapi_schema(self) -> dict[str, Any]:
        return WIDGET_SCHEMA


def make_registry() -> Registry:
    return Registry(
        [
            Namespace(),
            Pod(),
            Node(),
            ServiceAccount(),
            Binding(),
            Deployment(),
            HorizontalPodAutoscaler(),
            Widget(),
        ]
    )


@pytest.fixture(scope="module")
def documents() -> openapi.OpenAPIDocuments:
    return openapi.OpenAPIDocuments(make_registry())


@pytest.fixture(scope="module")
def core(documents: openapi.OpenAPIDocuments) -> dict[str, Any]:
    return documents.document("", "v1")


@pytest.fixture(scope="module")
def apps(documents: openapi.OpenAPIDocuments) -> dict[str, Any]:
    return documents.document("apps", "v1")


def all_documents(documents: openapi.OpenAPIDocuments) -> Iterator[tuple[str, dict]]:
    for path in documents.index()["paths"]:
        parts = path.split("/")
        group, version = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2])
        yield path, documents.document(group, version)


def operations(document: dict) -> Iterator[tuple[str, str, dict, list[dict]]]:
    """(path, method, operation, parameters including the path-level ones)."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield (
                    path,
                    method,
                    operation,
                    [
                        *item.get("parameters", []),
                        *operation.get("parameters", []),
                    ],
                )


def names(parameters: list[dict]) -> list[str]:
    return sorted(p["name"] for p in parameters)


def schema(document: dict, name: str) -> dict:
    return document["components"]["schemas"][name]


class _KeepZeroValueDefaults(keywords.ValueValidator):
    """kube-apiserver documents Go zero values as defaults (``{}`` for a struct that has
    required fields), which need not satisfy the schema; the validator must not object."""

    def __call__(self, schema: Any, value: Any) -> Iterator[Any]:
        return iter(())


class KubernetesV30Validator(OpenAPIV30SpecValidator):
    keyword_validators = {
        **OpenAPIV30SpecValidator.keyword_validators,
        "default": _KeepZeroValueDefaults,
    }


def validation_errors(document: dict) -> list[str]:
    return [str(error)[:500] for error in KubernetesV30Validator(document).iter_errors()]


# --- validity ---------------------------------------------------------------------------------


def test_every_group_version_document_is_valid_openapi_3(
    documents: openapi.OpenAPIDocuments,
) -> None:
    seen = []
    for path, document in all_documents(documents):
        assert document["openapi"] == "3.0.0"
        assert validation_errors(document) == [], path
        seen.append(path)
    assert seen == [
        "api/v1",
        "apis/apps/v1",
        "apis/autoscaling/v2",
        "apis/example.kubelab.dev/v1",
    ]


def test_the_validator_rejects_a_broken_document(apps: dict) -> None:
    broken = json.loads(json.dumps(apps))
    del broken["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["get"]["responses"]
    assert validation_errors(broken)


def test_v2_document_is_valid_swagger(documents: openapi.OpenAPIDocuments) -> None:
    document = documents.v2()
    assert document["swagger"] == "2.0"
    assert list(OpenAPIV2SpecValidator(document).iter_errors()) == []


def test_references_resolve_and_operation_ids_are_unique(
    documents: openapi.OpenAPIDocuments,
) -> None:
    operation_ids: list[str] = []
    for path, document in all_documents(documents):
        text = json.dumps(document)
        for ref in set(re.findall(r'"\$ref": "([^"]+)"', text)):
            assert ref.startswith(REF), ref
            assert ref.removeprefix(REF) in document["components"]["schemas"], (path, ref)
        assert "#/$defs/" not in text
        for _, _, operation, _ in operations(document):
            operation_ids.append(operation["operationId"])
    assert len(operation_ids) == len(set(operation_ids))


def test_path_templates_declare_their_path_parameters(
    documents: openapi.OpenAPIDocuments,
) -> None:
    for _, document in all_documents(documents):
        for path, _, _, parameters in operations(document):
            declared = {p["name"] for p in parameters if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), path


# --- what kubectl relies on -------------------------------------------------------------------


def test_patch_operations_advertise_field_validation_and_patch_types(
    documents: openapi.OpenAPIDocuments,
) -> None:
    patches = 0
    for path, document in all_documents(documents):
        custom = path.startswith("apis/example.kubelab.dev")
        for route, method, operation, parameters in operations(document):
            if method != "patch" or operation["x-kubernetes-action"] != "patch":
                continue
            patches += 1
            gvk = operation["x-kubernetes-group-version-kind"]
            assert set(gvk) == {"group", "version", "kind"}, route
            assert "fieldValidation" in names(parameters), route
            content = set(operation["requestBody"]["content"])
            assert {
                "application/apply-patch+yaml",
                "application/json-patch+json",
                "application/merge-patch+json",
            } <= content
            smp = "application/strategic-merge-patch+json" in content
            assert smp is not custom, route
            assert ("application/apply-patch+cbor" in content) is not custom, route
    assert patches >= 10


def test_deployment_operations(apps: dict) -> None:
    found = {
        (path, method): (operation["operationId"], operation.get("x-kubernetes-action"))
        for path, method, operation, _ in operations(apps)
    }
    base = "/apis/apps/v1"
    item = f"{base}/namespaces/{{namespace}}/deployments/{{name}}"
    assert found == {
        (f"{base}/", "get"): ("getAppsV1APIResources", None),
        (f"{base}/deployments", "get"): ("listAppsV1DeploymentForAllNamespaces", "list"),
        (f"{base}/namespaces/{{namespace}}/deployments", "get"): (
            "listAppsV1NamespacedDeployment",
            "list",
        ),
        (f"{base}/namespaces/{{namespace}}/deployments", "post"): (
            "createAppsV1NamespacedDeployment",
            "post",
        ),
        (f"{base}/namespaces/{{namespace}}/deployments", "delete"): (
            "deleteAppsV1CollectionNamespacedDeployment",
            "deletecollection",
        ),
        (item, "get"): ("readAppsV1NamespacedDeployment", "get"),
        (item, "put"): ("replaceAppsV1NamespacedDeployment", "put"),
        (item, "patch"): ("patchAppsV1NamespacedDeployment", "patch"),
        (item, "delete"): ("deleteAppsV1NamespacedDeployment", "delete"),
        (f"{item}/status", "get"): ("readAppsV1NamespacedDeploymentStatus", "get"),
        (f"{item}/status", "put"): ("replaceAppsV1NamespacedDeploymentStatus", "put"),
        (f"{item}/status", "patch"): ("patchAppsV1NamespacedDeploymentStatus", "patch"),
        (f"{item}/scale", "get"): ("readAppsV1NamespacedDeploymentScale", "get"),
        (f"{item}/scale", "put"): ("replaceAppsV1NamespacedDeploymentScale", "put"),
        (f"{item}/scale", "patch"): ("patchAppsV1NamespacedDeploymentScale", "patch"),
        (f"{base}/watch/deployments", "get"): (
            "watchAppsV1DeploymentListForAllNamespaces",
            "watchlist",
        ),
        (f"{base}/watch/namespaces/{{namespace}}/deployments", "get"): (
            "watchAppsV1NamespacedDeploymentList",
            "watchlist",
        ),
        (f"{base}/watch/namespaces/{{namespace}}/deployments/{{name}}", "get"): (
            "watchAppsV1NamespacedDeployment",
            "watch",
        ),
    }


def test_parameters_shared_by_a_path_sit_on_the_path(apps: dict) -> None:
    item = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
    assert [(p["name"], p["in"]) for p in item["parameters"]] == [
        ("name", "path"),
        ("namespace", "path"),
        ("pretty", "query"),
    ]
    assert item["parameters"][0]["required"] is True
    assert item["parameters"][0]["description"] == "name of the Deployment"
    assert item["parameters"][2]["schema"] == {"type": "string", "uniqueItems": True}
    assert "parameters" not in item["get"]
    assert names(item["patch"]["parameters"]) == [
        "dryRun",
        "fieldManager",
        "fieldValidation",
        "force",
    ]
    assert names(item["put"]["parameters"]) == ["dryRun", "fieldManager", "fieldValidation"]
    assert names(item["delete"]["parameters"]) == [
        "dryRun",
        "gracePeriodSeconds",
        "ignoreStoreReadErrorWithClusterBreakingPotential",
        "orphanDependents",
        "propagationPolicy",
    ]
    collection = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]
    assert names(collection["parameters"]) == ["namespace", "pretty"]
    assert names(collection["get"]["parameters"]) == [
        "allowWatchBookmarks",
        "continue",
        "fieldSelector",
        "labelSelector",
        "limit",
        "resourceVersion",
        "resourceVersionMatch",
        "sendInitialEvents",
        "timeoutSeconds",
        "watch",
    ]
    assert "watch" not in names(collection["delete"]["parameters"])
    assert "propagationPolicy" in names(collection["delete"]["parameters"])


def test_bodies_and_responses(apps: dict) -> None:
    item = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
    deployment = {"schema": {"$ref": REF + "io.k8s.api.apps.v1.Deployment"}}
    assert item["put"]["requestBody"] == {"content": {"*/*": deployment}, "required": True}
    assert item["get"]["responses"]["200"] == {
        "content": {
            "application/cbor": deployment,
            "application/json": deployment,
            "application/vnd.kubernetes.protobuf": deployment,
            "application/yaml": deployment,
        },
        "description": "OK",
    }
    assert item["get"]["responses"]["401"] == {"description": "Unauthorized"}
    assert sorted(item["put"]["responses"]) == ["200", "201", "401"]
    assert item["delete"]["requestBody"] == {
        "content": {"*/*": {"schema": {"$ref": REF + META + "DeleteOptions"}}}
    }
    status = {"$ref": REF + META + "Status"}
    assert item["delete"]["responses"]["202"]["content"]["application/json"]["schema"] == status
    assert item["patch"]["requestBody"]["required"] is True
    assert item["patch"]["requestBody"]["content"]["application/merge-patch+json"] == {
        "schema": {"$ref": REF + META + "Patch"}
    }
    listing = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["get"]
    assert set(listing["responses"]["200"]["content"]) == {
        "application/cbor",
        "application/cbor-seq",
        "application/json",
        "application/json;stream=watch",
        "application/vnd.kubernetes.protobuf",
        "application/vnd.kubernetes.protobuf;stream=watch",
        "application/yaml",
    }
    watch = apps["paths"]["/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}"]
    assert watch["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": REF + META + "WatchEvent"
    }
    assert all(op["tags"] == ["apps_v1"] for _, _, op, _ in operations(apps))


def test_scale_subresource_speaks_autoscaling_scale(apps: dict) -> None:
    scale = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]
    assert scale["patch"]["x-kubernetes-group-version-kind"] == {
        "group": "autoscaling",
        "kind": "Scale",
        "version": "v1",
    }
    assert scale["parameters"][0]["description"] == "name of the Scale"
    assert scale["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": REF + "io.k8s.api.autoscaling.v1.Scale"
    }
    assert "io.k8s.api.autoscaling.v1.Scale" in apps["components"]["schemas"]


def test_cluster_scoped_resource_paths(core: dict) -> None:
    found = {
        (path, method): operation["operationId"]
        for path, method, operation, _ in operations(core)
        if "Namespace" in operation["operationId"]
        and "Namespaced" not in operation["operationId"]
        and "AllNamespaces" not in operation["operationId"]
    }
    assert found == {
        ("/api/v1/namespaces", "get"): "listCoreV1Namespace",
        ("/api/v1/namespaces", "post"): "createCoreV1Namespace",
        ("/api/v1/namespaces/{name}", "get"): "readCoreV1Namespace",
        ("/api/v1/namespaces/{name}", "put"): "replaceCoreV1Namespace",
        ("/api/v1/namespaces/{name}", "patch"): "patchCoreV1Namespace",
        ("/api/v1/namespaces/{name}", "delete"): "deleteCoreV1Namespace",
        ("/api/v1/namespaces/{name}/status", "get"): "readCoreV1NamespaceStatus",
        ("/api/v1/namespaces/{name}/status", "put"): "replaceCoreV1NamespaceStatus",
        ("/api/v1/namespaces/{name}/status", "patch"): "patchCoreV1NamespaceStatus",
        ("/api/v1/namespaces/{name}/finalize", "put"): "replaceCoreV1NamespaceFinalize",
        ("/api/v1/watch/namespaces", "get"): "watchCoreV1NamespaceList",
        ("/api/v1/watch/namespaces/{name}", "get"): "watchCoreV1Namespace",
    }


def test_pod_subresource_operations(core: dict) -> None:
    pod = "/api/v1/namespaces/{namespace}/pods/{name}"
    paths = core["paths"]
    log = paths[f"{pod}/log"]
    assert log["get"]["operationId"] == "readCoreV1NamespacedPodLog"
    assert set(log["get"]["responses"]["200"]["content"]) == {
        "application/json",
        "application/vnd.kubernetes.protobuf",
        "application/yaml",
        "text/plain",
    }
    assert log["get"]["responses"]["200"]["content"]["text/plain"] == {"schema": {"type": "string"}}
    assert {"container", "follow", "previous", "tailLines", "timestamps", "stream"} <= set(
        names(log["parameters"])
    )
    eviction = paths[f"{pod}/eviction"]
    assert eviction["post"]["operationId"] == "createCoreV1NamespacedPodEviction"
    assert eviction["post"]["x-kubernetes-group-version-kind"] == {
        "group": "policy",
        "kind": "Eviction",
        "version": "v1",
    }
    assert names(eviction["parameters"]) == [
        "dryRun",
        "fieldManager",
        "fieldValidation",
        "name",
        "namespace",
        "pretty",
    ]
    binding = paths[f"{pod}/binding"]["post"]
    assert binding["operationId"] == "createCoreV1NamespacedPodBinding"
    assert binding["requestBody"]["content"]["*/*"]["schema"] == {
        "$ref": REF + "io.k8s.api.core.v1.Binding"
    }
    exec_ = paths[f"{pod}/exec"]
    assert sorted(m for m in exec_ if m != "parameters") == ["get", "post"]
    assert exec_["post"]["operationId"] == "connectCoreV1PostNamespacedPodExec"
    assert exec_["get"]["x-kubernetes-action"] == "connect"
    assert exec_["get"]["x-kubernetes-group-version-kind"]["kind"] == "PodExecOptions"
    assert exec_["get"]["responses"]["200"]["content"] == {"*/*": {"schema": {"type": "string"}}}
    assert names(exec_["parameters"]) == [
        "command",
        "container",
        "name",
        "namespace",
        "stderr",
        "stdin",
        "stdout",
        "tty",
    ]
    portforward = paths[f"{pod}/portforward"]
    assert portforward["get"]["operationId"] == "connectCoreV1GetNamespacedPodPortforward"
    proxy = paths[f"{pod}/proxy/{{path}}"]
    assert sorted(m for m in proxy if m != "parameters") == [
        "delete",
        "get",
        "head",
        "options",
        "patch",
        "post",
        "put",
    ]
    assert proxy["head"]["operationId"] == "connectCoreV1HeadNamespacedPodProxyWithPath"
    assert [(p["name"], p["in"]) for p in proxy["parameters"]] == [
        ("name", "path"),
        ("namespace", "path"),
        ("path", "path"),
        ("path", "query"),
    ]
    assert paths[f"{pod}/ephemeralcontainers"]["patch"]["operationId"] == (
        "patchCoreV1NamespacedPodEphemeralcontainers"
    )
    assert paths[f"{pod}/resize"]["get"]["operationId"] == "readCoreV1NamespacedPodResize"
    node_proxy = paths["/api/v1/nodes/{name}/proxy"]
    assert node_proxy["get"]["operationId"] == "connectCoreV1GetNodeProxy"
    assert node_proxy["get"]["x-kubernetes-group-version-kind"]["kind"] == "NodeProxyOptions"
    token = paths["/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"]["post"]
    assert token["operationId"] == "createCoreV1NamespacedServiceAccountToken"
    assert token["x-kubernetes-group-version-kind"]["group"] == "authentication.k8s.io"


def test_create_only_resources_have_only_a_create_path(core: dict) -> None:
    binding_paths = {path for path in core["paths"] if path.endswith("/bindings")}
    assert binding_paths == {"/api/v1/namespaces/{namespace}/bindings"}
    [method] = [
        m for m in core["paths"]["/api/v1/namespaces/{namespace}/bindings"] if m != "parameters"
    ]
    assert method == "post"


def test_delete_returns_the_object_for_kinds_that_say_so(core: dict, apps: dict) -> None:
    pod = core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["delete"]
    assert pod["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": REF + "io.k8s.api.core.v1.Pod"
    }
    assert pod["description"] == "delete a Pod"


# --- schemas ----------------------------------------------------------------------------------


def walk(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def test_schemas_are_in_openapi_3_form(core: dict) -> None:
    for node in walk(core["components"]["schemas"]):
        assert not isinstance(node.get("type"), list), node
        if "$ref" in node and isinstance(node["$ref"], str):
            assert set(node) == {"$ref"}, node


def test_kind_schema_conversion(apps: dict) -> None:
    deployment = schema(apps, "io.k8s.api.apps.v1.Deployment")
    assert deployment["type"] == "object"
    assert deployment["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}
    ]
    assert deployment["properties"]["kind"] == {
        "description": deployment["properties"]["kind"]["description"],
        "type": "string",
    }
    assert deployment["properties"]["metadata"]["allOf"] == [{"$ref": REF + META + "ObjectMeta"}]
    assert deployment["properties"]["metadata"]["default"] == {}
    assert deployment["properties"]["spec"]["default"] == {}
    strategy = schema(apps, "io.k8s.api.apps.v1.DeploymentStrategy")
    assert strategy["properties"]["type"]["type"] == "string"
    assert "default" not in strategy["properties"]["rollingUpdate"]


def test_zero_value_defaults_and_extensions(apps: dict) -> None:
    pod_spec = schema(apps, "io.k8s.api.core.v1.PodSpec")
    containers = pod_spec["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-list-type"] == "map"
    assert containers["items"] == {
        "allOf": [{"$ref": REF + "io.k8s.api.core.v1.Container"}],
        "default": {},
    }
    assert "containers" in pod_spec["required"]
    assert pod_spec["properties"]["volumes"]["x-kubernetes-patch-strategy"] == "merge,retainKeys"
    node_selector = pod_spec["properties"]["nodeSelector"]
    assert node_selector["additionalProperties"] == {"default": "", "type": "string"}
    container = schema(apps, "io.k8s.api.core.v1.Container")
    assert container["properties"]["name"]["default"] == ""
    assert container["properties"]["args"]["items"] == {"default": "", "type": "string"}
    port = schema(apps, "io.k8s.api.core.v1.ContainerPort")
    assert port["properties"]["containerPort"]["default"] == 0
    assert "default" not in port["properties"]["hostPort"]
    limits = schema(apps, "io.k8s.api.core.v1.ResourceRequirements")["properties"]["limits"]
    assert limits["additionalProperties"] == {
        "$ref": REF + "io.k8s.apimachinery.pkg.api.resource.Quantity"
    }


def test_int_or_string_and_quantity_take_kube_apiserver_form(apps: dict) -> None:
    int_or_string = schema(apps, "io.k8s.apimachinery.pkg.util.intstr.IntOrString")
    assert int_or_string["format"] == "int-or-string"
    assert int_or_string["oneOf"] == [{"type": "integer"}, {"type": "string"}]
    assert int_or_string["description"]
    quantity = schema(apps, "io.k8s.apimachinery.pkg.api.resource.Quantity")
    assert quantity["oneOf"] == [{"type": "string"}, {"type": "number"}]
    assert "format" not in quantity and "type" not in quantity


def test_components_hold_the_meta_types_and_only_what_is_reachable(apps: dict) -> None:
    schemas = apps["components"]["schemas"]
    for name in ("Status", "DeleteOptions", "WatchEvent", "Patch", "APIResourceList", "ListMeta"):
        assert META + name in schemas
    assert "io.k8s.api.apps.v1.DeploymentList" in schemas
    assert "io.k8s.api.apps.v1.StatefulSet" not in schemas
    assert "io.k8s.api.batch.v1.Job" not in schemas
    assert apps["components"]["securitySchemes"]["BearerToken"]["in"] == "header"
    assert apps["info"]["title"] == "Kubernetes"


def test_custom_resource_document(documents: openapi.OpenAPIDocuments) -> None:
    document = documents.document("example.kubelab.dev", "v1")
    schemas = document["components"]["schemas"]
    widget = schemas["dev.kubelab.example.v1.Widget"]
    assert widget["properties"]["spec"] == WIDGET_SCHEMA["properties"]["spec"]
    assert widget["x-kubernetes-group-version-kind"] == [
        {"group": "example.kubelab.dev", "kind": "Widget", "version": "v1"}
    ]
    widget_list = schemas["dev.kubelab.example.v1.WidgetList"]
    assert widget_list["properties"]["items"]["items"] == {
        "$ref": REF + "dev.kubelab.example.v1.Widget"
    }
    assert widget_list["required"] == ["items"]
    assert META + "ObjectMeta" in schemas and META + "ListMeta" in schemas
    item = document["paths"]["/apis/example.kubelab.dev/v1/namespaces/{namespace}/widgets/{name}"]
    assert item["get"]["operationId"] == "readExampleKubelabDevV1NamespacedWidget"
    assert item["get"]["tags"] == ["exampleKubelabDev_v1"]
    assert set(item["get"]["responses"]["200"]["content"]) == {
        "application/json",
        "application/yaml",
    }
    assert "application/strategic-merge-patch+json" not in item["patch"]["requestBody"]["content"]


def test_a_kind_missing_from_the_schema_package_still_gets_a_schema() -> None:
    class Gadget(ResourceStrategy):
        group = "example.com"
        kind = "Gadget"
        plural = "gadgets"

    document = openapi.OpenAPIDocuments(Registry([Gadget()])).document("example.com", "v1")
    gadget = document["components"]["schemas"]["com.example.v1.Gadget"]
    assert gadget["x-kubernetes-preserve-unknown-fields"] is True
    assert validation_errors(document) == []


def test_operation_names() -> None:
    assert openapi.operation_prefix("", "v1") == "CoreV1"
    assert openapi.operation_prefix("rbac.authorization.k8s.io", "v1") == "RbacAuthorizationV1"
    assert openapi.operation_prefix("networking.k8s.io", "v1beta1") == "NetworkingV1beta1"
    assert openapi.operation_tag("rbac.authorization.k8s.io", "v1") == "rbacAuthorization_v1"
    assert openapi.operation_tag("", "v1") == "core_v1"
    assert openapi.custom_definition_name("stable.example.com", "v1", "CronTab") == (
        "com.example.stable.v1.CronTab"
    )


# --- index and caching ------------------------------------------------------------------------


def test_index_points_at_each_document_by_content_hash(
    documents: openapi.OpenAPIDocuments,
) -> None:
    index = documents.index()
    assert set(index) == {"paths"}
    for path, entry in index["paths"].items():
        url, _, digest = entry["serverRelativeURL"].partition("?hash=")
        assert url == f"/openapi/v3/{path}"
        assert re.fullmatch(r"[0-9A-F]{128}", digest)
        parts = path.split("/")
        group, version = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2])
        body = documents.document_bytes(group, version)
        assert hashlib.sha512(body).hexdigest().upper() == digest
        assert json.loads(body) == documents.document(group, version)
        assert documents.document_hash(group, version) == digest


def test_unknown_group_version_has_no_document(documents: openapi.OpenAPIDocuments) -> None:
    assert documents.document("apps", "v1beta1") is None
    assert documents.document_bytes("batch", "v1") is None


def test_documents_are_cached_until_invalidated() -> None:
    registry = Registry([Deployment()])
    documents = openapi.OpenAPIDocuments(registry)
    first = documents.document("apps", "v1")
    assert documents.document("apps", "v1") is first
    before = documents.index()

    class StatefulSet(ResourceStrategy):
        group = "apps"
        kind = "StatefulSet"
        plural = "statefulsets"

    registry.add(StatefulSet())
    assert documents.index() == before
    documents.invalidate()
    after = documents.index()
    assert after["paths"]["apis/apps/v1"] != before["paths"]["apis/apps/v1"]
    assert "/apis/apps/v1/statefulsets" in documents.document("apps", "v1")["paths"]
    assert "/apis/apps/v1/statefulsets" in json.loads(documents.v2_bytes())["paths"]


def test_hashes_are_stable_across_builds() -> None:
    first = openapi.OpenAPIDocuments(make_registry()).index()
    assert openapi.OpenAPIDocuments(make_registry()).index() == first


# --- v2 ---------------------------------------------------------------------------------------


def test_v2_document_shape(documents: openapi.OpenAPIDocuments) -> None:
    document = documents.v2()
    assert "#/components/" not in json.dumps(document)
    definitions = document["definitions"]
    assert definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"] == "string"
    assert definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == (
        "int-or-string"
    )
    metadata = definitions["io.k8s.api.apps.v1.Deployment"]["properties"]["metadata"]
    assert metadata["$ref"] == "#/definitions/" + META + "ObjectMeta"
    patch = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert "application/strategic-merge-patch+json" in patch["consumes"]
    assert patch["parameters"][0] == {
        "in": "body",
        "name": "body",
        "required": True,
        "schema": {"$ref": "#/definitions/" + META + "Patch"},
    }
    assert patch["x-kubernetes-group-version-kind"]["kind"] == "Deployment"
    assert patch["responses"]["200"]["schema"] == {
        "$ref": "#/definitions/io.k8s.api.apps.v1.Deployment"
    }
    widget = definitions["dev.kubelab.example.v1.Widget"]
    assert "nullable" not in widget["properties"]["spec"]["properties"]["color"]
    assert "/api/v1/namespaces/{namespace}/pods" in document["paths"]


# --- the built-in kinds -----------------------------------------------------------------------


def test_builtin_registry_documents_are_valid() -> None:
    try:
        from kubelab.cluster.resources.builtin import builtin_registry

        registry = builtin_registry()
    except ImportError as missing:
        pytest.skip(f"the built-in kind modules are not all present yet: {missing}")
    documents = openapi.OpenAPIDocuments(registry)
    for path, document in all_documents(documents):
        assert validation_errors(document) == [], path
    assert list(OpenAPIV2SpecValidator(documents.v2()).iter_errors()) == []
