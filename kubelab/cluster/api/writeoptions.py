"""The query options of writes, checked as kube-apiserver's handlers check them.

Each write verb decodes its own options kind (``CreateOptions``, ``UpdateOptions``,
``PatchOptions``, ``DeleteOptions``) and validates it before anything else happens; a bad
``dryRun``, ``fieldManager`` or ``fieldValidation`` is a 422 Invalid naming that kind in the
``meta.k8s.io`` group, with one cause per problem.
"""

from __future__ import annotations

from typing import Any

from kubelab.cluster.api import errors
from kubelab.cluster.api.errors import FieldError

FIELD_MANAGER_MAX_BYTES = 128
DRY_RUN_VALUES = ["All"]
FIELD_VALIDATION_VALUES = ["", "Ignore", "Strict", "Warn"]
PROPAGATION_POLICIES = ["Foreground", "Background", "Orphan", "nil"]


def field_manager_errors(manager: str) -> list[FieldError]:
    """``ValidateFieldManager``: at most 128 bytes, printable characters only."""
    problems: list[FieldError] = []
    if len(manager.encode()) > FIELD_MANAGER_MAX_BYTES:
        problems.append(errors.too_long("fieldManager", FIELD_MANAGER_MAX_BYTES))
    position = 0
    for character in manager:
        if not character.isprintable():
            problems.append(
                errors.invalid(
                    "fieldManager",
                    manager,
                    f"invalid character U+{ord(character):04X} (at position {position})",
                )
            )
        position += len(character.encode())
    return problems


def dry_run_errors(values: list[Any]) -> list[FieldError]:
    """``ValidateDryRun``: every value must be ``All``; the bad list is shown whole."""
    if all(value in DRY_RUN_VALUES for value in values):
        return []
    return [errors.not_supported("dryRun", values, DRY_RUN_VALUES)]


def check_write_options(kind: str, manager: str, dry_run: list[str], validation: str) -> None:
    """Validate the options of a create, update or patch (``kind`` names which), raising the
    422 kube-apiserver answers."""
    problems = field_manager_errors(manager) + dry_run_errors(dry_run)
    if validation not in FIELD_VALIDATION_VALUES:
        problems.append(
            errors.not_supported("fieldValidation", validation, FIELD_VALIDATION_VALUES)
        )
    if problems:
        raise errors.invalid_object("meta.k8s.io", kind, "", problems)


def check_delete_options(policy: Any, orphan_dependents: Any, dry_run: list[Any]) -> None:
    """``ValidateDeleteOptions``: a known propagationPolicy, not given together with the
    older orphanDependents, and a valid dryRun."""
    problems: list[FieldError] = []
    if orphan_dependents is not None and policy is not None:
        problems.append(
            errors.invalid(
                "propagationPolicy",
                policy,
                "orphanDependents and deletionPropagation cannot be both set",
            )
        )
    if policy is not None and policy not in PROPAGATION_POLICIES[:-1]:
        problems.append(errors.not_supported("propagationPolicy", policy, PROPAGATION_POLICIES))
    problems.extend(dry_run_errors(dry_run))
    if problems:
        raise errors.invalid_object("meta.k8s.io", "DeleteOptions", "", problems)
