"""Kubernetes resource quantities (``resource.Quantity``): parse, compare, add and print them.

Learners write ``cpu: 0.5``, ``memory: 1024Mi`` or ``cpu: 1000m`` and the API server stores the
canonical form (``500m``, ``1Gi``, ``1``), compares requests with limits exactly and reports
``quantities must match the regular expression ...`` for input it cannot read. This module
follows apimachinery's ``pkg/api/resource`` so that the teaching cluster prints and compares the
same values a real one does: the amount is kept as an exact :class:`~fractions.Fraction`, the
suffix family (decimal SI, binary SI or decimal exponent) is remembered, and the string a client
sent is kept when it already is canonical, exactly as upstream caches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import total_ordering
from typing import Any

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

#: The pattern upstream names in its format error (its scanner, not a regex, does the work).
QUANTITY_PATTERN = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
FORMAT_ERROR = f"quantities must match the regular expression '{QUANTITY_PATTERN}'"
NUMERIC_ERROR = "unable to parse numeric part of quantity"
SUFFIX_ERROR = "unable to parse quantity's suffix"

_DECIMAL_SUFFIXES = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_BY_EXPONENT = {exp: suffix for suffix, exp in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_EXPONENT = {exp: suffix for suffix, exp in _BINARY_SUFFIXES.items()}
_SUFFIX_CHARS = set("eEinumkKMGTP")
_DIGITS = set("0123456789")

_INT64_MAX = 2**63 - 1
_NANO = Fraction(1, 10**9)
_MILLI = Fraction(1, 1000)
#: Digits an int64 can always hold, the bound of upstream's fast parsing path.
_MAX_INT64_FACTORS = 18


class QuantityError(ValueError):
    """A string that is not a quantity; ``str(error)`` is upstream's message."""


@total_ordering
@dataclass(frozen=True, eq=False)
class Quantity:
    """An exact amount with the suffix family it is printed in.

    ``text`` is the client's spelling when upstream would keep it (it already was canonical);
    otherwise the canonical form is computed on demand.
    """

    amount: Fraction
    format: str = DECIMAL_SI
    text: str | None = None

    # --- construction -----------------------------------------------------------------

    @classmethod
    def parse(cls, value: Any) -> Quantity:
        """Parse a JSON value (string or number) the way ``Quantity.UnmarshalJSON`` does."""
        if isinstance(value, Quantity):
            return value
        if isinstance(value, bool) or value is None:
            raise QuantityError(FORMAT_ERROR)
        if isinstance(value, int):
            text = str(value)
        elif isinstance(value, float):
            text = repr(value) if not value.is_integer() else str(int(value))
        else:
            text = str(value)
        return _parse(text.strip())

    # --- arithmetic and comparison ------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.amount == other.amount

    def __lt__(self, other: Quantity) -> bool:
        return self.amount < other.amount

    def __hash__(self) -> int:
        return hash(self.amount)

    def __add__(self, other: Quantity) -> Quantity:
        fmt = other.format if self.amount == 0 else self.format
        return Quantity(self.amount + other.amount, fmt)

    def __sub__(self, other: Quantity) -> Quantity:
        fmt = other.format if self.amount == 0 else self.format
        return Quantity(self.amount - other.amount, fmt)

    def sign(self) -> int:
        return (self.amount > 0) - (self.amount < 0)

    def is_zero(self) -> bool:
        return self.amount == 0

    def milli_value(self) -> int:
        """``MilliValue()``: the amount in thousandths, rounded up (away from zero)."""
        return _round_away(self.amount * 1000)

    def value(self) -> int:
        """``Value()``: the amount rounded up to a whole number (away from zero)."""
        return _round_away(self.amount)

    def round_up_milli(self) -> Quantity:
        """``RoundUp(Milli)``, as ``SetDefaults_ResourceList`` applies to every resource list.

        Values finer than a thousandth (``0.0001`` cpu) become the next thousandth (``1m``).
        """
        scaled = self.amount / _MILLI
        if scaled.denominator == 1:
            return self
        return Quantity(Fraction(_round_away(scaled)) * _MILLI, self.format)

    # --- printing ---------------------------------------------------------------------

    def __str__(self) -> str:
        return self.text if self.text is not None else self.canonical()

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"

    def canonical(self) -> str:
        """``CanonicalizeBytes``: the form the API server writes back."""
        if self.amount == 0:
            return "0"
        fmt = self.format
        if fmt == BINARY_SI:
            small = -1024 < self.amount < 1024
            if small or _round_away(self.amount) != self.amount:
                fmt = DECIMAL_SI
        if fmt == BINARY_SI:
            number = _round_away(self.amount)
            exponent = 0
            while number % 1024 == 0:
                number //= 1024
                exponent += 10
            return f"{number}{_BINARY_BY_EXPONENT.get(exponent, '')}"
        mantissa, exponent = _decimal_parts(self.amount)
        if fmt == DECIMAL_EXPONENT:
            return f"{mantissa}e{exponent}" if exponent else str(mantissa)
        return f"{mantissa}{_DECIMAL_BY_EXPONENT.get(exponent, '')}"


# --- parsing ------------------------------------------------------------------------------


@dataclass
class _Parts:
    positive: bool
    value: str
    numerator: str
    denominator: str
    suffix: str


def _scan(text: str) -> _Parts:
    """Split ``text`` into sign, digits, fraction and suffix as ``parseQuantityString`` does."""
    end = len(text)
    pos = 0
    positive = True
    if pos < end and text[0] in "+-":
        positive = text[0] == "+"
        pos += 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return _Parts(positive, "0", "0", "", "")
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    numerator = text[start:pos] or "0"
    if pos >= end:
        return _Parts(positive, text, numerator, "", "")
    denominator = ""
    if text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denominator = text[start:pos]
        if pos >= end:
            return _Parts(positive, text, numerator, denominator, "")
    value = text[:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise QuantityError(FORMAT_ERROR)
    return _Parts(positive, value, numerator, denominator, text[suffix_start:])


def _interpret(suffix: str) -> tuple[int, int, str]:
    """Base, exponent and format of a suffix (``suffixHandler.interpret``)."""
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        exponent = _go_atoi(suffix[1:])
        if exponent is not None:
            return 10, exponent, DECIMAL_EXPONENT
    raise QuantityError(SUFFIX_ERROR)


def _parse(text: str) -> Quantity:
    if not text:
        raise QuantityError(FORMAT_ERROR)
    if text == "0":
        return Quantity(Fraction(0), DECIMAL_SI, "0")
    parts = _scan(text)
    base, exponent, fmt = _interpret(parts.suffix)
    fast = _parse_int64(parts, base, exponent, fmt, text)
    if fast is not None:
        return fast
    try:
        amount = Fraction(parts.value)
    except ValueError as error:
        raise QuantityError(NUMERIC_ERROR) from error
    amount *= Fraction(10) ** exponent if base == 10 else Fraction(2) ** exponent
    negative = amount < 0
    magnitude = -amount if negative else amount
    if magnitude != 0:
        magnitude = Fraction(_round_away(magnitude / _NANO)) * _NANO
    if fmt == BINARY_SI and magnitude > _INT64_MAX:
        magnitude = Fraction(_INT64_MAX)
    if fmt == BINARY_SI and 0 < magnitude < 1:
        fmt = DECIMAL_SI
    return Quantity(-magnitude if negative else magnitude, fmt)


def _parse_int64(parts: _Parts, base: int, exponent: int, fmt: str, text: str) -> Quantity | None:
    """Upstream's int64 fast path, which also decides when the client's string is kept."""
    mantissa = 1
    if fmt in (DECIMAL_EXPONENT, DECIMAL_SI):
        scale = exponent
        precision = _MAX_INT64_FACTORS - (len(parts.numerator) + len(parts.denominator))
    elif exponent >= 0 and not parts.denominator:
        scale = 0
        mantissa = 1 << exponent
        precision = 15 - len(parts.numerator) - int(exponent * 3 / 10) - 1
    else:
        return None
    if precision < 0:
        return None
    scale -= len(parts.denominator)
    if scale < -9:
        return None
    shifted = parts.numerator + parts.denominator
    number = int(shifted) * mantissa
    if number > _INT64_MAX:
        return None
    if not parts.positive:
        number = -number
    amount = Fraction(number) * Fraction(10) ** scale
    keep = False
    if fmt == BINARY_SI:
        keep = exponent % 10 == 0 and int(shifted) & 0x07 != 0
    else:
        keep = scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"
    return Quantity(amount, fmt, text if keep else None)


def _go_atoi(text: str) -> int | None:
    """``strconv.Atoi`` on a suffix exponent: optional sign, then decimal digits."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body or not body.isdigit() or not body.isascii():
        return None
    return int(text)


def _round_away(value: Fraction) -> int:
    """Round to an integer away from zero (``inf.RoundUp``)."""
    whole = value.numerator // value.denominator
    if whole == value or value < 0:
        return whole
    return whole + 1


def _decimal_parts(amount: Fraction) -> tuple[int, int]:
    """Mantissa and a multiple-of-three exponent with no spare factors of ten.

    Every quantity is a whole number of nanos, so the amount is ``mantissa * 10**exponent``
    exactly once trailing zeros are moved into the exponent.
    """
    exponent = 0
    while amount.denominator != 1:
        amount *= 10
        exponent -= 1
    mantissa = amount.numerator
    while mantissa != 0 and mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    while exponent % 3 != 0:
        mantissa *= 10
        exponent -= 1
    return mantissa, exponent
