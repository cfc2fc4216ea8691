"""Leases (``coordination.k8s.io/v1``): heartbeats and leader election.

Kubelets renew a Lease per node in ``kube-node-lease``; controllers elect leaders with them.
``kubectl get leases`` shows the current holder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, forbidden_field, invalid
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.columns import field_doc
from kubelab.cluster.resources.printing import age


class LeaseStrategy(ResourceStrategy):
    group = "coordination.k8s.io"
    kind = "Lease"
    plural = "leases"
    columns = (
        NAME_COLUMN,
        Column("Holder", description=field_doc("api.coordination.v1.LeaseSpec", "holderIdentity")),
        AGE_COLUMN,
    )

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        """``ValidateLeaseSpec``."""
        spec = obj.get("spec") or {}
        errors: list[FieldError] = []
        duration = spec.get("leaseDurationSeconds")
        if duration is not None and duration <= 0:
            errors.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
        transitions = spec.get("leaseTransitions")
        if transitions is not None and transitions < 0:
            errors.append(
                invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0")
            )
        if spec.get("preferredHolder") and not spec.get("strategy"):
            errors.append(
                forbidden_field(
                    "spec.preferredHolder", "may only be specified if `strategy` is defined"
                )
            )
        return errors

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        holder = (obj.get("spec") or {}).get("holderIdentity") or ""
        return [obj["metadata"]["name"], holder, age(obj, now)]


STRATEGIES = [LeaseStrategy()]
