"""API discovery documents: what groups, versions and resources the server offers.

Every client learns the API from these documents before it sends a single request: kubectl
maps ``deploy`` to ``apps/v1 deployments`` and builds ``kubectl api-resources`` from them,
``kubectl get all`` expands the ``all`` category, helm fills ``.Capabilities.APIVersions``,
and kopf and the Python dynamic client find the ``/status`` subresources. Two forms are
served, as kube-apiserver does:

* the legacy documents ``GET /api`` (``APIVersions``), ``GET /apis`` (``APIGroupList``),
  ``GET /apis/<group>`` (``APIGroup``) and ``GET /api/v1``, ``GET /apis/<group>/<version>``
  (``APIResourceList``), which kopf and the Python client read;
* the aggregated ``apidiscovery.k8s.io/v2`` ``APIGroupDiscoveryList`` that kubectl asks for,
  one document for ``/api`` and one for ``/apis``.

Both are computed from the :class:`~kubelab.cluster.resources.registry.Registry` on each call,
so custom resources appear and disappear with their definitions.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from kubelab.cluster.resources.base import ResourceStrategy
from kubelab.cluster.resources.registry import Registry

CORE_GROUP = ""

#: The fallback address kube-apiserver advertises when the caller does not say otherwise
#: (its default secure port on the loopback address the teaching cluster listens on).
DEFAULT_SERVER_ADDRESS = "127.0.0.1:6443"


@dataclass(frozen=True)
class SubresourceFacts:
    """What kube-apiserver reports for one subresource name, whatever resource it hangs off.

    ``kind`` is the kind of the request and response bodies; empty means the parent's kind,
    and ``{kind}`` in it stands for the parent's kind (``{kind}ProxyOptions`` is
    ``PodProxyOptions`` under pods and ``NodeProxyOptions`` under nodes). ``group`` and
    ``version`` are None when the body belongs to the parent's group/version.
    ``connect`` marks the streaming subresources served by ``connect`` operations (exec,
    attach, port-forward, proxy), whose verbs map to raw HTTP methods.
    """

    verbs: tuple[str, ...]
    kind: str = ""
    group: str | None = None
    version: str | None = None
    connect: bool = False

    def response_gvk(self, parent: ResourceStrategy) -> tuple[str, str, str]:
        """The (group, version, kind) of the subresource's bodies under ``parent``."""
        kind = self.kind.format(kind=parent.kind) if self.kind else parent.kind
        group = parent.group if self.group is None else self.group
        version = parent.version if self.version is None else self.version
        return group, version, kind


_READ_WRITE = ("get", "patch", "update")
_PROXY_VERBS = ("create", "delete", "get", "patch", "update")

#: Every subresource the teaching cluster may serve, with the verbs and body kinds
#: kube-apiserver 1.37 lists for it in discovery.
SUBRESOURCES: dict[str, SubresourceFacts] = {
    "status": SubresourceFacts(_READ_WRITE),
    "scale": SubresourceFacts(_READ_WRITE, "Scale", "autoscaling", "v1"),
    "log": SubresourceFacts(("get",)),
    "exec": SubresourceFacts(("create", "get"), "{kind}ExecOptions", connect=True),
    "attach": SubresourceFacts(("create", "get"), "{kind}AttachOptions", connect=True),
    "portforward": SubresourceFacts(("create", "get"), "{kind}PortForwardOptions", connect=True),
    "proxy": SubresourceFacts(_PROXY_VERBS, "{kind}ProxyOptions", connect=True),
    "binding": SubresourceFacts(("create",), "Binding", CORE_GROUP, "v1"),
    "eviction": SubresourceFacts(("create",), "Eviction", "policy", "v1"),
    "token": SubresourceFacts(("create",), "TokenRequest", "authentication.k8s.io", "v1"),
    "ephemeralcontainers": SubresourceFacts(_READ_WRITE),
    "resize": SubresourceFacts(_READ_WRITE),
    "approval": SubresourceFacts(_READ_WRITE),
    "finalize": SubresourceFacts(("update",)),
}


def subresource_facts(name: str) -> SubresourceFacts:
    """The facts for a subresource name; a strategy naming an unknown one is a bug."""
    try:
        return SUBRESOURCES[name]
    except KeyError:
        raise ValueError(
            f"subresource {name!r} has no entry in kubelab.cluster.api.discovery.SUBRESOURCES"
        ) from None


def storage_version_hash(group: str, version: str, kind: str) -> str:
    """kube-apiserver's opaque storage-version fingerprint of a persisted resource.

    Clients (the storage version migrator, garbage collector caches) only compare it for
    equality; the value is the first 8 bytes of SHA-256 over ``group/version/kind``.
    """
    digest = hashlib.sha256(f"{group}/{version}/{kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def _is_persisted(strategy: ResourceStrategy) -> bool:
    """Stored resources are watchable; virtual ones (bindings, reviews) are not."""
    return "watch" in strategy.verbs


def _group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def _sorted_resources(registry: Registry, group: str, version: str) -> list[ResourceStrategy]:
    return sorted(registry.resources(group, version), key=lambda s: s.plural)


# --- legacy discovery ---------------------------------------------------------------------


def api_versions(server_address: str = DEFAULT_SERVER_ADDRESS) -> dict[str, Any]:
    """``GET /api``: the core group's versions and the address clients should use."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group_version_for_discovery(group: str, version: str) -> dict[str, str]:
    return {"groupVersion": _group_version(group, version), "version": version}


def _api_group_body(registry: Registry, group: str) -> dict[str, Any]:
    versions = registry.versions(group)
    return {
        "name": group,
        "versions": [_group_version_for_discovery(group, v) for v in versions],
        "preferredVersion": _group_version_for_discovery(group, versions[0]),
    }


def api_group_list(registry: Registry) -> dict[str, Any]:
    """``GET /apis``: every named group, each with its versions, preferred version first."""
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            _api_group_body(registry, group)
            for group in registry.groups()
            if group != CORE_GROUP and registry.versions(group)
        ],
    }


def api_group(registry: Registry, group: str) -> dict[str, Any] | None:
    """``GET /apis/<group>``, or None when no such named group is served."""
    if group == CORE_GROUP or not registry.versions(group):
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_api_group_body(registry, group)}


def _legacy_resource(strategy: ResourceStrategy) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": strategy.plural,
        "singularName": strategy.singular,
        "namespaced": strategy.namespaced,
        "kind": strategy.kind,
        "verbs": sorted(strategy.verbs),
    }
    if strategy.short_names:
        entry["shortNames"] = list(strategy.short_names)
    if strategy.categories:
        entry["categories"] = list(strategy.categories)
    if _is_persisted(strategy):
        entry["storageVersionHash"] = storage_version_hash(
            strategy.group, strategy.version, strategy.kind
        )
    return entry


def _legacy_subresource(strategy: ResourceStrategy, name: str) -> dict[str, Any]:
    facts = subresource_facts(name)
    group, version, kind = facts.response_gvk(strategy)
    entry: dict[str, Any] = {
        "name": f"{strategy.plural}/{name}",
        "singularName": "",
        "namespaced": strategy.namespaced,
    }
    if (group, version) != (strategy.group, strategy.version):
        entry["group"] = group
        entry["version"] = version
    entry["kind"] = kind
    entry["verbs"] = sorted(facts.verbs)
    return entry


def api_resource_list(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    """``GET /api/v1`` or ``GET /apis/<group>/<version>``, or None when not served.

    Resources and their ``<resource>/<subresource>`` entries are listed in name order, as
    kube-apiserver's installer sorts them.
    """
    strategies = _sorted_resources(registry, group, version)
    if not strategies:
        return None
    entries: list[dict[str, Any]] = []
    for strategy in strategies:
        entries.append(_legacy_resource(strategy))
        entries.extend(_legacy_subresource(strategy, sub) for sub in strategy.subresources)
    entries.sort(key=lambda entry: entry["name"])
    body: dict[str, Any] = {"kind": "APIResourceList"}
    if group != CORE_GROUP:
        body["apiVersion"] = "v1"
    body["groupVersion"] = _group_version(group, version)
    body["resources"] = entries
    return body


# --- aggregated discovery -----------------------------------------------------------------


def _response_kind(strategy: ResourceStrategy, group: str, version: str, kind: str) -> dict:
    """A ``responseKind``: group and version stay empty when they are the resource's own."""
    same = (group, version) == (strategy.group, strategy.version)
    return {
        "group": "" if same else group,
        "kind": kind,
        "version": "" if same else version,
    }


def _aggregated_subresource(strategy: ResourceStrategy, name: str) -> dict[str, Any]:
    facts = subresource_facts(name)
    return {
        "subresource": name,
        "responseKind": _response_kind(strategy, *facts.response_gvk(strategy)),
        "verbs": sorted(facts.verbs),
    }


def _aggregated_resource(strategy: ResourceStrategy) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": strategy.plural,
        "responseKind": _response_kind(strategy, strategy.group, strategy.version, strategy.kind),
        "scope": "Namespaced" if strategy.namespaced else "Cluster",
        "singularResource": strategy.singular,
        "verbs": sorted(strategy.verbs),
    }
    if strategy.short_names:
        entry["shortNames"] = list(strategy.short_names)
    if strategy.categories:
        entry["categories"] = list(strategy.categories)
    if strategy.subresources:
        entry["subresources"] = [
            _aggregated_subresource(strategy, name) for name in sorted(strategy.subresources)
        ]
    return entry


def _aggregated_group(registry: Registry, group: str) -> dict[str, Any]:
    return {
        "metadata": {"name": group} if group else {},
        "versions": [
            {
                "version": version,
                "resources": [
                    _aggregated_resource(strategy)
                    for strategy in _sorted_resources(registry, group, version)
                ],
                "freshness": "Current",
            }
            for version in registry.versions(group)
        ],
    }


def aggregated_discovery(registry: Registry, core: bool) -> dict[str, Any]:
    """The ``apidiscovery.k8s.io/v2`` ``APIGroupDiscoveryList`` for ``/api`` or ``/apis``.

    ``core`` selects the document for ``/api`` (the unnamed core group only); otherwise the
    document for ``/apis`` lists every named group, versions in preference order.
    """
    groups = [
        group
        for group in registry.groups()
        if (group == CORE_GROUP) == core and registry.versions(group)
    ]
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": [_aggregated_group(registry, group) for group in groups],
    }
