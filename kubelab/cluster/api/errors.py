"""API errors as ``metav1.Status`` objects, with kube-apiserver's codes, reasons and texts.

Every failure a client can see is raised as an :class:`APIError` and rendered by the HTTP layer,
so a request never ends in a traceback. Message templates follow apimachinery's
``pkg/api/errors`` and field errors follow ``pkg/util/validation/field``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def status_object(
    code: int,
    reason: str,
    message: str,
    details: dict[str, Any] | None = None,
    status: str = "Failure",
) -> dict[str, Any]:
    """A ``Status`` body as kube-apiserver sends it."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": status,
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details is not None:
        body["details"] = details
    if not reason:
        del body["reason"]
    return body


class APIError(Exception):
    """An error response: an HTTP code and the Status object that explains it."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        return status_object(self.code, self.reason, self.message, self.details)


def qualified_resource(group: str, plural: str) -> str:
    """``pods`` for the core group, ``deployments.apps`` otherwise (a GroupResource string)."""
    return f"{plural}.{group}" if group else plural


def qualified_kind(group: str, kind: str) -> str:
    """``Pod`` for the core group, ``Deployment.apps`` otherwise (a GroupKind string)."""
    return f"{kind}.{group}" if group else kind


def _details(group: str, plural: str, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return details


def not_found(group: str, plural: str, name: str) -> APIError:
    resource = qualified_resource(group, plural)
    return APIError(
        404, "NotFound", f'{resource} "{name}" not found', _details(group, plural, name)
    )


def already_exists(group: str, plural: str, name: str) -> APIError:
    resource = qualified_resource(group, plural)
    return APIError(
        409, "AlreadyExists", f'{resource} "{name}" already exists', _details(group, plural, name)
    )


def conflict(group: str, plural: str, name: str, why: str) -> APIError:
    resource = qualified_resource(group, plural)
    return APIError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {resource} "{name}": {why}',
        _details(group, plural, name),
    )


OBJECT_MODIFIED = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def bad_request(message: str) -> APIError:
    return APIError(400, "BadRequest", message)


def unauthorized() -> APIError:
    return APIError(401, "Unauthorized", "Unauthorized")


def forbidden(message: str, group: str = "", plural: str = "", name: str = "") -> APIError:
    details = _details(group, plural, name) if plural else None
    return APIError(403, "Forbidden", message, details)


def method_not_allowed(verb: str, kind: str) -> APIError:
    return APIError(
        405, "MethodNotAllowed", f'{verb} is not supported on resources of kind "{kind}"'
    )


def gone(message: str) -> APIError:
    return APIError(410, "Expired", message)


def unsupported_media_type(content_type: str) -> APIError:
    return APIError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + content_type,
    )


def entity_too_large(limit: int) -> APIError:
    return APIError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def not_acceptable(message: str) -> APIError:
    return APIError(406, "NotAcceptable", message)


def internal_error(message: str) -> APIError:
    return APIError(500, "InternalError", f"Internal error occurred: {message}")


# --- field errors -------------------------------------------------------------------------

REQUIRED = "FieldValueRequired"
INVALID = "FieldValueInvalid"
NOT_SUPPORTED = "FieldValueNotSupported"
DUPLICATE = "FieldValueDuplicate"
FORBIDDEN = "FieldValueForbidden"
TOO_LONG = "FieldValueTooLong"
TOO_MANY = "FieldValueTooMany"
NOT_FOUND = "FieldValueNotFound"
TYPE_INVALID = "FieldValueTypeInvalid"

_TYPE_TEXT = {
    REQUIRED: "Required value",
    INVALID: "Invalid value",
    NOT_SUPPORTED: "Unsupported value",
    DUPLICATE: "Duplicate value",
    FORBIDDEN: "Forbidden",
    TOO_LONG: "Too long",
    TOO_MANY: "Too many",
    NOT_FOUND: "Not found",
    TYPE_INVALID: "Invalid value",
}

#: Types whose body omits the offending value, as upstream's ``ErrorBody`` does.
_VALUELESS = {REQUIRED, FORBIDDEN, TOO_LONG, TOO_MANY}

_OMIT = object()


def render_value(value: Any) -> str:
    """Print a bad value the way Go's field errors do: strings quoted, numbers bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return "null"
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


@dataclass
class FieldError:
    """One validation failure at a field path (a ``field.Error``)."""

    type: str
    field: str
    value: Any = _OMIT
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def body(self) -> str:
        text = _TYPE_TEXT[self.type]
        if self.type not in _VALUELESS and self.value is not _OMIT:
            text = f"{text}: {render_value(self.value)}"
        if self.detail:
            text = f"{text}: {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}" if self.field else self.body()

    def cause(self) -> dict[str, Any]:
        return {"reason": self.type, "message": self.body(), "field": self.field}


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(REQUIRED, path, detail=detail)


def invalid(path: str, value: Any, detail: str = "") -> FieldError:
    return FieldError(INVALID, path, value, detail)


def not_supported(path: str, value: Any, supported: list[str]) -> FieldError:
    listed = ", ".join(json.dumps(s) for s in supported)
    return FieldError(NOT_SUPPORTED, path, value, f"supported values: {listed}")


def duplicate(path: str, value: Any) -> FieldError:
    return FieldError(DUPLICATE, path, value)


def forbidden_field(path: str, detail: str) -> FieldError:
    return FieldError(FORBIDDEN, path, detail=detail)


def too_long(path: str, limit: int) -> FieldError:
    return FieldError(TOO_LONG, path, detail=f"may not be more than {limit} bytes")


def invalid_object(group: str, kind: str, name: str, errors: list[FieldError]) -> APIError:
    """The 422 ``Invalid`` error for a list of field errors (``errors.NewInvalid``)."""
    listed = ", ".join(str(e) for e in errors)
    summary = listed if len(errors) == 1 else f"[{listed}]"
    details: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "causes": [e.cause() for e in errors],
    }
    if group:
        details["group"] = group
    return APIError(
        422, "Invalid", f'{qualified_kind(group, kind)} "{name}" is invalid: {summary}', details
    )
