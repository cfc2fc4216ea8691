"""ServiceAccounts: identity and the SECRETS column."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.serviceaccount import ServiceAccountStrategy

STRATEGY = ServiceAccountStrategy()


def test_identity_and_row():
    assert STRATEGY.short_names == ("sa",)
    assert STRATEGY.subresources == ("token",)
    obj = {
        "metadata": {
            "name": "default",
            "namespace": "lesson-09",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "secrets": [{"name": "registry"}],
    }
    assert STRATEGY.row(obj, datetime(2026, 1, 1, 3, tzinfo=UTC)) == ["default", 1, "3h"]
    del obj["secrets"]
    assert STRATEGY.row(obj, datetime(2026, 1, 1, 3, tzinfo=UTC))[1] == 0
