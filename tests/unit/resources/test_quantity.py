"""Resource quantities: parsing every suffix form, canonical printing, exact comparison."""

from __future__ import annotations

import pytest

from kubelab.cluster.quantity import (
    BINARY_SI,
    DECIMAL_EXPONENT,
    DECIMAL_SI,
    FORMAT_ERROR,
    SUFFIX_ERROR,
    Quantity,
    QuantityError,
)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("100m", "100m"),
        ("0.5", "500m"),
        ("1Gi", "1Gi"),
        ("1024Mi", "1Gi"),
        ("1e3", "1e3"),
        ("500M", "500M"),
        ("1000m", "1"),
        ("1500m", "1500m"),
        ("1.5", "1500m"),
        ("2.5Gi", "2560Mi"),
        ("1.5Gi", "1536Mi"),
        ("0.1Gi", "107374182400m"),
        ("128974848", "128974848"),
        ("129e6", "129e6"),
        ("5e-3", "5e-3"),
        ("10.5m", "10500u"),
        ("0", "0"),
        ("0m", "0"),
        ("-500m", "-500m"),
        ("+1", "+1"),
        ("1E", "1E"),
        (".5", "500m"),
        (1, "1"),
        (0.5, "500m"),
        (2.0, "2"),
    ],
)
def test_parse_and_print_like_the_api_server(text: object, stored: str) -> None:
    assert str(Quantity.parse(text)) == stored


def test_formats_follow_the_suffix_family() -> None:
    assert Quantity.parse("1Gi").format == BINARY_SI
    assert Quantity.parse("1G").format == DECIMAL_SI
    assert Quantity.parse("1e9").format == DECIMAL_EXPONENT
    # Binary amounts under 1024 print in decimal; under one they are decimal outright.
    assert Quantity.parse("0.5Ki").format == BINARY_SI
    assert str(Quantity.parse("0.5Ki")) == "512"
    assert Quantity.parse("0.0005Ki").format == DECIMAL_SI
    assert str(Quantity.parse("0.0005Ki")) == "512m"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("500mi", SUFFIX_ERROR),
        ("1Gb", FORMAT_ERROR),
        ("abc", FORMAT_ERROR),
        ("1.2.3", FORMAT_ERROR),
        ("", FORMAT_ERROR),
        (True, FORMAT_ERROR),
    ],
)
def test_bad_input_gets_upstream_messages(text: object, message: str) -> None:
    with pytest.raises(QuantityError) as caught:
        Quantity.parse(text)
    assert str(caught.value) == message


def test_format_error_names_the_upstream_pattern() -> None:
    assert FORMAT_ERROR == (
        "quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


def test_compare_exactly_across_suffixes() -> None:
    assert Quantity.parse("1") > Quantity.parse("500m")
    assert Quantity.parse("1Gi") == Quantity.parse("1073741824")
    assert Quantity.parse("1G") < Quantity.parse("1Gi")
    assert Quantity.parse("0.1") == Quantity.parse("100m")
    assert Quantity.parse("250m") <= Quantity.parse("0.25")


def test_add_and_subtract_keep_the_first_format() -> None:
    total = Quantity.parse("1Gi") + Quantity.parse("512Mi")
    assert str(total) == "1536Mi"
    assert str(Quantity.parse("0") + Quantity.parse("1Gi")) == "1Gi"
    assert str(Quantity.parse("1") - Quantity.parse("250m")) == "750m"


def test_values_round_up_away_from_zero() -> None:
    assert Quantity.parse("1500m").value() == 2
    assert Quantity.parse("-1500m").value() == -2
    assert Quantity.parse("1.0001m").milli_value() == 2
    assert Quantity.parse("100m").milli_value() == 100


def test_nano_is_the_smallest_amount() -> None:
    assert str(Quantity.parse("0.1n")) == "1n"


def test_round_up_to_milli_as_resource_lists_are_defaulted() -> None:
    assert str(Quantity.parse("0.0001").round_up_milli()) == "1m"
    assert str(Quantity.parse("1500u").round_up_milli()) == "2m"
    kept = Quantity.parse("+1")
    assert kept.round_up_milli() is kept
