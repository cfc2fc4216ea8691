"""ServiceAccounts: the identity pods run as, with a ``token`` subresource for bound tokens.

Since 1.24 no token Secret is created for a ServiceAccount, so the SECRETS column of
``kubectl get sa`` counts only Secrets listed by hand, usually zero.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.printing import age


class ServiceAccountStrategy(ResourceStrategy):
    kind = "ServiceAccount"
    plural = "serviceaccounts"
    returns_deleted_object = True
    short_names = ("sa",)
    subresources = ("token",)
    columns = (
        NAME_COLUMN,
        Column("Secrets", description=field_doc("api.core.v1.ServiceAccount", "secrets")),
        AGE_COLUMN,
    )

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        return [obj["metadata"]["name"], len(obj.get("secrets") or []), age(obj, now)]


STRATEGIES = [ServiceAccountStrategy()]
