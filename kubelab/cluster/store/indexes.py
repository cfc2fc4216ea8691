"""Secondary indexes over the store's objects, kept current on every write.

kube-apiserver's watch cache and the controllers' informers keep *indexers*: pods by
``spec.nodeName``, objects by namespace, dependents by the uid of their owner. With them a
kubelet finds its node's pods, and the garbage collector an owner's dependents, by one lookup
instead of a scan over every object, so the cost of a write stays the same however many objects
the cluster holds.

An :class:`Index` maps each value its function yields for an object (a node name, an owner uid)
to the objects that yield it. Objects are identified by ``(key, namespace, name)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Identity = tuple[str, str, str]  # (resource key, namespace, name)
IndexFunction = Callable[[dict[str, Any]], Iterable[str]]


class Index:
    """Objects grouped by the values ``function`` yields for them."""

    def __init__(self, function: IndexFunction) -> None:
        self.function = function
        self._members: dict[str, dict[Identity, dict[str, Any]]] = {}

    def get(self, value: str) -> list[dict[str, Any]]:
        return list(self._members.get(value, {}).values())

    def items(self, value: str) -> list[tuple[Identity, dict[str, Any]]]:
        return list(self._members.get(value, {}).items())

    def replace(
        self, identity: Identity, old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> None:
        """Move ``identity`` from the values of its old object to those of its new one."""
        for value in set(self.function(old)) if old is not None else ():
            members = self._members.get(value)
            if members is not None:
                members.pop(identity, None)
                if not members:
                    del self._members[value]
        for value in set(self.function(new)) if new is not None else ():
            self._members.setdefault(value, {})[identity] = new


def owner_uids(obj: dict[str, Any]) -> Iterable[str]:
    """The uids of an object's owners: the garbage collector's edges."""
    return [o["uid"] for o in obj["metadata"].get("ownerReferences") or [] if o.get("uid")]


def own_uid(obj: dict[str, Any]) -> Iterable[str]:
    uid = obj["metadata"].get("uid")
    return [uid] if uid else []
