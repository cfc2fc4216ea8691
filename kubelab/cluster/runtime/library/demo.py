"""The course's own demo application, ``kubelab/demo-app``.

Tags:

* ``1.0`` – the first version (a blue page).
* ``2.0`` and ``latest`` – the second version (a green page, and ``/version`` says 2.0); used to
  practise rolling updates and rollbacks.
* ``2.0-broken`` – a bad release: it exits with an error a second after starting, so a rollout
  to it stalls in CrashLoopBackOff and ``kubectl rollout undo`` is the way out.

The application is real Python, ``kubelab/course/apps/demo-app/app.py`` (its copy is in the image
at ``/app/app.py``); ``programs/demo_app.py`` hosts it in the simulated container. The same
source builds into a real image with ``docker build`` or ``kubelab image build``.
"""

from __future__ import annotations

from kubelab.cluster.runtime.images import Image, ImageRepository
from kubelab.cluster.runtime.library import distros
from kubelab.cluster.runtime.library.official import PATH, sized
from kubelab.cluster.runtime.programs.demo_app import APP_SOURCE
from kubelab.cluster.runtime.programs.registry import executable

DEMO_APP_TAGS = {"1.0": "1.0", "2.0": "2.0", "latest": "2.0", "2.0-broken": "2.0-broken"}
DEMO_APP_PORT = 8080


def demo_app() -> ImageRepository:
    def build(tag: str) -> Image | None:
        version = DEMO_APP_TAGS.get(tag)
        if version is None:
            return None
        base = distros.alpine("3.20.3")
        files = {
            **base,
            "/app/demo-app": executable("demo-app", version),
            "/app/app.py": APP_SOURCE.read_bytes(),
            "/config/": b"",
        }
        return Image(
            f"docker.io/kubelab/demo-app:{tag}", sized(18_870_000, version), files,
            entrypoint=("/app/demo-app",), working_dir="/app",
            env={"PATH": PATH, "APP_VERSION": version.removesuffix("-broken")},
            exposed_ports=(DEMO_APP_PORT,),
        )  # fmt: skip

    return ImageRepository("docker.io/kubelab/demo-app", build, lambda: list(DEMO_APP_TAGS))
