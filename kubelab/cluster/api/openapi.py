"""The OpenAPI documents kube-apiserver publishes: v3 per group-version, and v2 for everything.

kubectl will not ``create -f`` or ``apply`` without them: it reads the group-version document
to find the PATCH operation of a kind (whose ``x-kubernetes-group-version-kind`` extension and
``fieldValidation`` parameter decide whether the server validates fields, and whose
``application/strategic-merge-patch+json`` body type decides whether ``apply`` sends a
strategic merge patch), and ``kubectl explain`` prints the schemas in
``components.schemas``. helm validates manifests against the same documents. The v2 document
is also served as gnostic protobuf (:mod:`kubelab.cluster.api.gnostic`), the only form in which
kubectl reads it: to validate ``kind: List`` files and to name a kind its apiVersion lacks.

The documents are generated from the served :class:`~kubelab.cluster.resources.registry.Registry`
and the upstream definitions in :mod:`kubelab.cluster.schemas`, converted from their JSON
Schema 2020 form into the OpenAPI 3.0 form kube-apiserver 1.37 serves: ``$ref`` into
``#/components/schemas``, wrapped in ``allOf`` when the reference carries a description or a
default, nullable type lists collapsed, zero-value defaults where Go's non-pointer fields give
them, and the ``x-kubernetes-*`` extensions kept. They are large (the core document is a couple
of megabytes), so each is built on first use and cached with its serialized bytes and content
hash until :meth:`OpenAPIDocuments.invalidate` is called.
"""

from __future__ import annotations

import copy
import email.utils
import functools
import gzip
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kubelab.cluster import schemas
from kubelab.cluster.api import gnostic
from kubelab.cluster.api.discovery import subresource_facts
from kubelab.cluster.resources.base import ResourceStrategy
from kubelab.cluster.resources.registry import Registry
from kubelab.cluster.version import KUBERNETES_VERSION

V3_REF = "#/components/schemas/"
V2_REF = "#/definitions/"

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
STATUS = META + "Status"
DELETE_OPTIONS = META + "DeleteOptions"
WATCH_EVENT = META + "WatchEvent"
PATCH = META + "Patch"
LIST_META = META + "ListMeta"
API_RESOURCE_LIST = META + "APIResourceList"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"

# --- media types --------------------------------------------------------------------------

_BUILTIN_OBJECT_MEDIA = (
    "application/cbor",
    "application/json",
    "application/vnd.kubernetes.protobuf",
    "application/yaml",
)
_BUILTIN_STREAM_MEDIA = _BUILTIN_OBJECT_MEDIA + (
    "application/cbor-seq",
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf;stream=watch",
)
#: Custom resources have no protobuf or CBOR encoding.
_CUSTOM_OBJECT_MEDIA = ("application/json", "application/yaml")
_CUSTOM_STREAM_MEDIA = ("application/json", "application/json;stream=watch", "application/yaml")
_LOG_MEDIA = (
    "application/json",
    "application/vnd.kubernetes.protobuf",
    "application/yaml",
    "text/plain",
)
_ANY_MEDIA = ("*/*",)
_BUILTIN_PATCH_MEDIA = (
    "application/apply-patch+cbor",
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
#: Custom resources take no strategic merge patch (they have no patch strategy metadata).
_CUSTOM_PATCH_MEDIA = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
)

_SECURITY_SCHEME = {
    "BearerToken": {
        "description": "Bearer Token authentication",
        "in": "header",
        "name": "authorization",
        "type": "apiKey",
    }
}

# --- parameters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One request parameter of an operation; rendered the v3 or the v2 way."""

    name: str
    type: str
    description: str
    location: str = "query"

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.name, self.location)

    def v3(self) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "description": self.description,
            "in": self.location,
            "name": self.name,
            "schema": {"type": self.type, "uniqueItems": True},
        }
        if self.location == "path":
            rendered["required"] = True
        return rendered

    def v2(self) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "description": self.description,
            "in": self.location,
            "name": self.name,
            "type": self.type,
            "uniqueItems": True,
        }
        if self.location == "path":
            rendered["required"] = True
        return rendered


def _query(name: str, type_: str, description: str) -> Parameter:
    return Parameter(name, type_, description)


PRETTY = _query("pretty", "string", "Pretty-print the response when set to 'true'.")
NAMESPACE = Parameter(
    "namespace", "string", "The namespace that scopes the request.", location="path"
)
DRY_RUN = _query(
    "dryRun",
    "string",
    "Run admission, defaulting and validation without persisting anything. The only "
    "accepted value is 'All'.",
)
FIELD_MANAGER = _query(
    "fieldManager",
    "string",
    "The name of the actor making this change, recorded in metadata.managedFields. "
    "Server-side apply requires it.",
)
FIELD_VALIDATION = _query(
    "fieldValidation",
    "string",
    "What to do with unknown or duplicated fields in the request body: 'Ignore' drops "
    "them, 'Warn' (the default) drops them and reports each in a Warning header, 'Strict' "
    "rejects the request.",
)
FORCE = _query(
    "force",
    "boolean",
    "Let a server-side apply take over fields owned by other managers instead of failing "
    "with a conflict. Only valid for apply patches.",
)
LIST_PARAMETERS = (
    _query(
        "allowWatchBookmarks",
        "boolean",
        "Ask a watch to send BOOKMARK events, which carry nothing but a newer "
        "resourceVersion to resume from.",
    ),
    _query(
        "continue",
        "string",
        "The continue token returned with the previous chunk of a paginated list; the "
        "server answers 410 Gone when it has expired.",
    ),
    _query(
        "fieldSelector",
        "string",
        "Only return objects whose selectable fields match, for example 'metadata.name=web'.",
    ),
    _query(
        "labelSelector",
        "string",
        "Only return objects whose labels match, for example 'app=web,tier!=cache'.",
    ),
    _query(
        "limit",
        "integer",
        "Return at most this many items and a continue token for the rest.",
    ),
    _query(
        "resourceVersion",
        "string",
        "The resource version the read must be at least as new as (or exactly, with "
        "resourceVersionMatch=Exact); a watch starts after it.",
    ),
    _query(
        "resourceVersionMatch",
        "string",
        "How resourceVersion constrains a list: 'NotOlderThan' or 'Exact'.",
    ),
    _query(
        "sendInitialEvents",
        "boolean",
        "Start a watch with an ADDED event for every existing object, followed by a "
        "BOOKMARK annotated 'k8s.io/initial-events-end'.",
    ),
    _query("timeoutSeconds", "integer", "End the list or watch after this many seconds."),
    _query(
        "watch",
        "boolean",
        "Stream added, modified and deleted objects as watch events instead of returning a list.",
    ),
)
DELETE_PARAMETERS = (
    DRY_RUN,
    _query(
        "gracePeriodSeconds",
        "integer",
        "Seconds to wait before the object is removed; zero removes it at once, unset uses "
        "the kind's default.",
    ),
    _query(
        "ignoreStoreReadErrorWithClusterBreakingPotential",
        "boolean",
        "Remove an object that can no longer be read from storage, skipping finalizers "
        "and preconditions. Dangerous; off by default.",
    ),
    _query(
        "orphanDependents",
        "boolean",
        "Deprecated in favour of propagationPolicy: leave dependents without an owner.",
    ),
    _query(
        "propagationPolicy",
        "string",
        "What the garbage collector does with dependents: 'Orphan', 'Background' or 'Foreground'.",
    ),
)
_LIST_ONLY = tuple(p for p in LIST_PARAMETERS if p.name not in ("allowWatchBookmarks", "watch"))
DELETE_COLLECTION_PARAMETERS = tuple(
    sorted(DELETE_PARAMETERS + _LIST_ONLY, key=lambda p: p.sort_key)
)
WRITE_PARAMETERS = (DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION)
PATCH_PARAMETERS = WRITE_PARAMETERS + (FORCE,)

_IN_CONTAINER = "The container to use; may be omitted when the pod has exactly one."
LOG_PARAMETERS = (
    _query("container", "string", _IN_CONTAINER),
    _query("follow", "boolean", "Keep the response open and stream new lines."),
    _query(
        "insecureSkipTLSVerifyBackend",
        "boolean",
        "Do not verify the serving certificate of the kubelet the log is read from.",
    ),
    _query("limitBytes", "integer", "Stop after this many bytes of output."),
    _query(
        "previous",
        "boolean",
        "Read the log of the previous, terminated instance of the container.",
    ),
    _query("sinceSeconds", "integer", "Only return lines written in the last N seconds."),
    _query(
        "stream", "string", "Which stream to return: 'All' (the default), 'Stdout' or 'Stderr'."
    ),
    _query("tailLines", "integer", "Only return the last N lines."),
    _query("timestamps", "boolean", "Prefix every line with its RFC 3339 timestamp."),
)
_STREAM_FLAGS = (
    _query("stderr", "boolean", "Stream the container's standard error."),
    _query("stdin", "boolean", "Stream the client's input to the container."),
    _query("stdout", "boolean", "Stream the container's standard output."),
    _query("tty", "boolean", "Allocate a terminal for the session."),
)
_PROXY_PATH_QUERY = _query(
    "path", "string", "The path to request from the target behind the proxy."
)
_PROXY_PATH = Parameter(
    "path", "string", "The path to request from the target behind the proxy.", location="path"
)


@dataclass(frozen=True)
class ConnectFacts:
    """How a streaming subresource is exposed: its HTTP methods and query options."""

    methods: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    #: Proxies also serve ``.../proxy/{path}``, forwarding the rest of the URL.
    with_path: bool = False


CONNECT_SUBRESOURCES: dict[str, ConnectFacts] = {
    "exec": ConnectFacts(
        ("GET", "POST"),
        (
            _query(
                "command",
                "string",
                "One argument of the command to run, repeated in order; not run in a shell.",
            ),
            _query("container", "string", _IN_CONTAINER),
            *_STREAM_FLAGS,
        ),
    ),
    "attach": ConnectFacts(
        ("GET", "POST"), (_query("container", "string", _IN_CONTAINER), *_STREAM_FLAGS)
    ),
    "portforward": ConnectFacts(
        ("GET", "POST"),
        (_query("ports", "integer", "The ports to forward; required over WebSockets."),),
    ),
    "proxy": ConnectFacts(
        ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"),
        (_PROXY_PATH_QUERY,),
        with_path=True,
    ),
}

# --- operations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """A request or response body: a schema by definition name, or a plain string."""

    media: tuple[str, ...]
    schema: str | None = None

    def schema_v3(self) -> dict[str, Any]:
        return {"$ref": V3_REF + self.schema} if self.schema else {"type": "string"}

    def schema_v2(self) -> dict[str, Any]:
        return {"$ref": V2_REF + self.schema} if self.schema else {"type": "string"}


_RESPONSE_TEXT = {"200": "OK", "201": "Created", "202": "Accepted"}


@dataclass
class Operation:
    """One HTTP method on one path, independent of the OpenAPI version it is rendered in."""

    method: str
    operation_id: str
    description: str
    tag: str
    responses: dict[str, Body]
    parameters: list[Parameter] = field(default_factory=list)
    request: Body | None = None
    request_required: bool = True
    action: str | None = None
    gvk: tuple[str, str, str] | None = None

    def _extensions(self) -> dict[str, Any]:
        rendered: dict[str, Any] = {}
        if self.action:
            rendered["x-kubernetes-action"] = self.action
        if self.gvk:
            group, version, kind = self.gvk
            rendered["x-kubernetes-group-version-kind"] = {
                "group": group,
                "kind": kind,
                "version": version,
            }
        return rendered

    def v3(self, parameters: list[Parameter]) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "description": self.description,
            "operationId": self.operation_id,
        }
        if parameters:
            rendered["parameters"] = [p.v3() for p in parameters]
        if self.request:
            content = {m: {"schema": self.request.schema_v3()} for m in self.request.media}
            rendered["requestBody"] = {"content": content}
            if self.request_required:
                rendered["requestBody"]["required"] = True
        responses: dict[str, Any] = {}
        for code, body in self.responses.items():
            responses[code] = {
                "content": {m: {"schema": body.schema_v3()} for m in body.media},
                "description": _RESPONSE_TEXT[code],
            }
        responses["401"] = {"description": "Unauthorized"}
        rendered["responses"] = responses
        rendered["tags"] = [self.tag]
        rendered.update(self._extensions())
        return rendered

    def v2(self, parameters: list[Parameter]) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "consumes": list(self.request.media if self.request else _ANY_MEDIA),
            "description": self.description,
            "operationId": self.operation_id,
        }
        params = [p.v2() for p in parameters]
        if self.request:
            body: dict[str, Any] = {
                "in": "body",
                "name": "body",
                "schema": self.request.schema_v2(),
            }
            if self.request_required:
                body["required"] = True
            params.insert(0, body)
        if params:
            rendered["parameters"] = params
        first = next(iter(self.responses.values()))
        rendered["produces"] = list(first.media)
        responses: dict[str, Any] = {
            code: {"description": _RESPONSE_TEXT[code], "schema": body.schema_v2()}
            for code, body in self.responses.items()
        }
        responses["401"] = {"description": "Unauthorized"}
        rendered["responses"] = responses
        rendered["schemes"] = ["https"]
        rendered["tags"] = [self.tag]
        rendered.update(self._extensions())
        return rendered


def _render_paths(paths: dict[str, list[Operation]], version: str) -> dict[str, dict[str, Any]]:
    """Render each path, moving the parameters all its operations share to the path level.

    kube-apiserver's OpenAPI builder does the same, which is why ``name``, ``namespace`` and
    ``pretty`` sit on the path and ``dryRun`` on each write operation.
    """
    rendered: dict[str, dict[str, Any]] = {}
    for path, operations in paths.items():
        shared = set(operations[0].parameters)
        for operation in operations[1:]:
            shared &= set(operation.parameters)
        entry: dict[str, Any] = {}
        for operation in operations:
            own = sorted(
                (p for p in operation.parameters if p not in shared), key=lambda p: p.sort_key
            )
            method = operation.method.lower()
            entry[method] = operation.v3(own) if version == "v3" else operation.v2(own)
        if shared:
            ordered = sorted(shared, key=lambda p: p.sort_key)
            entry["parameters"] = [p.v3() if version == "v3" else p.v2() for p in ordered]
        rendered[path] = entry
    return rendered


# --- names --------------------------------------------------------------------------------


def _operation_id_part(text: str, capitalize_first: bool) -> str:
    """Drop characters that cannot appear in an operation id, capitalizing what follows them.

    ``rbac.authorization`` becomes ``RbacAuthorization`` (or ``rbacAuthorization`` for tags),
    the convention every generated Kubernetes client's method names come from.
    """
    pieces: list[str] = []
    upper_next = capitalize_first
    for index, char in enumerate(text):
        if char.isalpha() or char == "_" or (index and char.isdigit()):
            pieces.append(char.upper() if upper_next else char)
            upper_next = False
        else:
            upper_next = True
    return "".join(pieces)


def _group_name(group: str) -> str:
    return (group or "core").removesuffix(".k8s.io")


def operation_prefix(group: str, version: str) -> str:
    """The group/version part of operation ids: ``CoreV1``, ``AppsV1``, ``RbacAuthorizationV1``."""
    return _operation_id_part(_group_name(group), True) + _operation_id_part(version, True)


def operation_tag(group: str, version: str) -> str:
    """The tag of a group/version's operations: ``core_v1``, ``rbacAuthorization_v1``."""
    return f"{_operation_id_part(_group_name(group), False)}_{version}"


def custom_definition_name(group: str, version: str, kind: str) -> str:
    """The definition name of a custom kind: the group reversed, ``com.example.v1.Widget``."""
    return ".".join([*reversed(group.split(".")), version, kind])


def _article(kind: str) -> str:
    """The article the generated descriptions put before a kind ("an Ingress", "Endpoints")."""
    if kind.endswith("s") and not kind.endswith("ss"):
        return ""
    return "an " if kind[0].upper() in "AEIOU" else "a "


# --- schema conversion --------------------------------------------------------------------

#: kube-apiserver's own schemas for the two scalar-or-string types, in each OpenAPI version.
#: The JSON Schema package models them as plain ``oneOf`` unions without these details.
_INT_OR_STRING_DESCRIPTION = (
    "IntOrString holds either an integer or a string, such as a port number or a port name, "
    "or a replica count or a percentage. It is written as whichever of the two it holds."
)
_QUANTITY_DESCRIPTION = (
    "Quantity is an exact decimal amount with an optional unit suffix, written as a string "
    "such as '500m', '1.5', '128Mi' or '2Gi' (binary suffixes Ki, Mi, Gi, Ti, Pi, Ei; decimal "
    "suffixes m, k, M, G, T, P, E; or an exponent such as '1e3'). Plain numbers are accepted "
    "and rewritten in canonical form."
)
_V3_SCALARS: dict[str, dict[str, Any]] = {
    INT_OR_STRING: {
        "description": _INT_OR_STRING_DESCRIPTION,
        "format": "int-or-string",
        "oneOf": [{"type": "integer"}, {"type": "string"}],
    },
    QUANTITY: {
        "description": _QUANTITY_DESCRIPTION,
        "oneOf": [{"type": "string"}, {"type": "number"}],
    },
}
_V2_SCALARS: dict[str, dict[str, Any]] = {
    INT_OR_STRING: {
        "description": _INT_OR_STRING_DESCRIPTION,
        "format": "int-or-string",
        "type": "string",
    },
    QUANTITY: {"description": _QUANTITY_DESCRIPTION, "type": "string"},
}

_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SUBSCHEMAS = ("items", "additionalProperties", "not")


def _map_schema(node: dict[str, Any], visit: Callable[[dict[str, Any]], dict[str, Any]]) -> dict:
    """Apply ``visit`` to the direct subschemas of a schema, keyword-aware.

    Property *names* are data, not keywords (``JSONSchemaProps`` has properties called
    ``$ref`` and ``enum``), so only the values under ``properties`` are treated as schemas.
    """
    mapped: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            mapped[key] = {name: visit(sub) for name, sub in value.items()}
        elif key in _SUBSCHEMAS and isinstance(value, dict):
            mapped[key] = visit(value)
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            mapped[key] = [visit(sub) for sub in value]
        else:
            mapped[key] = value
    return mapped


def _from_package(node: dict[str, Any], ref_prefix: str) -> dict[str, Any]:
    """Collapse nullable type lists and point references at ``ref_prefix``."""
    converted = _map_schema(node, lambda sub: _from_package(sub, ref_prefix))
    declared = converted.get("type")
    if isinstance(declared, list):
        kept = [t for t in declared if t != "null"]
        converted["type"] = kept[0] if len(kept) == 1 else kept
    ref = converted.get("$ref")
    if isinstance(ref, str):
        converted["$ref"] = ref_prefix + ref.removeprefix(schemas.REF_PREFIX)
    return converted


def _drop_type_meta_enums(definition: dict[str, Any]) -> None:
    """The package pins ``apiVersion``/``kind`` with enums; kube-apiserver does not."""
    for name in ("apiVersion", "kind"):
        prop = definition.get("properties", {}).get(name)
        if isinstance(prop, dict):
            prop.pop("enum", None)


def _is_struct(definition_name: str) -> bool:
    """Whether a definition is a Go struct with fields (so its zero value is ``{}``).

    Types with their own wire format (Time, Quantity, IntOrString, RawExtension, FieldsV1)
    have no properties and get no default, as in kube-apiserver's documents.
    """
    return bool(schemas.definitions().get(definition_name, {}).get("properties"))


_NO_DEFAULT = object()
_ZERO_VALUES: dict[str, Any] = {"string": "", "integer": 0, "number": 0, "boolean": False}


def _zero_value(schema: dict[str, Any]) -> Any:
    if schema.get("format") == "byte":
        return _NO_DEFAULT
    declared = schema.get("type")
    return _ZERO_VALUES.get(declared, _NO_DEFAULT) if isinstance(declared, str) else _NO_DEFAULT


def _struct_default(schema: dict[str, Any]) -> Any:
    ref = schema.get("$ref", "")
    return {} if _is_struct(ref.removeprefix(V3_REF)) else _NO_DEFAULT


def _element_default(schema: dict[str, Any]) -> Any:
    return _struct_default(schema) if "$ref" in schema else _zero_value(schema)


def _add_defaults(definition: dict[str, Any]) -> None:
    """Add the defaults kube-apiserver derives from Go zero values.

    A required (non-omitempty) scalar field defaults to its zero value; list items and map
    values default to the zero value of their element type; a struct-valued field defaults to
    ``{}`` when it is required, or when it is ``metadata``, or ``spec``/``status`` of a kind,
    which are value (not pointer) fields in every API type.
    """
    required = set(definition.get("required", ()))
    is_kind = "x-kubernetes-group-version-kind" in definition
    for name, prop in definition.get("properties", {}).items():
        if "$ref" in prop:
            always = name == "metadata" or (is_kind and name in ("spec", "status"))
            default = _struct_default(prop) if always or name in required else _NO_DEFAULT
        else:
            default = _zero_value(prop) if name in required else _NO_DEFAULT
        if default is not _NO_DEFAULT:
            prop["default"] = default
        for key in ("items", "additionalProperties"):
            element = prop.get(key)
            if isinstance(element, dict):
                element_default = _element_default(element)
                if element_default is not _NO_DEFAULT:
                    element["default"] = element_default


def _wrap_refs(node: dict[str, Any]) -> dict[str, Any]:
    """Move a ``$ref`` that has sibling keys into ``allOf``, as OpenAPI 3.0 requires."""
    wrapped = _map_schema(node, _wrap_refs)
    if "$ref" in wrapped and len(wrapped) > 1:
        ref = wrapped.pop("$ref")
        wrapped = {"allOf": [{"$ref": ref}], **wrapped}
    return wrapped


@functools.cache
def package_definition_v3(name: str) -> dict[str, Any]:
    """One package definition in kube-apiserver's OpenAPI v3 form (shared; do not mutate)."""
    if name in _V3_SCALARS:
        return copy.deepcopy(_V3_SCALARS[name])
    definition = _from_package(copy.deepcopy(schemas.definitions()[name]), V3_REF)
    _drop_type_meta_enums(definition)
    _add_defaults(definition)
    return _wrap_refs(definition)


@functools.cache
def package_definition_v2(name: str) -> dict[str, Any]:
    """One package definition in Swagger 2.0 form (shared; do not mutate)."""
    if name in _V2_SCALARS:
        return copy.deepcopy(_V2_SCALARS[name])
    definition = _from_package(copy.deepcopy(schemas.definitions()[name]), V2_REF)
    _drop_type_meta_enums(definition)
    return definition


_V2_UNSUPPORTED = ("anyOf", "oneOf", "not", "nullable")


def _v3_to_v2(node: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a schema given in OpenAPI 3 form (custom resources) for Swagger 2.0.

    Besides dropping what Swagger 2.0 lacks, this makes the changes kube-apiserver makes for
    kubectl's sake (``ToStructuralOpenAPIV2``), whose client-side validation would otherwise
    refuse what the server accepts: a nullable field loses its type, items and properties (and
    its place in ``required``), a field that keeps unknown fields loses its items and
    properties (and its ``object`` type), and an array left without items loses its type.
    """
    converted = _map_schema(node, _v3_to_v2)
    for key in _V2_UNSUPPORTED:
        converted.pop(key, None)
    all_of = converted.pop("allOf", None)
    if isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0]:
        converted = {"$ref": all_of[0]["$ref"], **converted}
    ref = converted.get("$ref")
    if isinstance(ref, str) and ref.startswith(V3_REF):
        converted["$ref"] = V2_REF + ref.removeprefix(V3_REF)
    _drop_what_kubectl_cannot_check(node, converted)
    return converted


def _drop_what_kubectl_cannot_check(original: dict[str, Any], converted: dict[str, Any]) -> None:
    preserves = original.get("x-kubernetes-preserve-unknown-fields") is True
    if original.get("nullable") is True:
        for key in ("type", "items", "properties"):
            converted.pop(key, None)
    if preserves:
        converted.pop("items", None)
        converted.pop("properties", None)
        if converted.get("type") == "object":
            del converted["type"]
    if converted.get("type") == "array" and "items" not in converted:
        del converted["type"]
    nullable = {
        name
        for name, sub in (original.get("properties") or {}).items()
        if isinstance(sub, dict) and sub.get("nullable") is True
    }
    additional = original.get("additionalProperties")
    if isinstance(additional, dict) and additional.get("nullable") is True:
        converted.pop("required", None)
    elif nullable and isinstance(converted.get("required"), list):
        required = [name for name in converted["required"] if name not in nullable]
        if required:
            converted["required"] = required
        else:
            del converted["required"]


def _references(node: Any) -> Iterable[str]:
    """Every definition a schema (or any nested document part) refers to, by name."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.rsplit("/", 1)[-1]
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _type_meta_property(name: str) -> dict[str, Any]:
    """``apiVersion``/``kind`` as every kind declares them, descriptions included."""
    prop = schemas.definitions()[STATUS]["properties"][name]
    return {"description": prop["description"], "type": "string"}


def _custom_list_schema(strategy: ResourceStrategy, item_name: str) -> dict[str, Any]:
    """The ``<Kind>List`` schema kube-apiserver generates for a custom resource."""
    return {
        "description": f"{strategy.list_kind} is a list of {strategy.kind}",
        "properties": {
            "apiVersion": _type_meta_property("apiVersion"),
            "items": {
                "description": f"List of {strategy.plural}.",
                "items": {"$ref": V3_REF + item_name},
                "type": "array",
            },
            "kind": _type_meta_property("kind"),
            "metadata": {
                "allOf": [{"$ref": V3_REF + LIST_META}],
                "description": "Standard list metadata.",
            },
        },
        "required": ["items"],
        "type": "object",
        "x-kubernetes-group-version-kind": [
            {"group": strategy.group, "kind": strategy.list_kind, "version": strategy.version}
        ],
    }


def _placeholder_schema(group: str, version: str, kind: str) -> dict[str, Any]:
    """A kind the schema package does not know: an object that keeps whatever it is given."""
    return {
        "type": "object",
        "x-kubernetes-group-version-kind": [{"group": group, "kind": kind, "version": version}],
        "x-kubernetes-preserve-unknown-fields": True,
    }


class _Definitions:
    """The definitions one document needs: package ones by name, generated ones by value."""

    def __init__(self) -> None:
        self.generated: dict[str, dict[str, Any]] = {}

    def for_strategy(self, strategy: ResourceStrategy) -> tuple[str, str]:
        """The definition names of a served kind and of its list kind."""
        group, version, kind = strategy.group, strategy.version, strategy.kind
        openapi_schema = getattr(strategy, "openapi_schema", None)
        if openapi_schema is not None:
            name = custom_definition_name(group, version, kind)
            schema = copy.deepcopy(openapi_schema())
            schema.setdefault(
                "x-kubernetes-group-version-kind",
                [{"group": group, "kind": kind, "version": version}],
            )
            self.generated[name] = schema
            list_name = name + "List"
            self.generated[list_name] = _custom_list_schema(strategy, name)
            return name, list_name
        return self.kind(group, version, kind), self.kind(group, version, strategy.list_kind)

    def kind(self, group: str, version: str, kind: str) -> str:
        """The definition name of a built-in kind, with a placeholder when it is unknown."""
        name = schemas.definition_name(group, version, kind)
        if name is None:
            name = custom_definition_name(group or "core", version, kind)
            self.generated.setdefault(name, _placeholder_schema(group, version, kind))
        return name

    def closure(self, roots: Iterable[str], v3: bool) -> dict[str, dict[str, Any]]:
        """Every definition reachable from ``roots``, in the requested OpenAPI version."""
        found: dict[str, dict[str, Any]] = {}
        pending = list(roots)
        while pending:
            name = pending.pop()
            if name in found:
                continue
            if name in self.generated:
                schema = self.generated[name]
                schema = schema if v3 else _v3_to_v2(schema)
            else:
                schema = package_definition_v3(name) if v3 else package_definition_v2(name)
            found[name] = schema
            pending.extend(_references(schema))
        return dict(sorted(found.items()))


# --- paths --------------------------------------------------------------------------------


def _gvk(strategy: ResourceStrategy) -> tuple[str, str, str]:
    return strategy.group, strategy.version, strategy.kind


class _ResourcePaths:
    """The paths and operations kube-apiserver installs for one resource."""

    def __init__(self, strategy: ResourceStrategy, definitions: _Definitions) -> None:
        self.strategy = strategy
        self.definitions = definitions
        self.kind_name, self.list_name = definitions.for_strategy(strategy)
        group, version = strategy.group, strategy.version
        self.root = f"/apis/{group}/{version}" if group else f"/api/{version}"
        self.prefix = operation_prefix(group, version)
        self.tag = operation_tag(group, version)
        self.scope = "Namespaced" if strategy.namespaced else ""
        builtin = getattr(strategy, "supports_strategic_merge_patch", True)
        self.object_media = _BUILTIN_OBJECT_MEDIA if builtin else _CUSTOM_OBJECT_MEDIA
        self.stream_media = _BUILTIN_STREAM_MEDIA if builtin else _CUSTOM_STREAM_MEDIA
        self.patch_media = _BUILTIN_PATCH_MEDIA if builtin else _CUSTOM_PATCH_MEDIA
        self.paths: dict[str, list[Operation]] = {}

    # -- helpers

    def _add(self, path: str, operation: Operation) -> None:
        self.paths.setdefault(path, []).append(operation)

    def _id(self, verb: str, rest: str) -> str:
        return f"{verb}{self.prefix}{rest}"

    def _operation(self, method: str, verb: str, rest: str, description: str, **kw) -> Operation:
        return Operation(
            method=method,
            operation_id=self._id(verb, rest),
            description=description,
            tag=self.tag,
            **kw,
        )

    def _object(self, name: str) -> Body:
        return Body(self.object_media, name)

    def _name_parameter(self, kind: str) -> Parameter:
        return Parameter("name", "string", f"name of the {kind}", location="path")

    # -- collection, item and watch paths

    def build(self) -> dict[str, list[Operation]]:
        strategy = self.strategy
        kind, verbs, plural = strategy.kind, set(strategy.verbs), strategy.plural
        scoped = [NAMESPACE] if strategy.namespaced else []
        collection = (
            f"{self.root}/namespaces/{{namespace}}/{plural}"
            if strategy.namespaced
            else f"{self.root}/{plural}"
        )
        item = f"{collection}/{{name}}"
        item_params = [self._name_parameter(kind), *scoped, PRETTY]
        gvk = _gvk(strategy)
        status = Body(self.object_media, STATUS)
        deleted = self._object(
            self.kind_name if getattr(strategy, "returns_deleted_object", False) else STATUS
        )
        delete_body = Body(_ANY_MEDIA, DELETE_OPTIONS)
        base = {"gvk": gvk}

        if "list" in verbs:
            self._add(
                collection,
                self._operation(
                    "get",
                    "list",
                    f"{self.scope}{kind}",
                    f"list or watch objects of kind {kind}",
                    responses={"200": Body(self.stream_media, self.list_name)},
                    parameters=[*scoped, PRETTY, *LIST_PARAMETERS],
                    action="list",
                    **base,
                ),
            )
            if strategy.namespaced:
                self._add(
                    f"{self.root}/{plural}",
                    self._operation(
                        "get",
                        "list",
                        f"{kind}ForAllNamespaces",
                        f"list or watch objects of kind {kind}",
                        responses={"200": Body(self.stream_media, self.list_name)},
                        parameters=[PRETTY, *LIST_PARAMETERS],
                        action="list",
                        **base,
                    ),
                )
        if "create" in verbs:
            self._add(
                collection,
                self._operation(
                    "post",
                    "create",
                    f"{self.scope}{kind}",
                    f"create {_article(kind)}{kind}",
                    responses={c: self._object(self.kind_name) for c in ("200", "201", "202")},
                    parameters=[*scoped, PRETTY, *WRITE_PARAMETERS],
                    request=Body(_ANY_MEDIA, self.kind_name),
                    action="post",
                    **base,
                ),
            )
        if "deletecollection" in verbs:
            self._add(
                collection,
                self._operation(
                    "delete",
                    "delete",
                    f"Collection{self.scope}{kind}",
                    f"delete collection of {kind}",
                    responses={"200": status},
                    parameters=[*scoped, PRETTY, *DELETE_COLLECTION_PARAMETERS],
                    request=delete_body,
                    request_required=False,
                    action="deletecollection",
                    **base,
                ),
            )
        if "get" in verbs:
            self._add(
                item,
                self._operation(
                    "get",
                    "read",
                    f"{self.scope}{kind}",
                    f"read the specified {kind}",
                    responses={"200": self._object(self.kind_name)},
                    parameters=list(item_params),
                    action="get",
                    **base,
                ),
            )
        if "update" in verbs:
            self._add(
                item,
                self._operation(
                    "put",
                    "replace",
                    f"{self.scope}{kind}",
                    f"replace the specified {kind}",
                    responses={c: self._object(self.kind_name) for c in ("200", "201")},
                    parameters=[*item_params, *WRITE_PARAMETERS],
                    request=Body(_ANY_MEDIA, self.kind_name),
                    action="put",
                    **base,
                ),
            )
        if "patch" in verbs:
            self._add(item, self._patch(f"{self.scope}{kind}", kind, item_params, gvk, ""))
        if "delete" in verbs:
            self._add(
                item,
                self._operation(
                    "delete",
                    "delete",
                    f"{self.scope}{kind}",
                    f"delete {_article(kind)}{kind}",
                    responses={"200": deleted, "202": deleted},
                    parameters=[*item_params, *DELETE_PARAMETERS],
                    request=delete_body,
                    request_required=False,
                    action="delete",
                    **base,
                ),
            )
        if "watch" in verbs:
            self._watch_paths(plural, kind, scoped)
        for subresource in strategy.subresources:
            self._subresource(subresource, item, scoped)
        return self.paths

    def _patch(
        self, rest: str, kind: str, item_params: list[Parameter], gvk: tuple, what: str
    ) -> Operation:
        response_name = self.definitions_name_for(gvk)
        return self._operation(
            "patch",
            "patch",
            rest,
            f"partially update {what}the specified {kind}",
            responses={c: self._object(response_name) for c in ("200", "201")},
            parameters=[*item_params, *PATCH_PARAMETERS],
            request=Body(self.patch_media, PATCH),
            action="patch",
            gvk=gvk,
        )

    def definitions_name_for(self, gvk: tuple[str, str, str]) -> str:
        """The definition of a body kind: the served kind's own, or a built-in one."""
        if gvk == _gvk(self.strategy):
            return self.kind_name
        return self.definitions.kind(*gvk)

    def _watch_paths(self, plural: str, kind: str, scoped: list[Parameter]) -> None:
        watch_root = f"{self.root}/watch"
        event = Body(self.stream_media, WATCH_EVENT)
        common = [PRETTY, *LIST_PARAMETERS]
        base = {"responses": {"200": event}, "gvk": _gvk(self.strategy)}
        list_note = (
            f"watch individual changes to a list of {kind}. deprecated: use the 'watch' "
            "parameter with a list operation instead."
        )
        item_note = (
            f"watch changes to an object of kind {kind}. deprecated: use the 'watch' parameter "
            "with a list operation instead, filtered to a single item with the "
            "'fieldSelector' parameter."
        )
        collection = (
            f"{watch_root}/namespaces/{{namespace}}/{plural}"
            if self.strategy.namespaced
            else f"{watch_root}/{plural}"
        )
        self._add(
            collection,
            self._operation(
                "get",
                "watch",
                f"{self.scope}{kind}List",
                list_note,
                parameters=[*scoped, *common],
                action="watchlist",
                **base,
            ),
        )
        self._add(
            f"{collection}/{{name}}",
            self._operation(
                "get",
                "watch",
                f"{self.scope}{kind}",
                item_note,
                parameters=[self._name_parameter(kind), *scoped, *common],
                action="watch",
                **base,
            ),
        )
        if self.strategy.namespaced:
            self._add(
                f"{watch_root}/{plural}",
                self._operation(
                    "get",
                    "watch",
                    f"{kind}ListForAllNamespaces",
                    list_note,
                    parameters=common,
                    action="watchlist",
                    **base,
                ),
            )

    # -- subresources

    def _subresource(self, name: str, item: str, scoped: list[Parameter]) -> None:
        facts = subresource_facts(name)
        kind = self.strategy.kind
        gvk = facts.response_gvk(self.strategy)
        path = f"{item}/{name}"
        rest = f"{self.scope}{kind}{name[0].upper()}{name[1:]}"
        if facts.connect:
            self._connect(name, path, rest, gvk, scoped)
            return
        item_params = [self._name_parameter(gvk[2]), *scoped, PRETTY]
        body_name = self.definitions_name_for(gvk)
        base = {"gvk": gvk}
        if "get" in facts.verbs:
            if name == "log":
                self._add(
                    path,
                    self._operation(
                        "get",
                        "read",
                        rest,
                        f"read log of the specified {kind}",
                        responses={"200": Body(_LOG_MEDIA)},
                        parameters=[*item_params, *LOG_PARAMETERS],
                        action="get",
                        **base,
                    ),
                )
            else:
                self._add(
                    path,
                    self._operation(
                        "get",
                        "read",
                        rest,
                        f"read {name} of the specified {kind}",
                        responses={"200": self._object(body_name)},
                        parameters=list(item_params),
                        action="get",
                        **base,
                    ),
                )
        if "update" in facts.verbs:
            self._add(
                path,
                self._operation(
                    "put",
                    "replace",
                    rest,
                    f"replace {name} of the specified {kind}",
                    responses={c: self._object(body_name) for c in ("200", "201")},
                    parameters=[*item_params, *WRITE_PARAMETERS],
                    request=Body(_ANY_MEDIA, body_name),
                    action="put",
                    **base,
                ),
            )
        if "patch" in facts.verbs:
            self._add(path, self._patch(rest, kind, item_params, gvk, f"{name} of "))
        if "create" in facts.verbs:
            self._add(
                path,
                self._operation(
                    "post",
                    "create",
                    rest,
                    f"create {name} of {_article(kind)}{kind}",
                    responses={c: self._object(body_name) for c in ("200", "201", "202")},
                    parameters=[*item_params, *WRITE_PARAMETERS],
                    request=Body(_ANY_MEDIA, body_name),
                    action="post",
                    **base,
                ),
            )

    def _connect(
        self, name: str, path: str, rest: str, gvk: tuple, scoped: list[Parameter]
    ) -> None:
        facts = CONNECT_SUBRESOURCES[name]
        kind = self.strategy.kind
        variants = [(path, rest, [])]
        if facts.with_path:
            variants.append((f"{path}/{{path}}", f"{rest}WithPath", [_PROXY_PATH]))
        for variant_path, variant_rest, extra in variants:
            for method in facts.methods:
                verb_rest = f"{method.capitalize()}{variant_rest}"
                self._add(
                    variant_path,
                    self._operation(
                        method.lower(),
                        "connect",
                        verb_rest,
                        f"connect {method} requests to {name} of {kind}",
                        responses={"200": Body(_ANY_MEDIA)},
                        parameters=[
                            self._name_parameter(gvk[2]),
                            *scoped,
                            *extra,
                            *facts.parameters,
                        ],
                        action="connect",
                        gvk=gvk,
                    ),
                )


def _root_path(group: str, version: str) -> tuple[str, Operation]:
    """``GET /apis/<group>/<version>/``: the group-version's resource list."""
    root = f"/apis/{group}/{version}/" if group else f"/api/{version}/"
    prefix = operation_prefix(group, version)
    return root, Operation(
        method="get",
        operation_id=f"get{prefix}APIResources",
        description="get available resources",
        tag=operation_tag(group, version),
        responses={"200": Body(_BUILTIN_OBJECT_MEDIA, API_RESOURCE_LIST)},
    )


def _group_version_paths(
    registry: Registry, group: str, version: str, definitions: _Definitions
) -> dict[str, list[Operation]]:
    root, operation = _root_path(group, version)
    paths: dict[str, list[Operation]] = {root: [operation]}
    for strategy in sorted(registry.resources(group, version), key=lambda s: s.plural):
        for path, operations in _ResourcePaths(strategy, definitions).build().items():
            paths.setdefault(path, []).extend(operations)
    return dict(sorted(paths.items()))


# --- documents ----------------------------------------------------------------------------


def _info() -> dict[str, str]:
    return {"title": "Kubernetes", "version": KUBERNETES_VERSION}


def build_v3_document(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    """The OpenAPI 3.0 document of one group-version, or None when it is not served."""
    if not registry.resources(group, version):
        return None
    definitions = _Definitions()
    paths = _render_paths(_group_version_paths(registry, group, version, definitions), "v3")
    return {
        "components": {
            "schemas": definitions.closure(_references(paths), v3=True),
            "securitySchemes": copy.deepcopy(_SECURITY_SCHEME),
        },
        "info": _info(),
        "openapi": "3.0.0",
        "paths": paths,
    }


def build_v2_document(registry: Registry) -> dict[str, Any]:
    """The Swagger 2.0 document of every served group-version."""
    definitions = _Definitions()
    operations: dict[str, list[Operation]] = {}
    for group in registry.groups():
        for version in registry.versions(group):
            operations.update(_group_version_paths(registry, group, version, definitions))
    paths = _render_paths(dict(sorted(operations.items())), "v2")
    return {
        "definitions": definitions.closure(_references(paths), v3=False),
        "info": _info(),
        "paths": paths,
        "security": [{"BearerToken": []}],
        "securityDefinitions": copy.deepcopy(_SECURITY_SCHEME),
        "swagger": "2.0",
    }


def serialize(document: dict[str, Any]) -> bytes:
    """The bytes served for a document: compact JSON with sorted keys, so hashes are stable."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def content_hash(body: bytes) -> str:
    """kube-apiserver's document hash: SHA-512 of the served bytes, upper-case hex."""
    return hashlib.sha512(body).hexdigest().upper()


@dataclass(frozen=True)
class RenderedDocument:
    """A built document, its serialized bytes and their content hash."""

    document: dict[str, Any]
    body: bytes
    hash: str

    @classmethod
    def of(cls, document: dict[str, Any]) -> RenderedDocument:
        body = serialize(document)
        return cls(document, body, content_hash(body))


def _document_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


class OpenAPIDocuments:
    """The ``/openapi/v3`` index and documents and ``/openapi/v2``, cached per registry state.

    Documents are built on first request. Call :meth:`invalidate` whenever the registry
    changes (custom resource definitions come and go at run time); the hashes in the index
    change with the content, so clients that cache by URL fetch the new documents. Returned
    dictionaries are shared with the cache and must not be modified.
    """

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._v3: dict[tuple[str, str], RenderedDocument | None] = {}
        self._v2: RenderedDocument | None = None
        self._v2_bodies: dict[tuple[str, bool], bytes] = {}
        self._v2_built_at = 0.0

    def invalidate(self) -> None:
        """Forget every built document; the next request rebuilds from the registry."""
        self._v3.clear()
        self._v2 = None
        self._v2_bodies.clear()

    def _rendered(self, group: str, version: str) -> RenderedDocument | None:
        key = (group, version)
        if key not in self._v3:
            document = build_v3_document(self._registry, group, version)
            self._v3[key] = RenderedDocument.of(document) if document is not None else None
        return self._v3[key]

    def index(self) -> dict[str, Any]:
        """``GET /openapi/v3``: where each group-version document is, with its content hash."""
        paths: dict[str, dict[str, str]] = {}
        for group in self._registry.groups():
            for version in self._registry.versions(group):
                rendered = self._rendered(group, version)
                if rendered is None:
                    continue
                path = _document_path(group, version)
                paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={rendered.hash}"}
        return {"paths": paths}

    def document(self, group: str, version: str) -> dict[str, Any] | None:
        """``GET /openapi/v3/api/v1`` or ``/openapi/v3/apis/<group>/<version>``."""
        rendered = self._rendered(group, version)
        return rendered.document if rendered else None

    def document_bytes(self, group: str, version: str) -> bytes | None:
        """The serialized document, ready to send as ``application/json``."""
        rendered = self._rendered(group, version)
        return rendered.body if rendered else None

    def document_hash(self, group: str, version: str) -> str | None:
        """The content hash of a document (its ``?hash=`` and ``ETag``)."""
        rendered = self._rendered(group, version)
        return rendered.hash if rendered else None

    def _rendered_v2(self) -> RenderedDocument:
        if self._v2 is None:
            self._v2 = RenderedDocument.of(build_v2_document(self._registry))
            self._v2_built_at = time.time()
        return self._v2

    def v2(self) -> dict[str, Any]:
        """``GET /openapi/v2``: the Swagger 2.0 document of the whole API."""
        return self._rendered_v2().document

    def v2_bytes(self) -> bytes:
        """The serialized Swagger 2.0 document."""
        return self._rendered_v2().body

    def v2_hash(self) -> str:
        """The content hash of the JSON Swagger 2.0 document (its ``ETag``)."""
        return self._rendered_v2().hash

    def v2_last_modified(self) -> str:
        """When the Swagger 2.0 document was built, as an HTTP date (``Last-Modified``)."""
        self._rendered_v2()
        return email.utils.formatdate(self._v2_built_at, usegmt=True)

    def v2_body(self, media_type: str, gzipped: bool = False) -> bytes:
        """``/openapi/v2`` as JSON or as the gnostic protobuf message kubectl asks for, and
        gzip-compressed for clients that accept it; each form is built once and cached."""
        key = (media_type, gzipped)
        if key not in self._v2_bodies:
            if gzipped:
                body = gzip.compress(self.v2_body(media_type), compresslevel=6, mtime=0)
            elif media_type == V2_JSON:
                body = self._rendered_v2().body
            else:
                body = gnostic.encode_document(self._rendered_v2().document)
            self._v2_bodies[key] = body
        return self._v2_bodies[key]


def _accept_clauses(accept: str) -> list[tuple[str, str]]:
    """The media ranges of an ``Accept`` header, best first: by quality, then the more
    specific before wildcards, then in the order given (as goautoneg sorts them)."""
    clauses: list[tuple[float, int, int, str, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        kind, _, subtype = media.partition("/")
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if not kind or quality <= 0:
            continue
        specificity = (kind != "*") + (subtype not in ("", "*"))
        clauses.append((-quality, -specificity, position, kind, subtype or "*"))
    return [(kind, subtype) for *_, kind, subtype in sorted(clauses)]


V2_JSON = "application/json"
#: What ``/openapi/v2`` answers, in kube-openapi's order of preference: each acceptable
#: ``application/`` subtype with the media type of the response. The ``@v1.0`` form is the
#: one kubectl asks for; a response says ``.v1.0``, which Go's MIME parser accepts.
_V2_OFFERS = (
    ("json", V2_JSON),
    ("com.github.proto-openapi.spec.v2@v1.0+protobuf", gnostic.CONTENT_TYPE),
    ("com.github.proto-openapi.spec.v2.v1.0+protobuf", gnostic.CONTENT_TYPE),
)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether the first ``gzip`` entry of ``Accept-Encoding`` allows it (no q, or q > 0)."""
    for part in (accept_encoding or "").split(","):
        name, *params = (piece.strip() for piece in part.split(";"))
        if name.lower() != "gzip":
            continue
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


def v2_media_type(accept: str | None) -> str | None:
    """The media type to answer ``GET /openapi/v2`` with, or None for 406 Not Acceptable."""
    for kind, subtype in _accept_clauses(accept or "*/*"):
        if kind not in ("*", "application"):
            continue
        for offered_subtype, media_type in _V2_OFFERS:
            if subtype in ("*", offered_subtype):
                return media_type
    return None
