"""Partial, order-independent matching with field paths and plain-words expectations."""

from __future__ import annotations

import base64

import pytest

from kubelab.checks.matchers import (
    MISSING,
    Mismatch,
    SpecError,
    as_matcher,
    contains,
    each,
    gte,
    image,
    match,
    one_of,
    ordered,
    predicate,
    regex,
)

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
    "spec": {
        "containers": [
            {
                "name": "sidecar",
                "image": "busybox:1.36",
                "args": ["sleep", "3600"],
            },
            {
                "name": "web",
                "image": "docker.io/library/nginx:1.25",
                "ports": [{"containerPort": 80}],
                "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            },
        ]
    },
    "status": {
        "phase": "Running",
        "conditions": [
            {"type": "PodScheduled", "status": "True"},
            {"type": "Ready", "status": "False"},
        ],
    },
}


def paths(found: list[Mismatch]) -> list[str]:
    return [m.path for m in found]


def test_maps_match_partially() -> None:
    assert match({"metadata": {"labels": {"app": "web"}}}, POD) == []
    found = match({"metadata": {"labels": {"app": "api"}}}, POD)
    assert found == [Mismatch("metadata.labels.app", "api", "web")]


def test_a_missing_field_is_reported_as_missing() -> None:
    (found,) = match({"spec": {"nodeName": "kubelab"}}, POD)
    assert found.path == "spec.nodeName" and found.observed is MISSING
    assert found.render() == "spec.nodeName: expected kubelab, but it is not set"


def test_lists_match_in_any_order_by_default() -> None:
    expected = {"spec": {"containers": [{"name": "web"}, {"name": "sidecar"}]}}
    assert match(expected, POD) == []
    assert match({"spec": {"containers": [{"env": [{"name": "B"}, {"name": "A"}]}]}}, POD) == []


def test_each_expected_item_needs_its_own_element() -> None:
    expected = {"spec": {"containers": [{"name": "web"}, {"name": "web"}]}}
    assert match(expected, POD) != []


def test_a_list_mismatch_points_at_the_element_with_the_same_name() -> None:
    found = match({"spec": {"containers": [{"name": "web", "image": "httpd"}]}}, POD)
    assert paths(found) == ["spec.containers[name=web].image"]
    assert found[0].render() == (
        "spec.containers[name=web].image: expected image httpd, found docker.io/library/nginx:1.25"
    )


def test_a_list_item_no_element_has_is_reported_missing() -> None:
    (found,) = match({"status": {"conditions": [{"type": "Initialized", "status": "True"}]}}, POD)
    assert found.path == "status.conditions[type=Initialized]"
    assert found.observed is MISSING


def test_the_closest_element_is_chosen_by_its_type() -> None:
    (found,) = match({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}, POD)
    assert found == Mismatch("status.conditions[type=Ready].status", "True", "False")


def test_images_compare_as_references() -> None:
    assert match({"spec": {"containers": [{"image": "nginx:1.25"}]}}, POD) == []
    assert match({"spec": {"containers": [{"image": "nginx"}]}}, POD) != []
    assert (
        match({"spec": {"containers": [{"image": {"$image": {"repository": "nginx"}}}]}}, POD) == []
    )
    assert match({"spec": {"containers": [{"image": image("nginx", any_tag=True)}]}}, POD) == []


def test_resource_lists_compare_as_quantities() -> None:
    expected = {
        "spec": {"containers": [{"resources": {"requests": {"cpu": 0.5, "memory": "1024Mi"}}}]}
    }
    assert match(expected, POD) == []
    wrong = {"spec": {"containers": [{"resources": {"requests": {"cpu": "1"}}}]}}
    assert paths(match(wrong, POD)) == ["spec.containers[name=web].resources.requests.cpu"]


def test_quantities_are_not_compared_outside_resource_lists() -> None:
    assert match({"metadata": {"labels": {"tier": "front"}}}, POD) == []
    assert match({"spec": {"containers": [{"args": ["sleep", "3600.0"]}]}}, POD) != []


@pytest.mark.parametrize(
    ("expected", "ok"),
    [
        ({"$regex": "^nginx"}, False),
        ({"$regex": "nginx:1\\.2[0-9]$"}, True),
        ({"$wildcard": "*/nginx:1.*"}, True),
        ({"$wildcard": "nginx:*"}, False),
        ({"$contains": "nginx"}, True),
        ({"$not": {"$contains": "httpd"}}, True),
        ({"$any_of": [{"$regex": "httpd"}, {"$regex": "nginx"}]}, True),
        ({"$all_of": [{"$regex": "docker"}, {"$regex": "httpd"}]}, False),
        ({"$in": ["a", "docker.io/library/nginx:1.25"]}, True),
        ({"$ne": "x"}, True),
    ],
)
def test_text_operators(expected: object, ok: bool) -> None:
    spec = {"spec": {"containers": [{"name": "web", "image": expected}]}}
    assert (match(spec, POD) == []) is ok


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ({"$gte": 2}, 3, True),
        ({"$gte": 2}, 2, True),
        ({"$gt": 2}, 2, False),
        ({"$lt": "1Gi"}, "512Mi", True),
        ({"$lte": "500m"}, "0.5", True),
        ({"$gt": "500m"}, 1, True),
        ({"$gte": 2}, "two", False),
        ({"$gte": 2}, MISSING, False),
        ({"$quantity": "1Gi"}, "1024Mi", True),
        ({"$exists": True}, MISSING, False),
        ({"$exists": False}, MISSING, True),
        ({"$exists": False}, None, True),
        ({"$exists": False}, 0, False),
    ],
)
def test_comparisons_and_existence(expected: object, actual: object, ok: bool) -> None:
    assert (as_matcher(expected).mismatches(actual, "x") == []) is ok


def test_list_operators() -> None:
    args = {"spec": {"containers": [{"name": "sidecar", "args": None}]}}
    args["spec"]["containers"][0]["args"] = {"$ordered": ["sleep", "3600"]}
    assert match(args, POD) == []
    args["spec"]["containers"][0]["args"] = {"$ordered": ["3600", "sleep"]}
    assert match(args, POD) != []
    assert match({"spec": {"containers": {"$length": 2}}}, POD) == []
    assert match({"spec": {"containers": {"$length": {"$gte": 3}}}}, POD) != []
    assert match({"spec": {"containers": {"$each": {"image": {"$regex": "."}}}}}, POD) == []
    assert match({"spec": {"containers": {"$each": {"name": "web"}}}}, POD) != []
    assert match({"spec": {"containers": {"$none": {"image": {"$regex": "latest"}}}}}, POD) == []
    assert match({"spec": {"containers": {"$none": {"name": "web"}}}}, POD) != []
    env = {
        "spec": {
            "containers": [{"name": "web", "env": {"$unordered": [{"name": "B"}, {"name": "A"}]}}]
        }
    }
    assert match(env, POD) == []
    env["spec"]["containers"][0]["env"] = {"$unordered": [{"name": "B"}]}
    assert match(env, POD) != []
    assert match({"spec": {"containers": {"$contains": {"name": "web"}}}}, POD) == []


def test_contains_text_finds_a_list_item() -> None:
    assert as_matcher({"$contains": "date"}).mismatches(["date"], "command") == []
    assert as_matcher({"$contains": "date"}).mismatches(["sh", "-c", "date"], "command") == []
    assert as_matcher({"$contains": "date"}).mismatches(["sleep", "3600"], "command") != []


def test_each_does_not_pass_an_empty_list() -> None:
    assert as_matcher({"$each": {"a": 1}}).mismatches([], "items") != []


def test_base64_values_are_decoded() -> None:
    secret = {"data": {"password": base64.b64encode(b"s3cret").decode()}}
    assert match({"data": {"password": {"$base64": "s3cret"}}}, secret) == []
    assert match({"data": {"password": {"$base64": "other"}}}, secret) != []
    assert match({"data": {"password": {"$base64": "x"}}}, {"data": {"password": "%%"}}) != []


def test_python_spellings_build_the_same_matchers() -> None:
    assert match({"spec": {"containers": contains({"name": "web"})}}, POD) == []
    assert match({"spec": {"containers": each({"image": regex(".")})}}, POD) == []
    assert match({"status": {"phase": one_of("Running", "Succeeded")}}, POD) == []
    assert (
        match(
            {"spec": {"containers": [{"name": "sidecar", "args": ordered("sleep", "3600")}]}}, POD
        )
        == []
    )
    assert as_matcher(gte("1Gi")).mismatches("2Gi", "") == []
    odd = predicate(lambda value: len(value) % 2 == 1, "an odd number of containers")
    assert as_matcher({"spec": {"containers": odd}}).mismatches(POD, "")[0].expected == (
        "an odd number of containers"
    )


def test_a_predicate_that_raises_does_not_match() -> None:
    assert predicate(lambda value: value["x"], "has x").mismatches(3, "v") != []


def test_booleans_are_not_numbers() -> None:
    assert match({"ready": True}, {"ready": 1}) != []
    assert match({"count": 1}, {"count": 1.0}) == []


def test_a_null_expectation_accepts_a_missing_field() -> None:
    assert match({"spec": {"nodeName": None}}, POD) == []


def test_keys_with_dots_are_quoted_in_paths() -> None:
    (found,) = match({"metadata": {"labels": {"app.kubernetes.io/name": "web"}}}, POD)
    assert found.path == 'metadata.labels["app.kubernetes.io/name"]'


def test_hidden_rendering_never_shows_the_expected_value() -> None:
    (found,) = match({"spec": {"containers": [{"name": "web", "image": "secret-image:9"}]}}, POD)
    text = found.render(hidden=True)
    assert "secret-image" not in text
    assert "docker.io/library/nginx:1.25" in text
    assert "not what the task asks for" in text


def test_a_map_that_mixes_operators_and_fields_is_refused() -> None:
    with pytest.raises(SpecError, match="mixes operators and fields"):
        as_matcher({"$regex": "a", "name": "b"})


def test_unknown_operators_and_bad_arguments_are_refused() -> None:
    with pytest.raises(SpecError, match="unknown operator"):
        as_matcher({"$regexp": "a"})
    with pytest.raises(SpecError, match="invalid regular expression"):
        as_matcher({"$regex": "("})
    with pytest.raises(SpecError, match="takes a list"):
        as_matcher({"$in": "a"})
    with pytest.raises(SpecError, match="true or false"):
        as_matcher({"$exists": "yes"})
