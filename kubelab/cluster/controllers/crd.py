"""The CRD controller: accepts a CustomResourceDefinition's names, establishes it, and cleans
up after it.

This is what kube-apiserver's apiextensions controllers do for each CRD:

* **naming**: a CRD's plural, singular, short names, kind and list kind must not clash with
  those of another resource in its group. The names that do not clash become
  ``status.acceptedNames``; the ``NamesAccepted`` condition says ``NoConflicts`` or which
  name is ``already in use``;
* **establishing**: once its names are accepted the CRD is ``Established``
  (``InitialNamesAccepted``) and its resources are served
  (:class:`~kubelab.cluster.resources.custom.CustomResourceRegistrar` reacts to that write);
* **finalizing**: a deleted CRD carries the ``customresourcecleanup.apiextensions.k8s.io``
  finalizer. The controller deletes every custom resource of the kind (waiting for their own
  finalizers), reports progress in the ``Terminating`` condition, then removes the finalizer,
  which removes the CRD.
"""

from __future__ import annotations

import copy
from typing import Any

from kubelab.cluster.client import Resource
from kubelab.cluster.controllers.base import Controller, Key
from kubelab.cluster.resources.custom import CustomResourceStrategy
from kubelab.cluster.resources.customresourcedefinition import (
    CLEANUP_FINALIZER,
    CRDS,
    ESTABLISHED,
    NAMES_ACCEPTED,
    TERMINATING,
    condition,
    condition_true,
    set_condition,
    spec_of,
    storage_version,
    versions_of,
)

#: How often (cluster seconds) a terminating CRD checks whether its resources are gone.
CLEANUP_POLL_SECONDS = 0.5


class CustomResourceDefinitionController(Controller):
    name = "apiextensions-controller"
    watches = (CRDS,)

    def keys_for(self, resource: Resource, obj: dict[str, Any]) -> list[Key]:
        """A change to one CRD may free or take names other CRDs of its group want."""
        group = spec_of(obj).get("group")
        keys = [("", obj["metadata"]["name"])]
        for other in self.client.list(CRDS):
            if spec_of(other).get("group") == group:
                keys.append(("", other["metadata"]["name"]))
        return keys

    async def reconcile(self, namespace: str, name: str) -> float | None:
        crd = self.client.get(CRDS, "", name)
        if crd is None:
            return None
        if crd["metadata"].get("deletionTimestamp"):
            if CLEANUP_FINALIZER in (crd["metadata"].get("finalizers") or []):
                return self._finalize(crd)
            return None
        if _names(crd) == (crd.get("status") or {}).get("acceptedNames") and condition_true(
            crd, ESTABLISHED
        ):
            return None
        self._accept_names(crd)
        return None

    # -- naming and establishing

    def _names_in_use(self, crd: dict[str, Any]) -> tuple[set[str], set[str]]:
        """Resource names and kinds other resources of the CRD's group already hold."""
        group = spec_of(crd).get("group")
        resources: set[str] = set()
        kinds: set[str] = set()
        for other in self.client.list(CRDS):
            if other["metadata"]["name"] == crd["metadata"]["name"]:
                continue
            if spec_of(other).get("group") != group:
                continue
            accepted = (other.get("status") or {}).get("acceptedNames") or {}
            resources.update(
                [accepted.get("plural", ""), accepted.get("singular", "")]
                + list(accepted.get("shortNames") or [])
            )
            kinds.update([accepted.get("kind", ""), accepted.get("listKind", "")])
        for _, strategy in self.client.resources():
            if strategy.group != group or isinstance(strategy, CustomResourceStrategy):
                continue
            resources.update([strategy.plural, strategy.singular, *strategy.short_names])
            kinds.update([strategy.kind, strategy.list_kind])
        resources.discard("")
        kinds.discard("")
        return resources, kinds

    def _accept_names(self, crd: dict[str, Any]) -> None:
        wanted = _names(crd)
        status = crd.setdefault("status", {})
        accepted = dict(status.get("acceptedNames") or {})
        resources, kinds = self._names_in_use(crd)
        problem: tuple[str, str] | None = None

        def take(field: str, used: set[str], reason: str) -> None:
            nonlocal problem
            value = wanted.get(field, "")
            if value != accepted.get(field, "") and value in used:
                problem = (reason, f'"{value}" is already in use')
            else:
                accepted[field] = value

        take("plural", resources, "PluralConflict")
        take("singular", resources, "SingularConflict")
        if wanted.get("shortNames") != accepted.get("shortNames"):
            held = set(accepted.get("shortNames") or [])
            clashes = [
                f'"{short}" is already in use'
                for short in wanted.get("shortNames") or []
                if short not in held and short in resources
            ]
            if clashes:
                text = clashes[0] if len(clashes) == 1 else f"[{', '.join(clashes)}]"
                problem = ("ShortNamesConflict", text)
            elif wanted.get("shortNames"):
                accepted["shortNames"] = wanted["shortNames"]
            else:
                accepted.pop("shortNames", None)
        take("kind", kinds, "KindConflict")
        take("listKind", kinds, "ListKindConflict")
        if wanted.get("categories"):
            accepted["categories"] = wanted["categories"]
        else:
            accepted.pop("categories", None)
        now = self.client.clock.timestamp()
        if problem is None:
            names_condition = {
                "type": NAMES_ACCEPTED,
                "status": "True",
                "reason": "NoConflicts",
                "message": "no conflicts found",
            }
        else:
            names_condition = {
                "type": NAMES_ACCEPTED,
                "status": "False",
                "reason": problem[0],
                "message": problem[1],
            }
        updated = copy.deepcopy(crd)
        updated["status"]["acceptedNames"] = accepted
        set_condition(updated, names_condition, now)
        if not condition_true(crd, ESTABLISHED):
            if problem is None:
                established = {
                    "type": ESTABLISHED,
                    "status": "True",
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                }
            else:
                established = {
                    "type": ESTABLISHED,
                    "status": "False",
                    "reason": "NotAccepted",
                    "message": "not all names are accepted",
                }
            set_condition(updated, established, now)
        if updated != crd:
            self.client.update_status(CRDS, updated)

    # -- finalizing

    def _served_resource(self, crd: dict[str, Any]) -> Resource | None:
        """Where the CRD's custom resources can be listed, if they were ever served."""
        plural = ((crd.get("status") or {}).get("acceptedNames") or {}).get("plural")
        group = spec_of(crd).get("group", "")
        preferred = [storage_version(crd)] + [v.get("name", "") for v in versions_of(crd)]
        for version in preferred:
            if self.client.api.registry.get(group, version, plural or "") is not None:
                return group, version, plural or ""
        return None

    def _finalize(self, crd: dict[str, Any]) -> float | None:
        now = self.client.clock.timestamp()
        progress = condition(crd, TERMINATING) or {}
        if progress.get("reason") != "InstanceDeletionInProgress":
            set_condition(
                crd,
                {
                    "type": TERMINATING,
                    "status": "True",
                    "reason": "InstanceDeletionInProgress",
                    "message": "CustomResource deletion is in progress",
                },
                now,
            )
            crd = self.client.update_status(CRDS, crd)
        resource = self._served_resource(crd)
        if resource is not None and condition_true(crd, ESTABLISHED):
            remaining = self.client.list(resource)
            for obj in remaining:
                meta = obj["metadata"]
                if not meta.get("deletionTimestamp"):
                    self.client.delete(
                        resource, meta.get("namespace", ""), meta["name"], "Background"
                    )
            if remaining:
                return CLEANUP_POLL_SECONDS
            outcome = {
                "type": TERMINATING,
                "status": "False",
                "reason": "InstanceDeletionCompleted",
                "message": "removed all instances",
            }
        else:
            outcome = {
                "type": TERMINATING,
                "status": "False",
                "reason": "NeverEstablished",
                "message": "resource was never established",
            }
        set_condition(crd, outcome, now)
        crd["metadata"]["finalizers"] = [
            f for f in crd["metadata"].get("finalizers") or [] if f != CLEANUP_FINALIZER
        ]
        self.client.update_status(CRDS, crd)
        return None


def _names(crd: dict[str, Any]) -> dict[str, Any]:
    names = spec_of(crd).get("names")
    return names if isinstance(names, dict) else {}
