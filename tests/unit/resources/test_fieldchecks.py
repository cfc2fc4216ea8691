"""Shared field checks: Go's base64 offsets, port names, selectors, config keys, IPs."""

from __future__ import annotations

import pytest

from kubelab.cluster.resources.fieldchecks import (
    Base64Error,
    config_key_errors,
    decode_base64,
    label_selector,
    port_name_errors,
    struct_diff,
    wildcard_subdomain_errors,
)
from kubelab.cluster.resources.netchecks import cidr_errors, ip_errors, non_special_ip_errors
from kubelab.cluster.resources.validation import path_segment_errors


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("admin", 4),  # the classic: a plain-text password under data
        ("mypassword", 8),
        ("YWRtaW4", 4),
        ("YWRtaW4==", 8),
        ("YQ=", 3),
        ("ab=c", 2),
        ("a", 0),
        ("hello world", 5),
    ],
)
def test_base64_errors_report_the_byte_go_reports(text: str, offset: int):
    with pytest.raises(Base64Error) as caught:
        decode_base64(text)
    assert str(caught.value) == f"illegal base64 data at input byte {offset}"


@pytest.mark.parametrize(
    ("text", "decoded"),
    [("YWRtaW4=", b"admin"), ("YQ==", b"a"), ("YWJj\nZA==", b"abcd"), ("", b"")],
)
def test_base64_decodes_valid_data(text: str, decoded: bytes):
    assert decode_base64(text) == decoded


def test_port_name_rules():
    assert port_name_errors("http") == []
    assert port_name_errors("8080") == ["must contain at least one letter (a-z)"]
    assert port_name_errors("Http") == [
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"
    ]
    assert port_name_errors("a--b") == ["must not contain consecutive hyphens"]
    assert port_name_errors("-web") == ["must not begin or end with a hyphen"]
    assert port_name_errors("a-very-long-port-name") == ["must be no more than 15 characters"]


def test_config_keys():
    assert config_key_errors("app.properties") == []
    assert config_key_errors("..data") == ["must not start with '..'"]
    assert config_key_errors("my key") == [
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')"
    ]


def test_path_segment_names():
    assert path_segment_errors("system:controller:foo") == []
    assert path_segment_errors("..") == ["may not be '..'"]
    assert path_segment_errors("a/b%c") == ["may not contain '/'", "may not contain '%'"]


def test_wildcard_hosts():
    assert wildcard_subdomain_errors("*.example.com") == []
    assert len(wildcard_subdomain_errors("*.*.example.com")) == 1


def test_label_selector_requirements():
    errors = label_selector(
        {
            "matchExpressions": [
                {"key": "tier", "operator": "In"},
                {"key": "app", "operator": "Exists", "values": ["x"]},
                {"key": "env", "operator": "Equals", "values": ["x"]},
            ]
        },
        "spec.selector",
    )
    assert [str(e) for e in errors] == [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when "
        "`operator` is 'In' or 'NotIn'",
        "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when "
        "`operator` is 'Exists' or 'DoesNotExist'",
        'spec.selector.matchExpressions[2].operator: Invalid value: "Equals": not a valid '
        "selector operator",
    ]


def test_ip_checks():
    assert ip_errors("p", "10.0.0.1") == []
    assert [str(e) for e in ip_errors("p", "10.0.0")] == [
        'p: Invalid value: "10.0.0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'
    ]
    assert [str(e) for e in ip_errors("p", "010.0.0.1")] == [
        'p: Invalid value: "010.0.0.1": must not have leading 0s'
    ]
    assert [str(e) for e in ip_errors("p", "2001:DB8::1")] == [
        'p: Invalid value: "2001:DB8::1": must be in canonical form ("2001:db8::1")'
    ]
    assert ip_errors("p", "2001:DB8::1", canonical=False) == []
    assert [str(e) for e in non_special_ip_errors("p", "127.0.0.1")] == [
        'p: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'
    ]


def test_cidr_checks():
    assert cidr_errors("p", "10.0.0.0/8") == []
    assert [str(e) for e in cidr_errors("p", "10.0.0.1/8")] == [
        'p: Invalid value: "10.0.0.1/8": must not have bits set beyond the prefix length'
    ]
    assert [str(e) for e in cidr_errors("p", "10.0.0.0")] == [
        'p: Invalid value: "10.0.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or '
        "2001:db8::/64)"
    ]


def test_struct_diff_names_changed_fields():
    diff = struct_diff(
        "core.Spec", ["accessModes", "volumeName"], {"accessModes": ["A"]}, {"accessModes": ["B"]}
    )
    assert diff.splitlines() == [
        "  core.Spec{",
        '- \tAccessModes: ["A"],',
        '+ \tAccessModes: ["B"],',
        "  \t... // 1 identical fields",
        "  }",
    ]
