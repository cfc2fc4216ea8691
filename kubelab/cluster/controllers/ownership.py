"""Who controls what: controller references, adoption and release.

An object can have many owners but at most one *controller*: the owner reference marked
``controller: true``. Controllers find their objects by label selector, and then *claim* them
(``ControllerRefManager``):

* an object this controller already controls stays claimed while the selector matches; when its
  labels stop matching it is **released** (the reference is removed) and runs on as an orphan;
* an **orphan** that matches is **adopted**: the controller adds its controller reference, with
  ``blockOwnerDeletion`` so a foreground delete of the owner waits for it;
* objects controlled by someone else are never touched.

A controller that is being deleted adopts and releases nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import LocalClient, Resource, copy_object


def controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The owner reference marked ``controller: true``, if any."""
    for reference in obj["metadata"].get("ownerReferences") or []:
        if reference.get("controller"):
            return reference
    return None


def is_controlled_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    reference = controller_of(obj)
    return reference is not None and reference.get("uid") == owner["metadata"].get("uid")


def controller_reference(owner: dict[str, Any]) -> dict[str, Any]:
    """The reference a controller puts on what it creates or adopts (``NewControllerRef``)."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def claim(
    client: LocalClient,
    resource: Resource,
    owner: dict[str, Any],
    candidates: list[dict[str, Any]],
    matches: Callable[[dict[str, Any]], bool],
) -> list[dict[str, Any]]:
    """The candidates ``owner`` controls after adopting matching orphans and releasing its
    objects that no longer match."""
    owner_uid = owner["metadata"]["uid"]
    owner_deleting = bool(owner["metadata"].get("deletionTimestamp"))
    claimed = []
    for obj in candidates:
        reference = controller_of(obj)
        if reference is not None:
            if reference.get("uid") != owner_uid:
                continue
            if matches(obj):
                claimed.append(obj)
            elif not owner_deleting:
                _write_references(
                    client,
                    resource,
                    obj,
                    [r for r in _references(obj) if r.get("uid") != owner_uid],
                )
            continue
        if owner_deleting or obj["metadata"].get("deletionTimestamp") or not matches(obj):
            continue
        adopted = _write_references(
            client, resource, obj, [*_references(obj), controller_reference(owner)]
        )
        if adopted is not None:
            claimed.append(adopted)
    return claimed


def _references(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list(obj["metadata"].get("ownerReferences") or [])


def _write_references(
    client: LocalClient, resource: Resource, obj: dict[str, Any], references: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """Replace the owner references (guarded by resourceVersion) on a copy of ``obj``, which
    may be a lister's shared object; None if the object is gone."""
    obj = copy_object(obj)
    meta = obj["metadata"]
    if references:
        meta["ownerReferences"] = references
    else:
        meta.pop("ownerReferences", None)
    try:
        return client.update(resource, obj)
    except APIError as error:
        if error.code == 404:
            return None
        raise
