"""PodTemplate: template defaults and validation, and its row."""

from __future__ import annotations

from datetime import UTC, datetime

from kubelab.cluster.resources.podtemplate import PodTemplateStrategy

STRATEGY = PodTemplateStrategy()


def test_podtemplate() -> None:
    obj = {
        "metadata": {"name": "tpl", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {"name": "web", "image": "nginx"},
                    {"name": "log", "image": "busybox"},
                ]
            },
        },
    }
    STRATEGY.default(obj)
    assert obj["template"]["spec"]["restartPolicy"] == "Always"
    assert STRATEGY.validate(obj) == []
    assert STRATEGY.row(obj, datetime(2026, 1, 2, tzinfo=UTC)) == [
        "tpl",
        "web,log",
        "nginx,busybox",
        "app=web",
    ]
    obj["template"]["spec"]["containers"][1]["name"] = "web"
    assert [str(e) for e in STRATEGY.validate(obj)] == [
        'template.spec.containers[1].name: Duplicate value: "web"'
    ]
