"""Access reviews (``authorization.k8s.io/v1``): questions about permissions, never stored.

``kubectl auth can-i`` asks with a SelfSubjectAccessReview ("may I?") and, with ``--list``, a
SelfSubjectRulesReview ("what may I do here?"); SubjectAccessReview asks about anyone and
LocalSubjectAccessReview about anyone within one namespace. Each is only created: the answer
comes back in the response's ``status`` and nothing is kept. The handlers live in
``kubelab.cluster.api.reviews``; these entries make the kinds discoverable.
"""

from __future__ import annotations

from kubelab.cluster.resources.base import ResourceStrategy

GROUP = "authorization.k8s.io"


class _ReviewStrategy(ResourceStrategy):
    group = GROUP
    namespaced = False
    verbs = ("create",)


class SelfSubjectAccessReviewStrategy(_ReviewStrategy):
    kind = "SelfSubjectAccessReview"
    plural = "selfsubjectaccessreviews"


class SelfSubjectRulesReviewStrategy(_ReviewStrategy):
    kind = "SelfSubjectRulesReview"
    plural = "selfsubjectrulesreviews"


class SubjectAccessReviewStrategy(_ReviewStrategy):
    kind = "SubjectAccessReview"
    plural = "subjectaccessreviews"


class LocalSubjectAccessReviewStrategy(_ReviewStrategy):
    kind = "LocalSubjectAccessReview"
    plural = "localsubjectaccessreviews"
    namespaced = True


STRATEGIES = [
    LocalSubjectAccessReviewStrategy(),
    SelfSubjectAccessReviewStrategy(),
    SelfSubjectRulesReviewStrategy(),
    SubjectAccessReviewStrategy(),
]
