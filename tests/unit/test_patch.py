"""The three PATCH formats, against the bodies real clients send and kube-apiserver's answers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.patch import (
    MAX_JSON_PATCH_OPERATIONS,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
)
from kubelab.cluster.schemas import schema_for

DEPLOYMENT = schema_for("apps", "v1", "Deployment")
POD = schema_for("", "v1", "Pod")

REJECTED = "the server rejected our request due to an error in our request"


def container(name: str, image: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "resources": {},
        **fields,
    }


@pytest.fixture
def deployment() -> dict[str, Any]:
    """A Deployment as kube-apiserver stores it after `kubectl apply` and defaulting."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "lesson-05",
            "uid": "5f0c1a3e-1111-4222-8333-944455556666",
            "resourceVersion": "1234",
            "generation": 2,
            "labels": {"app": "web", "tier": "frontend"},
            "annotations": {"deployment.kubernetes.io/revision": "2"},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        container(
                            "web",
                            "nginx:1.25",
                            ports=[
                                {"containerPort": 80, "name": "http", "protocol": "TCP"},
                                {"containerPort": 443, "name": "https", "protocol": "TCP"},
                            ],
                            env=[
                                {"name": "MODE", "value": "production"},
                                {"name": "LOG_LEVEL", "value": "info"},
                            ],
                            volumeMounts=[{"name": "cache", "mountPath": "/var/cache/nginx"}],
                        ),
                        container("sidecar", "busybox:1.36", args=["sleep", "3600"]),
                    ],
                    "volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}}],
                    "tolerations": [
                        {"key": "dedicated", "operator": "Equal", "value": "web"},
                        {"key": "spot", "operator": "Exists"},
                    ],
                    "restartPolicy": "Always",
                    "dnsPolicy": "ClusterFirst",
                },
            },
        },
        "status": {"replicas": 3, "readyReplicas": 3},
    }


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


def failure(call: Any, *args: Any) -> APIError:
    with pytest.raises(APIError) as caught:
        call(*args)
    return caught.value


# --- strategic merge patch: what kubectl sends ----------------------------------------------


def test_set_image_changes_only_the_named_container(deployment: dict[str, Any]) -> None:
    body = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
                    "containers": [{"image": "nginx:1.27", "name": "web"}],
                }
            }
        }
    }
    result = apply_strategic_merge_patch(deployment, body, DEPLOYMENT)
    containers = pod_spec(result)["containers"]
    assert [c["name"] for c in containers] == ["web", "sidecar"]
    assert containers[0]["image"] == "nginx:1.27"
    assert containers[0]["ports"] == pod_spec(deployment)["containers"][0]["ports"]
    assert containers[1] == pod_spec(deployment)["containers"][1]
    assert "$setElementOrder/containers" not in pod_spec(result)


def test_rollout_restart_adds_an_annotation_to_the_template(deployment: dict[str, Any]) -> None:
    stamp = "2026-11-21T22:16:52Z"
    body = {
        "spec": {
            "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}
        }
    }
    result = apply_strategic_merge_patch(deployment, body, DEPLOYMENT)
    assert result["spec"]["template"]["metadata"] == {
        "labels": {"app": "web"},
        "annotations": {"kubectl.kubernetes.io/restartedAt": stamp},
    }
    assert result["spec"]["template"]["spec"] == pod_spec(deployment)


def test_apply_merges_env_by_name_and_ports_by_container_port(
    deployment: dict[str, Any],
) -> None:
    body = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
                    "containers": [
                        {
                            "$setElementOrder/env": [
                                {"name": "MODE"},
                                {"name": "LOG_LEVEL"},
                                {"name": "FEATURE"},
                            ],
                            "$setElementOrder/ports": [
                                {"containerPort": 80},
                                {"containerPort": 8080},
                            ],
                            "env": [
                                {"name": "LOG_LEVEL", "value": "debug"},
                                {"name": "FEATURE", "value": "on"},
                            ],
                            "ports": [
                                {"containerPort": 8080, "name": "metrics"},
                                {"$patch": "delete", "containerPort": 443},
                            ],
                            "name": "web",
                        }
                    ],
                }
            }
        }
    }
    web = pod_spec(apply_strategic_merge_patch(deployment, body, DEPLOYMENT))["containers"][0]
    assert web["env"] == [
        {"name": "MODE", "value": "production"},
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "FEATURE", "value": "on"},
    ]
    assert web["ports"] == [
        {"containerPort": 80, "name": "http", "protocol": "TCP"},
        {"containerPort": 8080, "name": "metrics"},
    ]


def test_apply_adds_a_container_where_the_manifest_puts_it(deployment: dict[str, Any]) -> None:
    body = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [
                        {"name": "web"},
                        {"name": "metrics"},
                        {"name": "sidecar"},
                    ],
                    "containers": [{"image": "prom/exporter:2", "name": "metrics"}],
                }
            }
        }
    }
    containers = pod_spec(apply_strategic_merge_patch(deployment, body, DEPLOYMENT))["containers"]
    assert [c["name"] for c in containers] == ["web", "metrics", "sidecar"]
    assert containers[1] == {"image": "prom/exporter:2", "name": "metrics"}


def test_apply_that_removes_one_container_and_adds_another(deployment: dict[str, Any]) -> None:
    # A three-way patch: "sidecar" left the manifest, "cache" joined it, and "debug" was added
    # to the live object by someone else. kube-apiserver keeps "debug" where its array put it.
    pod_spec(deployment)["containers"].append(container("debug", "busybox:1.36"))
    body = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "web"}, {"name": "cache"}],
                    "containers": [
                        {"image": "redis:7", "name": "cache"},
                        {"$patch": "delete", "name": "sidecar"},
                    ],
                }
            }
        }
    }
    containers = pod_spec(apply_strategic_merge_patch(deployment, body, DEPLOYMENT))["containers"]
    assert [c["name"] for c in containers] == ["web", "debug", "cache"]


def test_server_only_items_keep_their_place_among_reordered_ones(
    deployment: dict[str, Any],
) -> None:
    pod_spec(deployment)["containers"].append(container("tail", "busybox:1.36"))
    body = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "tail"}, {"name": "web"}],
                    "containers": [{"name": "tail", "image": "busybox:1.37"}],
                }
            }
        }
    }
    containers = pod_spec(apply_strategic_merge_patch(deployment, body, DEPLOYMENT))["containers"]
    assert [c["name"] for c in containers] == ["sidecar", "tail", "web"]
    assert containers[1]["image"] == "busybox:1.37"


def test_set_element_order_alone_reorders_without_changing_items(
    deployment: dict[str, Any],
) -> None:
    body = {
        "spec": {
            "template": {
                "spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}]}
            }
        }
    }
    containers = pod_spec(apply_strategic_merge_patch(deployment, body, DEPLOYMENT))["containers"]
    assert containers == list(reversed(pod_spec(deployment)["containers"]))


def test_retain_keys_switches_a_volume_source(deployment: dict[str, Any]) -> None:
    body = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/volumes": [{"name": "cache"}],
                    "volumes": [
                        {
                            "$retainKeys": ["configMap", "name"],
                            "configMap": {"name": "nginx-cache"},
                            "name": "cache",
                        }
                    ],
                }
            }
        }
    }
    result = apply_strategic_merge_patch(deployment, body, DEPLOYMENT)
    assert pod_spec(result)["volumes"] == [{"name": "cache", "configMap": {"name": "nginx-cache"}}]


def test_retain_keys_switches_the_deployment_strategy(deployment: dict[str, Any]) -> None:
    body = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    result = apply_strategic_merge_patch(deployment, body, DEPLOYMENT)
    assert result["spec"]["strategy"] == {"type": "Recreate"}


def test_retain_keys_must_name_every_field_the_patch_sets(deployment: dict[str, Any]) -> None:
    body = {"spec": {"strategy": {"$retainKeys": ["rollingUpdate"], "type": "Recreate"}}}
    error = failure(apply_strategic_merge_patch, deployment, body, DEPLOYMENT)
    assert (error.code, error.reason) == (400, "BadRequest")
    assert error.message == "invalid patch format of retainKeys"


def test_null_deletes_a_label_and_unknown_nulls_are_ignored(deployment: dict[str, Any]) -> None:
    body = {"metadata": {"labels": {"tier": None, "missing": None, "release": "blue"}}}
    result = apply_strategic_merge_patch(deployment, body, DEPLOYMENT)
    assert result["metadata"]["labels"] == {"app": "web", "release": "blue"}


def test_atomic_lists_are_replaced_whole(deployment: dict[str, Any]) -> None:
    body = {"spec": {"template": {"spec": {"tolerations": [{"key": "gpu", "operator": "Exists"}]}}}}
    result = apply_strategic_merge_patch(deployment, body, DEPLOYMENT)
    assert pod_spec(result)["tolerations"] == [{"key": "gpu", "operator": "Exists"}]


def test_patch_replace_directive_on_a_merging_list(deployment: dict[str, Any]) -> None:
    body = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"$patch": "replace"},
                        {"name": "only", "image": "nginx:1.27"},
                    ]
                }
            }
        }
    }
    containers = pod_spec(apply_strategic_merge_patch(deployment, body, DEPLOYMENT))["containers"]
    assert containers == [{"name": "only", "image": "nginx:1.27"}]


def test_patch_replace_directive_on_a_map(deployment: dict[str, Any]) -> None:
    body = {"metadata": {"labels": {"$patch": "replace", "app": "api"}}}
    result = apply_strategic_merge_patch(deployment, body, DEPLOYMENT)
    assert result["metadata"]["labels"] == {"app": "api"}


def test_patch_delete_directive_empties_an_existing_map(deployment: dict[str, Any]) -> None:
    body = {
        "metadata": {"annotations": {"$patch": "delete"}, "labels": {"x": {"$patch": "delete"}}}
    }
    result = apply_strategic_merge_patch(deployment, body, DEPLOYMENT)
    assert result["metadata"]["annotations"] == {}
    assert result["metadata"]["labels"] == deployment["metadata"]["labels"]


def test_primitive_merge_list_is_a_union_and_delete_list_removes(
    deployment: dict[str, Any],
) -> None:
    deployment["metadata"]["finalizers"] = ["example.com/a", "example.com/b"]
    body = {
        "metadata": {
            "finalizers": ["example.com/c", "example.com/a"],
            "$deleteFromPrimitiveList/finalizers": ["example.com/b", "example.com/z"],
        }
    }
    result = apply_strategic_merge_patch(deployment, body, DEPLOYMENT)
    assert result["metadata"]["finalizers"] == ["example.com/c", "example.com/a"]


def test_primitive_merge_list_keeps_server_items(deployment: dict[str, Any]) -> None:
    deployment["metadata"]["finalizers"] = ["example.com/a", "example.com/b"]
    body = {"metadata": {"finalizers": ["example.com/c", "example.com/a"]}}
    result = apply_strategic_merge_patch(deployment, body, DEPLOYMENT)
    assert sorted(result["metadata"]["finalizers"]) == [
        "example.com/a",
        "example.com/b",
        "example.com/c",
    ]
    assert len(result["metadata"]["finalizers"]) == 3


def test_new_fields_lose_their_nulls_and_directive_maps(deployment: dict[str, Any]) -> None:
    body = {
        "spec": {
            "template": {
                "spec": {
                    "nodeSelector": {"disk": "ssd", "zone": None},
                    "securityContext": {"runAsUser": 1000, "seLinuxOptions": {"$patch": "delete"}},
                }
            }
        }
    }
    result = pod_spec(apply_strategic_merge_patch(deployment, body, DEPLOYMENT))
    assert result["nodeSelector"] == {"disk": "ssd"}
    assert result["securityContext"] == {"runAsUser": 1000}


def test_pod_volume_mounts_merge_by_mount_path() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "containers": [
                container(
                    "app",
                    "python:3.12",
                    volumeMounts=[
                        {"name": "data", "mountPath": "/data"},
                        {"name": "tmp", "mountPath": "/tmp"},
                    ],
                )
            ]
        },
    }
    body = {
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "volumeMounts": [{"mountPath": "/data", "readOnly": True, "name": "data"}],
                }
            ]
        }
    }
    mounts = apply_strategic_merge_patch(pod, body, POD)["spec"]["containers"][0]["volumeMounts"]
    assert mounts == [
        {"name": "data", "mountPath": "/data", "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
    ]


def test_null_body_changes_nothing(deployment: dict[str, Any]) -> None:
    assert apply_strategic_merge_patch(deployment, None, DEPLOYMENT) == deployment


def test_strategic_merge_patch_never_changes_the_stored_object(
    deployment: dict[str, Any],
) -> None:
    before = copy.deepcopy(deployment)
    body = {
        "metadata": {"labels": {"tier": None}},
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}],
                    "containers": [{"name": "web", "env": [{"name": "MODE", "value": "dev"}]}],
                    "volumes": [{"name": "cache", "$patch": "delete"}],
                }
            }
        },
    }
    result = apply_strategic_merge_patch(deployment, body, DEPLOYMENT)
    assert deployment == before
    assert result != before


# --- strategic merge patch: errors kube-apiserver gives -------------------------------------


def test_custom_resources_refuse_strategic_merge_patch() -> None:
    error = failure(apply_strategic_merge_patch, {"spec": {}}, {"spec": {"a": 1}}, None)
    assert (error.code, error.reason) == (415, "UnsupportedMediaType")
    assert error.message == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )


@pytest.mark.parametrize(
    ("body", "kind"),
    [(["a"], "array"), ("x", "string"), (3, "number"), (True, "bool")],
)
def test_strategic_merge_patch_body_must_be_an_object(
    deployment: dict[str, Any], body: Any, kind: str
) -> None:
    error = failure(apply_strategic_merge_patch, deployment, body, DEPLOYMENT)
    assert (error.code, error.reason) == (400, "BadRequest")
    assert error.message == (
        f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"spec": {"template": {"spec": {"containers": [{"image": "nginx"}]}}}},
            "map: map[image:nginx] does not contain declared merge key: name",
        ),
        (
            {"spec": {"template": {"spec": {"containers": [{"name": "web", "$patch": "merge"}]}}}},
            "merging lists cannot yet be specified in the patch",
        ),
        (
            {"spec": {"template": {"spec": {"containers": [{"name": "web", "$patch": "drop"}]}}}},
            "unknown patch type: drop in map: map[$patch:drop name:web]",
        ),
        (
            {"spec": {"template": {"$patch": "merge", "metadata": {}}}},
            "unknown patch type: merge in map: map[$patch:merge metadata:map[]]",
        ),
        (
            {"spec": {"selector": {"$patch": 7}}},
            "unknown patch type: %!s(int64=7) in map: map[$patch:7]",
        ),
        (
            {"metadata": {"$setElementOrder/labels": [{"app": 1}]}},
            "expected a []interface {}, but received a map[string]interface {}",
        ),
        (
            {
                "spec": {
                    "template": {
                        "spec": {
                            "$setElementOrder/containers": [{"name": "sidecar"}],
                            "containers": [{"name": "web", "image": "nginx:1.27"}],
                        }
                    }
                }
            },
            "The order in patch list:\n[map[image:nginx:1.27 name:web]]\n doesn't match "
            "$setElementOrder list:\n[map[name:sidecar]]\n",
        ),
        (
            {"spec": {"template": {"spec": {"containers": ["web"]}}}},
            "list element types are not identical: [[map[env:[map[name:MODE value:production] ",
        ),
    ],
)
def test_malformed_strategic_patches_get_upstreams_500(
    deployment: dict[str, Any], body: dict[str, Any], message: str
) -> None:
    error = failure(apply_strategic_merge_patch, deployment, body, DEPLOYMENT)
    assert (error.code, error.reason) == (500, "")
    assert error.message.startswith(message)
    assert "reason" not in error.status()


def test_unknown_fields_are_only_an_error_when_both_sides_must_merge(
    deployment: dict[str, Any],
) -> None:
    added = apply_strategic_merge_patch(deployment, {"spec": {"bogus": {"a": 1}}}, DEPLOYMENT)
    assert added["spec"]["bogus"] == {"a": 1}
    error = failure(apply_strategic_merge_patch, added, {"spec": {"bogus": {"b": 2}}}, DEPLOYMENT)
    assert error.message == (
        'unable to find api field in struct DeploymentSpec for the json field "bogus"'
    )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("$setElementOrder", "invalid patch format of setElementOrder list"),
        ("$setElementOrderX/containers", "invalid patch format of setElementOrder list"),
        ("$deleteFromPrimitiveList", "invalid patch format of primitive list"),
    ],
)
def test_malformed_directive_keys_are_bad_requests(
    deployment: dict[str, Any], key: str, message: str
) -> None:
    body = {"spec": {"template": {"spec": {key: [{"name": "web"}]}}}}
    error = failure(apply_strategic_merge_patch, deployment, body, DEPLOYMENT)
    assert (error.code, error.reason, error.message) == (400, "BadRequest", message)


def test_lists_of_lists_are_unprocessable(deployment: dict[str, Any]) -> None:
    deployment["metadata"]["finalizers"] = []
    body = {"metadata": {"finalizers": [["a"]]}}
    error = failure(apply_strategic_merge_patch, deployment, body, DEPLOYMENT)
    assert (error.code, error.reason, error.message) == (422, "Invalid", REJECTED)


def test_merge_key_values_that_are_maps_crash_like_upstream(deployment: dict[str, Any]) -> None:
    body = {"spec": {"template": {"spec": {"containers": [{"name": {"a": 1}}]}}}}
    pod_spec(deployment)["containers"][0]["name"] = {"b": 2}
    error = failure(apply_strategic_merge_patch, deployment, body, DEPLOYMENT)
    assert (error.code, error.reason) == (500, "InternalError")


def test_deeply_nested_input_is_a_bad_request_not_a_crash(deployment: dict[str, Any]) -> None:
    nested: dict[str, Any] = {}
    for _ in range(5000):
        nested = {"a": nested}
    for apply in (
        lambda: apply_strategic_merge_patch(deployment, {"metadata": nested}, DEPLOYMENT),
        lambda: apply_merge_patch(deployment, {"x": nested}),
        lambda: apply_json_patch(deployment, [{"op": "add", "path": "/x", "value": nested}]),
    ):
        error = failure(apply)
        assert (error.code, error.message) == (400, "invalid JSON patch")


# --- JSON merge patch -----------------------------------------------------------------------

# RFC 7386 Appendix A. Targets and patches that are not objects sit under a key "x", where the
# same rules apply one level down (and a null patch deletes the member instead of the document).
RFC7386_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({"x": ["a", "b"]}, {"x": ["c", "d"]}, {"x": ["c", "d"]}),
    ({"x": {"a": "b"}}, {"x": ["c"]}, {"x": ["c"]}),
    ({"x": {"a": "foo"}}, {"x": None}, {}),
    ({"x": {"a": "foo"}}, {"x": "bar"}, {"x": "bar"}),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ({"x": [1, 2]}, {"x": {"a": "b", "c": None}}, {"x": {"a": "b"}}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC7386_EXAMPLES)
def test_rfc7386_examples(target: dict, patch: dict, expected: dict) -> None:
    assert apply_merge_patch(target, patch) == expected


def test_merge_patch_prunes_nulls_inside_lists_only_where_go_does() -> None:
    # evanphx/json-patch drops null members of objects inside a list taken whole, except when
    # the list replaces an object; RFC 7386 would keep them in both cases.
    assert apply_merge_patch({"a": 5}, {"a": [{"b": None, "c": 1}, None]}) == {
        "a": [{"c": 1}, None]
    }
    assert apply_merge_patch({"a": {"x": 1}}, {"a": [{"b": None}]}) == {"a": [{"b": None}]}


def test_kubectl_label_and_annotate_bodies(deployment: dict[str, Any]) -> None:
    labelled = apply_merge_patch(deployment, {"metadata": {"labels": {"tier": None, "v": "2"}}})
    assert labelled["metadata"]["labels"] == {"app": "web", "v": "2"}
    annotated = apply_merge_patch(
        labelled, {"metadata": {"annotations": {"kubernetes.io/change-cause": "bump"}}}
    )
    assert annotated["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "2",
        "kubernetes.io/change-cause": "bump",
    }


def test_merge_patch_replaces_lists_whole(deployment: dict[str, Any]) -> None:
    body = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "x:1"}]}}}}
    result = apply_merge_patch(deployment, body)
    assert pod_spec(result)["containers"] == [{"name": "web", "image": "x:1"}]
    assert pod_spec(result)["volumes"] == pod_spec(deployment)["volumes"]
    assert deployment["spec"]["template"]["spec"]["containers"][1]["name"] == "sidecar"


def test_merge_patch_null_body_is_a_bad_request(deployment: dict[str, Any]) -> None:
    error = failure(apply_merge_patch, deployment, None)
    assert (error.code, error.reason, error.message) == (400, "BadRequest", "Invalid JSON Patch")


@pytest.mark.parametrize(("body", "kind"), [([1], "array"), ("s", "string"), (1.5, "number")])
def test_merge_patch_body_must_be_an_object(
    deployment: dict[str, Any], body: Any, kind: str
) -> None:
    error = failure(apply_merge_patch, deployment, body)
    assert (error.code, error.reason) == (400, "BadRequest")
    assert error.message == (
        f"error decoding patch: json: cannot unmarshal {kind} "
        "into Go value of type map[string]interface {}"
    )


def test_merge_patch_never_changes_the_stored_object(deployment: dict[str, Any]) -> None:
    before = copy.deepcopy(deployment)
    result = apply_merge_patch(deployment, {"spec": {"template": {"metadata": {"labels": None}}}})
    result["spec"]["replicas"] = 9
    assert deployment == before


# --- JSON patch -----------------------------------------------------------------------------

# RFC 6902 Appendix A (A.13, a duplicate member, cannot be expressed once decoded).
RFC6902_SUCCESSES = [
    ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"baz": "qux", "foo": "bar"}),
    (
        {"foo": ["bar", "baz"]},
        [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]},
    ),
    ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
    (
        {"baz": "qux", "foo": "bar"},
        [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"},
    ),
    (
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
    ),
    (
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]},
    ),
    (
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [
            {"op": "test", "path": "/baz", "value": "qux"},
            {"op": "test", "path": "/foo/1", "value": 2},
        ],
        {"baz": "qux", "foo": ["a", 2, "c"]},
    ),
    (
        {"foo": "bar"},
        [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}},
    ),
    (
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
        {"foo": "bar", "baz": "qux"},
    ),
    (
        {"/": 9, "~1": 10},
        [{"op": "test", "path": "/~01", "value": 10}],
        {"/": 9, "~1": 10},
    ),
    (
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]},
    ),
    (
        {"foo": {"bar": 1}},
        [{"op": "copy", "from": "/foo", "path": "/copy"}],
        {"foo": {"bar": 1}, "copy": {"bar": 1}},
    ),
]


@pytest.mark.parametrize(("document", "patch", "expected"), RFC6902_SUCCESSES)
def test_rfc6902_examples(document: dict, patch: list, expected: dict) -> None:
    assert apply_json_patch(document, patch) == expected


@pytest.mark.parametrize(
    ("document", "patch"),
    [
        ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}]),  # A.9
        ({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}]),  # A.12
        ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}]),  # A.15
        ({"a": {"b": 1}}, [{"op": "remove", "path": "/a/c"}]),
        ({"a": [1]}, [{"op": "remove", "path": "/a/1"}]),
        ({"a": [1]}, [{"op": "replace", "path": "/a/1", "value": 2}]),
        ({"a": [1]}, [{"op": "add", "path": "/a/2", "value": 2}]),
        ({"a": [1]}, [{"op": "add", "path": "/a/x", "value": 2}]),
        ({"a": [1, 2]}, [{"op": "add", "path": "/a/-4", "value": 2}]),
        ({"a": [1]}, [{"op": "move", "from": "/a/0", "path": "/a/2"}]),
        ({"a": {"b": 1}}, [{"op": "move", "from": "/a", "path": "/a/b/c"}]),
        ({"a": 1}, [{"op": "copy", "from": "/a", "path": "/b/c"}]),
        ({"a": 1}, [{"op": "add", "path": "", "value": {}}]),
        ({"a": 1}, [{"op": "replace", "path": "", "value": "scalar"}]),
        ({"a": 1}, [{"op": "add", "value": 1}]),
        ({"a": 1}, [{"op": "move", "path": "/b"}]),
        ({"a": 1}, [{"op": "frobnicate", "path": "/a"}]),
        ({"a": 1}, [{"path": "/a"}]),
        ({"a": 1}, [None]),
        ({"a": 1}, [{"op": "test", "path": "/a", "value": 1.0}]),
        ({"a": 1}, [{"op": "test", "path": "/a", "value": True}]),
        ({"a": 1}, [{"op": "test", "path": "/a"}]),
        ({"a": []}, [{"op": "test", "path": "/a", "value": None}]),
    ],
)
def test_failed_operations_are_unprocessable(document: dict, patch: list) -> None:
    before = copy.deepcopy(document)
    error = failure(apply_json_patch, document, patch)
    assert (error.code, error.reason, error.message) == (422, "Invalid", REJECTED)
    assert error.status()["reason"] == "Invalid"
    assert document == before


def test_kopf_resource_version_guard(deployment: dict[str, Any]) -> None:
    guarded = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": "1234"},
        {
            "op": "add",
            "path": "/metadata/finalizers",
            "value": ["kopf.zalando.org/KopfFinalizerMarker"],
        },
    ]
    result = apply_json_patch(deployment, guarded)
    assert result["metadata"]["finalizers"] == ["kopf.zalando.org/KopfFinalizerMarker"]

    stale = [dict(guarded[0], value="1200"), guarded[1]]
    error = failure(apply_json_patch, deployment, stale)
    assert error.code == 422


def test_rollout_undo_body(deployment: dict[str, Any]) -> None:
    template = copy.deepcopy(deployment["spec"]["template"])
    template["spec"]["containers"][0]["image"] = "nginx:1.24"
    body = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {
            "op": "replace",
            "path": "/metadata/annotations",
            "value": {"deployment.kubernetes.io/revision": "1"},
        },
    ]
    result = apply_json_patch(deployment, body)
    assert pod_spec(result)["containers"][0]["image"] == "nginx:1.24"
    assert result["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}


def test_replace_of_a_missing_key_adds_it_as_kube_apiserver_does() -> None:
    patch = [{"op": "replace", "path": "/metadata/annotations", "value": {"a": "b"}}]
    assert apply_json_patch({"metadata": {}}, patch) == {"metadata": {"annotations": {"a": "b"}}}


def test_negative_indices_and_append() -> None:
    document = {"a": [1, 2, 3]}
    patch = [
        {"op": "add", "path": "/a/-1", "value": 4},
        {"op": "remove", "path": "/a/-4"},
        {"op": "replace", "path": "/a/-1", "value": 5},
        {"op": "add", "path": "/a/-", "value": 6},
        {"op": "add", "path": "/a/+0", "value": 0},
    ]
    assert apply_json_patch(document, patch) == {"a": [0, 2, 3, 5, 6]}


def test_pointer_escapes() -> None:
    document = {"metadata": {"labels": {"app.kubernetes.io/name": "web", "a~b": "x"}}}
    patch = [
        {"op": "remove", "path": "/metadata/labels/app.kubernetes.io~1name"},
        {"op": "replace", "path": "/metadata/labels/a~0b", "value": "y"},
    ]
    assert apply_json_patch(document, patch) == {"metadata": {"labels": {"a~b": "y"}}}


def test_test_operation_treats_missing_and_null_alike() -> None:
    document = {"a": None, "b": {"c": [1, {"d": None}]}}
    patch = [
        {"op": "test", "path": "/a", "value": None},
        {"op": "test", "path": "/missing", "value": None},
        {"op": "test", "path": "/missing"},
        {"op": "test", "path": "/b", "value": {"c": [1, {"d": None}]}},
        {"op": "test", "path": "", "value": document},
    ]
    assert apply_json_patch(document, patch) == document


def test_operations_apply_in_order_and_see_earlier_results() -> None:
    patch = [
        {"op": "add", "path": "/spec", "value": {}},
        {"op": "add", "path": "/spec/ports", "value": []},
        {"op": "add", "path": "/spec/ports/0", "value": {"port": 80}},
        {"op": "copy", "from": "/spec/ports/0", "path": "/spec/ports/-"},
        {"op": "replace", "path": "/spec/ports/1/port", "value": 443},
    ]
    assert apply_json_patch({}, patch) == {"spec": {"ports": [{"port": 80}, {"port": 443}]}}


def test_null_json_patch_changes_nothing(deployment: dict[str, Any]) -> None:
    assert apply_json_patch(deployment, None) == deployment
    assert apply_json_patch(deployment, []) == deployment


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"op": "add"}, "cannot unmarshal object into Go value of type []handlers.jsonPatchOp"),
        ("add", "cannot unmarshal string into Go value of type []handlers.jsonPatchOp"),
        ([1], "cannot unmarshal number into Go value of type handlers.jsonPatchOp"),
        (
            [{"op": "add", "path": 1}],
            "cannot unmarshal number into Go struct field jsonPatchOp.path of type string",
        ),
        (
            [{"op": ["add"]}],
            "cannot unmarshal array into Go struct field jsonPatchOp.op of type string",
        ),
    ],
)
def test_json_patch_body_that_does_not_decode(body: Any, message: str) -> None:
    error = failure(apply_json_patch, {"a": 1}, body)
    assert (error.code, error.reason) == (400, "BadRequest")
    assert error.message == f"error decoding patch: json: {message}"


def test_too_many_operations() -> None:
    body = [{"op": "test", "path": "/a", "value": 1}] * (MAX_JSON_PATCH_OPERATIONS + 1)
    error = failure(apply_json_patch, {"a": 1}, body)
    assert (error.code, error.reason) == (413, "RequestEntityTooLarge")
    assert error.message == (
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, "
        "got 10001"
    )


def test_copies_cannot_blow_up_the_document() -> None:
    body = [{"op": "add", "path": "/a", "value": "x" * 1000}]
    body += [{"op": "copy", "from": "/a", "path": f"/b{i}"} for i in range(4000)]
    error = failure(apply_json_patch, {}, body)
    assert (error.code, error.message) == (422, REJECTED)


def test_replacing_the_document_with_a_list_cannot_be_decoded() -> None:
    error = failure(apply_json_patch, {"a": 1}, [{"op": "replace", "path": "", "value": [1]}])
    assert (error.code, error.reason) == (422, "Invalid")
    assert error.message == (
        ' "" is invalid: patch: Invalid value: "[1]": couldn\'t get version/kind; '
        "json parse error: json: cannot unmarshal array into Go value of type struct { "
        'APIVersion string "json:\\"apiVersion,omitempty\\""; '
        'Kind string "json:\\"kind,omitempty\\"" }'
    )
    assert error.details == {
        "causes": [
            {
                "reason": "FieldValueInvalid",
                "message": error.message.split("patch: ", 1)[1],
                "field": "patch",
            }
        ]
    }


def test_whole_document_test_without_value_crashes_like_upstream() -> None:
    error = failure(apply_json_patch, {"a": 1}, [{"op": "test", "path": ""}])
    assert (error.code, error.reason) == (500, "InternalError")


def test_json_patch_never_changes_the_stored_object(deployment: dict[str, Any]) -> None:
    before = copy.deepcopy(deployment)
    value = {"k": "v"}
    result = apply_json_patch(
        deployment,
        [
            {"op": "add", "path": "/metadata/labels/x", "value": value},
            {"op": "remove", "path": "/spec/template/spec/containers/1"},
            {"op": "move", "from": "/status", "path": "/moved"},
        ],
    )
    result["metadata"]["labels"]["x"]["k"] = "changed"
    assert deployment == before
    assert value == {"k": "v"}
