"""Events: both API shapes over one storage, their validation, printer and field selectors."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from kubelab.cluster.resources.event import EventStrategy, EventsV1Strategy, from_core, to_core

CORE = EventStrategy()
V1 = EventsV1Strategy()
NOW = datetime(2026, 1, 1, 0, 10, tzinfo=UTC)


def core_event(**fields) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": "web.1812a",
            "namespace": "lesson-03",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "involvedObject": {
            "kind": "Pod",
            "namespace": "lesson-03",
            "name": "web",
            "uid": "u-1",
            "apiVersion": "v1",
            "fieldPath": "spec.containers{web}",
        },
        "reason": "Pulled",
        "message": 'Successfully pulled image "nginx:1.27"',
        "source": {"component": "kubelet", "host": "kubelab"},
        "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2026-01-01T00:08:00Z",
        "count": 3,
        "type": "Normal",
        **fields,
    }


def v1_event(**fields) -> dict:
    return {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {
            "name": "web.1812b",
            "namespace": "lesson-03",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "eventTime": "2026-01-01T00:09:00.000000Z",
        "reportingController": "kubelab.io/checker",
        "reportingInstance": "checker-1",
        "action": "Check",
        "reason": "Passed",
        "note": "pods/first-pod passed",
        "type": "Normal",
        "regarding": {"kind": "Pod", "namespace": "lesson-03", "name": "web"},
        **fields,
    }


def test_identity_and_shared_storage():
    assert CORE.short_names == V1.short_names == ("ev",)
    assert V1.api_version == "events.k8s.io/v1"
    assert V1.storage_key == CORE.key == "/events"


def test_core_events_get_go_zero_values():
    obj = {"metadata": {"name": "e", "namespace": "d"}, "involvedObject": {"kind": "Pod"}}
    CORE.default(obj)
    assert obj["reportingComponent"] == obj["reportingInstance"] == ""
    assert obj["source"] == {}
    assert obj["eventTime"] is None


def test_core_printer():
    assert CORE.row(core_event(), NOW) == [
        "2m",
        "Normal",
        "Pulled",
        "pod/web",
        "spec.containers{web}",
        "kubelet, kubelab",
        'Successfully pulled image "nginx:1.27"',
        "10m",
        3,
        "web.1812a",
    ]


def test_printer_for_new_style_events():
    row = V1.row(
        v1_event(series={"count": 4, "lastObservedTime": "2026-01-01T00:09:30.000000Z"}), NOW
    )
    assert row == [
        "30s",
        "Normal",
        "Passed",
        "pod/web",
        "",
        "kubelab.io/checker, checker-1",
        "pods/first-pod passed",
        "60s",
        4,
        "web.1812b",
    ]
    single = copy.deepcopy(v1_event())
    assert V1.row(single, NOW)[0] == "60s"
    assert V1.row(single, NOW)[8] == 1


def test_conversion_round_trip():
    new = v1_event(deprecatedCount=2)
    core = to_core(new)
    assert core["involvedObject"] == new["regarding"]
    assert core["message"] == new["note"]
    assert core["reportingComponent"] == "kubelab.io/checker"
    assert core["count"] == 2
    assert core["apiVersion"] == "v1"
    back = from_core(core)
    assert back["note"] == new["note"]
    assert back["regarding"] == new["regarding"]
    assert back["deprecatedCount"] == 2
    assert back["deprecatedSource"] == {}
    assert back["deprecatedFirstTimestamp"] is None
    served = from_core(core_event())
    assert served["deprecatedSource"] == {"component": "kubelet", "host": "kubelab"}
    assert served["eventTime"] is None


def test_core_events_get_the_lenient_checks():
    assert CORE.validate(core_event()) == []
    wrong = core_event()
    wrong["involvedObject"]["namespace"] = "other"
    assert [str(e) for e in CORE.validate(wrong)] == [
        'involvedObject.namespace: Invalid value: "other": does not match event.namespace'
    ]


def test_events_k8s_io_events_get_the_strict_checks():
    assert V1.validate(v1_event()) == []
    bad = v1_event(type="Info", eventTime=None, deprecatedCount=1)
    assert [str(e) for e in V1.validate(bad)] == [
        "eventTime: Required value",
        'type: Invalid value: "": has invalid value: Info',
        'count: Invalid value: "": needs to be unset',
    ]


def test_new_style_events_need_their_reporting_fields():
    errors = [str(e) for e in V1.validate(v1_event(reportingController="", action=""))]
    assert errors[0] == "reportingController: Required value"
    assert errors[1].startswith('reportingController: Invalid value: "": name part')
    assert errors[-1] == "action: Required value"


def test_events_k8s_io_updates_keep_the_event_fixed():
    old = v1_event()
    new = v1_event(reason="Failed", series={"count": 1, "lastObservedTime": "2026-01-01T00:09:00Z"})
    assert [str(e) for e in V1.validate_update(new, old)] == [
        'series.count: Invalid value: "": should be at least 2',
        'reason: Invalid value: "Failed": field is immutable',
        'reason: Invalid value: "Failed": field is immutable',
    ]
    assert CORE.validate_update(core_event(reason="Other"), core_event()) == []


def test_field_selectors():
    values = CORE.field_values(core_event())
    assert values["involvedObject.name"] == "web"
    assert values["involvedObject.uid"] == "u-1"
    assert values["source"] == "kubelet"
    assert values["type"] == "Normal"
    new_style = V1.field_values(v1_event())
    assert new_style["regarding.name"] == "web"
    assert new_style["reportingController"] == "kubelab.io/checker"
    assert new_style["metadata.namespace"] == "lesson-03"
