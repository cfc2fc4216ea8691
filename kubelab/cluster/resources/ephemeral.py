"""Ephemeral containers: how ``kubectl debug`` gets a shell into a running pod.

A pod's containers are fixed once it exists, with one exception: the
``pods/{name}/ephemeralcontainers`` subresource may add containers to
``spec.ephemeralContainers``. They run once, are never restarted, cannot be removed or
changed, and may not declare what only long-lived containers need (ports, probes, resources,
lifecycle hooks). Writes to the subresource change nothing else of the pod.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.api.errors import (
    NOT_FOUND,
    FieldError,
    duplicate,
    forbidden_field,
    required,
)

#: Container fields an ephemeral container may not set.
FORBIDDEN_FIELDS = (
    "lifecycle",
    "livenessProbe",
    "ports",
    "readinessProbe",
    "resizePolicy",
    "resources",
    "restartPolicy",
    "startupProbe",
)
PATH = "spec.ephemeralContainers"


def keep_only_ephemeral_changes(obj: dict[str, Any], old: dict[str, Any]) -> None:
    """Make ``obj`` the stored pod with just its ephemeral containers replaced."""
    wanted = (obj.get("spec") or {}).get("ephemeralContainers")
    metadata = obj.get("metadata") or {}
    obj.clear()
    obj.update(old)
    obj["metadata"] = {**old.get("metadata", {})}
    if "resourceVersion" in metadata:
        obj["metadata"]["resourceVersion"] = metadata["resourceVersion"]
    obj["spec"] = {**old.get("spec", {})}
    if wanted:
        obj["spec"]["ephemeralContainers"] = wanted
    else:
        obj["spec"].pop("ephemeralContainers", None)


def update_errors(obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """The ephemeral containers are well formed, and those already there are unchanged."""
    spec, old_spec = obj.get("spec") or {}, old.get("spec") or {}
    wanted = [c for c in spec.get("ephemeralContainers") or [] if isinstance(c, dict)]
    errors = _container_errors(wanted, spec)
    by_name = {c.get("name"): c for c in wanted}
    for existing in old_spec.get("ephemeralContainers") or []:
        name = existing.get("name")
        if name not in by_name:
            errors.append(
                forbidden_field(PATH, f'existing ephemeral containers "{name}" may not be removed')
            )
        elif by_name[name] != existing:
            errors.append(
                forbidden_field(PATH, f'existing ephemeral containers "{name}" may not be changed')
            )
    return errors


def _container_errors(wanted: list[dict[str, Any]], spec: dict[str, Any]) -> list[FieldError]:
    regular = [c.get("name") for c in spec.get("containers") or []]
    taken = set(regular) | {c.get("name") for c in spec.get("initContainers") or []}
    errors: list[FieldError] = []
    for index, container in enumerate(wanted):
        at = f"{PATH}[{index}]"
        name = container.get("name")
        if not name:
            errors.append(required(f"{at}.name"))
        elif name in taken:
            errors.append(duplicate(f"{at}.name", name))
        taken.add(name)
        if not container.get("image"):
            errors.append(required(f"{at}.image"))
        for field in FORBIDDEN_FIELDS:
            if container.get(field):
                errors.append(
                    forbidden_field(f"{at}.{field}", "cannot be set for an Ephemeral Container")
                )
        target = container.get("targetContainerName")
        if target and target not in regular:
            errors.append(FieldError(NOT_FOUND, f"{at}.targetContainerName", target))
    return errors
