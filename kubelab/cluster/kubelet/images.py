"""Pulling images onto a node, with the kubelet's events and its pull back-off.

``imagePullPolicy`` decides whether to pull: ``Always`` asks the registry every time,
``IfNotPresent`` uses the node's copy when there is one, ``Never`` only ever uses the node's
copy. A failed pull shows as ``ErrImagePull`` first, then ``ImagePullBackOff`` while the kubelet
waits (10 s, 20 s, ... up to 5 minutes) before asking the registry again.
"""

from __future__ import annotations

from kubelab.cluster.runtime.images import (
    Image,
    ImageCatalog,
    InvalidImageName,
    PullError,
    normalize_reference,
)

#: Simulated download speed (bytes per cluster second), bounded to a learner-friendly range.
PULL_BYTES_PER_SECOND = 60_000_000
MIN_PULL_SECONDS = 0.5
MAX_PULL_SECONDS = 3.0


def pull_seconds(image: Image) -> float:
    return min(max(image.size / PULL_BYTES_PER_SECOND, MIN_PULL_SECONDS), MAX_PULL_SECONDS)


class NodeImages:
    """The images a node holds, and the registry it pulls from."""

    def __init__(self, catalog: ImageCatalog) -> None:
        self.catalog = catalog
        self.present: dict[str, Image] = {}

    def check_name(self, reference: str) -> str | None:
        """The kubelet's ``InvalidImageName`` message, or None for a valid name."""
        try:
            normalize_reference(reference)
        except InvalidImageName as error:
            return error.kubelet_message
        return None

    def cached(self, reference: str) -> Image | None:
        return self.present.get(reference)

    def fetch(self, reference: str) -> Image | PullError:
        """Ask the registry: the image, or why it cannot be pulled."""
        image = self.catalog.resolve(reference)
        if image is None:
            return self.catalog.pull_error(reference)
        self.present[reference] = image
        return image


def go_duration(seconds: float) -> str:
    """A duration as the kubelet prints it in events: Go's ``time.Duration`` text after
    truncating to milliseconds (``812ms``, ``1.5s``, ``2m0.25s``)."""
    millis = int(seconds * 1000)
    if millis <= 0:
        return "0s"
    if millis < 1000:
        return f"{millis}ms"
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, fraction = divmod(rest, 1000)
    text = f"{whole}{f'.{fraction:03d}'.rstrip('0') if fraction else ''}s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    return f"{hours}h{text}" if hours else text
