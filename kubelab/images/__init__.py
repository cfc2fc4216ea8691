"""Container images without Docker: build from a Dockerfile, look inside, push to the cluster.

``kubelab.images.build(DIR, "demo-app:dev")`` builds a real OCI image into
``$KUBELAB_HOME/images``; ``kubelab.images.pushing("demo-app:dev")`` uploads it to the teaching
cluster's registry, from which pods pull ``localhost:PORT/demo-app:dev``. The ``kubelab image``
command does the same from a terminal. The names are loaded on first use, so that the
``kubelab`` command starts quickly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "build": "kubelab.images.builder",
    "BuildResult": "kubelab.images.builder",
    "BuildError": "kubelab.images.dockerfile",
    "push": "kubelab.images.pushing",
    "PushError": "kubelab.images.pushing",
    "PushResult": "kubelab.images.pushing",
    "ImageStore": "kubelab.images.store",
}

__all__ = [
    "BuildError",
    "BuildResult",
    "ImageStore",
    "PushError",
    "PushResult",
    "build",
    "push",
]

if TYPE_CHECKING:
    from kubelab.images.builder import BuildResult, build
    from kubelab.images.dockerfile import BuildError
    from kubelab.images.pushing import PushError, PushResult, push
    from kubelab.images.store import ImageStore


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kubelab.images' has no attribute {name!r}")
    return getattr(import_module(module), name)
