"""The teaching cluster's image registry: an OCI distribution (registry v2) API on loopback.

``kubelab image push`` uploads images here with the distribution protocol, and the nodes pull
from here any image whose name starts with the registry's host (``localhost:5000/app:1.0``).
"""

from kubelab.cluster.registry.service import PREFERRED_PORT, LoopbackRegistry

__all__ = ["PREFERRED_PORT", "LoopbackRegistry"]
