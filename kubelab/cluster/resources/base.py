"""The per-kind strategy: what kube-apiserver's registry knows about one resource.

Each kind module in this package defines a subclass of :class:`ResourceStrategy` that says how
the kind is served (group, version, plural, scope, short names, subresources), how it is
defaulted and validated, and how ``kubectl get`` prints it. The generic request pipeline in
``kubelab.cluster.api.rest`` calls these hooks in the same order kube-apiserver does:
decode → default → prepare → validate → store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from kubelab.cluster.api.errors import FieldError

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Column:
    """One column of a ``Table`` response (``metav1.TableColumnDefinition``)."""

    name: str
    type: str = "string"
    format: str = ""
    description: str = ""
    priority: int = 0

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


NAME_COLUMN = Column("Name", format="name", description="Name must be unique within a namespace.")
AGE_COLUMN = Column(
    "Age",
    description="CreationTimestamp is a timestamp representing the server time when "
    "this object was created.",
)


class ResourceStrategy:
    """Behaviour of one served resource. Subclasses override the class attributes and hooks."""

    group: ClassVar[str] = ""
    version: ClassVar[str] = "v1"
    kind: ClassVar[str]
    plural: ClassVar[str]
    namespaced: ClassVar[bool] = True
    short_names: ClassVar[tuple[str, ...]] = ()
    categories: ClassVar[tuple[str, ...]] = ()
    #: Subresource names served under the resource: "status", "scale", "log", "exec", ...
    subresources: ClassVar[tuple[str, ...]] = ()
    verbs: ClassVar[tuple[str, ...]] = ALL_VERBS
    #: Extra field-selector keys beyond metadata.name and metadata.namespace.
    selectable_fields: ClassVar[tuple[str, ...]] = ()
    columns: ClassVar[tuple[Column, ...]] = (NAME_COLUMN, AGE_COLUMN)
    #: Whether a DELETE that removes the object at once answers with the object itself
    #: (pods, services, ...) rather than a ``Status``, as upstream's storage for the kind does.
    returns_deleted_object: ClassVar[bool] = False
    #: A warning sent with every response about this resource (deprecated APIs).
    deprecation_warning: ClassVar[str | None] = None

    # --- identity -------------------------------------------------------------------------

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def key(self) -> str:
        """The storage key prefix: ``apps/deployments``, ``/pods`` for the core group."""
        return f"{self.group}/{self.plural}"

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    @property
    def tracks_generation(self) -> bool:
        """Whether ``metadata.generation`` counts spec changes (kinds with a status split)."""
        return self.has_status

    # --- lifecycle hooks --------------------------------------------------------------------

    def default(self, obj: dict[str, Any]) -> None:
        """Fill in defaults in place, as the API server's defaulting functions do."""

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        """Reset what a client may not set on create (for example, status for most kinds)."""
        if self.has_status:
            obj.pop("status", None)

    def prepare_for_update(self, obj: dict[str, Any], old: dict[str, Any]) -> None:
        """Keep what the main endpoint may not change (status, when it has a subresource)."""
        if self.has_status:
            if "status" in old:
                obj["status"] = old["status"]
            else:
                obj.pop("status", None)

    def prepare_for_status_update(self, obj: dict[str, Any], old: dict[str, Any]) -> None:
        """On ``/status`` writes, keep everything but status from the stored object."""
        status = obj.get("status")
        obj.clear()
        obj.update({k: v for k, v in old.items() if k != "status"})
        if status is not None:
            obj["status"] = status

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        """Field errors for a new object (name and metadata are checked by the pipeline)."""
        return []

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        """Field errors for an update: by default the object must be valid on its own."""
        return self.validate(obj)

    def validate_status_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        return []

    # --- deletion ------------------------------------------------------------------------------

    def grace_period(self, obj: dict[str, Any], requested: int | None) -> int | None:
        """Seconds a DELETE waits before the object may go; None for kinds without grace."""
        return None

    def deletion_blocked(self, obj: dict[str, Any]) -> bool:
        """Whether something besides ``metadata.finalizers`` keeps a deleted object around
        (a namespace's ``spec.finalizers``)."""
        return False

    def on_delete(self, obj: dict[str, Any]) -> None:
        """Changes made when deletion starts (a namespace turns ``Terminating``)."""

    def deletion_may_finish(self, obj: dict[str, Any]) -> bool:
        """Whether a deleted object whose finalizers are all gone may now be removed."""
        return not self.deletion_blocked(obj)

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        """Deprecation or best-practice warnings sent back in ``Warning`` headers."""
        return []

    def field_values(self, obj: dict[str, Any]) -> dict[str, str]:
        """Values of the selectable fields, for ``fieldSelector`` matching."""
        meta = obj.get("metadata", {})
        values = {"metadata.name": meta.get("name", "")}
        if self.namespaced:
            values["metadata.namespace"] = meta.get("namespace", "")
        for path in self.selectable_fields:
            values[path] = _lookup_dotted(obj, path)
        return values

    # --- printing -----------------------------------------------------------------------------

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        """Table cells for one object, in the order of :attr:`columns`."""
        from kubelab.cluster.resources.printing import age

        return [obj["metadata"]["name"], age(obj, now)]


def _lookup_dotted(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
