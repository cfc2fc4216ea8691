"""How a pull from a loopback registry fails, in containerd's words."""

from __future__ import annotations

from kubelab.cluster.runtime import ImageCatalog, ImageReference


def test_a_registry_that_is_there_but_lacks_the_image_says_not_found() -> None:
    catalog = ImageCatalog()
    asked: list[ImageReference] = []
    catalog.add_registry("localhost:5000", lambda ref: asked.append(ref) or None)
    assert catalog.resolve("localhost:5000/app:1") is None
    assert asked == [ImageReference("localhost:5000", "app", "1")]
    error = catalog.pull_error("localhost:5000/app:1")
    assert (error.grpc_code, error.message) == (
        "NotFound",
        'failed to pull and unpack image "localhost:5000/app:1": failed to resolve reference '
        '"localhost:5000/app:1": localhost:5000/app:1: not found',
    )


def test_a_loopback_registry_that_is_not_running_refuses_the_connection() -> None:
    error = ImageCatalog().pull_error("localhost:5999/app:1")
    assert error.message.endswith(
        'failed to do request: Head "http://localhost:5999/v2/app/manifests/1": '
        "dial tcp 127.0.0.1:5999: connect: connection refused"
    )
