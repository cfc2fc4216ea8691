"""The revision history of DaemonSets and StatefulSets, kept in ControllerRevisions.

Deployments remember old pod templates in their old ReplicaSets; DaemonSets and StatefulSets
have no such intermediate objects, so their controllers snapshot each pod template into a
ControllerRevision owned by the workload: ``.revision`` counts up, and ``.data`` holds a
strategic merge patch that puts the template back::

    {"spec": {"template": {"$patch": "replace", "metadata": {...}, "spec": {...}}}}

``kubectl rollout history`` lists these objects and ``kubectl rollout undo`` applies the
``.data`` of an older one to the workload. The controller then finds that the workload's
template equals an old revision again and, instead of creating a new one, moves that
revision to the front by giving it the next number.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.selectors import Selector
from kubelab.cluster.client import LocalClient, Resource
from kubelab.cluster.controllers.ownership import claim, controller_reference
from kubelab.cluster.controllers.template_hash import canonical_json

CONTROLLER_REVISIONS: Resource = ("apps", "v1", "controllerrevisions")
REVISION_HASH_LABEL = "controller-revision-hash"
#: Revision names are ``<owner>-<hash>``; longer owner names are cut to fit 253 characters.
MAX_NAME_PREFIX = 223
#: Pod template fields Go always writes, so a stored patch is byte-for-byte what kubectl makes.
_ALWAYS_WRITTEN_CONTAINER_FIELDS = ("resources",)


def template_patch(owner: dict[str, Any]) -> dict[str, Any]:
    """The revision data for an owner's current pod template (``getPatch``), with its keys in
    Go's sorted order so the served JSON matches the bytes kubectl computes to compare."""
    template = copy.deepcopy(owner["spec"].get("template") or {})
    template.setdefault("metadata", {})
    spec = template.setdefault("spec", {})
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(field) or []:
            for name in _ALWAYS_WRITTEN_CONTAINER_FIELDS:
                container.setdefault(name, {})
    template["$patch"] = "replace"
    return json.loads(canonical_json({"spec": {"template": template}}))


def revision_name(owner_name: str, hash_value: str) -> str:
    return f"{owner_name[:MAX_NAME_PREFIX]}-{hash_value}"


def revision_number(revision: dict[str, Any]) -> int:
    return int(revision.get("revision", 0))


def owned_revisions(
    client: LocalClient, owner: dict[str, Any], selector: Selector | None
) -> list[dict[str, Any]]:
    """The owner's revisions, oldest first, after adopting and releasing by selector."""
    candidates = client.list(CONTROLLER_REVISIONS, owner["metadata"]["namespace"])
    claimed = claim(
        client,
        CONTROLLER_REVISIONS,
        owner,
        candidates,
        lambda r: selector is not None and selector.matches(r["metadata"].get("labels")),
    )
    return sorted(claimed, key=lambda r: (revision_number(r), r["metadata"]["name"]))


def sync_update_revision(
    client: LocalClient,
    owner: dict[str, Any],
    revisions: list[dict[str, Any]],
    hash_for: Callable[[int | None], str],
) -> tuple[dict[str, Any], int | None]:
    """The revision for the owner's current template, created or renumbered as needed, and the
    collision count that finally gave it a free name.

    ``hash_for(collision_count)`` names a new revision; on a name clash with different data the
    count goes up and a new name is tried.
    """
    data = template_patch(owner)
    collision_count = (owner.get("status") or {}).get("collisionCount")
    next_number = revision_number(revisions[-1]) + 1 if revisions else 1
    equal = [r for r in revisions if r.get("data") == data]
    if equal:
        if equal[-1] is revisions[-1]:
            return equal[-1], collision_count
        renumbered = copy.deepcopy(equal[-1])
        renumbered["revision"] = next_number
        return client.update(CONTROLLER_REVISIONS, renumbered), collision_count
    namespace = owner["metadata"]["namespace"]
    while True:
        hash_value = hash_for(collision_count)
        revision = _new_revision(owner, hash_value, data, next_number)
        try:
            return client.create(CONTROLLER_REVISIONS, namespace, revision), collision_count
        except APIError as error:
            if error.code != 409:
                raise
        existing = client.get(CONTROLLER_REVISIONS, namespace, revision["metadata"]["name"])
        if existing is not None and existing.get("data") == data:
            return existing, collision_count
        collision_count = (collision_count or 0) + 1


def _new_revision(
    owner: dict[str, Any], hash_value: str, data: dict[str, Any], number: int
) -> dict[str, Any]:
    meta = owner["metadata"]
    labels = dict(((owner["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {})
    labels[REVISION_HASH_LABEL] = hash_value
    metadata: dict[str, Any] = {
        "name": revision_name(meta["name"], hash_value),
        "namespace": meta["namespace"],
        "labels": labels,
        "ownerReferences": [controller_reference(owner)],
    }
    if meta.get("annotations"):
        metadata["annotations"] = dict(meta["annotations"])
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": metadata,
        "data": data,
        "revision": number,
    }


def truncate_history(
    client: LocalClient,
    revisions: list[dict[str, Any]],
    is_live: Callable[[dict[str, Any]], bool],
    limit: int,
) -> None:
    """Delete the oldest revisions no pod uses any more, keeping ``revisionHistoryLimit``."""
    history = [r for r in revisions if not is_live(r)]
    for revision in history[: max(len(history) - limit, 0)]:
        meta = revision["metadata"]
        client.delete(CONTROLLER_REVISIONS, meta["namespace"], meta["name"])
