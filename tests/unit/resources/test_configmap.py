"""ConfigMaps: key rules, binaryData decoding, the size limit and immutability."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.resources.configmap import ConfigMapStrategy

STRATEGY = ConfigMapStrategy()
NOW = datetime(2026, 1, 1, 0, 2, tzinfo=UTC)


def config_map(**fields) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "app-config",
            "namespace": "lesson-08",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        **fields,
    }


def messages(errors) -> list[str]:
    return [str(e) for e in errors]


def test_identity_and_row_counts_data_and_binary_data():
    assert STRATEGY.short_names == ("cm",)
    obj = config_map(data={"a": "1", "b": "2"}, binaryData={"logo.png": "iVBORw=="})
    assert STRATEGY.row(obj, NOW) == ["app-config", 3, "2m"]
    assert STRATEGY.row(config_map(), NOW) == ["app-config", 0, "2m"]


def test_keys_must_be_config_keys():
    errors = messages(STRATEGY.validate(config_map(data={"app config": "x", "..x": "y"})))
    assert errors[0].startswith('data[app config]: Invalid value: "app config": a valid config key')
    assert errors[1] == "data[..x]: Invalid value: \"..x\": must not start with '..'"


def test_a_key_may_not_be_in_both_maps():
    obj = config_map(data={"k": "v"}, binaryData={"k": "dg=="})
    assert messages(STRATEGY.validate(obj)) == [
        'data[k]: Invalid value: "k": duplicate of key present in binaryData'
    ]


def test_size_limit():
    obj = config_map(data={"big": "x" * (1024 * 1024 + 1)})
    assert messages(STRATEGY.validate(obj)) == ["Too long: may not be more than 1048576 bytes"]


def test_binary_data_must_be_base64():
    with pytest.raises(APIError) as caught:
        STRATEGY.default(config_map(binaryData={"k": "not base64"}))
    assert caught.value.code == 400
    assert caught.value.message == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at '
        "input byte 3"
    )


def test_immutable_config_maps():
    old = config_map(data={"k": "v"}, immutable=True)
    assert STRATEGY.validate_update(config_map(data={"k": "v"}, immutable=True), old) == []
    assert messages(STRATEGY.validate_update(config_map(data={"k": "w"}), old)) == [
        "immutable: Forbidden: field is immutable when `immutable` is set",
        "data: Forbidden: field is immutable when `immutable` is set",
    ]
    mutable = config_map(data={"k": "v"})
    assert STRATEGY.validate_update(config_map(data={"k": "w"}), mutable) == []
