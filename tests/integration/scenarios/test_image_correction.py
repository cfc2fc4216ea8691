"""Correcting a mistyped image in place, as lesson 03 has learners do with ``kubectl set image``.

The kubelet keeps its image-pull back-off per image and syncs a pod as soon as its spec changes,
so the corrected image is pulled at once, not after the old image's back-off has run out.
"""

from __future__ import annotations

from tests.integration.scenarios.conftest import (
    container_status,
    waiting_reason,
)
from tests.polling import eventually


def test_set_image_replaces_an_image_that_cannot_be_pulled(k, ns):
    k("run", "shop", "--image=ngnix:1.27", "-n", ns)
    eventually(lambda: waiting_reason(k, ns, "shop") == "ImagePullBackOff", timeout=30)
    k("set", "image", "pod/shop", "shop=nginx:1.27", "-n", ns)
    # Well inside the old image's next back-off (10 s and growing, at twenty times speed).
    container = eventually(
        lambda: (c := container_status(k, ns, "shop")).get("ready") and c, timeout=5
    )
    assert container["image"] == "nginx:1.27"
    assert container["restartCount"] == 0
    events = k("get", "events", "-n", ns, "--field-selector", "involvedObject.name=shop")
    assert 'Pulling image "nginx:1.27"' in events
