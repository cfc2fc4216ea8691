"""Which objects a criterion looks at: a kind, and a name or a label selector, in a namespace.

A named selection GETs one object; a label selection (or none) LISTs objects of the kind. The
namespace defaults to the one the check runs in (the exercise's lesson namespace, or a student's
namespace when grading a class), so the same check serves a learner alone and a whole class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubelab.checks.kubeapi import KubeAPI, ResourceType
from kubelab.checks.labels import format_labels, is_label_selector_object, selector_query
from kubelab.checks.matchers import SpecError


def plural(kind: str) -> str:
    """English plural of a kind for messages (``Ingress`` -> ``Ingresses``)."""
    if kind.endswith(("s", "x", "ch", "sh")):
        return kind + "es"
    if kind.endswith("y") and kind[-2:-1] not in "aeiou":
        return kind[:-1] + "ies"
    return kind + "s"


@dataclass(frozen=True)
class Selection:
    kind: str
    api_version: str = "v1"
    name: str | None = None
    labels: str | dict[str, Any] | None = None
    namespace: str | None = None

    def __post_init__(self) -> None:
        if not self.kind:
            raise SpecError("a selection needs a kind")
        if self.name is not None and self.labels is not None:
            raise SpecError(
                f"select {self.kind} by name or by labels, not both (name {self.name!r})"
            )
        if self.labels is not None:
            selector_query(self.labels)

    @property
    def label_query(self) -> str | None:
        return None if self.labels is None else selector_query(self.labels)

    def namespace_in(self, default_namespace: str) -> str:
        return self.namespace or default_namespace

    def describe(self) -> str:
        """``Pod web``, ``Pods with labels app=web`` or ``Pods``: what the learner is asked for."""
        if self.name is not None:
            return f"{self.kind} {self.name}"
        if self.labels is not None:
            if isinstance(self.labels, dict) and not is_label_selector_object(self.labels):
                shown = format_labels({str(k): str(v) for k, v in self.labels.items()})
            else:
                shown = selector_query(self.labels)
            return f"{plural(self.kind)} with labels {shown}"
        return plural(self.kind)

    def resolve(self, api: KubeAPI, default_namespace: str) -> Resolved:
        """The objects selected right now (kind unknown to the cluster raises UnknownResource)."""
        rtype = api.resource(self.api_version, self.kind)
        namespace = self.namespace_in(default_namespace) if rtype.namespaced else None
        if self.name is not None:
            found = api.get(rtype, self.name, namespace)
            objects = [found] if found is not None else []
        else:
            objects = api.list(rtype, namespace, self.label_query)
        return Resolved(rtype, namespace, objects)


@dataclass(frozen=True)
class Resolved:
    rtype: ResourceType
    namespace: str | None
    objects: list[dict[str, Any]]


def object_label(obj: dict[str, Any]) -> str:
    """``Pod web`` for an object, as messages name it."""
    return f"{obj.get('kind', 'Object')} {obj.get('metadata', {}).get('name', '?')}"
