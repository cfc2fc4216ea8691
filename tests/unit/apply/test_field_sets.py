"""The field-set model: path elements, set algebra, ``fieldsV1`` and the sets of real kinds."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubelab.cluster.api.managedfields import (
    FieldPathError,
    FieldSet,
    PathElement,
    compare,
    field_set,
    kind_shape,
    path_text,
    with_named_fields,
)
from kubelab.cluster.resources.builtin import builtin_registry

REGISTRY = builtin_registry()
DEPLOYMENTS = REGISTRY.get("apps", "v1", "deployments")
PODS = REGISTRY.get("", "v1", "pods")
SERVICES = REGISTRY.get("", "v1", "services")


def f(name: str) -> PathElement:
    return PathElement.of_field(name)


def paths(fields: FieldSet) -> list[str]:
    return [path_text(p) for p in fields.paths()]


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.27",
                            "args": ["-g", "daemon off;"],
                            "ports": [
                                {"containerPort": 80},
                                {"containerPort": 53, "protocol": "UDP"},
                            ],
                            "env": [{"name": "MODE", "value": "prod"}],
                        }
                    ],
                    "nodeSelector": {"disk": "ssd"},
                },
            },
        },
    }


# --- path elements -----------------------------------------------------------------------------


def test_path_elements_serialise_as_in_fields_v1() -> None:
    assert f("replicas").serialize() == "f:replicas"
    assert PathElement.of_key({"protocol": "TCP", "containerPort": 80}).serialize() == (
        'k:{"containerPort":80,"protocol":"TCP"}'
    )
    assert PathElement.of_value("example.com/cleanup").serialize() == 'v:"example.com/cleanup"'
    assert PathElement.of_index(3).serialize() == "i:3"


def test_parsing_canonicalises_key_elements() -> None:
    parsed = PathElement.parse('k:{"protocol": "TCP", "containerPort": 80}')
    assert parsed == PathElement.of_key({"containerPort": 80, "protocol": "TCP"})
    assert PathElement.parse("i:0") == PathElement.of_index(0)
    assert PathElement.parse('v:"a"') == PathElement.of_value("a")
    assert PathElement.parse("x:anything") is None  # unknown kinds are dropped, as upstream
    with pytest.raises(ValueError):
        PathElement.parse("nocolon")


def test_go_escaping_in_key_elements() -> None:
    assert PathElement.of_key({"name": "a<b>&c"}).text == '{"name":"a\\u003cb\\u003e\\u0026c"}'


def test_paths_print_like_kube_apiserver() -> None:
    path = (
        f("spec"),
        f("containers"),
        PathElement.of_key({"name": "web"}),
        f("ports"),
        PathElement.of_key({"containerPort": 80, "protocol": "TCP"}),
        f("hostPort"),
    )
    assert (
        path_text(path)
        == '.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].hostPort'
    )
    assert path_text((f("metadata"), f("finalizers"), PathElement.of_value("x"))) == (
        '.metadata.finalizers[="x"]'
    )
    assert path_text((f("args"), PathElement.of_index(1))) == ".args[1]"


def test_elements_sort_fields_keys_values_indexes() -> None:
    elements = [
        PathElement.of_index(0),
        PathElement.of_value(2),
        PathElement.of_key({"name": "b"}),
        f("z"),
        PathElement.of_key({"name": "a"}),
        f("a"),
        PathElement.of_value("x"),
    ]
    fields = FieldSet.of(*[(e,) for e in elements])
    assert list(fields.to_fields_v1()) == [
        "f:a",
        "f:z",
        'k:{"name":"a"}',
        'k:{"name":"b"}',
        "v:2",
        'v:"x"',
        "i:0",
    ]


# --- set algebra and fieldsV1 --------------------------------------------------------------------


def test_members_are_only_the_paths_inserted() -> None:
    fields = FieldSet.of_field_paths("spec.replicas")
    assert fields.has((f("spec"), f("replicas")))
    assert not fields.has((f("spec"),))


def test_union_difference_intersection() -> None:
    a = FieldSet.of_field_paths("spec.replicas", "spec.paused", "metadata.labels.app")
    b = FieldSet.of_field_paths("spec.paused", "spec.minReadySeconds")
    assert paths(a.union(b)) == [
        ".metadata.labels.app",
        ".spec.minReadySeconds",
        ".spec.paused",
        ".spec.replicas",
    ]
    assert paths(a.difference(b)) == [".metadata.labels.app", ".spec.replicas"]
    assert paths(a.intersection(b)) == [".spec.paused"]
    assert b.difference(b).is_empty()
    assert a.difference(b).union(a.intersection(b)) == a


def test_difference_is_not_recursive() -> None:
    """Removing ``spec`` from a set leaves what is below it, as in structured-merge-diff."""
    fields = FieldSet.of_field_paths("spec", "spec.replicas")
    assert paths(fields.difference(FieldSet.of_field_paths("spec"))) == [".spec.replicas"]


def test_operations_do_not_change_their_operands() -> None:
    a = FieldSet.of_field_paths("spec.replicas")
    b = FieldSet.of_field_paths("spec.paused")
    merged = a.union(b)
    merged.insert((f("spec"), f("minReadySeconds")))
    assert paths(a) == [".spec.replicas"]
    assert paths(b) == [".spec.paused"]


def test_fields_v1_dot_marks_the_node_itself() -> None:
    container = (f("spec"), f("containers"), PathElement.of_key({"name": "web"}))
    fields = FieldSet.of(container, (*container, f("image")), (f("spec"), f("replicas")))
    tree = fields.to_fields_v1()
    assert tree == {
        "f:spec": {
            "f:containers": {'k:{"name":"web"}': {".": {}, "f:image": {}}},
            "f:replicas": {},
        }
    }
    assert FieldSet.from_fields_v1(tree) == fields


def test_fields_v1_round_trip_of_upstream_text() -> None:
    tree = {
        "f:metadata": {"f:finalizers": {".": {}, 'v:"example.com/x"': {}}},
        "f:spec": {"f:args": {}, "f:items": {"i:0": {"f:a": {}}}},
    }
    assert FieldSet.from_fields_v1(tree).to_fields_v1() == tree


@pytest.mark.parametrize(
    "tree",
    [
        {"f:spec": "not an object"},
        {"nocolon": {}},
        {"k:not json": {}},
        ["f:spec"],
    ],
)
def test_malformed_fields_v1_is_refused(tree: Any) -> None:
    with pytest.raises(ValueError):
        FieldSet.from_fields_v1(tree)


# --- field sets of real kinds --------------------------------------------------------------------


def test_deployment_field_set() -> None:
    fields = field_set(deployment(), kind_shape(DEPLOYMENTS), strict=True)
    web = 'k:{"name":"web"}'
    assert fields.to_fields_v1() == {
        "f:apiVersion": {},
        "f:kind": {},
        "f:metadata": {"f:labels": {"f:app": {}}, "f:name": {}, "f:namespace": {}},
        "f:spec": {
            "f:replicas": {},
            # A label selector is an atomic map: owned whole.
            "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:containers": {
                        web: {
                            ".": {},
                            # args is an atomic list: owned whole, items not listed.
                            "f:args": {},
                            "f:env": {'k:{"name":"MODE"}': {".": {}, "f:name": {}, "f:value": {}}},
                            "f:image": {},
                            "f:name": {},
                            # Ports are keyed by containerPort and protocol (TCP by default).
                            "f:ports": {
                                'k:{"containerPort":53,"protocol":"UDP"}': {
                                    ".": {},
                                    "f:containerPort": {},
                                    "f:protocol": {},
                                },
                                'k:{"containerPort":80,"protocol":"TCP"}': {
                                    ".": {},
                                    "f:containerPort": {},
                                },
                            },
                        }
                    },
                    # nodeSelector is an atomic map.
                    "f:nodeSelector": {},
                },
            },
        },
    }


def test_pod_field_set_with_sets_and_empty_maps() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "finalizers": ["example.com/cleanup"], "annotations": {}},
        "spec": {
            "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "60"]}],
            "securityContext": {},
            "volumes": [{"name": "data", "emptyDir": {}}],
        },
    }
    fields = field_set(pod, kind_shape(PODS), strict=True)
    assert paths(fields) == [
        ".apiVersion",
        ".kind",
        ".metadata.annotations",
        ".metadata.name",
        '.metadata.finalizers[="example.com/cleanup"]',
        ".spec.securityContext",
        '.spec.containers[name="c"]',
        '.spec.containers[name="c"].command',
        '.spec.containers[name="c"].image',
        '.spec.containers[name="c"].name',
        '.spec.volumes[name="data"]',
        '.spec.volumes[name="data"].emptyDir',
        '.spec.volumes[name="data"].name',
    ]


def test_service_ports_are_keyed_by_port_and_protocol() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [
                {"name": "http", "port": 80, "targetPort": 8080},
                {"name": "dns", "port": 53, "protocol": "UDP"},
            ],
        },
    }
    fields = field_set(service, kind_shape(SERVICES), strict=True)
    assert fields.child(f("spec")).to_fields_v1() == {
        "f:ports": {
            'k:{"port":53,"protocol":"UDP"}': {
                ".": {},
                "f:name": {},
                "f:port": {},
                "f:protocol": {},
            },
            'k:{"port":80,"protocol":"TCP"}': {
                ".": {},
                "f:name": {},
                "f:port": {},
                "f:targetPort": {},
            },
        },
        # The Service selector is an atomic map: it is owned whole.
        "f:selector": {},
    }


def test_a_list_item_without_its_keys_is_refused() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"image": "busybox"}]},
    }
    with pytest.raises(FieldPathError) as caught:
        field_set(pod, kind_shape(PODS), strict=True)
    assert str(caught.value) == (
        ".spec.containers: associative list with keys has an element that omits all key "
        'fields ["name"] (and doesn\'t have default values for any key fields)'
    )


def test_duplicates_and_undeclared_fields_are_refused_only_when_strict() -> None:
    obj = deployment()
    containers = obj["spec"]["template"]["spec"]["containers"]
    containers.append(copy.deepcopy(containers[0]))
    shape = kind_shape(DEPLOYMENTS)
    with pytest.raises(FieldPathError, match=r'duplicate entries for key \[name="web"\]'):
        field_set(obj, shape, strict=True)
    # A live object may hold duplicates: the item is owned as a whole.
    assert paths(field_set(obj, shape).child(f("spec")).child(f("template")))[-1] == (
        '.spec.containers[name="web"]'
    )
    unknown = deployment()
    unknown["spec"]["replicaz"] = 3
    with pytest.raises(FieldPathError, match=r"^\.spec\.replicaz: field not declared in schema$"):
        field_set(unknown, shape, strict=True)


def test_named_fields_become_members_for_pruning() -> None:
    fields = FieldSet.of_field_paths("spec.strategy.rollingUpdate.maxSurge", "metadata.labels.app")
    named = with_named_fields(fields, kind_shape(DEPLOYMENTS))
    assert paths(named) == [
        ".metadata",
        ".spec",
        ".metadata.labels",
        ".metadata.labels.app",
        ".spec.strategy",
        ".spec.strategy.rollingUpdate",
        ".spec.strategy.rollingUpdate.maxSurge",
    ]


# --- comparing ----------------------------------------------------------------------------------


def test_a_create_marks_new_nodes_but_not_structs_every_object_has() -> None:
    """A Deployment always has spec, template and strategy, so a create adds fields inside
    them; the label map and the container are new nodes and carry ``.``."""
    added = compare({}, deployment(), kind_shape(DEPLOYMENTS)).added
    spec = added.child(f("spec")).to_fields_v1()
    assert "." not in spec
    template = spec["f:template"]
    assert "." not in template and "." not in template["f:spec"]
    assert template["f:metadata"]["f:labels"] == {".": {}, "f:app": {}}
    web = template["f:spec"]["f:containers"]['k:{"name":"web"}']
    assert web["."] == {} and web["f:env"]["."] == {} and web["f:ports"]["."] == {}
    # containers is a required field, so the list itself was there already.
    assert "." not in template["f:spec"]["f:containers"]


def test_compare_reports_modified_added_and_removed() -> None:
    shape = kind_shape(DEPLOYMENTS)
    old = deployment()
    new = deployment()
    new["spec"]["replicas"] = 3
    web = new["spec"]["template"]["spec"]["containers"][0]
    web["env"] = [{"name": "DEBUG", "value": "1"}]
    del web["args"]
    changes = compare(old, new, shape)
    container = '.spec.template.spec.containers[name="web"]'
    assert paths(changes.modified) == [".spec.replicas"]
    assert paths(changes.added) == [
        f'{container}.env[name="DEBUG"]',
        f'{container}.env[name="DEBUG"].name',
        f'{container}.env[name="DEBUG"].value',
    ]
    assert paths(changes.removed) == [
        f"{container}.args",
        f'{container}.env[name="MODE"]',
        f'{container}.env[name="MODE"].name',
        f'{container}.env[name="MODE"].value',
    ]


def test_reordering_a_list_map_changes_nothing_but_an_atomic_list_is_modified() -> None:
    shape = kind_shape(DEPLOYMENTS)
    old = deployment()
    new = deployment()
    web = new["spec"]["template"]["spec"]["containers"][0]
    web["ports"].reverse()
    web["args"].reverse()
    changes = compare(old, new, shape)
    assert paths(changes.modified) == ['.spec.template.spec.containers[name="web"].args']
    assert changes.added.is_empty() and changes.removed.is_empty()


def test_integers_and_booleans_are_not_equal() -> None:
    shape = kind_shape(DEPLOYMENTS)
    old, new = deployment(), deployment()
    old["spec"]["paused"] = 1
    new["spec"]["paused"] = True
    assert paths(compare(old, new, shape).modified) == [".spec.paused"]
