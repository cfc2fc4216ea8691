"""CustomResourceDefinitions (``customresourcedefinitions.apiextensions.k8s.io``).

A CRD teaches the API server a new kind: its group, names, scope and versions, each version
with a structural schema, subresources and printer columns. This module is the kind itself:
the defaults and the validation kube-apiserver applies (the name must be
``<plural>.<group>``, exactly one storage version, a structural schema for every version, the
``x-kubernetes-*`` rules), the ``status`` it keeps (accepted names, conditions, stored
versions) and deletion: a CRD being deleted turns ``Terminating`` and keeps the
``customresourcecleanup.apiextensions.k8s.io`` finalizer until its custom resources are gone.

Serving the new kind is done elsewhere: :mod:`kubelab.cluster.resources.custom` registers it
once the CRD controller (:mod:`kubelab.cluster.controllers.crd`) has accepted its names.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from kubelab.cluster.api import structural
from kubelab.cluster.api.errors import (
    FieldError,
    forbidden_field,
    invalid,
    not_supported,
    required,
)
from kubelab.cluster.resources.base import Column, ResourceStrategy
from kubelab.cluster.resources.columns import CREATED_AT_COLUMN, created_at, field_doc
from kubelab.cluster.resources.fieldchecks import immutable
from kubelab.cluster.resources.validation import dns1035_label_errors, dns1123_subdomain_errors

GROUP = "apiextensions.k8s.io"
CRDS = (GROUP, "v1", "customresourcedefinitions")
#: Holds a deleted CRD until the CRD controller has deleted its custom resources.
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
#: The annotation CRDs in the protected ``*.k8s.io`` groups must carry.
API_APPROVAL_ANNOTATION = "api-approved.kubernetes.io"

NAMES_ACCEPTED, ESTABLISHED, TERMINATING = "NamesAccepted", "Established", "Terminating"
SCOPES = ["Cluster", "Namespaced"]
COLUMN_TYPES = ["boolean", "date", "integer", "number", "string"]
COLUMN_FORMATS = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"]
CONVERSION_STRATEGIES = ["None", "Webhook"]
CONVERSION_REVIEW_VERSIONS = ("v1", "v1beta1")
MAX_SELECTABLE_FIELDS = 8

_META = "apimachinery.pkg.apis.meta.v1.ObjectMeta"


# --- reading a CRD ---------------------------------------------------------------------------


def spec_of(crd: dict[str, Any]) -> dict[str, Any]:
    spec = crd.get("spec")
    return spec if isinstance(spec, dict) else {}


def versions_of(crd: dict[str, Any]) -> list[dict[str, Any]]:
    versions = spec_of(crd).get("versions")
    return [v for v in versions if isinstance(v, dict)] if isinstance(versions, list) else []


def storage_version(crd: dict[str, Any]) -> str:
    """The version custom resources are stored in (the one marked ``storage``)."""
    return next((v.get("name", "") for v in versions_of(crd) if v.get("storage")), "")


def version_schema(version: dict[str, Any]) -> dict[str, Any] | None:
    schema = (version.get("schema") or {}).get("openAPIV3Schema")
    return schema if isinstance(schema, dict) else None


def version_subresources(version: dict[str, Any]) -> dict[str, Any]:
    found = version.get("subresources")
    return found if isinstance(found, dict) else {}


def conditions_of(crd: dict[str, Any]) -> list[dict[str, Any]]:
    found = (crd.get("status") or {}).get("conditions")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def condition(crd: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((c for c in conditions_of(crd) if c.get("type") == kind), None)


def condition_true(crd: dict[str, Any], kind: str) -> bool:
    found = condition(crd, kind)
    return found is not None and found.get("status") == "True"


def set_condition(crd: dict[str, Any], new: dict[str, Any], now: str) -> None:
    """Add or update a condition; its ``lastTransitionTime`` moves only when its status does."""
    status = crd.setdefault("status", {})
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    existing = next((c for c in conditions if c.get("type") == new["type"]), None)
    if existing is None:
        conditions.append({**new, "lastTransitionTime": now})
    else:
        if existing.get("status") != new["status"] or not existing.get("lastTransitionTime"):
            existing["lastTransitionTime"] = now
        existing.update({k: new[k] for k in ("status", "reason", "message")})
    status["conditions"] = conditions


def is_terminating(crd: dict[str, Any]) -> bool:
    return bool(crd.get("metadata", {}).get("deletionTimestamp")) or condition_true(
        crd, TERMINATING
    )


# --- the kind --------------------------------------------------------------------------------


class CustomResourceDefinitionStrategy(ResourceStrategy):
    group = GROUP
    kind = "CustomResourceDefinition"
    plural = "customresourcedefinitions"
    namespaced = False
    short_names = ("crd", "crds")
    categories = ("api-extensions",)
    subresources = ("status",)
    columns = (
        Column("Name", format="name", description=field_doc(_META, "name")),
        Column("Scope", description="Cluster/Namespaced"),
        Column("Versions", description="Served versions"),
        CREATED_AT_COLUMN,
        Column("Group", priority=1, description="API group"),
        Column("Kind", priority=1, description="CustomResource kind"),
        Column("ShortNames", priority=1, description="Short names"),
        Column("Established", type="boolean", priority=1, description="Established status"),
    )

    def default(self, obj: dict[str, Any]) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        names = spec.get("names")
        if isinstance(names, dict) and names.get("kind"):
            if not names.get("singular"):
                names["singular"] = str(names["kind"]).lower()
            if not names.get("listKind"):
                names["listKind"] = f"{names['kind']}List"
        if not spec.get("conversion"):
            spec["conversion"] = {"strategy": "None"}
        webhook = (spec.get("conversion") or {}).get("webhook") or {}
        service = (webhook.get("clientConfig") or {}).get("service")
        if isinstance(service, dict) and service.get("port") is None:
            service["port"] = 443

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        stored = storage_version(obj)
        obj["status"] = {
            "acceptedNames": {"kind": "", "plural": ""},
            "conditions": None,
            "storedVersions": [stored] if stored else [],
        }

    def prepare_for_update(self, obj: dict[str, Any], old: dict[str, Any]) -> None:
        obj["status"] = copy.deepcopy(old.get("status") or {})
        stored = storage_version(obj)
        versions = obj["status"].setdefault("storedVersions", [])
        if stored and stored not in versions:
            versions.append(stored)

    def prepare_for_status_update(self, obj: dict[str, Any], old: dict[str, Any]) -> None:
        """Status writes keep the stored spec; unlike most kinds, metadata (the finalizers
        the CRD controller removes) may change with them."""
        obj["spec"] = copy.deepcopy(old.get("spec"))

    # -- validation

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return _crd_errors(obj, None)

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return _crd_errors(obj, old)

    def validate_status_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        status = obj.get("status") or {}
        return names_errors(status.get("acceptedNames") or {}, "status.acceptedNames")

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        found = []
        for version in versions_of(obj):
            schema = version_schema(version)
            found += [
                f'unrecognized format "{f}"' for f in structural.unrecognized_formats(schema or {})
            ]
            for node in structural.walk(schema):
                element = structural.items(node) or {}
                if node.get("x-kubernetes-list-type") == "set" and element.get("type") in (
                    "object",
                    "array",
                ):
                    found.append(
                        f'x-kubernetes-list-type: set for items of type "{element["type"]}" is '
                        "not supported by server-side apply or CEL validation rules"
                    )
        return list(dict.fromkeys(found))

    # -- deletion: Terminating until the custom resources are gone

    def deletion_blocked(self, obj: dict[str, Any]) -> bool:
        return not obj.get("metadata", {}).get("deletionTimestamp")

    def on_delete(self, obj: dict[str, Any]) -> None:
        meta = obj.setdefault("metadata", {})
        meta.pop("deletionGracePeriodSeconds", None)
        finalizers = meta.setdefault("finalizers", [])
        if CLEANUP_FINALIZER not in finalizers:
            finalizers.append(CLEANUP_FINALIZER)
        set_condition(
            obj,
            {
                "type": TERMINATING,
                "status": "True",
                "reason": "InstanceDeletionPending",
                "message": "CustomResourceDefinition marked for deletion; CustomResource "
                "deletion will begin soon",
            },
            meta.get("deletionTimestamp", ""),
        )

    # -- printing

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec = spec_of(obj)
        served = sorted(
            f"{v.get('name', '')}(storage)" if v.get("storage") else v.get("name", "")
            for v in versions_of(obj)
            if v.get("served")
        )
        names = spec.get("names") or {}
        return [
            obj["metadata"]["name"],
            spec.get("scope", ""),
            ",".join(served),
            created_at(obj),
            spec.get("group", ""),
            names.get("kind", ""),
            ",".join(names.get("shortNames") or []),
            condition_true(obj, ESTABLISHED),
        ]


STRATEGIES = [CustomResourceDefinitionStrategy()]


# --- validation ------------------------------------------------------------------------------


def _crd_errors(obj: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    """``ValidateCustomResourceDefinition`` (and its update variant), in upstream's order."""
    meta = obj.get("metadata") or {}
    spec = spec_of(obj)
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    found: list[FieldError] = []
    wanted = f"{names.get('plural', '')}.{spec.get('group', '')}"
    if old is None and meta.get("name") and meta["name"] != wanted:
        found.append(
            invalid("metadata.name", meta["name"], 'must be spec.names.plural+"."+spec.group')
        )
    found += spec_errors(spec)
    if old is not None:
        found += _update_errors(spec, spec_of(old), condition_true(old, ESTABLISHED))
    status = obj.get("status") or {}
    found += names_errors(status.get("acceptedNames") or {}, "status.acceptedNames")
    found += stored_versions_errors(status.get("storedVersions") or [], versions_of(obj))
    found += _approval_errors(obj, old)
    if spec.get("preserveUnknownFields") and not (
        old and spec_of(old).get("preserveUnknownFields")
    ):
        found.append(
            invalid(
                "spec.preserveUnknownFields",
                True,
                "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in "
                "spec.versions[*].schema instead",
            )
        )
    return found


def _update_errors(
    spec: dict[str, Any], old: dict[str, Any], established: bool
) -> list[FieldError]:
    found: list[FieldError] = []
    names, old_names = spec.get("names") or {}, old.get("names") or {}
    if established:
        found += immutable("spec.scope", spec.get("scope"), old.get("scope"))
        found += immutable("spec.names.kind", names.get("kind"), old_names.get("kind"))
    found += immutable("spec.group", spec.get("group"), old.get("group"))
    found += immutable("spec.names.plural", names.get("plural"), old_names.get("plural"))
    return found


def spec_errors(spec: dict[str, Any]) -> list[FieldError]:
    found: list[FieldError] = []
    group = spec.get("group") or ""
    if not group:
        found.append(required("spec.group"))
    elif problems := dns1123_subdomain_errors(group):
        found.append(invalid("spec.group", group, ",".join(problems)))
    elif len(group.split(".")) < 2:
        found.append(invalid("spec.group", group, "should be a domain with at least one dot"))
    scope = spec.get("scope") or ""
    if not scope:
        found.append(required("spec.scope"))
    elif scope not in SCOPES:
        found.append(not_supported("spec.scope", scope, SCOPES))
    versions = spec.get("versions") if isinstance(spec.get("versions"), list) else []
    for position, version in enumerate(versions):
        if not isinstance(version, dict) or version_schema(version) is None:
            found.append(required(f"spec.versions[{position}].schema.openAPIV3Schema"))
    seen: set[str] = set()
    unique = True
    for position, version in enumerate(versions):
        if not isinstance(version, dict):
            continue
        name = version.get("name") or ""
        unique = unique and name not in seen
        seen.add(name)
        if problems := dns1035_label_errors(name):
            found.append(invalid(f"spec.versions[{position}].name", name, ",".join(problems)))
        found += version_errors(version, f"spec.versions[{position}]")
    if not unique:
        found.append(invalid("spec.versions", versions, "must contain unique version names"))
    if sum(1 for v in versions if isinstance(v, dict) and v.get("storage")) != 1:
        found.append(
            invalid(
                "spec.versions", versions, "must have exactly one version marked as storage version"
            )
        )
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    for field in ("plural", "singular", "kind", "listKind"):
        if not names.get(field):
            found.append(required(f"spec.names.{field}"))
    found += names_errors(names, "spec.names")
    found += conversion_errors(spec.get("conversion"))
    return found


def names_errors(names: dict[str, Any], path: str) -> list[FieldError]:
    """``ValidateCustomResourceDefinitionNames``: every name a DNS-1035 label (kinds in any
    case), and a kind distinct from its list kind."""
    found: list[FieldError] = []
    for field in ("plural", "singular"):
        value = names.get(field) or ""
        if value and (problems := dns1035_label_errors(value)):
            found.append(invalid(f"{path}.{field}", value, ",".join(problems)))
    for field in ("kind", "listKind"):
        value = names.get(field) or ""
        if value and (problems := dns1035_label_errors(value.lower())):
            found.append(
                invalid(
                    f"{path}.{field}",
                    value,
                    "may have mixed case, but should otherwise match: " + ",".join(problems),
                )
            )
    for position, short in enumerate(names.get("shortNames") or []):
        if problems := dns1035_label_errors(str(short)):
            found.append(invalid(f"{path}.shortNames[{position}]", short, ",".join(problems)))
    kind = names.get("kind") or ""
    if kind and kind == names.get("listKind"):
        found.append(invalid(f"{path}.listKind", kind, "kind and listKind may not be the same"))
    for position, category in enumerate(names.get("categories") or []):
        if problems := dns1035_label_errors(str(category)):
            found.append(invalid(f"{path}.categories[{position}]", category, ",".join(problems)))
    return found


def version_errors(version: dict[str, Any], path: str) -> list[FieldError]:
    found: list[FieldError] = []
    warning = version.get("deprecationWarning")
    if warning is not None:
        for problem in _deprecation_warning_errors(bool(version.get("deprecated")), warning):
            found.append(invalid(f"{path}.deprecationWarning", warning, problem))
    subresources = version_subresources(version)
    schema = version_schema(version)
    if schema is not None:
        found += structural.schema_errors(
            schema, f"{path}.schema.openAPIV3Schema", "status" in subresources
        )
    found += subresources_errors(subresources, f"{path}.subresources")
    for position, column in enumerate(version.get("additionalPrinterColumns") or []):
        if isinstance(column, dict):
            found += column_errors(column, f"{path}.additionalPrinterColumns[{position}]")
    selectable = version.get("selectableFields") or []
    if selectable:
        found += selectable_field_errors(selectable, schema, f"{path}.selectableFields")
    return found


def _deprecation_warning_errors(deprecated: bool, warning: str) -> list[str]:
    if not deprecated:
        return ["can only be set for deprecated versions"]
    problems = []
    if len(warning) > 256:
        problems.append("must be <= 256 characters long")
    if not warning:
        problems.append("must not be an empty string")
    for position, character in enumerate(warning):
        if not character.isprintable():
            problems.append(
                "must only contain printable UTF-8 characters; non-printable character found "
                f"at index {position}"
            )
            break
    return problems


def _simple_json_path_errors(value: str, path: str) -> list[FieldError]:
    if not value:
        return [invalid(path, value, "must not be empty")]
    if not value.startswith("."):
        return [invalid(path, value, "must be a simple json path starting with .")]
    return []


def subresources_errors(subresources: dict[str, Any], path: str) -> list[FieldError]:
    scale = subresources.get("scale")
    if not isinstance(scale, dict):
        return []
    found: list[FieldError] = []
    for field, prefix, where in (
        ("specReplicasPath", ".spec.", "should be a json path under .spec"),
        ("statusReplicasPath", ".status.", "should be a json path under .status"),
    ):
        value = scale.get(field) or ""
        field_path = f"{path}.scale.{field}"
        if not value:
            found.append(required(field_path))
        elif problems := _simple_json_path_errors(value, field_path):
            found += problems
        elif not value.startswith(prefix):
            found.append(invalid(field_path, value, where))
    selector = scale.get("labelSelectorPath")
    if selector:
        field_path = f"{path}.scale.labelSelectorPath"
        if problems := _simple_json_path_errors(selector, field_path):
            found += problems
        elif not selector.startswith((".spec.", ".status.")):
            found.append(
                invalid(field_path, selector, "should be a json path under either .spec or .status")
            )
    return found


def column_errors(column: dict[str, Any], path: str) -> list[FieldError]:
    found: list[FieldError] = []
    if not column.get("name"):
        found.append(required(f"{path}.name"))
    kinds = f"must be one of {','.join(COLUMN_TYPES)}"
    kind = column.get("type") or ""
    if not kind:
        found.append(required(f"{path}.type", kinds))
    elif kind not in COLUMN_TYPES:
        found.append(invalid(f"{path}.type", kind, kinds))
    formatted = column.get("format") or ""
    if formatted and formatted not in COLUMN_FORMATS:
        found.append(
            invalid(f"{path}.format", formatted, f"must be one of {','.join(COLUMN_FORMATS)}")
        )
    json_path = column.get("jsonPath") or ""
    if not json_path:
        found.append(required(f"{path}.JSONPath"))
    else:
        found += _simple_json_path_errors(json_path, f"{path}.JSONPath")
    return found


def selectable_field_errors(
    fields: list[Any], schema: dict[str, Any] | None, path: str
) -> list[FieldError]:
    found: list[FieldError] = []
    if schema is None:
        return [
            invalid(
                path, "", "may only be set when `version.schema.openAPIV3Schema` is not included"
            )
        ]
    seen: set[str] = set()
    for position, entry in enumerate(fields):
        entry_path = f"{path}[{position}].jsonPath"
        json_path = (entry or {}).get("jsonPath") if isinstance(entry, dict) else ""
        if not json_path:
            found.append(required(entry_path))
            continue
        resolved = structural.resolve_field_path(json_path, schema)
        if resolved is None or "[" in resolved:
            found.append(
                invalid(
                    entry_path, json_path, "is an invalid path: does not refer to a valid field"
                )
            )
            continue
        if resolved.split(".")[0] == "metadata":
            found.append(invalid(entry_path, json_path, "must not point to fields in metadata"))
        node = _schema_at(schema, resolved)
        if (node or {}).get("type") not in ("string", "boolean", "integer"):
            found.append(
                invalid(
                    entry_path,
                    json_path,
                    "must point to a field of type string, boolean or integer. Enum string "
                    "fields and strings with formats are allowed.",
                )
            )
        if resolved in seen:
            found.append(FieldError("FieldValueDuplicate", entry_path, json_path))
        seen.add(resolved)
    if len(seen) > MAX_SELECTABLE_FIELDS:
        found.append(
            FieldError(
                "FieldValueTooMany",
                path,
                detail=f"{len(seen)}: must have at most {MAX_SELECTABLE_FIELDS} items",
            )
        )
    return found


def _schema_at(schema: dict[str, Any], dotted: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = schema
    for part in dotted.split("."):
        _, node = structural.field_schema(node, part)
        if node is None:
            return None
    return node


def conversion_errors(conversion: Any) -> list[FieldError]:
    if not isinstance(conversion, dict):
        return []
    found: list[FieldError] = []
    strategy = conversion.get("strategy") or ""
    if not strategy:
        found.append(required("spec.conversion.strategy"))
    elif strategy not in CONVERSION_STRATEGIES:
        found.append(not_supported("spec.conversion.strategy", strategy, CONVERSION_STRATEGIES))
    webhook = conversion.get("webhook") if isinstance(conversion.get("webhook"), dict) else None
    if strategy == "Webhook":
        client = (webhook or {}).get("clientConfig")
        if not isinstance(client, dict):
            found.append(
                required(
                    "spec.conversion.webhookClientConfig",
                    "required when strategy is set to Webhook",
                )
            )
        elif bool(client.get("url")) == bool(client.get("service")):
            found.append(
                required(
                    "spec.conversion.webhookClientConfig",
                    "exactly one of url or service is required",
                )
            )
        reviews = (webhook or {}).get("conversionReviewVersions") or []
        if not reviews:
            found.append(required("spec.conversion.conversionReviewVersions"))
        elif not any(v in CONVERSION_REVIEW_VERSIONS for v in reviews):
            found.append(
                invalid(
                    "spec.conversion.conversionReviewVersions",
                    reviews,
                    "must include at least one of v1, v1beta1",
                )
            )
    elif webhook is not None:
        if webhook.get("clientConfig") is not None:
            found.append(
                forbidden_field(
                    "spec.conversion.webhookClientConfig",
                    "should not be set when strategy is not set to Webhook",
                )
            )
        if webhook.get("conversionReviewVersions"):
            found.append(
                forbidden_field(
                    "spec.conversion.conversionReviewVersions",
                    "should not be set when strategy is not set to Webhook",
                )
            )
    return found


def stored_versions_errors(stored: list[Any], versions: list[dict[str, Any]]) -> list[FieldError]:
    path = "status.storedVersions"
    if not stored:
        return [invalid(path, stored, "must have at least one stored version")]
    found: list[FieldError] = []
    remaining = {name: position for position, name in enumerate(stored)}
    for version in versions:
        name = version.get("name")
        if version.get("storage") and name not in remaining:
            found.append(invalid(path, stored, f"must have the storage version {name}"))
        remaining.pop(name, None)
    for name, position in remaining.items():
        found.append(
            invalid(
                f"{path}[{position}]",
                name,
                f"missing from spec.versions; {name} was previously a storage version, and must "
                f"remain in spec.versions until a storage migration ensures no data remains "
                f"persisted in {name} and removes {name} from status.storedVersions",
            )
        )
    return found


def _protected(group: str) -> bool:
    return any(group == d or group.endswith("." + d) for d in ("k8s.io", "kubernetes.io"))


def _approval_state(annotations: dict[str, Any]) -> tuple[str, str]:
    value = str(annotations.get(API_APPROVAL_ANNOTATION) or "")
    if not value:
        return (
            "missing",
            f'protected groups must have approval annotation "{API_APPROVAL_ANNOTATION}", see '
            "https://github.com/kubernetes/enhancements/pull/1111",
        )
    if value.startswith("unapproved"):
        return "bypassed", f"not approved: {json.dumps(value)}"
    scheme, _, rest = value.partition("://")
    if scheme and rest and "/" not in scheme and rest.split("/")[0]:
        return "approved", f"approved in {value}"
    return (
        "invalid",
        f'protected groups must have approval annotation "{API_APPROVAL_ANNOTATION}" with either '
        'a URL or a reason starting with "unapproved", see '
        "https://github.com/kubernetes/enhancements/pull/1111",
    )


def _approval_errors(obj: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    if not _protected(spec_of(obj).get("group") or ""):
        return []
    annotations = obj.get("metadata", {}).get("annotations") or {}
    state, reason = _approval_state(annotations)
    if old is not None:
        old_state, _ = _approval_state(old.get("metadata", {}).get("annotations") or {})
        if old_state == state:
            return []
    path = f"metadata.annotations[{API_APPROVAL_ANNOTATION}]"
    if state == "missing":
        return [required(path, reason)]
    if state == "invalid":
        return [invalid(path, annotations.get(API_APPROVAL_ANNOTATION), reason)]
    return []
