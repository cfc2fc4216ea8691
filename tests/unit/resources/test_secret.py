"""Secrets: base64 data, stringData, types and their keys, immutability and TLS warnings."""

from __future__ import annotations

import base64
import datetime as dt
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.resources.secret import SecretStrategy, key_pair_problem

STRATEGY = SecretStrategy()
NOW = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def secret(**fields) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "db",
            "namespace": "lesson-08",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        **fields,
    }


def defaulted(obj: dict) -> dict:
    STRATEGY.default(obj)
    return obj


def messages(errors) -> list[str]:
    return [str(e) for e in errors]


def test_type_defaults_to_opaque_and_string_data_is_folded_into_data():
    obj = defaulted(secret(data={"user": b64("admin")}, stringData={"password": "s3cret"}))
    assert obj["type"] == "Opaque"
    assert obj["data"] == {"user": b64("admin"), "password": b64("s3cret")}
    assert "stringData" not in obj
    assert STRATEGY.validate(obj) == []


def test_string_data_wins_over_data():
    obj = defaulted(secret(data={"k": b64("old")}, stringData={"k": "new"}))
    assert obj["data"] == {"k": b64("new")}


def test_plain_text_in_data_is_a_decode_error():
    with pytest.raises(APIError) as caught:
        STRATEGY.default(secret(data={"username": "admin"}))
    assert caught.value.code == 400
    assert caught.value.reason == "BadRequest"
    assert caught.value.message == (
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4'
    )


def test_tls_secrets_need_both_keys():
    obj = defaulted(secret(type="kubernetes.io/tls", data={"tls.crt": b64("x")}))
    assert messages(STRATEGY.validate(obj)) == ["data[tls.key]: Required value"]


def test_docker_config_json_must_be_json():
    obj = defaulted(secret(type="kubernetes.io/dockerconfigjson", data={}))
    assert messages(STRATEGY.validate(obj)) == ["data[.dockerconfigjson]: Required value"]
    obj = defaulted(
        secret(type="kubernetes.io/dockerconfigjson", data={".dockerconfigjson": b64("{auths")})
    )
    assert messages(STRATEGY.validate(obj)) == [
        'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid '
        "character 'a' looking for beginning of object key string"
    ]
    obj = defaulted(
        secret(
            type="kubernetes.io/dockerconfigjson", data={".dockerconfigjson": b64('{"auths":{}}')}
        )
    )
    assert STRATEGY.validate(obj) == []


def test_other_types():
    basic = defaulted(secret(type="kubernetes.io/basic-auth", data={}))
    assert messages(STRATEGY.validate(basic)) == [
        "data[username]: Required value",
        "data[password]: Required value",
    ]
    token = defaulted(secret(type="kubernetes.io/service-account-token"))
    assert messages(STRATEGY.validate(token)) == [
        "metadata.annotations[kubernetes.io/service-account.name]: Required value"
    ]
    custom = defaulted(secret(type="example.com/anything"))
    assert STRATEGY.validate(custom) == []


def test_type_is_immutable_and_immutable_data_stays():
    old = defaulted(secret(type="kubernetes.io/tls", data={"tls.crt": "", "tls.key": ""}))
    new = defaulted(secret(data={"tls.crt": "", "tls.key": ""}))
    assert messages(STRATEGY.validate_update(new, old)) == [
        'type: Invalid value: "Opaque": field is immutable'
    ]
    frozen = defaulted(secret(data={"k": b64("v")}, immutable=True))
    changed = defaulted(secret(data={"k": b64("w")}, immutable=True))
    assert messages(STRATEGY.validate_update(changed, frozen)) == [
        "data: Forbidden: field is immutable when `immutable` is set"
    ]


def _pem_pair() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "web.example.com")])
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def test_tls_key_pair_warnings():
    cert, key = _pem_pair()
    _, other_key = _pem_pair()
    assert key_pair_problem(cert, key) is None
    assert key_pair_problem(cert, other_key) == "tls: private key does not match public key"
    assert key_pair_problem(b"", key) == "tls: failed to find any PEM data in certificate input"
    assert key_pair_problem(cert, b"") == "tls: failed to find any PEM data in key input"
    assert key_pair_problem(key, cert) == (
        "tls: failed to find certificate PEM data in certificate input, but did find a private "
        "key; PEM inputs may have been switched"
    )
    mismatched = defaulted(
        secret(type="kubernetes.io/tls", data={"tls.crt": b64(cert), "tls.key": b64(other_key)})
    )
    assert STRATEGY.warnings(mismatched) == ["tls: private key does not match public key"]
    assert STRATEGY.warnings(defaulted(secret(data={}))) == []


def test_row_and_type_field_selector():
    obj = defaulted(secret(data={"a": b64("1"), "b": b64("2")}))
    assert STRATEGY.row(obj, NOW) == ["db", "Opaque", 2, "60m"]
    assert STRATEGY.field_values(obj)["type"] == "Opaque"
