"""Properties of the PATCH formats over generated documents and patches."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonpatch
from hypothesis import given, settings
from hypothesis import strategies as st

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.patch import (
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
)
from kubelab.cluster.schemas import schema_for

PROPERTIES = settings(max_examples=200, deadline=None)
#: The properties each format's specification states, checked on fewer cases each.
SPECIFICATION = settings(max_examples=100, deadline=None)

KEYS = st.sampled_from(["a", "b", "c", "d", "e"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
)
NON_NULL_SCALARS = (
    st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
)


def json_values(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
        max_leaves=12,
    )


def objects(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(KEYS, values, max_size=5)


def canonical(value: Any) -> str:
    """JSON text that tells ``1``, ``1.0`` and ``true`` apart, unlike Python's ``==``."""
    return json.dumps(value, sort_keys=True)


def merge_diff(source: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """The RFC 7386 merge patch that turns ``source`` into ``target`` (which has no nulls)."""
    diff: dict[str, Any] = {key: None for key in source if key not in target}
    for key, value in target.items():
        if key not in source:
            diff[key] = value
        elif isinstance(source[key], dict) and isinstance(value, dict):
            nested = merge_diff(source[key], value)
            if nested:
                diff[key] = nested
        elif canonical(source[key]) != canonical(value):
            diff[key] = value
    return diff


# Null members of objects inside lists are where Go's merge patch is not idempotent, and where
# the formats part (merge patch keeps them in a list replacing an object, strategic merge patch
# drops them). So these patches keep their lists null-free.
PATCH_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.dictionaries(KEYS, inner, max_size=4)
        | st.lists(json_values(NON_NULL_SCALARS), max_size=4)
    ),
    max_leaves=12,
)


# A schema without a single patch strategy: every field is an object of the same shape.
STRATEGYLESS: dict[str, Any] = {"type": "object", "properties": {}}
STRATEGYLESS["properties"] = {key: STRATEGYLESS for key in "abcde"}


@PROPERTIES
@given(objects(json_values(SCALARS)), objects(json_values(NON_NULL_SCALARS)))
def test_merge_patch_applies_its_own_diff(source: dict, target: dict) -> None:
    before = copy.deepcopy(source)
    assert canonical(apply_merge_patch(source, merge_diff(source, target))) == canonical(target)
    assert canonical(source) == canonical(before)


@PROPERTIES
@given(objects(json_values(SCALARS)), objects(PATCH_VALUES))
def test_merge_patch_is_idempotent(document: dict, patch: dict) -> None:
    once = apply_merge_patch(document, patch)
    assert canonical(apply_merge_patch(once, patch)) == canonical(once)


@PROPERTIES
@given(objects(json_values(SCALARS)), objects(json_values(SCALARS)))
def test_json_patch_applies_jsonpatch_diffs(source: dict, target: dict) -> None:
    operations = jsonpatch.make_patch(source, target).patch
    before = copy.deepcopy(source)
    expected = jsonpatch.apply_patch(source, operations)
    assert canonical(apply_json_patch(source, operations)) == canonical(expected)
    assert canonical(source) == canonical(before)


@PROPERTIES
@given(objects(json_values(SCALARS)), objects(PATCH_VALUES))
def test_strategic_merge_without_strategies_or_directives_is_merge_patch(
    document: dict, patch: dict
) -> None:
    strategic = apply_strategic_merge_patch(document, patch, STRATEGYLESS)
    assert canonical(strategic) == canonical(apply_merge_patch(document, patch))


NAMES = st.lists(
    st.text(alphabet="abcdefgh", min_size=1, max_size=3), min_size=1, max_size=6, unique=True
)


@PROPERTIES
@given(NAMES.flatmap(lambda names: st.tuples(st.just(names), st.sets(st.sampled_from(names)))))
def test_set_image_updates_exactly_the_named_containers(case: tuple[list[str], set[str]]) -> None:
    names, updated = case
    deployment = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": n, "image": f"{n}:1", "tty": True} for n in names]}
            }
        }
    }
    body = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": n} for n in names],
                    "containers": [{"image": f"{n}:2", "name": n} for n in names if n in updated],
                }
            }
        }
    }
    result = apply_strategic_merge_patch(deployment, body, schema_for("apps", "v1", "Deployment"))
    assert result["spec"]["template"]["spec"]["containers"] == [
        {"name": n, "image": f"{n}:{2 if n in updated else 1}", "tty": True} for n in names
    ]


@PROPERTIES
@given(NAMES, NAMES)
def test_set_element_order_lists_the_patch_order_and_keeps_the_rest(
    live: list[str], manifest: list[str]
) -> None:
    """What `kubectl apply` sends when a manifest lists env vars: all of them, in its order."""
    pod = {"spec": {"containers": [{"name": "c", "env": [{"name": n} for n in live]}]}}
    body = {
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "$setElementOrder/env": [{"name": n} for n in manifest],
                    "env": [{"name": n, "value": "v"} for n in manifest if n not in live],
                }
            ]
        }
    }
    env = apply_strategic_merge_patch(pod, body, schema_for("", "v1", "Pod"))["spec"]["containers"][
        0
    ]["env"]
    names = [item["name"] for item in env]
    assert sorted(names) == sorted(set(live) | set(manifest))
    assert [n for n in names if n in manifest] == manifest
    assert [n for n in names if n not in manifest] == [n for n in live if n not in manifest]


DIRECTIVE_KEYS = st.sampled_from(
    [
        "$patch",
        "$retainKeys",
        "$setElementOrder/containers",
        "$setElementOrder/labels",
        "$deleteFromPrimitiveList/finalizers",
        "$setElementOrder",
        "containers",
        "labels",
        "finalizers",
        "metadata",
        "spec",
        "name",
        "image",
        "env",
    ]
)
DIRECTIVE_VALUES = st.sampled_from(["replace", "delete", "merge", "name", "web"]) | SCALARS


def hostile(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        values,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(DIRECTIVE_KEYS, inner, max_size=4)
        ),
        max_leaves=16,
    )


POD_DOCUMENT = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "labels": {"app": "web"}, "finalizers": ["a"]},
    "spec": {"containers": [{"name": "web", "image": "nginx", "env": [{"name": "A"}]}]},
}


@PROPERTIES
@given(st.dictionaries(DIRECTIVE_KEYS, hostile(DIRECTIVE_VALUES), max_size=4))
def test_any_strategic_patch_gives_a_result_or_an_api_error(patch: dict) -> None:
    body = {"spec": patch, "metadata": patch}
    before = copy.deepcopy(POD_DOCUMENT)
    try:
        result = apply_strategic_merge_patch(POD_DOCUMENT, body, schema_for("", "v1", "Pod"))
    except APIError as error:
        assert error.code in (400, 415, 422, 500)
    else:
        assert isinstance(result, dict)
    assert before == POD_DOCUMENT


OPERATIONS = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "nope"]),
        "path": st.sampled_from(["", "/", "/a", "/a/0", "/a/-", "/a/b", "/b/-1", "a", "/a~1b"]),
    },
    optional={
        "from": st.sampled_from(["", "/a", "/a/0", "/b", "/zz"]),
        "value": json_values(SCALARS),
    },
)


@PROPERTIES
@given(objects(json_values(SCALARS)), st.lists(OPERATIONS | json_values(SCALARS), max_size=5))
def test_any_json_patch_gives_a_result_or_an_api_error(document: dict, patch: list) -> None:
    before = copy.deepcopy(document)
    try:
        result = apply_json_patch(document, patch)
    except APIError as error:
        assert error.code in (400, 422, 500)
    else:
        assert isinstance(result, dict)
    assert canonical(document) == canonical(before)


NEW_KEYS = st.sampled_from(["x", "y", "z"])


@SPECIFICATION
@given(objects(json_values(SCALARS)), NEW_KEYS, json_values(SCALARS))
def test_json_patch_add_then_remove_is_the_identity(document: dict, key: str, value: Any) -> None:
    """RFC 6902: "add" creates a member, "remove" takes exactly that member away."""
    document.pop(key, None)
    added = apply_json_patch(document, [{"op": "add", "path": f"/{key}", "value": value}])
    assert canonical(added[key]) == canonical(value)
    removed = apply_json_patch(added, [{"op": "remove", "path": f"/{key}"}])
    assert canonical(removed) == canonical(document)


# Without nulls: the Go library crashes comparing lists that hold one, and the teaching cluster
# answers those with the same 500 (see test_any_json_patch_gives_a_result_or_an_api_error).
@SPECIFICATION
@given(objects(json_values(NON_NULL_SCALARS)), KEYS, json_values(NON_NULL_SCALARS) | st.none())
def test_json_patch_test_passes_exactly_on_an_equal_value(
    document: dict, key: str, value: Any
) -> None:
    """RFC 6902 section 4.6: "test" succeeds when the member equals the value, else fails."""
    operations = [{"op": "test", "path": f"/{key}", "value": value}]
    # Kubernetes' JSON Patch library (evanphx/json-patch) takes a missing member as null.
    present = document.get(key) if key in document else None
    if canonical(present) == canonical(value):
        assert canonical(apply_json_patch(document, operations)) == canonical(document)
    else:
        try:
            apply_json_patch(document, operations)
        except APIError as error:
            assert 400 <= error.code < 500
        else:
            raise AssertionError(f"test of /{key} == {value!r} passed on {document!r}")


@SPECIFICATION
@given(objects(json_values(SCALARS)).filter(lambda d: "a" in d), NEW_KEYS)
def test_json_patch_move_is_copy_then_remove(document: dict, target: str) -> None:
    """RFC 6902 section 4.4: "move" is a "remove" from one place and an "add" at another."""
    moved = apply_json_patch(document, [{"op": "move", "from": "/a", "path": f"/{target}"}])
    copied = apply_json_patch(
        document,
        [{"op": "copy", "from": "/a", "path": f"/{target}"}, {"op": "remove", "path": "/a"}],
    )
    assert canonical(moved) == canonical(copied)
    assert "a" not in moved and canonical(moved[target]) == canonical(document["a"])


@SPECIFICATION
@given(objects(json_values(SCALARS)), st.lists(KEYS, unique=True, max_size=5))
def test_merge_patch_null_removes_exactly_the_named_members(document: dict, keys: list) -> None:
    """RFC 7386: a null member of the patch removes that member of the target, nothing else."""
    result = apply_merge_patch(document, {key: None for key in keys})
    assert canonical(result) == canonical({k: v for k, v in document.items() if k not in keys})


@SPECIFICATION
@given(NAMES.flatmap(lambda names: st.tuples(st.just(names), st.sampled_from(names))))
def test_strategic_delete_directive_removes_the_element_with_that_key(
    case: tuple[list[str], str],
) -> None:
    """``$patch: delete`` inside a list merged by key removes the element with that key only."""
    names, gone = case
    pod = {"spec": {"containers": [{"name": n, "image": f"{n}:1"} for n in names]}}
    body = {"spec": {"containers": [{"$patch": "delete", "name": gone}]}}
    result = apply_strategic_merge_patch(pod, body, schema_for("", "v1", "Pod"))
    assert result["spec"]["containers"] == [
        {"name": n, "image": f"{n}:1"} for n in names if n != gone
    ]


@SPECIFICATION
@given(NAMES, NAMES)
def test_strategic_merge_by_key_merges_each_element_and_keeps_both_orders(
    live: list[str], patched: list[str]
) -> None:
    """Elements are merged by key; the patch's elements keep the patch's order and the others
    keep the live order (apimachinery's mergeSortedSlice interleaves the two)."""
    pod = {"spec": {"containers": [{"name": n, "image": f"{n}:1", "tty": True} for n in live]}}
    body = {"spec": {"containers": [{"name": n, "image": f"{n}:2"} for n in patched]}}
    containers = apply_strategic_merge_patch(pod, body, schema_for("", "v1", "Pod"))["spec"][
        "containers"
    ]
    names = [c["name"] for c in containers]
    assert sorted(names) == sorted(set(live) | set(patched))
    assert [n for n in names if n in patched] == patched
    assert [n for n in names if n not in patched] == [n for n in live if n not in patched]
    for container in containers:
        name = container["name"]
        assert container["image"] == f"{name}:{2 if name in patched else 1}"
        assert container.get("tty") is (True if name in live else None)
