"""The YAML check format: everything parses into the engine's objects; mistakes are refused."""

from __future__ import annotations

import pytest
import yaml

from kubelab.checks.criteria import NeverCriterion, StateCriterion
from kubelab.checks.matchers import SpecError
from kubelab.checks.probes import (
    DataSurvivesProbe,
    ExecProbe,
    HttpProbe,
    LogsProbe,
    ProbeCriterion,
    RolloutHistoryProbe,
)
from kubelab.checks.quantifiers import at_least
from kubelab.checks.selection import Selection
from kubelab.checks.spec import parse_check, parse_duration

FULL = """
id: services/web
title: Web behind a Service
points: 10
timeout: 1m30s
criteria:
  - id: deployment
    title: Deployment web has 3 ready replicas
    weight: 2
    select: {apiVersion: apps/v1, kind: Deployment, name: web}
    quantifier: any
    match: {status: {readyReplicas: {$gte: 3}}}
  - title: Three pods run nginx
    select: {kind: Pod, labels: {app: web}}
    quantifier: {at_least: 3}
    match: {spec: {containers: [{image: nginx}]}}
  - id: no-crash
    title: No pod restarts while we watch
    select: {kind: Pod, labels: "app=web,tier in (front)"}
    quantifier: never
    window: 5s
    match: {status: {containerStatuses: [{restartCount: {$gt: 0}}]}}
  - id: http
    title: The Service answers
    hidden: true
    probe: {http: {service: web, port: 80, path: /healthz, body: {$contains: ok}}}
  - id: exec
    title: The config is mounted
    probe: {exec: {select: {labels: {app: web}}, command: "cat /etc/app/color", output: blue}}
  - id: logs
    title: It logged its start
    probe: {logs: {pod: web-0, log: {$contains: started}}}
  - id: data
    title: Data survives
    probe: {data_survives: {select: {labels: {app: db}}, path: /data/probe}}
  - id: history
    title: Two revisions
    probe:
      rollout_history:
        deployment: web
        min_revisions: 2
        includes: [{spec: {containers: [{image: nginx:1.25}]}}]
"""


def test_a_full_check_parses() -> None:
    check = parse_check(yaml.safe_load(FULL))
    assert check.id == "services/web" and check.max_points == 10 and check.timeout == 90
    deployment, pods, never, http, exec_, logs, data, history = check.criteria
    assert isinstance(deployment, StateCriterion) and deployment.weight == 2
    assert deployment.select == Selection("Deployment", "apps/v1", "web")
    assert isinstance(pods, StateCriterion) and pods.quantifier == at_least(3)
    assert pods.id == "three-pods-run-nginx"
    assert isinstance(never, NeverCriterion) and never.window == 5
    assert never.select.label_query == "app=web,tier in (front)"
    assert isinstance(http, ProbeCriterion) and isinstance(http.probe, HttpProbe) and http.hidden
    assert isinstance(exec_, ProbeCriterion) and isinstance(exec_.probe, ExecProbe)
    assert exec_.probe.command == ("cat", "/etc/app/color")
    assert isinstance(logs.probe, LogsProbe) and logs.probe.select.name == "web-0"  # type: ignore[attr-defined]
    assert isinstance(data.probe, DataSurvivesProbe)  # type: ignore[attr-defined]
    assert isinstance(history.probe, RolloutHistoryProbe)  # type: ignore[attr-defined]


def test_points_default_to_the_weights() -> None:
    check = parse_check(yaml.safe_load(FULL.replace("points: 10\n", "")))
    assert check.max_points == 9


def test_a_hidden_check_hides_every_criterion() -> None:
    check = parse_check(yaml.safe_load(FULL), hidden=True)
    assert check.hidden and all(c.hidden for c in check.criteria)


@pytest.mark.parametrize(
    ("mutation", "error"),
    [
        (lambda c: c["criteria"][0].update(mach={}), "unknown keys"),
        (lambda c: c["criteria"][0].pop("quantifier"), "needs a quantifier"),
        (lambda c: c["criteria"][2].pop("window"), "needs a window"),
        (lambda c: c["criteria"][0].update(window="5s"), "only applies to quantifier never"),
        (lambda c: c["criteria"][3].update(quantifier="any"), "do not apply to probes"),
        (lambda c: c["criteria"][0].pop("select"), "either select or probe"),
        (lambda c: c["criteria"][0]["select"].update(labels={"a": "b"}), "not both"),
        (lambda c: c["criteria"][0]["select"].pop("kind"), "needs a kind"),
        (lambda c: c.update(criteria=[]), "non-empty list of criteria"),
        (lambda c: c["criteria"][1].update(id="deployment"), "repeats criterion ids"),
        (lambda c: c["criteria"][3]["probe"].update(ping={}), "exactly one kind"),
        (lambda c: c["criteria"][5]["probe"]["logs"].pop("log"), "needs log"),
        (lambda c: c["criteria"][6]["probe"]["data_survives"].update(path="rel"), "absolute"),
        (lambda c: c["criteria"][0].update(match={"$regex": "("}), "invalid regular expression"),
        (lambda c: c.update(timeout="soon"), "not a duration"),
    ],
)
def test_mistakes_are_refused_with_a_reason(mutation: object, error: str) -> None:
    spec = yaml.safe_load(FULL)
    mutation(spec)  # type: ignore[operator]
    with pytest.raises(SpecError, match=error):
        parse_check(spec)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(30, 30.0), ("30s", 30.0), ("2m", 120.0), ("1m30s", 90.0), ("500ms", 0.5), ("1h", 3600.0)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_watch_window_must_fit_in_the_timeout() -> None:
    spec = yaml.safe_load(FULL)
    spec["timeout"] = "3s"
    with pytest.raises(SpecError, match="watches for 5 s, longer than the check's timeout of 3 s"):
        parse_check(spec)
