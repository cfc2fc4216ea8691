"""The set of served resources, looked up the ways the API layer needs.

kube-apiserver installs one REST storage per group/version/resource; here the
:class:`Registry` maps the same coordinates (and kinds and short names) to strategies. Custom
resources are added and removed at run time, so lookups always go through the registry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kubelab.cluster.resources.base import ResourceStrategy


class Registry:
    """All served resources, indexed by group/version/plural and by group/version/kind."""

    def __init__(self, strategies: Iterable[ResourceStrategy] = ()) -> None:
        self._by_resource: dict[tuple[str, str, str], ResourceStrategy] = {}
        self._by_kind: dict[tuple[str, str, str], ResourceStrategy] = {}
        self._group_order: list[str] = []
        self._version_order: dict[str, list[str]] = {}
        for strategy in strategies:
            self.add(strategy)

    def add(self, strategy: ResourceStrategy) -> None:
        self._by_resource[(strategy.group, strategy.version, strategy.plural)] = strategy
        self._by_kind[(strategy.group, strategy.version, strategy.kind)] = strategy
        if strategy.group not in self._group_order:
            self._group_order.append(strategy.group)
        versions = self._version_order.setdefault(strategy.group, [])
        if strategy.version not in versions:
            versions.append(strategy.version)

    def remove(self, group: str, version: str, plural: str) -> None:
        strategy = self._by_resource.pop((group, version, plural), None)
        if strategy is None:
            return
        self._by_kind.pop((group, version, strategy.kind), None)
        if not any(g == group and v == version for g, v, _ in self._by_resource):
            self._version_order[group].remove(version)
        if not self._version_order.get(group):
            self._version_order.pop(group, None)
            self._group_order.remove(group)

    def get(self, group: str, version: str, plural: str) -> ResourceStrategy | None:
        return self._by_resource.get((group, version, plural))

    def by_kind(self, group: str, version: str, kind: str) -> ResourceStrategy | None:
        return self._by_kind.get((group, version, kind))

    def by_api_version(self, api_version: str, kind: str) -> ResourceStrategy | None:
        group, _, version = api_version.rpartition("/")
        return self.by_kind(group, version, kind)

    def groups(self) -> list[str]:
        """API groups in discovery order (the core group first)."""
        return list(self._group_order)

    def versions(self, group: str) -> list[str]:
        """A group's versions, preferred first."""
        return list(self._version_order.get(group, []))

    def resources(self, group: str, version: str) -> list[ResourceStrategy]:
        return [s for (g, v, _), s in self._by_resource.items() if g == group and v == version]

    def __iter__(self) -> Iterator[ResourceStrategy]:
        return iter(list(self._by_resource.values()))
