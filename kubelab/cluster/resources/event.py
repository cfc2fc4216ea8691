"""Events in both API groups: ``v1`` Event and ``events.k8s.io/v1`` Event, one storage.

kube-apiserver stores a single Event type and serves it in two shapes. The core form (what
``kubectl get events`` and ``kubectl describe`` read) names the object ``involvedObject`` and the
text ``message``; the ``events.k8s.io`` form calls them ``regarding`` and ``note`` and keeps the
old counters as ``deprecated*`` fields. Here the core form is stored and the
``events.k8s.io/v1`` strategy converts with :meth:`EventsV1Strategy.to_storage` and
:meth:`EventsV1Strategy.from_storage`, as upstream's conversion functions do. Validation also
follows upstream: core events get the lenient legacy checks, events created through
``events.k8s.io`` the strict ones.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, ClassVar

from kubelab.cluster.api.errors import FieldError, invalid, required
from kubelab.cluster.resources.base import NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.fieldchecks import immutable, messages_at
from kubelab.cluster.resources.printing import since
from kubelab.cluster.resources.validation import dns1123_subdomain_errors, qualified_name_errors

REPORTING_INSTANCE_LIMIT = 128
ACTION_LIMIT = 128
REASON_LIMIT = 128
NOTE_LIMIT = 1024
EVENT_TYPES = ("Normal", "Warning")

_EVENT = "api.core.v1.Event"

#: Fields named alike in both forms (besides metadata).
_SHARED_FIELDS = ("eventTime", "series", "action", "reason", "related", "type")
#: ``events.k8s.io/v1`` name -> core ``v1`` name, for the renamed fields.
_RENAMED = {
    "regarding": "involvedObject",
    "note": "message",
    "reportingController": "reportingComponent",
    "reportingInstance": "reportingInstance",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
}
_REGARDING_FIELDS = (
    "kind",
    "namespace",
    "name",
    "uid",
    "apiVersion",
    "resourceVersion",
    "fieldPath",
)


def _is_set(value: Any) -> bool:
    return value not in (None, "", 0, {}, [])


def core_defaults(event: dict[str, Any]) -> None:
    """The fields the core form always carries, as Go serialises its zero values."""
    for key in ("involvedObject", "source"):
        if not isinstance(event.get(key), dict):
            event[key] = {}
    for key in ("reportingComponent", "reportingInstance"):
        event[key] = event.get(key) or ""
    for key in ("firstTimestamp", "lastTimestamp", "eventTime"):
        event.setdefault(key, None)


def to_core(event: dict[str, Any]) -> dict[str, Any]:
    """``Convert_v1_Event_To_core_Event``: an ``events.k8s.io/v1`` Event in the stored form."""
    core: dict[str, Any] = {"apiVersion": "v1", "kind": "Event"}
    core["metadata"] = copy.deepcopy(event.get("metadata") or {})
    for key in _SHARED_FIELDS:
        if _is_set(event.get(key)):
            core[key] = copy.deepcopy(event[key])
    for new_name, core_name in _RENAMED.items():
        if _is_set(event.get(new_name)):
            core[core_name] = copy.deepcopy(event[new_name])
    core_defaults(core)
    return core


def from_core(core: dict[str, Any]) -> dict[str, Any]:
    """``Convert_core_Event_To_v1_Event``: the stored form as ``events.k8s.io/v1`` shows it."""
    event: dict[str, Any] = {"apiVersion": "events.k8s.io/v1", "kind": "Event"}
    event["metadata"] = copy.deepcopy(core.get("metadata") or {})
    for key in _SHARED_FIELDS:
        if _is_set(core.get(key)):
            event[key] = copy.deepcopy(core[key])
    for new_name, core_name in _RENAMED.items():
        if _is_set(core.get(core_name)):
            event[new_name] = copy.deepcopy(core[core_name])
    event.setdefault("eventTime", None)
    event.setdefault("regarding", {})
    event.setdefault("deprecatedSource", {})
    event.setdefault("deprecatedFirstTimestamp", None)
    event.setdefault("deprecatedLastTimestamp", None)
    return event


# --- validation -------------------------------------------------------------------------------


def legacy_errors(core: dict[str, Any]) -> list[FieldError]:
    """``legacyValidateEvent``: what every Event must satisfy, whichever API wrote it."""
    errors: list[FieldError] = []
    namespace = core.get("metadata", {}).get("namespace", "")
    regarding = core.get("involvedObject") or {}
    regarding_namespace = regarding.get("namespace", "")
    mismatch = "does not match event.namespace"
    if not core.get("eventTime"):
        if not regarding_namespace:
            if namespace not in ("", "default"):
                errors.append(invalid("involvedObject.namespace", regarding_namespace, mismatch))
        elif namespace != regarding_namespace:
            errors.append(invalid("involvedObject.namespace", regarding_namespace, mismatch))
    else:
        if not regarding_namespace and namespace not in ("default", "kube-system"):
            errors.append(invalid("involvedObject.namespace", regarding_namespace, mismatch))
        controller = core.get("reportingComponent") or ""
        if not controller:
            errors.append(required("reportingController"))
        errors += messages_at("reportingController", controller, qualified_name_errors(controller))
        errors += _text_errors(core, "reportingInstance", REPORTING_INSTANCE_LIMIT, required_=True)
        errors += _text_errors(core, "action", ACTION_LIMIT, required_=True)
        errors += _text_errors(core, "reason", REASON_LIMIT, required_=True)
        errors += _text_errors(core, "message", NOTE_LIMIT, required_=False)
    return errors + messages_at("namespace", namespace, dns1123_subdomain_errors(namespace))


def _text_errors(core: dict[str, Any], key: str, limit: int, required_: bool) -> list[FieldError]:
    value = core.get(key) or ""
    errors = [required(key)] if required_ and not value else []
    if len(value) > limit:
        errors.append(invalid(key, "", f"can have at most {limit} characters"))
    return errors


def _series_errors(core: dict[str, Any]) -> list[FieldError]:
    series = core.get("series")
    if series is None:
        return []
    errors = []
    if (series.get("count") or 0) < 2:
        errors.append(invalid("series.count", "", "should be at least 2"))
    if not series.get("lastObservedTime"):
        errors.append(required("series.lastObservedTime"))
    return errors


def strict_errors(core: dict[str, Any]) -> list[FieldError]:
    """The checks upstream adds for Events created through ``events.k8s.io``."""
    errors = _series_errors(core)
    if not core.get("eventTime"):
        errors.append(required("eventTime"))
    kind = core.get("type") or ""
    if kind not in EVENT_TYPES:
        errors.append(invalid("type", "", f"has invalid value: {kind}"))
    for key in ("firstTimestamp", "lastTimestamp", "count", "source"):
        if _is_set(core.get(key)):
            errors.append(invalid(key, "", "needs to be unset"))
    return errors


#: What an ``events.k8s.io`` update may not change. ``reason`` is listed twice upstream, so a
#: changed reason is reported twice there too.
_IMMUTABLE_ON_UPDATE = (
    "involvedObject",
    "reason",
    "message",
    "source",
    "firstTimestamp",
    "lastTimestamp",
    "count",
    "reason",
    "type",
    "eventTime",
    "action",
    "related",
    "reportingComponent",
    "reportingInstance",
)
_INTERNAL_NAMES = {"reportingComponent": "reportingController"}


# --- printing -------------------------------------------------------------------------------


def _source_text(core: dict[str, Any]) -> str:
    """``formatEventSource``: ``component, host``, from the reporting fields when unset."""
    source = core.get("source") or {}
    component = source.get("component") or core.get("reportingComponent") or ""
    host = source.get("host") or core.get("reportingInstance") or ""
    return f"{component}, {host}" if host else component


def event_row(core: dict[str, Any], now: datetime) -> list[Any]:
    """``printEvent`` (wide, as the server prints it) for an Event in core form."""
    first = since(core.get("firstTimestamp"), now)
    if not core.get("firstTimestamp"):
        first = since(core.get("eventTime"), now)
    last = since(core["lastTimestamp"], now) if core.get("lastTimestamp") else first
    count = core.get("count") or 0
    series = core.get("series")
    if series is not None:
        last = since(series.get("lastObservedTime"), now)
        count = series.get("count") or 0
    elif count == 0:
        count = 1
    regarding = core.get("involvedObject") or {}
    kind = (regarding.get("kind") or "").lower()
    target = f"{kind}/{regarding['name']}" if regarding.get("name") else kind
    return [
        last,
        core.get("type", ""),
        core.get("reason", ""),
        target,
        regarding.get("fieldPath", ""),
        _source_text(core),
        (core.get("message") or "").strip(),
        first,
        count,
        core.get("metadata", {}).get("name", ""),
    ]


EVENT_COLUMNS = (
    Column("Last Seen", description=field_doc(_EVENT, "lastTimestamp")),
    Column("Type", description=field_doc(_EVENT, "type")),
    Column("Reason", description=field_doc(_EVENT, "reason")),
    Column("Object", description=field_doc(_EVENT, "involvedObject")),
    Column(
        "Subobject",
        priority=1,
        description=field_doc("api.core.v1.ObjectReference", "fieldPath"),
    ),
    Column("Source", priority=1, description=field_doc(_EVENT, "source")),
    Column("Message", description=field_doc(_EVENT, "message")),
    Column("First Seen", priority=1, description=field_doc(_EVENT, "firstTimestamp")),
    Column("Count", priority=1, description=field_doc(_EVENT, "count")),
    Column("Name", format="name", priority=1, description=NAME_COLUMN.description),
)


def core_field_values(core: dict[str, Any]) -> dict[str, str]:
    """``ToSelectableFields`` of a core Event (without the metadata fields)."""
    regarding = core.get("involvedObject") or {}
    values = {f"involvedObject.{key}": str(regarding.get(key) or "") for key in _REGARDING_FIELDS}
    values["reason"] = core.get("reason") or ""
    values["reportingComponent"] = core.get("reportingComponent") or ""
    values["source"] = (core.get("source") or {}).get("component") or values["reportingComponent"]
    values["type"] = core.get("type") or ""
    return values


class EventStrategy(ResourceStrategy):
    """``v1`` Events, the stored form."""

    kind = "Event"
    plural = "events"
    short_names = ("ev",)
    selectable_fields = (
        *(f"involvedObject.{key}" for key in _REGARDING_FIELDS),
        "reason",
        "reportingComponent",
        "source",
        "type",
    )
    columns = EVENT_COLUMNS

    def default(self, obj: dict[str, Any]) -> None:
        core_defaults(obj)

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return legacy_errors(obj)

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return legacy_errors(obj)

    def field_values(self, obj: dict[str, Any]) -> dict[str, str]:
        return {**super().field_values(obj), **core_field_values(obj)}

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return event_row(obj, now)


class EventsV1Strategy(ResourceStrategy):
    """``events.k8s.io/v1`` Events: served from the core Events' storage."""

    group = "events.k8s.io"
    kind = "Event"
    plural = "events"
    short_names = ("ev",)
    #: The storage key of core Events, which this resource shares.
    storage_key: ClassVar[str] = "/events"
    selectable_fields = (
        *(f"regarding.{key}" for key in _REGARDING_FIELDS),
        "reason",
        "reportingController",
        "type",
    )
    columns = EVENT_COLUMNS

    def to_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        return to_core(obj)

    def from_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        return from_core(obj)

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        core = to_core(obj)
        return legacy_errors(core) + strict_errors(core)

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        core, old_core = to_core(obj), to_core(old)
        errors = legacy_errors(core)
        if core.get("series") != old_core.get("series"):
            errors += _series_errors(core)
        for key in _IMMUTABLE_ON_UPDATE:
            path = _INTERNAL_NAMES.get(key, key)
            errors += immutable(path, core.get(key), old_core.get(key))
        return errors

    def field_values(self, obj: dict[str, Any]) -> dict[str, str]:
        core = core_field_values(to_core(obj))
        values = super().field_values(obj)
        for key in _REGARDING_FIELDS:
            values[f"regarding.{key}"] = core[f"involvedObject.{key}"]
        values["reason"] = core["reason"]
        values["reportingController"] = core["reportingComponent"]
        values["type"] = core["type"]
        return values

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return event_row(to_core(obj), now)


STRATEGIES = [EventStrategy(), EventsV1Strategy()]
