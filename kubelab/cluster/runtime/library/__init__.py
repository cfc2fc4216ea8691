"""The images the teaching cluster can pull without a network: the course's registry."""

from __future__ import annotations

from kubelab.cluster.runtime.images import ImageCatalog
from kubelab.cluster.runtime.library import demo, official


def default_catalog() -> ImageCatalog:
    """A catalog holding every built-in repository (learners can ``add`` more)."""
    return ImageCatalog(
        [
            official.hello_world(), official.busybox(), official.alpine(), official.ubuntu(),
            official.debian(), official.nginx(), official.httpd(), official.redis(),
            official.python(), official.pause(), demo.demo_app(),
        ]
    )  # fmt: skip
