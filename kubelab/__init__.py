"""kubelab: a hands-on Kubernetes course with an embedded teaching cluster and a checker.

The names a lesson uses are importable from here: ``kubelab.connect()``, ``kubelab.doctor()``,
``kubelab.apply(...)``, ``kubelab.wait_for(...)``. The step helpers are loaded on first use,
because the Kubernetes client they need takes seconds to import and the ``kubelab cluster``
commands, which need none of it, should start at once.

``connect`` and ``doctor`` are bound here eagerly (both modules import quickly): a module named
like a function of the package would otherwise replace that function as soon as it is imported.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from kubelab.connect import ClusterKind, ConnectError, Connection, connect
from kubelab.doctor import doctor

__version__ = "0.1.0"

#: Names loaded on first use, and the module that defines each.
_LAZY_EXPORTS = {
    "check": "kubelab.course.notebook",
    "hint": "kubelab.course.notebook",
    "start": "kubelab.course.notebook",
    "solve": "kubelab.course.notebook",
    "reset": "kubelab.course.notebook",
    "cleanup": "kubelab.course.notebook",
    "break_": "kubelab.course.breakage",
    "check_fix": "kubelab.course.breakage",
    "apply": "kubelab.steps",
    "delete": "kubelab.steps",
    "wait_for": "kubelab.steps",
    "wait_for_rollout": "kubelab.steps",
    "logs": "kubelab.steps",
    "kubectl": "kubelab.steps",
    "lesson_namespace": "kubelab.steps",
    "StepError": "kubelab.steps",
    "WaitTimeout": "kubelab.steps",
}

#: Submodules loaded on first use: ``kubelab.show.cluster_map()`` needs no import of its own.
_LAZY_MODULES = {"show"}

__all__ = [
    "ClusterKind",
    "ConnectError",
    "Connection",
    "StepError",
    "WaitTimeout",
    "__version__",
    "apply",
    "connect",
    "delete",
    "doctor",
    "kubectl",
    "lesson_namespace",
    "load_ipython_extension",
    "logs",
    "show",
    "wait_for",
    "wait_for_rollout",
]

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from kubelab import show
    from kubelab.steps import (
        StepError,
        WaitTimeout,
        apply,
        delete,
        kubectl,
        lesson_namespace,
        logs,
        wait_for,
        wait_for_rollout,
    )


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return import_module(f"{__name__}.{name}")
    module = _LAZY_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kubelab' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """``%load_ext kubelab``: register the ``%kubectl`` and ``%%apply`` magics."""
    from kubelab.magics import load_ipython_extension as load

    load(ipython)
