"""The simulated container runtime: images, filesystems, processes, programs and containers.

The kubelet uses it the way a real kubelet uses containerd through the CRI: it resolves an
image from the ``ImageCatalog`` (pulling it), builds the volumes a pod needs, creates a
``Container`` per container spec, starts it, waits for it, probes it and stops it.
"""

from kubelab.cluster.runtime.container import (
    Container,
    ExecFailed,
    ExitStatus,
    StartError,
    command_line,
)
from kubelab.cluster.runtime.filesystem import ContainerFilesystem, Mount
from kubelab.cluster.runtime.images import (
    Image,
    ImageCatalog,
    ImageReference,
    ImageRepository,
    InvalidImageName,
    PullError,
    normalize_reference,
)
from kubelab.cluster.runtime.library import default_catalog
from kubelab.cluster.runtime.logs import ContainerLog, LogEntry
from kubelab.cluster.runtime.network import (
    HttpRequest,
    HttpResponse,
    NetworkHook,
    NetworkNamespace,
)
from kubelab.cluster.runtime.volumes import DiskVolume, MemoryVolume, ProjectedVolume, Volume

__all__ = [
    "Container", "ContainerFilesystem", "ContainerLog", "DiskVolume", "ExecFailed", "ExitStatus",
    "HttpRequest", "HttpResponse", "Image", "ImageCatalog", "ImageReference", "ImageRepository",
    "InvalidImageName", "LogEntry", "MemoryVolume", "Mount", "NetworkHook", "NetworkNamespace",
    "ProjectedVolume", "PullError", "StartError", "Volume", "command_line", "default_catalog",
    "normalize_reference",
]  # fmt: skip
