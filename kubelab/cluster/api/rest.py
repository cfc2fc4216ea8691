"""The generic registry: how every verb on every resource becomes a store operation.

This is the heart of kube-apiserver's ``registry/generic/registry.Store``. A request is decoded,
defaulted, prepared, validated and admitted, and only then written; a failure at any step leaves
the store untouched. The same pipeline serves HTTP clients and the teaching cluster's own
controllers, so both see identical semantics: resourceVersion preconditions, 409 conflicts,
the status subresource split, generation counting, finalizers and graceful deletion.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from kubelab.cluster import schemas
from kubelab.cluster.api import errors
from kubelab.cluster.api.errors import APIError, FieldError
from kubelab.cluster.api.fieldvalidation import check_object
from kubelab.cluster.api.listoptions import parse_go_bool, parse_go_int
from kubelab.cluster.api.watch import SharedLines
from kubelab.cluster.api.writeoptions import check_delete_options
from kubelab.cluster.clock import Clock
from kubelab.cluster.jsondata import clone
from kubelab.cluster.resources.base import ResourceStrategy
from kubelab.cluster.resources.registry import Registry
from kubelab.cluster.resources.validation import validate_object_meta
from kubelab.cluster.store.objects import KeyExists, KeyMissing, ObjectStore, VersionConflict

GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
GENERATE_NAME_PREFIX_MAX = 58

FOREGROUND_FINALIZER = "foregroundDeletion"
ORPHAN_FINALIZER = "orphan"

#: Metadata the server owns: a client's values are ignored on update.
_SERVER_OWNED_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds")


@dataclass
class WriteOptions:
    """Per-request options that shape a write (query parameters of the HTTP request)."""

    dry_run: bool = False
    field_manager: str = ""
    field_validation: str = "Ignore"
    warnings: list[str] = field(default_factory=list)
    #: Set for the control plane's own writes, which are built from objects the server itself
    #: decoded: the decode-time schema walk over built-in kinds is skipped for them.
    trusted: bool = False


@dataclass
class DeleteOptions:
    """The ``DeleteOptions`` body and query parameters of a DELETE."""

    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    precondition_uid: str | None = None
    precondition_resource_version: str | None = None
    dry_run: bool = False

    @classmethod
    def from_body(cls, body: dict[str, Any] | None, query: dict[str, str]) -> DeleteOptions:
        """Options from a DELETE's body and query, checked as ``ValidateDeleteOptions`` does;
        a negative grace period means one second, as on kube-apiserver's delete path."""
        body = body or {}
        grace = body.get("gracePeriodSeconds", query.get("gracePeriodSeconds"))
        policy = body.get("propagationPolicy", query.get("propagationPolicy"))
        orphan = body.get("orphanDependents", query.get("orphanDependents"))
        if isinstance(orphan, str):
            orphan = parse_go_bool(orphan)
        preconditions = body.get("preconditions") or {}
        dry_run = body.get("dryRun") or ([query["dryRun"]] if "dryRun" in query else [])
        check_delete_options(policy, orphan, dry_run)
        if policy is None and orphan is not None:
            policy = "Orphan" if orphan else "Background"
        if isinstance(grace, str):
            grace = parse_go_int(grace)
        elif grace is not None and (not isinstance(grace, int) or isinstance(grace, bool)):
            raise errors.bad_request(
                "json: cannot unmarshal value into Go struct field "
                "DeleteOptions.gracePeriodSeconds of type int64"
            )
        return cls(
            grace_period_seconds=None if grace is None else (1 if grace < 0 else grace),
            propagation_policy=policy,
            precondition_uid=preconditions.get("uid"),
            precondition_resource_version=preconditions.get("resourceVersion"),
            dry_run="All" in dry_run,
        )


def _spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
        obj["metadata"] = meta
    return meta


class ObjectAPI:
    """Verbs on resources, with kube-apiserver's semantics, over an :class:`ObjectStore`."""

    def __init__(self, store: ObjectStore, registry: Registry, clock: Clock) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        #: Admission plugins: ``plugin(api, strategy, obj, old)``; may change obj or raise.
        self.admission: list[Any] = []
        #: Keeps ``metadata.managedFields``: ``tracker(strategy, obj, old, options, sub)``.
        self.field_tracker: Any = None
        #: Delete admission: ``plugin(api, strategy, obj)``; may raise to refuse a deletion.
        self.delete_admission: list[Any] = []
        #: Called after every committed write with (strategy, old, new); new is None on removal.
        self.write_hooks: list[Any] = []
        #: Watch event lines encoded once for all watchers of the same view.
        self.watch_lines = SharedLines()

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def storage_key(strategy: ResourceStrategy) -> str:
        return getattr(strategy, "storage_key", strategy.key)

    def present(self, strategy: ResourceStrategy, stored: dict[str, Any]) -> dict[str, Any]:
        """A stored object as the requested version shows it (a copy, safe to change)."""
        obj = clone(stored)
        converter = getattr(strategy, "from_storage", None)
        if converter is not None:
            obj = converter(obj)
        obj["apiVersion"] = strategy.api_version
        obj["kind"] = strategy.kind
        return obj

    def present_shared(self, strategy: ResourceStrategy, stored: dict[str, Any]) -> dict[str, Any]:
        """Like :meth:`present`, but sharing the stored object's values instead of copying
        them: for a response serialized at once (a LIST of a thousand pods), never to change."""
        if getattr(strategy, "from_storage", None) is not None:
            return self.present(strategy, stored)
        return {**stored, "apiVersion": strategy.api_version, "kind": strategy.kind}

    def _to_storage(self, strategy: ResourceStrategy, obj: dict[str, Any]) -> dict[str, Any]:
        converter = getattr(strategy, "to_storage", None)
        return converter(obj) if converter is not None else obj

    def _not_found(self, strategy: ResourceStrategy, name: str) -> APIError:
        return errors.not_found(strategy.group, strategy.plural, name)

    def _conflict(self, strategy: ResourceStrategy, name: str) -> APIError:
        return errors.conflict(strategy.group, strategy.plural, name, errors.OBJECT_MODIFIED)

    def _stored(self, strategy: ResourceStrategy, namespace: str, name: str) -> dict[str, Any]:
        stored = self.store.get(self.storage_key(strategy), namespace, name)
        if stored is None:
            raise self._not_found(strategy, name)
        return stored

    def _check_type(self, strategy: ResourceStrategy, obj: Any) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise errors.bad_request(
                "the body of the request was in an unknown format - accepted media types "
                "include: application/json, application/yaml, "
                "application/vnd.kubernetes.protobuf"
            )
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if kind and kind != strategy.kind:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected "
                f"API version ({strategy.api_version})"
                if api_version and api_version != strategy.api_version
                else f'{kind} in version "{strategy.version}" cannot be handled as a '
                f'{strategy.kind}: no kind "{kind}" is registered for version '
                f'"{strategy.api_version}"'
            )
        if api_version and api_version != strategy.api_version:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected "
                f"API version ({strategy.api_version})"
            )
        obj["apiVersion"] = strategy.api_version
        obj["kind"] = strategy.kind
        return obj

    def _decode(
        self, strategy: ResourceStrategy, body: Any, options: WriteOptions
    ) -> dict[str, Any]:
        obj = self._check_type(strategy, clone(body))
        custom_check = getattr(strategy, "check_fields", None)
        if custom_check is not None:
            obj, warnings = custom_check(obj, options.field_validation)
        elif options.trusted:
            warnings = []
        else:
            obj, warnings = check_object(
                obj, strategy.group, strategy.version, strategy.kind, options.field_validation
            )
        options.warnings.extend(warnings)
        if not isinstance(obj.get("metadata", {}), dict):
            raise errors.bad_request(
                f'{strategy.kind} in version "{strategy.version}" cannot be handled as a '
                f"{strategy.kind}: metadata must be an object"
            )
        return obj

    def _validate(
        self, strategy: ResourceStrategy, obj: dict[str, Any], spec_errors: list[FieldError]
    ) -> None:
        name_rule = getattr(strategy, "name_rule", "subdomain")
        problems = validate_object_meta(_meta(obj), strategy.namespaced, name_rule) + spec_errors
        if problems:
            name = _meta(obj).get("name") or _meta(obj).get("generateName", "")
            raise errors.invalid_object(strategy.group, strategy.kind, name, problems)

    def _check_namespace(self, strategy: ResourceStrategy, namespace: str) -> None:
        """Admission: the namespace must exist and must not be terminating."""
        if not strategy.namespaced:
            return
        ns = self.store.get("/namespaces", "", namespace)
        if ns is None:
            raise errors.not_found("", "namespaces", namespace)
        if ns.get("metadata", {}).get("deletionTimestamp"):
            raise errors.forbidden(
                f"{strategy.plural}{'.' + strategy.group if strategy.group else ''} "
                f'"{_meta(ns).get("name")}" is forbidden: unable to create new content in '
                f"namespace {namespace} because it is being terminated",
            )

    # --- reads ---------------------------------------------------------------------------------

    def get(self, strategy: ResourceStrategy, namespace: str, name: str) -> dict[str, Any]:
        return self.present(strategy, self._stored(strategy, namespace, name))

    def list(self, strategy: ResourceStrategy, namespace: str | None) -> list[dict[str, Any]]:
        """Stored objects (shared, not copies): callers filter, then :meth:`present` them."""
        items = self.store.list(self.storage_key(strategy), namespace or None)
        matches = getattr(strategy, "stored_object_matches", None)
        return [o for o in items if matches(o)] if matches else items

    def list_at(
        self, strategy: ResourceStrategy, namespace: str | None, revision: int
    ) -> list[dict[str, Any]]:
        """As :meth:`list`, as the objects were at ``revision`` (raises ``TooOld``)."""
        items = self.store.list_at(self.storage_key(strategy), namespace or None, revision)
        matches = getattr(strategy, "stored_object_matches", None)
        return [o for o in items if matches(o)] if matches else items

    # --- create --------------------------------------------------------------------------------

    def create(
        self,
        strategy: ResourceStrategy,
        namespace: str,
        body: Any,
        options: WriteOptions | None = None,
    ) -> dict[str, Any]:
        options = options or WriteOptions()
        obj = self._decode(strategy, body, options)
        meta = _meta(obj)
        if strategy.namespaced:
            if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            meta["namespace"] = meta.get("namespace") or namespace
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            raise errors.bad_request("resourceVersion should not be set on objects to be created")
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = self._generate_name(strategy, meta)
        for key in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(key, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = self.clock.timestamp()
        if strategy.tracks_generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        strategy.default(obj)
        strategy.prepare_for_create(obj)
        self._validate(strategy, obj, strategy.validate(obj))
        self._check_namespace(strategy, meta.get("namespace", ""))
        self._admit(strategy, obj, None)
        self._track_fields(strategy, obj, None, options)
        options.warnings.extend(strategy.warnings(obj))
        if options.dry_run:
            if self.store.get(self.storage_key(strategy), meta.get("namespace", ""), meta["name"]):
                raise errors.already_exists(strategy.group, strategy.plural, meta["name"])
            return self.present(strategy, self._to_storage(strategy, obj))
        try:
            stored = self.store.create(self.storage_key(strategy), self._to_storage(strategy, obj))
        except KeyExists:
            raise errors.already_exists(strategy.group, strategy.plural, meta["name"]) from None
        self._after_write(strategy, None, stored)
        return self.present(strategy, stored)

    def _generate_name(self, strategy: ResourceStrategy, meta: dict[str, Any]) -> str:
        prefix = meta["generateName"][:GENERATE_NAME_PREFIX_MAX]
        key, namespace = self.storage_key(strategy), meta.get("namespace", "")
        for _ in range(16):
            name = prefix + "".join(random.choices(GENERATE_NAME_ALPHABET, k=5))
            if self.store.get(key, namespace, name) is None:
                return name
        return name

    # --- update --------------------------------------------------------------------------------

    def update(
        self,
        strategy: ResourceStrategy,
        namespace: str,
        name: str,
        body: Any,
        options: WriteOptions | None = None,
        subresource: str = "",
    ) -> dict[str, Any]:
        options = options or WriteOptions()
        obj = self._decode(strategy, body, options)
        meta = _meta(obj)
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL "
                f"({name})"
            )
        if strategy.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        stored = self._stored(strategy, namespace, name)
        old = self.present(strategy, stored)
        wanted_version = meta.get("resourceVersion")
        if wanted_version and wanted_version != _meta(old).get("resourceVersion"):
            raise self._conflict(strategy, name)
        if meta.get("uid") and meta["uid"] != _meta(old).get("uid"):
            raise errors.conflict(
                strategy.group,
                strategy.plural,
                name,
                f"Precondition failed: UID in precondition: {meta['uid']}, UID in object meta: "
                f"{_meta(old).get('uid')}",
            )
        meta["name"] = name
        if strategy.namespaced:
            meta["namespace"] = namespace
        for key in _SERVER_OWNED_META:
            if key in _meta(old):
                meta[key] = _meta(old)[key]
            else:
                meta.pop(key, None)
        if subresource == "finalize":
            finalizers = (obj.get("spec") or {}).get("finalizers")
            obj = {**clone(old), "spec": {**old.get("spec", {}), "finalizers": finalizers}}
            if finalizers is None:
                del obj["spec"]["finalizers"]
            meta = _meta(obj)
            self._validate(strategy, obj, strategy.validate_update(obj, old))
        elif subresource == "ephemeralcontainers":
            strategy.prepare_for_ephemeral_update(obj, old)  # type: ignore[attr-defined]
            self._validate(
                strategy,
                obj,
                strategy.validate_ephemeral_update(obj, old),  # type: ignore[attr-defined]
            )
        elif subresource == "status":
            strategy.prepare_for_status_update(obj, old)
            problems = strategy.validate_status_update(obj, old)
            self._validate(strategy, obj, problems)
        else:
            strategy.default(obj)
            strategy.prepare_for_update(obj, old)
            problems = strategy.validate_update(obj, old) + self._finalizer_errors(obj, old)
            self._validate(strategy, obj, problems)
            if strategy.tracks_generation:
                generation = _meta(old).get("generation", 1)
                if _spec_part(obj) != _spec_part(old):
                    generation += 1
                meta["generation"] = generation
        self._admit(strategy, obj, old)
        self._track_fields(strategy, obj, old, options, subresource)
        options.warnings.extend(strategy.warnings(obj))
        return self._write_update(strategy, obj, old, stored, options)

    def _finalizer_errors(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        if not _meta(old).get("deletionTimestamp"):
            return []
        added = set(_meta(obj).get("finalizers") or []) - set(_meta(old).get("finalizers") or [])
        if added:
            return [
                errors.forbidden_field(
                    "metadata.finalizers",
                    "no new finalizers can be added if the object is being "
                    "deleted, found new finalizers " + str(sorted(added)).replace("'", '"'),
                )
            ]
        return []

    def _write_update(
        self,
        strategy: ResourceStrategy,
        obj: dict[str, Any],
        old: dict[str, Any],
        stored: dict[str, Any],
        options: WriteOptions,
    ) -> dict[str, Any]:
        meta = _meta(obj)
        meta["resourceVersion"] = _meta(old).get("resourceVersion")
        unchanged = obj == old
        if options.dry_run or unchanged:
            return obj if options.dry_run else old
        finishing = bool(meta.get("deletionTimestamp")) and not meta.get("finalizers")
        key = self.storage_key(strategy)
        try:
            if finishing and strategy.deletion_may_finish(obj):
                removed = self.store.delete(
                    key, meta.get("namespace", ""), meta["name"], int(meta["resourceVersion"])
                )
                self._after_write(strategy, stored, None)
                return self.present(strategy, removed)
            written = self.store.update(
                key, self._to_storage(strategy, obj), int(meta["resourceVersion"])
            )
        except VersionConflict:
            raise self._conflict(strategy, meta["name"]) from None
        except KeyMissing:
            raise self._not_found(strategy, meta["name"]) from None
        self._after_write(strategy, stored, written)
        return self.present(strategy, written)

    # --- patch ---------------------------------------------------------------------------------

    def patch(
        self,
        strategy: ResourceStrategy,
        namespace: str,
        name: str,
        patch_type: str,
        patch_body: Any,
        options: WriteOptions | None = None,
        subresource: str = "",
    ) -> dict[str, Any]:
        from kubelab.cluster.api import patch as patching

        options = options or WriteOptions()
        current = self.get(strategy, namespace, name)
        if patch_type == "json":
            patched = patching.apply_json_patch(current, patch_body)
        elif patch_type == "merge":
            patched = patching.apply_merge_patch(current, patch_body)
        elif patch_type == "strategic":
            schema = (
                schemas.schema_for(strategy.group, strategy.version, strategy.kind)
                if getattr(strategy, "supports_strategic_merge_patch", True)
                else None
            )
            patched = patching.apply_strategic_merge_patch(current, patch_body, schema)
        else:
            raise errors.unsupported_media_type(patch_type)
        if not _meta(patched).get("resourceVersion"):
            _meta(patched)["resourceVersion"] = _meta(current)["resourceVersion"]
        return self.update(strategy, namespace, name, patched, options, subresource)

    # --- delete --------------------------------------------------------------------------------

    def delete(
        self,
        strategy: ResourceStrategy,
        namespace: str,
        name: str,
        options: DeleteOptions | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Delete or start deleting an object. Returns (object, removed_now)."""
        options = options or DeleteOptions()
        stored = self._stored(strategy, namespace, name)
        obj = self.present(strategy, stored)
        meta = _meta(obj)
        if options.precondition_uid and options.precondition_uid != meta.get("uid"):
            raise errors.conflict(
                strategy.group,
                strategy.plural,
                name,
                f"Precondition failed: UID in precondition: {options.precondition_uid}, "
                f"UID in object meta: {meta.get('uid')}",
            )
        if (
            options.precondition_resource_version
            and options.precondition_resource_version != meta.get("resourceVersion")
        ):
            raise errors.conflict(
                strategy.group,
                strategy.plural,
                name,
                f"Precondition failed: ResourceVersion in precondition: "
                f"{options.precondition_resource_version}, ResourceVersion in object meta: "
                f"{meta.get('resourceVersion')}",
            )
        for plugin in self.delete_admission:
            plugin(self, strategy, obj)
        finalizers = list(meta.get("finalizers") or [])
        policy = options.propagation_policy or getattr(
            strategy, "default_propagation_policy", "Background"
        )
        if policy == "Orphan" and ORPHAN_FINALIZER not in finalizers:
            finalizers.append(ORPHAN_FINALIZER)
        elif policy == "Foreground" and FOREGROUND_FINALIZER not in finalizers:
            finalizers.append(FOREGROUND_FINALIZER)
        if policy != "Orphan" and ORPHAN_FINALIZER in finalizers and options.propagation_policy:
            finalizers.remove(ORPHAN_FINALIZER)
        grace = self._grace_period(strategy, obj, options)
        pending_finalizers = bool(finalizers) or strategy.deletion_blocked(obj)
        if meta.get("deletionTimestamp"):
            shorter = grace is not None and grace < meta.get("deletionGracePeriodSeconds", 0)
            if not shorter:
                return obj, False
            if grace == 0 and not pending_finalizers:
                return self._remove(strategy, stored, obj, options), True
            return self._mark_deleting(strategy, obj, stored, finalizers, grace, options), False
        if not pending_finalizers and not grace:
            return self._remove(strategy, stored, obj, options), True
        return self._mark_deleting(strategy, obj, stored, finalizers, grace or 0, options), False

    def _remove(
        self,
        strategy: ResourceStrategy,
        stored: dict[str, Any],
        obj: dict[str, Any],
        options: DeleteOptions,
    ) -> dict[str, Any]:
        if options.dry_run:
            return obj
        meta = _meta(obj)
        try:
            self.store.delete(self.storage_key(strategy), meta.get("namespace", ""), meta["name"])
        except KeyMissing:
            raise self._not_found(strategy, meta["name"]) from None
        self._after_write(strategy, stored, None)
        return obj

    def _grace_period(
        self, strategy: ResourceStrategy, obj: dict[str, Any], options: DeleteOptions
    ) -> int | None:
        return strategy.grace_period(obj, options.grace_period_seconds)

    def _mark_deleting(
        self,
        strategy: ResourceStrategy,
        obj: dict[str, Any],
        stored: dict[str, Any],
        finalizers: list[str],
        grace: int,
        options: DeleteOptions,
    ) -> dict[str, Any]:
        updated = clone(obj)
        meta = _meta(updated)
        meta["finalizers"] = finalizers
        if not finalizers:
            meta.pop("finalizers")
        if not meta.get("deletionTimestamp") or grace < meta.get("deletionGracePeriodSeconds", 0):
            from datetime import timedelta

            from kubelab.cluster.resources.printing import format_time

            meta["deletionTimestamp"] = format_time(self.clock.now() + timedelta(seconds=grace))
        meta["deletionGracePeriodSeconds"] = grace
        strategy.on_delete(updated)
        if options.dry_run:
            return updated
        written = self.store.update(
            self.storage_key(strategy),
            self._to_storage(strategy, updated),
            int(_meta(obj)["resourceVersion"]),
        )
        self._after_write(strategy, stored, written)
        return self.present(strategy, written)

    # --- extension points ------------------------------------------------------------------------

    def _admit(
        self, strategy: ResourceStrategy, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> None:
        """Mutating and validating admission that needs cluster state (allocations, quota)."""
        for plugin in self.admission:
            plugin(self, strategy, obj, old)

    def _track_fields(
        self,
        strategy: ResourceStrategy,
        obj: dict[str, Any],
        old: dict[str, Any] | None,
        options: WriteOptions,
        subresource: str = "",
    ) -> None:
        """Record which manager owns which fields (``metadata.managedFields``)."""
        if self.field_tracker is not None:
            self.field_tracker(strategy, obj, old, options, subresource)

    def _after_write(
        self,
        strategy: ResourceStrategy,
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
    ) -> None:
        for hook in self.write_hooks:
            hook(strategy, old, new)
