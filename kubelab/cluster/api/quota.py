"""ResourceQuota admission, and what each object counts against a quota.

A ResourceQuota caps what a namespace may hold: object counts (``pods: 10``,
``count/deployments.apps: 2``) and compute (``requests.cpu: 2``, ``limits.memory: 4Gi``).
The quota controller keeps ``status.used`` current; this admission plugin refuses a create
that would take ``used`` past ``hard`` and, when it allows one, adds the new object's usage to
``status.used`` at once, so that a burst of creates cannot slip past the limit before the
controller catches up. Refusals are 403 Forbidden in kube-apiserver's words::

    pods "web-2" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2

A quota that limits cpu or memory also makes every container say how much it wants, because
without requests (or limits) its usage cannot be counted::

    pods "web" is forbidden: failed quota: q: must specify requests.cpu for: app
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from kubelab.cluster.api import errors
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.quantity import Quantity
from kubelab.cluster.resources.base import ResourceStrategy
from kubelab.cluster.resources.persistentvolume import storage_class

RESOURCE_QUOTAS = ("", "v1", "resourcequotas")
#: Core kinds a quota counts by their plural name (``pods: 10``).
COUNTED_BY_NAME = (
    "pods",
    "services",
    "configmaps",
    "secrets",
    "persistentvolumeclaims",
    "replicationcontrollers",
    "resourcequotas",
)
#: Compute resources that are also quota names on their own, meaning the request.
BARE_COMPUTE = ("cpu", "memory", "ephemeral-storage")
#: When a quota limits one of these, every container must set it.
REQUIRED_PER_CONTAINER = frozenset(
    ("cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory")
)
STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"

Usage = dict[str, Quantity]
ONE = Quantity.parse(1)


def count_name(strategy: ResourceStrategy) -> str:
    """The object-count name of a resource: ``count/pods``, ``count/deployments.apps``."""
    suffix = f".{strategy.group}" if strategy.group else ""
    return f"count/{strategy.plural}{suffix}"


def add(total: Usage, more: Usage) -> None:
    for name, amount in more.items():
        total[name] = total[name] + amount if name in total else amount


def _resource_list(values: dict[str, Any] | None) -> Usage:
    return {name: Quantity.parse(value) for name, value in (values or {}).items()}


def container_usage(resources: dict[str, Any] | None) -> Usage:
    """What one container's (or a whole pod's) requests and limits count as."""
    usage: Usage = {}
    for name, amount in _resource_list((resources or {}).get("requests")).items():
        usage[f"requests.{name}"] = amount
        if name in BARE_COMPUTE:
            usage[name] = amount
    for name, amount in _resource_list((resources or {}).get("limits")).items():
        usage[f"limits.{name}"] = amount
    return usage


def pod_usage(pod: dict[str, Any]) -> Usage:
    """A running pod counts its containers' sum, or its largest init container if that
    needs more: init containers run one at a time, before the others."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return {}
    spec = pod.get("spec") or {}
    usage: Usage = {"pods": ONE}
    for container in spec.get("containers") or []:
        add(usage, container_usage(container.get("resources")))
    for init in spec.get("initContainers") or []:
        for name, amount in container_usage(init.get("resources")).items():
            if name not in usage or usage[name] < amount:
                usage[name] = amount
    return usage


def service_usage(service: dict[str, Any]) -> Usage:
    spec = service.get("spec") or {}
    kind, ports = spec.get("type", "ClusterIP"), spec.get("ports") or []
    usage: Usage = {"services": ONE}
    if kind == "NodePort":
        usage["services.nodeports"] = Quantity.parse(len(ports))
    elif kind == "LoadBalancer":
        usage["services.loadbalancers"] = ONE
        allocated = spec.get("allocateLoadBalancerNodePorts") is not False
        usage["services.nodeports"] = Quantity.parse(
            len([p for p in ports if allocated or p.get("nodePort")])
        )
    return usage


def claim_usage(claim: dict[str, Any]) -> Usage:
    storage = Quantity.parse(
        (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
        or 0
    )
    usage: Usage = {"persistentvolumeclaims": ONE, "requests.storage": storage}
    class_name = storage_class(claim)
    if class_name:
        prefix = f"{class_name}{STORAGE_CLASS_SUFFIX}"
        usage[f"{prefix}persistentvolumeclaims"] = ONE
        usage[f"{prefix}requests.storage"] = storage
    return usage


_KIND_USAGE = {"pods": pod_usage, "services": service_usage, "persistentvolumeclaims": claim_usage}


def object_usage(strategy: ResourceStrategy, obj: dict[str, Any]) -> Usage:
    """Everything one object counts against the quotas of its namespace."""
    if strategy.group or strategy.plural not in COUNTED_BY_NAME:
        return {count_name(strategy): ONE}
    usage = _KIND_USAGE.get(strategy.plural, lambda _: {strategy.plural: ONE})(obj)
    if usage:
        usage[count_name(strategy)] = ONE
    return usage


def missing_requests(pod: dict[str, Any], limited: set[str]) -> str:
    """``must specify ...`` for containers that leave out what a quota limits, else ``""``."""
    required = limited & REQUIRED_PER_CONTAINER
    missing: dict[str, set[str]] = defaultdict(set)
    spec = pod.get("spec") or {}
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        for name in required - set(container_usage(container.get("resources"))):
            missing[name].add(container.get("name", ""))
    if not missing:
        return ""
    return "must specify " + "; ".join(
        f"{name} for: {','.join(sorted(missing[name]))}" for name in sorted(missing)
    )


def _pretty(values: dict[str, Any]) -> str:
    return ",".join(f"{name}={values[name]}" for name in sorted(values))


def resource_quota(
    api: ObjectAPI, strategy: ResourceStrategy, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """Admission: refuse a create that a quota of its namespace does not allow; charge it."""
    if old is not None or not strategy.namespaced:
        return
    meta = obj["metadata"]
    quota_strategy = api.registry.get(*RESOURCE_QUOTAS)
    stored = api.store.list(api.storage_key(quota_strategy), meta["namespace"])
    if not stored:
        return
    usage = object_usage(strategy, obj)
    charges = []
    for quota in sorted(stored, key=lambda q: q["metadata"]["name"]):
        status = quota.get("status") or {}
        hard, used = status.get("hard") or {}, status.get("used") or {}
        if strategy.plural == "pods" and not strategy.group:
            problem = missing_requests(obj, set(hard))
            if problem:
                raise _forbidden(
                    strategy, meta, f"failed quota: {quota['metadata']['name']}: {problem}"
                )
        requested = {n: q for n, q in usage.items() if n in hard and not q.is_zero()}
        if not requested:
            continue
        new_used = {n: Quantity.parse(used.get(n, 0)) + q for n, q in requested.items()}
        exceeded = [n for n, q in new_used.items() if q > Quantity.parse(hard[n])]
        if exceeded:
            raise _forbidden(
                strategy,
                meta,
                f"exceeded quota: {quota['metadata']['name']}, "
                f"requested: {_pretty({n: requested[n] for n in exceeded})}, "
                f"used: {_pretty({n: used.get(n, '0') for n in exceeded})}, "
                f"limited: {_pretty({n: hard[n] for n in exceeded})}",
            )
        charges.append((quota, {**used, **{n: str(q) for n, q in new_used.items()}}))
    for quota, used in charges:
        charged = api.present(quota_strategy, quota)
        charged["status"]["used"] = used
        api.update(
            quota_strategy,
            meta["namespace"],
            quota["metadata"]["name"],
            charged,
            subresource="status",
        )


def _forbidden(strategy: ResourceStrategy, meta: dict[str, Any], reason: str) -> errors.APIError:
    resource = errors.qualified_resource(strategy.group, strategy.plural)
    name = meta.get("name", "")
    return errors.forbidden(
        f'{resource} "{name}" is forbidden: {reason}', strategy.group, strategy.plural, name
    )
