"""Properties of resource quantities: parsing is exact, the canonical form reads back as the same
amount and is stable, and arithmetic and ordering follow the amounts."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from kubelab.cluster.quantity import Quantity, QuantityError

PROPERTIES = settings(max_examples=200, deadline=None)
#: Upstream caps a parsed BinarySI amount at the largest int64 (DecimalSI is not capped).
INT64_MAX = 2**63 - 1
#: Generated amounts stay below this, so that sums of two stay parseable without the cap.
MODERATE = 2**61

DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}


@st.composite
def quantity_texts(draw: st.DrawFn) -> tuple[str, Fraction]:
    """A quantity as a person writes it, and the exact amount it means."""
    sign = draw(st.sampled_from(["", "+", "-"]))
    whole = draw(st.integers(0, 10**9))
    fraction_digits = draw(st.text(alphabet="0123456789", max_size=6))
    number = Fraction(f"{whole}.{fraction_digits}" if fraction_digits else str(whole))
    kind = draw(st.sampled_from(["decimal", "binary", "exponent"]))
    if kind == "decimal":
        suffix = draw(st.sampled_from(sorted(DECIMAL)))
        scale = Fraction(10) ** DECIMAL[suffix]
    elif kind == "binary":
        suffix = draw(st.sampled_from(sorted(BINARY)))
        scale = Fraction(2) ** BINARY[suffix]
    else:
        exponent = draw(st.integers(-9, 12))
        suffix = draw(st.sampled_from(["e", "E"])) + str(exponent)
        scale = Fraction(10) ** exponent
    text = f"{sign}{whole}{'.' + fraction_digits if fraction_digits else ''}{suffix}"
    amount = number * scale * (-1 if sign == "-" else 1)
    return text, amount


def moderate_texts() -> st.SearchStrategy[tuple[str, Fraction]]:
    return quantity_texts().filter(lambda case: abs(case[1]) < MODERATE)


def quantities() -> st.SearchStrategy[Quantity]:
    return moderate_texts().map(lambda case: Quantity.parse(case[0]))


def at_nano_precision(amount: Fraction) -> bool:
    return (amount * 10**9).denominator == 1


@PROPERTIES
@given(moderate_texts())
def test_parsing_is_exact(case: tuple[str, Fraction]) -> None:
    text, amount = case
    quantity = Quantity.parse(text)
    if at_nano_precision(amount):
        assert quantity.amount == amount, text
    else:
        # Finer than a nanounit: upstream rounds up (away from zero) to the next nanounit.
        assert abs(quantity.amount - amount) < Fraction(1, 10**9), text
        assert abs(quantity.amount) >= abs(amount)


@PROPERTIES
@given(st.integers(INT64_MAX + 1, 2**80), st.sampled_from(["Ki", "Mi", "Ei"]))
def test_binary_amounts_past_int64_are_capped(amount: int, suffix: str) -> None:
    assert Quantity.parse(f"{amount}{suffix}").amount == INT64_MAX
    assert Quantity.parse(f"-{amount}{suffix}").amount == -INT64_MAX


@PROPERTIES
@given(st.integers(INT64_MAX + 1, 2**80), st.sampled_from(["", "k", "E"]))
def test_decimal_amounts_past_int64_are_kept(amount: int, suffix: str) -> None:
    # (Their canonical form is not checked: upstream has no suffix past "E" and drops the
    # exponent of amounts of 10**21 and more, which the teaching cluster does too.)
    assert Quantity.parse(f"{amount}{suffix}").amount == amount * 10 ** DECIMAL[suffix]


@PROPERTIES
@given(quantities())
def test_the_canonical_form_reads_back_and_is_stable(quantity: Quantity) -> None:
    canonical = quantity.canonical()
    again = Quantity.parse(canonical)
    assert again.amount == quantity.amount, canonical
    assert again.canonical() == canonical


@PROPERTIES
@given(quantities(), quantities(), quantities())
def test_addition_and_subtraction_follow_the_amounts(a: Quantity, b: Quantity, c: Quantity) -> None:
    assert (a + b).amount == a.amount + b.amount
    assert a + b == b + a
    assert (a + b) + c == a + (b + c)
    assert (a + b) - b == a
    assert Quantity.parse((a + b).canonical()) == a + b


@PROPERTIES
@given(st.lists(quantities(), min_size=1, max_size=8))
def test_ordering_follows_the_amounts(values: list[Quantity]) -> None:
    assert [q.amount for q in sorted(values)] == sorted(q.amount for q in values)
    assert max(values).amount == max(q.amount for q in values)


def away_from_zero(amount: Fraction) -> int:
    return math.ceil(amount) if amount >= 0 else -math.ceil(-amount)


@PROPERTIES
@given(quantities())
def test_value_and_milli_value_round_away_from_zero(quantity: Quantity) -> None:
    assert quantity.value() == away_from_zero(quantity.amount)
    assert quantity.milli_value() == away_from_zero(quantity.amount * 1000)
    rounded = quantity.round_up_milli()
    assert (rounded.amount * 1000).denominator == 1
    assert abs(rounded.amount) >= abs(quantity.amount)
    assert abs(rounded.amount - quantity.amount) < Fraction(1, 1000)


@PROPERTIES
@given(st.integers(1, 8000).filter(lambda n: n % 1024), st.sampled_from(["Ki", "Mi", "Gi", "Ti"]))
def test_binary_amounts_print_in_the_largest_whole_unit(count: int, suffix: str) -> None:
    units = list(BINARY)
    larger = units[units.index(suffix) + 1]
    assert Quantity.parse(f"{count * 1024}{suffix}").canonical() == f"{count}{larger}"


@PROPERTIES
@given(st.text(alphabet="0123456789.+-eEinumkKMGTP ", max_size=12))
def test_any_text_is_a_quantity_or_a_format_error(text: str) -> None:
    try:
        quantity = Quantity.parse(text)
    except QuantityError as error:
        assert str(error)
    else:
        assert Quantity.parse(quantity.canonical()) == quantity
