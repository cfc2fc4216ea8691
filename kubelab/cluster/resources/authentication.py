"""Identity reviews (``authentication.k8s.io/v1``): who is behind a token, never stored.

A TokenReview asks the API server whom a bearer token belongs to (what webhooks and proxies do
to check a caller); a SelfSubjectReview asks "who am I?" (``kubectl auth whoami``). Both are only
created and answered. The handlers live in ``kubelab.cluster.api.reviews``; these entries make
the kinds discoverable. (TokenRequest, also in this group, is the ``token`` subresource of
ServiceAccounts.)
"""

from __future__ import annotations

from kubelab.cluster.resources.base import ResourceStrategy

GROUP = "authentication.k8s.io"


class _ReviewStrategy(ResourceStrategy):
    group = GROUP
    namespaced = False
    verbs = ("create",)


class SelfSubjectReviewStrategy(_ReviewStrategy):
    kind = "SelfSubjectReview"
    plural = "selfsubjectreviews"


class TokenReviewStrategy(_ReviewStrategy):
    kind = "TokenReview"
    plural = "tokenreviews"


STRATEGIES = [SelfSubjectReviewStrategy(), TokenReviewStrategy()]
