"""StatefulSet (``statefulsets.apps``): pods with stable names, ordinals and volumes.

Its names must be DNS labels (they become pod host names). Upstream validates only the
template's labels and annotations here, not the pod spec (a bad container fails later, when
the controller creates ``web-0``), and an update may change only replicas, ordinals, the
template, the update strategy, the PVC retention policy and minReadySeconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import FieldError, forbidden_field, invalid, not_supported, required
from kubelab.cluster.quantity import Quantity, QuantityError
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.podspec import (
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    container_cells,
    default_pod_template,
    go_json,
    int_or_percent_value,
    invalid_rendered,
    label_map_errors,
    non_negative,
    not_more_than_100_percent,
    positive_int_or_percent,
    selector_string,
    semantic,
    template_pod_spec,
    template_restart_policy_errors,
    workload_selector_errors,
    workload_warnings,
)
from kubelab.cluster.resources.printing import age
from kubelab.cluster.resources.validation import validate_annotations

_MUTABLE_SPEC_FIELDS = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
_RETENTION_POLICIES = ["Retain", "Delete"]


class StatefulSetStrategy(ResourceStrategy):
    group = "apps"
    kind = "StatefulSet"
    plural = "statefulsets"
    short_names = ("sts",)
    categories = ("all",)
    subresources = ("status", "scale")
    #: ``ValidateStatefulSetName``: a DNS label, since pods are named ``<set>-<ordinal>``.
    name_rule = "label"
    columns = (
        NAME_COLUMN,
        Column("Ready", description="Number of the pod with ready state"),
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
    )

    def default(self, obj: dict[str, Any]) -> None:
        """``SetDefaults_StatefulSet``, template defaults and the claim templates' defaults."""
        spec = obj.setdefault("spec", {})
        if not spec.get("podManagementPolicy"):
            spec["podManagementPolicy"] = "OrderedReady"
        strategy = spec.setdefault("updateStrategy", {})
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
            if strategy.get("rollingUpdate") is None:
                strategy["rollingUpdate"] = {}
        rolling = strategy.get("rollingUpdate")
        rolling_update = strategy["type"] == "RollingUpdate" and isinstance(rolling, dict)
        if rolling_update and rolling.get("partition") is None:
            rolling["partition"] = 0
        retention = spec.get("persistentVolumeClaimRetentionPolicy")
        if not isinstance(retention, dict):
            retention = spec["persistentVolumeClaimRetentionPolicy"] = {}
        for key in ("whenDeleted", "whenScaled"):
            if not retention.get(key):
                retention[key] = "Retain"
        if spec.get("replicas") is None:
            spec["replicas"] = 1
        if spec.get("revisionHistoryLimit") is None:
            spec["revisionHistoryLimit"] = 10
        default_pod_template(spec.get("template"))
        for claim in spec.get("volumeClaimTemplates") or []:
            if isinstance(claim, dict):
                _default_claim_template(claim)

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return statefulset_spec_errors(obj.get("spec") or {})

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        """``ValidateStatefulSetUpdate``: most of the spec is fixed at creation."""
        errors = self.validate(obj)
        spec, old_spec = obj.get("spec") or {}, old.get("spec") or {}
        fixed = {k: v for k, v in spec.items() if k not in _MUTABLE_SPEC_FIELDS}
        old_fixed = {k: v for k, v in old_spec.items() if k not in _MUTABLE_SPEC_FIELDS}
        if semantic(fixed) != semantic(old_fixed):
            errors.append(
                forbidden_field(
                    "spec",
                    "updates to statefulset spec for fields other than 'replicas', "
                    "'ordinals', 'template', 'updateStrategy', "
                    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                )
            )
        return errors

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        return workload_warnings(obj)

    def scale_selector(self, obj: dict[str, Any]) -> str:
        return selector_string((obj.get("spec") or {}).get("selector"))

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        return [
            obj["metadata"]["name"],
            f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            age(obj, now),
            *container_cells(template_pod_spec(obj)),
        ]


def _default_claim_template(claim: dict[str, Any]) -> None:
    """A claim template is a PVC: Filesystem mode, a Pending status, canonical sizes."""
    spec = claim.setdefault("spec", {})
    if spec.get("volumeMode") is None:
        spec["volumeMode"] = "Filesystem"
    resources = spec.get("resources")
    if isinstance(resources, dict):
        for key in ("requests", "limits"):
            for name, value in list((resources.get(key) or {}).items()):
                try:
                    resources[key][name] = str(Quantity.parse(value).round_up_milli())
                except QuantityError:
                    continue
    status = claim.setdefault("status", {})
    if not status.get("phase"):
        status["phase"] = "Pending"


def statefulset_spec_errors(spec: dict[str, Any]) -> list[FieldError]:
    """``ValidateStatefulSetSpec``."""
    errors: list[FieldError] = []
    policy = spec.get("podManagementPolicy", "")
    if not policy:
        errors.append(required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        errors.append(
            invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'")
        )
    errors += _update_strategy_errors(spec.get("updateStrategy") or {})
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    if isinstance(retention, dict):
        for key in ("whenDeleted", "whenScaled"):
            value = retention.get(key, "")
            if value not in _RETENTION_POLICIES:
                errors.append(
                    not_supported(
                        f"spec.persistentVolumeClaimRetentionPolicy.{key}",
                        value,
                        _RETENTION_POLICIES,
                    )
                )
    errors += non_negative(spec.get("replicas", 0), "spec.replicas")
    errors += non_negative(spec.get("minReadySeconds", 0), "spec.minReadySeconds")
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        errors += non_negative(ordinals.get("start", 0), "spec.ordinals.start")
    template = spec.get("template") or {}
    selector_errors, converted = workload_selector_errors(
        spec.get("selector"), template, "statefulset", ""
    )
    errors += selector_errors
    if converted:
        meta = template.get("metadata") or {}
        errors += label_map_errors(meta.get("labels"), "spec.template.labels")
        errors += validate_annotations(meta.get("annotations"), "spec.template.annotations")
    return errors + template_restart_policy_errors(template, "spec.template", "StatefulSet")


def _update_strategy_errors(strategy: dict[str, Any]) -> list[FieldError]:
    kind = strategy.get("type", "")
    rolling = strategy.get("rollingUpdate")
    path = "spec.updateStrategy"
    if not kind:
        return [required(path)]
    if kind == "OnDelete":
        if rolling is not None:
            return [
                invalid_rendered(
                    f"{path}.rollingUpdate",
                    go_json(_internal_rolling(rolling)),
                    "only allowed for updateStrategy 'RollingUpdate'",
                )
            ]
        return []
    if kind == "RollingUpdate":
        if not isinstance(rolling, dict):
            return []
        errors = non_negative(rolling.get("partition", 0), f"{path}.rollingUpdate.partition")
        unavailable = rolling.get("maxUnavailable")
        if unavailable is not None:
            unavailable_path = f"{path}.rollingUpdate.maxUnavailable"
            errors += positive_int_or_percent(unavailable, unavailable_path)
            if int_or_percent_value(unavailable)[0] == 0:
                errors.append(invalid(unavailable_path, unavailable, "cannot be 0"))
            errors += not_more_than_100_percent(unavailable, unavailable_path)
        return errors
    internal = {"Type": kind, "RollingUpdate": _internal_rolling(rolling)}
    return [invalid_rendered(path, go_json(internal), "must be 'RollingUpdate' or 'OnDelete'")]


def _internal_rolling(rolling: Any) -> dict[str, Any] | None:
    if not isinstance(rolling, dict):
        return None
    return {
        "Partition": rolling.get("partition", 0),
        "MaxUnavailable": rolling.get("maxUnavailable"),
    }


STRATEGIES = [StatefulSetStrategy()]
