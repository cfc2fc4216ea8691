"""Column definitions the kinds' printers share.

Upstream's printers describe most columns with the Go types' ``SwaggerDoc`` strings, which are
the same field descriptions the OpenAPI schemas carry, so :func:`field_doc` reads them from the
served schemas instead of repeating them. Kinds without a printer of their own (Roles,
ClusterRoles, LimitRanges) get kube-apiserver's default table: ``Name`` and ``Created At``.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster import schemas
from kubelab.cluster.resources.base import NAME_COLUMN, Column
from kubelab.cluster.resources.printing import format_time, parse_time

_DEFINITION_PREFIX = "io.k8s."


def field_doc(definition: str, field: str) -> str:
    """The description of ``field`` in a schema definition such as ``api.core.v1.ServiceSpec``."""
    schema = schemas.definitions().get(_DEFINITION_PREFIX + definition, {})
    prop = schema.get("properties", {}).get(field, {})
    return prop.get("description", "")


CREATED_AT_COLUMN = Column(
    "Created At",
    type="date",
    description=field_doc("apimachinery.pkg.apis.meta.v1.ObjectMeta", "creationTimestamp"),
)

#: The columns of kube-apiserver's default table, for kinds that have no printer.
DEFAULT_COLUMNS = (NAME_COLUMN, CREATED_AT_COLUMN)

#: How Go prints a zero ``metav1.Time`` in RFC 3339.
_ZERO_TIME = "0001-01-01T00:00:00Z"


def created_at(obj: dict[str, Any]) -> str:
    """The ``Created At`` cell: the creation time in UTC, RFC 3339, as the default table has it."""
    moment = parse_time(obj.get("metadata", {}).get("creationTimestamp"))
    return format_time(moment) if moment else _ZERO_TIME


def default_row(obj: dict[str, Any]) -> list[Any]:
    """The cells of kube-apiserver's default table for one object."""
    return [obj["metadata"]["name"], created_at(obj)]
