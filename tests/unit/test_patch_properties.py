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
