"""Job: defaults, the generated selector, restart policy rules, immutability and the row."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from kubelab.cluster.resources.job import JobStrategy

STRATEGY = JobStrategy()
UID = "0f6c2a6e-1c8b-4bb4-a5a6-2b1f7f0a9d11"
NOW = datetime(2026, 1, 1, 0, 10, 0, tzinfo=UTC)


def job(restart: str = "Never", **spec: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {"name": "pi", "uid": UID, "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {
            "template": {
                "spec": {"restartPolicy": restart, "containers": [{"name": "pi", "image": "perl"}]}
            },
            **spec,
        },
    }
    STRATEGY.default(obj)
    STRATEGY.prepare_for_create(obj)
    return obj


def errors(obj: dict[str, Any]) -> list[str]:
    return [str(e) for e in STRATEGY.validate(obj)]


def test_identity() -> None:
    assert (STRATEGY.group, STRATEGY.plural, STRATEGY.short_names) == ("batch", "jobs", ())
    assert STRATEGY.categories == ("all",)
    assert STRATEGY.default_propagation_policy == "Orphan"
    assert [c.name for c in STRATEGY.columns] == [
        "Name",
        "Status",
        "Completions",
        "Duration",
        "Age",
        "Containers",
        "Images",
        "Selector",
    ]


def test_defaults() -> None:
    spec = job()["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["completionMode"] == "NonIndexed"
    assert spec["suspend"] is False
    assert spec["manualSelector"] is False
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    parallel = job(parallelism=3)["spec"]
    assert "completions" not in parallel and parallel["parallelism"] == 3
    per_index = job(completionMode="Indexed", completions=3, backoffLimitPerIndex=1)["spec"]
    assert per_index["backoffLimit"] == 2147483647


def test_selector_and_labels_are_generated_from_the_uid() -> None:
    obj = job()
    labels = obj["spec"]["template"]["metadata"]["labels"]
    assert labels == {
        "job-name": "pi",
        "batch.kubernetes.io/job-name": "pi",
        "controller-uid": UID,
        "batch.kubernetes.io/controller-uid": UID,
    }
    assert obj["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}}
    assert obj["metadata"]["labels"] == labels
    assert errors(obj) == []


def test_manual_selector_is_left_alone() -> None:
    obj = job(manualSelector=True, selector={"matchLabels": {"app": "pi"}})
    assert obj["spec"]["selector"] == {"matchLabels": {"app": "pi"}}
    assert errors(obj) == [
        "spec.template.metadata.labels: Invalid value: null: `selector` does not match template "
        "`labels`"
    ]


def test_conflicting_generated_label() -> None:
    obj: dict[str, Any] = {
        "metadata": {"name": "pi", "uid": UID},
        "spec": {
            "template": {
                "metadata": {"labels": {"job-name": "other"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]},
            }
        },
    }
    STRATEGY.default(obj)
    STRATEGY.prepare_for_create(obj)
    result = errors(obj)
    assert result[0] == (
        "spec.template.metadata.labels[job-name]: Invalid value: "
        '{"batch.kubernetes.io/controller-uid":"' + UID + '","batch.kubernetes.io/job-name":"pi",'
        '"controller-uid":"' + UID + '","job-name":"other"}: must be \'pi\''
    )
    assert len(result) == 1


def test_a_selector_with_a_foreign_uid_is_not_auto_generated() -> None:
    wrong = {"matchLabels": {"batch.kubernetes.io/controller-uid": "other"}}
    result = errors(job(selector=wrong))
    assert result == [
        'spec.selector: Invalid value: {"matchLabels":{"batch.kubernetes.io/controller-uid":'
        '"other"}}: `selector` not auto-generated',
        "spec.template.metadata.labels: Invalid value: "
        '{"batch.kubernetes.io/controller-uid":"' + UID + '","batch.kubernetes.io/job-name":"pi",'
        '"controller-uid":"' + UID + '","job-name":"pi"}: `selector` does not match template '
        "`labels`",
    ]


def test_restart_policy_must_be_on_failure_or_never() -> None:
    assert errors(job(restart="Always")) == [
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'
    ]
    assert errors(job(restart="Sometimes"))[-1] == (
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: '
        '"OnFailure", "Never"'
    )


def test_counts_and_modes() -> None:
    obj = job(backoffLimit=-1, completionMode="Indexed", completions=None, parallelism=2)
    assert errors(obj)[:2] == [
        "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
        "spec.completions: Required value: when completion mode is Indexed",
    ]


def test_template_and_completions_are_immutable() -> None:
    old = job()
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "perl:5.40"
    new["spec"]["completions"] = 3
    result = [str(e) for e in STRATEGY.validate_update(new, old)]
    assert result[0] == "spec.completions: Invalid value: 3: field is immutable"
    assert result[1].startswith('spec.template: Invalid value: {"metadata":')
    assert result[1].endswith(": field is immutable")
    assert len(result) == 2


def test_suspended_jobs_that_never_started_may_change_scheduling() -> None:
    old = job(suspend=True)
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
    assert STRATEGY.validate_update(new, old) == []
    old["status"] = {"startTime": "2026-01-01T00:00:01Z"}
    assert len(STRATEGY.validate_update(new, old)) == 1


def test_rows() -> None:
    obj = job()
    obj["status"] = {"startTime": "2026-01-01T00:00:05Z"}
    assert STRATEGY.row(obj, NOW) == [
        "pi",
        "Running",
        "0/1",
        "9m55s",
        "10m",
        "pi",
        "perl",
        f"batch.kubernetes.io/controller-uid={UID}",
    ]
    obj["status"] = {
        "startTime": "2026-01-01T00:00:05Z",
        "completionTime": "2026-01-01T00:00:47Z",
        "succeeded": 1,
        "conditions": [{"type": "Complete", "status": "True"}],
    }
    assert STRATEGY.row(obj, NOW)[1:4] == ["Complete", "1/1", "42s"]
    obj["status"] = {"conditions": [{"type": "Failed", "status": "True"}]}
    assert STRATEGY.row(obj, NOW)[1:4] == ["Failed", "0/1", ""]
    parallel = job(parallelism=3)
    assert STRATEGY.row(parallel, NOW)[2] == "0/1 of 3"
    assert STRATEGY.field_values(parallel)["status.successful"] == "0"


def test_name_warning() -> None:
    obj = job()
    obj["metadata"]["name"] = "pi.v2"
    assert STRATEGY.warnings(obj)[0].startswith(
        "metadata.name: this is used in Pod names and hostnames, which can result in surprising "
        "behavior; a DNS label is recommended: ["
    )
