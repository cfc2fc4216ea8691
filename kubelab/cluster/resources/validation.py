"""Validation helpers shared by the kinds: names, labels, annotations and object metadata.

The rules and message texts are those of apimachinery's ``pkg/util/validation`` and
``pkg/api/validation``, so a learner sees exactly what a real cluster would say.
"""

from __future__ import annotations

import re
from typing import Any

from kubelab.cluster.api.errors import FieldError, invalid, required, too_long

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
DNS1035_LABEL_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
QUALIFIED_NAME_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
    "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


#: Names that would climb the URL path they sit in, and characters that would split it.
NAME_MAY_NOT_BE = (".", "..")
NAME_MAY_NOT_CONTAIN = ("/", "%")


def path_segment_errors(name: str) -> list[str]:
    """``IsValidPathSegmentName``: what any object name must satisfy to sit in a URL path."""
    if name in NAME_MAY_NOT_BE:
        return [f"may not be '{name}'"]
    return [f"may not contain '{part}'" for part in NAME_MAY_NOT_CONTAIN if part in name]


def dns1123_label_errors(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_LABEL_MAX:
        errors.append(f"must be no more than {DNS1123_LABEL_MAX} characters")
    if not _DNS1123_LABEL.match(value):
        errors.append(DNS1123_LABEL_MSG)
    return errors


def dns1123_subdomain_errors(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errors.append(f"must be no more than {DNS1123_SUBDOMAIN_MAX} characters")
    if not _DNS1123_SUBDOMAIN.match(value):
        errors.append(DNS1123_SUBDOMAIN_MSG)
    return errors


def dns1035_label_errors(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_LABEL_MAX:
        errors.append(f"must be no more than {DNS1123_LABEL_MAX} characters")
    if not _DNS1035_LABEL.match(value):
        errors.append(DNS1035_LABEL_MSG)
    return errors


def qualified_name_errors(value: str) -> list[str]:
    """``IsQualifiedName``: an optional DNS subdomain prefix and a name part of 63 at most."""
    prefix, slash, name = value.rpartition("/")
    errors = []
    if slash:
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors += ["prefix part " + e for e in dns1123_subdomain_errors(prefix)]
    if not name:
        errors.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errors.append("name part must be no more than 63 characters")
        if not _QUALIFIED_NAME.match(name):
            errors.append(QUALIFIED_NAME_MSG)
    return errors


def label_value_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(value):
        errors.append(LABEL_VALUE_MSG)
    return errors


def validate_labels(labels: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(labels, dict):
        return errors
    for key, value in labels.items():
        for message in qualified_name_errors(str(key)):
            errors.append(invalid(path, key, message))
        for message in label_value_errors(str(value)):
            errors.append(invalid(path, value, message))
    return errors


TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def validate_annotations(annotations: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(annotations, dict):
        return errors
    total = 0
    for key, value in annotations.items():
        for message in qualified_name_errors(str(key).lower()):
            errors.append(invalid(path, key, message))
        total += len(str(key)) + len(str(value))
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errors.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errors


def validate_object_meta(
    meta: dict[str, Any], namespaced: bool, name_rule: str = "subdomain"
) -> list[FieldError]:
    """``ValidateObjectMeta``: name (or generateName), namespace, labels, annotations."""
    errors: list[FieldError] = []
    name = meta.get("name")
    if not name:
        if not meta.get("generateName"):
            errors.append(required("metadata.name", "name or generateName is required"))
    else:
        check = {
            "subdomain": dns1123_subdomain_errors,
            "label": dns1123_label_errors,
            "dns1035": dns1035_label_errors,
            "path_segment": path_segment_errors,
        }[name_rule]
        for message in check(name):
            errors.append(invalid("metadata.name", name, message))
    if namespaced and not meta.get("namespace"):
        errors.append(required("metadata.namespace"))
    errors += validate_labels(meta.get("labels"), "metadata.labels")
    errors += validate_annotations(meta.get("annotations"), "metadata.annotations")
    return errors
