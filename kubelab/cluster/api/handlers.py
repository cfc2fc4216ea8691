"""HTTP handlers for resource endpoints: ``/api/v1/...`` and ``/apis/<group>/<version>/...``.

A request path names a resource (and maybe a namespace, an object and a subresource); the verb
comes from the HTTP method and the ``watch`` parameter. Handlers translate query parameters into
options for :class:`~kubelab.cluster.api.rest.ObjectAPI` and render its results as JSON, Tables
or watch streams. Subresources with their own behaviour (logs, exec, proxies) register
themselves in :data:`SUBRESOURCE_HANDLERS`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from kubelab.cluster.api import errors, listoptions, negotiation, tables, watch
from kubelab.cluster.api.listoptions import ListOptions
from kubelab.cluster.api.managedfields import default_field_manager
from kubelab.cluster.api.pathsegments import check_object_name
from kubelab.cluster.api.rest import DeleteOptions, ObjectAPI, WriteOptions
from kubelab.cluster.api.selectors import check_field_selector
from kubelab.cluster.api.writeoptions import check_write_options
from kubelab.cluster.jsondata import clone
from kubelab.cluster.resources.base import ResourceStrategy
from kubelab.cluster.store.objects import TooOld

NAMESPACE_SUBRESOURCES = {"status", "finalize"}


@dataclass
class Target:
    """What a resource path points at."""

    strategy: ResourceStrategy
    namespace: str | None
    name: str | None
    subresource: str
    rest: str  # the remainder of a proxy path


SubresourceHandler = Callable[[web.Request, ObjectAPI, Target], Awaitable[web.StreamResponse]]
#: Handlers for streaming and proxy subresources, keyed by (plural, subresource).
SUBRESOURCE_HANDLERS: dict[tuple[str, str], SubresourceHandler] = {}


def resolve_target(api: ObjectAPI, group: str, version: str, tail: str) -> Target:
    parts = [p for p in tail.split("/")]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    namespace = None
    if (
        len(parts) >= 3
        and parts[0] == "namespaces"
        and not (len(parts) == 3 and parts[2] in NAMESPACE_SUBRESOURCES)
    ):
        namespace, parts = parts[1], parts[2:]
    if not parts or not parts[0]:
        raise _not_found_path()
    strategy = api.registry.get(group, version, parts[0])
    if strategy is None:
        raise _not_found_path()
    if namespace is not None and not strategy.namespaced:
        raise _not_found_path()
    name = parts[1] if len(parts) > 1 else None
    subresource = parts[2] if len(parts) > 2 else ""
    rest = "/".join(parts[3:])
    if subresource and subresource not in strategy.subresources:
        raise _not_found_path()
    if rest and subresource != "proxy":
        raise _not_found_path()
    if strategy.namespaced and name is not None and namespace is None:
        raise _not_found_path()
    if name is not None:
        check_object_name(name)
    return Target(strategy, namespace, name, subresource, rest)


def _not_found_path() -> errors.APIError:
    return errors.APIError(
        404,
        "NotFound",
        "the server could not find the requested resource",
        {"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]},
    )


def json_response(body: Any, status: int = 200, warnings: list[str] | None = None) -> web.Response:
    response = web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
    )
    for warning in dict.fromkeys(warnings or []):
        if not warning:
            continue
        response.headers.add("Warning", '299 - "' + warning.replace('"', '\\"') + '"')
    return response


#: The options kind each write verb decodes its query into.
_OPTIONS_KINDS = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions"}


def _write_options(request: web.Request, apply: bool = False) -> WriteOptions:
    """Options from the query, validated as the verb's options kind; a write that names no
    fieldManager is recorded under the product name of its User-Agent, as kube-apiserver
    does (apply must name one)."""
    query = request.query
    dry_run = query.getall("dryRun", [])
    manager = query.get("fieldManager", "")
    check_write_options(
        _OPTIONS_KINDS.get(request.method, "PatchOptions"),
        manager,
        dry_run,
        query.get("fieldValidation", ""),
    )
    validation = query.get("fieldValidation") or "Warn"
    if not manager and not apply:
        manager = default_field_manager(request.headers.get("User-Agent", ""))
    return WriteOptions(dry_run=bool(dry_run), field_manager=manager, field_validation=validation)


def _delete_body(request: web.Request, raw: bytes) -> Any:
    """A DELETE's ``DeleteOptions``, sent as JSON or (by typed clients) as protobuf."""
    if not raw.strip():
        return None
    return negotiation.decode_body(request.headers.get("Content-Type"), raw)


async def read_body(request: web.Request) -> bytes:
    if request.content_length and request.content_length > negotiation.MAX_BODY_BYTES:
        raise errors.entity_too_large(negotiation.MAX_BODY_BYTES)
    data = bytearray()
    async for chunk in request.content.iter_chunked(65536):
        data.extend(chunk)
        if len(data) > negotiation.MAX_BODY_BYTES:
            raise errors.entity_too_large(negotiation.MAX_BODY_BYTES)
    return bytes(data)


def _table_or_object(
    request: web.Request,
    api: ObjectAPI,
    strategy: ResourceStrategy,
    obj: dict[str, Any],
    status: int = 200,
    warnings: list[str] | None = None,
) -> web.Response:
    accept = negotiation.parse_accept(request.headers.get("Accept"))
    if accept.as_table:
        body = tables.table(
            strategy,
            [obj],
            api.clock.now(),
            request.query.get("includeObject", "Metadata"),
            list_meta={"resourceVersion": obj["metadata"].get("resourceVersion", "")},
        )
        return json_response(body, status, warnings)
    if accept.as_partial_metadata:
        return json_response(tables.partial_metadata(obj), status, warnings)
    return json_response(obj, status, warnings)


async def handle(
    request: web.Request, api: ObjectAPI, group: str, version: str, tail: str
) -> web.StreamResponse:
    target = resolve_target(api, group, version, tail)
    response = await _dispatch(request, api, target)
    warning = target.strategy.deprecation_warning
    if warning and not response.prepared:
        response.headers.add("Warning", f'299 - "{warning}"')
    return response


async def _dispatch(request: web.Request, api: ObjectAPI, target: Target) -> web.StreamResponse:
    strategy = target.strategy
    method = request.method
    special = SUBRESOURCE_HANDLERS.get((strategy.plural, target.subresource))
    if target.subresource and special is not None:
        return await special(request, api, target)
    namespace = target.namespace or ""
    if target.name is None:
        if method == "GET":
            options = listoptions.parse(request.query)
            if options.watch:
                return await _watch(request, api, target, options)
            await _wait_for_version(api, options)
            return _list(request, api, target, options)
        if method == "POST":
            return await _create(request, api, target)
        if method == "DELETE":
            return await _delete_collection(request, api, target)
        raise errors.method_not_allowed(method, strategy.kind)
    if target.subresource == "scale":
        return await _scale(request, api, target)
    if target.subresource not in ("", "status", "finalize", "ephemeralcontainers"):
        raise errors.method_not_allowed(method, strategy.kind)
    if target.subresource == "finalize" and method != "PUT":
        raise errors.method_not_allowed(method, strategy.kind)
    if method == "GET":
        return _table_or_object(request, api, strategy, api.get(strategy, namespace, target.name))
    if method == "PUT":
        options = _write_options(request)
        body = negotiation.decode_body(
            request.headers.get("Content-Type"), await read_body(request)
        )
        result = api.update(strategy, namespace, target.name, body, options, target.subresource)
        return json_response(result, 200, options.warnings)
    if method == "PATCH":
        patch_type, patch_body = negotiation.decode_patch(
            request.headers.get("Content-Type"), await read_body(request)
        )
        options = _write_options(request, apply=patch_type == "apply")
        if patch_type == "apply":
            return await _apply(request, api, target, patch_body, options)
        result = api.patch(
            strategy, namespace, target.name, patch_type, patch_body, options, target.subresource
        )
        return json_response(result, 200, options.warnings)
    if method == "DELETE" and not target.subresource:
        raw = await read_body(request)
        body = _delete_body(request, raw)
        options = DeleteOptions.from_body(body, dict(request.query))
        obj, removed = api.delete(strategy, namespace, target.name, options)
        if removed and not strategy.returns_deleted_object:
            return json_response(_deleted_status(strategy, obj))
        return json_response(obj)
    raise errors.method_not_allowed(method, strategy.kind)


async def _apply(
    request: web.Request, api: ObjectAPI, target: Target, body: Any, options: WriteOptions
) -> web.Response:
    applier = getattr(api, "server_side_apply", None)
    if applier is None:
        raise errors.unsupported_media_type(
            ", ".join(k for k, v in negotiation.PATCH_TYPES.items() if v != "apply")
        )
    obj, status = applier(
        target.strategy,
        target.namespace or "",
        target.name,
        body,
        options,
        request.query.get("force") == "true",
        target.subresource,
    )
    return json_response(obj, status, options.warnings)


def _deleted_status(strategy: ResourceStrategy, obj: dict[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {
        "name": obj["metadata"]["name"],
        "kind": strategy.plural,
        "uid": obj["metadata"].get("uid", ""),
    }
    if strategy.group:
        details["group"] = strategy.group
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }


async def _create(request: web.Request, api: ObjectAPI, target: Target) -> web.Response:
    options = _write_options(request)
    body = negotiation.decode_body(request.headers.get("Content-Type"), await read_body(request))
    obj = api.create(target.strategy, target.namespace or "", body, options)
    return _table_or_object(request, api, target.strategy, obj, 201, options.warnings)


# --- list and watch --------------------------------------------------------------------------

#: How long (real seconds) a list from a future resourceVersion waits for it, as upstream.
TOO_LARGE_VERSION_WAIT_SECONDS = 3.0


def _filters(options: ListOptions, target: Target) -> Callable[[dict[str, Any]], bool]:
    """The predicate a list, watch or deletecollection applies; a field the kind cannot be
    selected by is refused first, as kube-apiserver's field label conversion does."""
    strategy = target.strategy
    labels, fields = options.labels, options.fields
    allowed = {"metadata.name"} | set(strategy.selectable_fields)
    if strategy.namespaced:
        allowed.add("metadata.namespace")
    check_field_selector(fields, allowed)

    def matches(obj: dict[str, Any]) -> bool:
        if target.namespace and obj["metadata"].get("namespace") != target.namespace:
            return False
        if not labels.matches(obj["metadata"].get("labels")):
            return False
        return fields.matches(strategy.field_values(obj))

    return matches


def _start_key(target: Target, obj: dict[str, Any]) -> str:
    """Where an object sits in its list, as the etcd key below the list's prefix: the name in
    one namespace or for cluster-scoped kinds, ``namespace/name`` across namespaces."""
    meta = obj["metadata"]
    if target.strategy.namespaced and not target.namespace:
        return f"{meta.get('namespace', '')}/{meta['name']}"
    return meta["name"]


async def _wait_for_version(api: ObjectAPI, options: ListOptions) -> None:
    """Give a list from a version the store has not reached yet a few seconds to get there, as
    the watch cache does before it answers "Too large resource version"."""
    asked = listoptions.resource_version_number(options.resource_version)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TOO_LARGE_VERSION_WAIT_SECONDS
    while api.store.revision < asked and loop.time() < deadline:
        await asyncio.sleep(0.05)


def _list(
    request: web.Request, api: ObjectAPI, target: Target, options: ListOptions
) -> web.Response:
    strategy = target.strategy
    matches = _filters(options, target)
    continuation = listoptions.decode_continue(options)
    asked = listoptions.resource_version_number(options.resource_version)
    current = api.store.revision
    if asked > current:
        raise listoptions.too_large_resource_version(asked, current)
    # The next page of a list, and an exact version, are read as of that version; anything
    # else is the current state (which is "not older than" any version already issued).
    revision = current
    if continuation is not None and continuation.resource_version > 0:
        revision = continuation.resource_version
    elif options.resource_version_match == listoptions.EXACT:
        revision = asked
    try:
        stored = (
            api.list(strategy, target.namespace)
            if revision == current
            else api.list_at(strategy, target.namespace, revision)
        )
    except TooOld:
        if continuation is not None:
            raise listoptions.ExpiredContinue(continuation.start) from None
        raise errors.gone(listoptions.LIST_TOO_OLD) from None
    items = [o for o in stored if matches(o)]
    if continuation is not None:
        items = [o for o in items if _start_key(target, o) >= continuation.start]
    list_meta: dict[str, Any] = {"resourceVersion": str(revision)}
    limit = options.page_size
    if 0 < limit < len(items):
        items, remaining = items[:limit], len(items) - limit
        list_meta["continue"] = listoptions.encode_continue(
            revision, _start_key(target, items[-1]) + "\x00"
        )
        if options.labels.empty and not options.fields.requirements:
            list_meta["remainingItemCount"] = remaining
    accept = negotiation.parse_accept(request.headers.get("Accept"))
    presented = [api.present_shared(strategy, o) for o in items]
    if accept.as_table:
        return json_response(
            tables.table(
                strategy,
                presented,
                api.clock.now(),
                request.query.get("includeObject", "Metadata"),
                list_meta=list_meta,
            )
        )
    if accept.as_partial_metadata:
        return json_response(
            {
                "kind": "PartialObjectMetadataList",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": list_meta,
                "items": [tables.partial_metadata(o) for o in presented],
            }
        )
    for obj in presented:
        obj.pop("apiVersion", None)
        obj.pop("kind", None)
    return json_response(
        {
            "kind": strategy.list_kind,
            "apiVersion": strategy.api_version,
            "metadata": list_meta,
            "items": presented,
        }
    )


async def _watch(
    request: web.Request, api: ObjectAPI, target: Target, options: ListOptions
) -> web.StreamResponse:
    """A watch: the current objects first when initial events are asked for (the default
    for a watch from "now"), closed by a bookmark only when bookmarks are allowed too."""
    strategy = target.strategy
    matches = _filters(options, target)
    query = request.query
    initial: list[dict[str, Any]] | None = None
    if options.send_initial_events:
        since = api.store.revision
        initial = [o for o in api.list(strategy, target.namespace) if matches(o)]
    elif options.resource_version in ("", "0"):
        since = api.store.revision
    else:
        since = listoptions.resource_version_number(options.resource_version)
    accept = negotiation.parse_accept(request.headers.get("Accept"))
    now = api.clock.now

    def render(stored: dict[str, Any], first: bool) -> dict[str, Any]:
        obj = api.present(strategy, stored)
        if accept.as_table:
            return tables.table(
                strategy,
                [obj],
                now(),
                query.get("includeObject", "Metadata"),
                with_columns=first,
                list_meta={"resourceVersion": obj["metadata"]["resourceVersion"]},
            )
        if accept.as_partial_metadata:
            return tables.partial_metadata(obj)
        return obj

    # No timeout (or 0) means the server's own; a negative one has already run out.
    timeout = float(max(options.timeout_seconds, 0)) if options.timeout_seconds else None
    # Plain objects look the same to every watcher of this resource and version.
    plain = not (accept.as_table or accept.as_partial_metadata)
    view = (strategy.key, strategy.api_version, strategy.kind)
    shared = watch.SharedView(api.watch_lines, view) if plain else None
    return await watch.stream(
        request,
        api.store,
        api.storage_key(strategy),
        initial,
        since,
        matches,
        render,
        {"kind": strategy.kind, "apiVersion": strategy.api_version},
        options.allow_watch_bookmarks,
        options.streams_list,
        timeout,
        shared,
    )


async def _delete_collection(request: web.Request, api: ObjectAPI, target: Target) -> web.Response:
    strategy = target.strategy
    matches = _filters(listoptions.parse(request.query), target)
    raw = await read_body(request)
    body = _delete_body(request, raw)
    options = DeleteOptions.from_body(body, dict(request.query))
    deleted = []
    for stored in [o for o in api.list(strategy, target.namespace) if matches(o)]:
        meta = stored["metadata"]
        try:
            obj, _ = api.delete(strategy, meta.get("namespace", ""), meta["name"], options)
        except errors.APIError as exc:
            if exc.code == 404:
                continue
            raise
        obj.pop("apiVersion", None)
        obj.pop("kind", None)
        deleted.append(obj)
    return json_response(
        {
            "kind": strategy.list_kind,
            "apiVersion": strategy.api_version,
            "metadata": {"resourceVersion": str(api.store.revision)},
            "items": deleted,
        }
    )


# --- scale -----------------------------------------------------------------------------------


def _replica_paths(strategy: ResourceStrategy) -> tuple[list[str], list[str]]:
    """Where the desired and current replica counts live: ``.spec.replicas`` and
    ``.status.replicas`` for built-in kinds, the CRD's declared paths for custom resources."""
    declared = getattr(strategy, "scale", None) or {}
    spec_path = declared.get("specReplicasPath") or ".spec.replicas"
    status_path = declared.get("statusReplicasPath") or ".status.replicas"
    return spec_path.strip(".").split("."), status_path.strip(".").split(".")


def _read_path(obj: dict[str, Any], path: list[str]) -> Any:
    for part in path:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj if obj is not None else 0


def scale_of(strategy: ResourceStrategy, obj: dict[str, Any]) -> dict[str, Any]:
    """The ``autoscaling/v1`` Scale view of a scalable object."""
    meta = obj["metadata"]
    spec_path, status_path = _replica_paths(strategy)
    selector = getattr(strategy, "scale_selector", None)
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": _read_path(obj, spec_path)},
        "status": {
            "replicas": _read_path(obj, status_path),
            "selector": selector(obj) if selector else "",
        },
    }


async def _scale(request: web.Request, api: ObjectAPI, target: Target) -> web.Response:
    from kubelab.cluster.api import patch as patching

    strategy, namespace, name = target.strategy, target.namespace or "", target.name or ""
    current = api.get(strategy, namespace, name)
    scale = scale_of(strategy, current)
    if request.method == "GET":
        return json_response(scale)
    options = _write_options(request)
    raw = await read_body(request)
    if request.method == "PUT":
        wanted = negotiation.decode_body(request.headers.get("Content-Type"), raw)
    elif request.method == "PATCH":
        patch_type, body = negotiation.decode_patch(request.headers.get("Content-Type"), raw)
        if patch_type == "json":
            wanted = patching.apply_json_patch(scale, body)
        elif patch_type in ("merge", "strategic"):
            wanted = patching.apply_merge_patch(scale, body)
        else:
            raise errors.unsupported_media_type(patch_type)
    else:
        raise errors.method_not_allowed(request.method, "Scale")
    if not isinstance(wanted, dict):
        raise errors.bad_request("the body of the request was in an unknown format")
    replicas = (wanted.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise errors.bad_request(
            'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal '
            f"{type(replicas).__name__} into Go struct field ScaleSpec.spec.replicas of type int32"
        )
    if replicas < 0:
        raise errors.invalid_object(
            "autoscaling",
            "Scale",
            name,
            [errors.invalid("spec.replicas", replicas, "must be greater than or equal to 0")],
        )
    version = (wanted.get("metadata") or {}).get("resourceVersion")
    if version and version != current["metadata"]["resourceVersion"]:
        raise errors.conflict(strategy.group, strategy.plural, name, errors.OBJECT_MODIFIED)
    updated = clone(current)
    target_dict = updated
    spec_path, _ = _replica_paths(strategy)
    for part in spec_path[:-1]:
        target_dict = target_dict.setdefault(part, {})
    target_dict[spec_path[-1]] = replicas
    result = api.update(strategy, namespace, name, updated, options, "scale")
    return json_response(scale_of(strategy, result), 200, options.warnings)
