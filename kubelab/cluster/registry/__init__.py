"""The teaching cluster's image registry: an OCI distribution (registry v2) API on loopback.

``kubelab image push`` uploads images here with the distribution protocol, and the nodes pull
from here any image whose name starts with the registry's host (``localhost:5000/app:1.0``).
``service`` runs it, ``api`` answers HTTP, ``storage`` keeps blobs and manifests on disk,
``pulling`` turns a pushed image into one the runtime can run, and ``oci`` knows the format.
"""
