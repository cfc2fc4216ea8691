"""Quantifiers count matching objects; none of them passes vacuously."""

from __future__ import annotations

import pytest

from kubelab.checks.matchers import SpecError
from kubelab.checks.outcome import Outcome, combine, parse_outcome
from kubelab.checks.quantifiers import ALL, ANY, NONE, at_least, exactly, parse_quantifier


@pytest.mark.parametrize(
    ("quantifier", "total", "matching", "ok"),
    [
        (ANY, 0, 0, False),
        (ANY, 3, 1, True),
        (ANY, 3, 0, False),
        (ALL, 0, 0, False),
        (ALL, 3, 3, True),
        (ALL, 3, 2, False),
        (NONE, 3, 0, True),
        (NONE, 3, 1, False),
        (NONE, 0, 0, False),
        (exactly(2), 3, 2, True),
        (exactly(2), 3, 3, False),
        (exactly(0), 0, 0, True),
        (at_least(2), 3, 2, True),
        (at_least(2), 3, 1, False),
    ],
)
def test_judging_with_a_match(quantifier: object, total: int, matching: int, ok: bool) -> None:
    assert quantifier.judge(total, matching, has_match=True, allow_empty=False) is ok  # type: ignore[attr-defined]


def test_none_without_a_match_is_an_absence_check() -> None:
    assert NONE.judge(0, 0, has_match=False, allow_empty=False)
    assert not NONE.judge(1, 1, has_match=False, allow_empty=False)


def test_allow_empty_lets_all_and_none_pass_on_nothing() -> None:
    assert ALL.judge(0, 0, has_match=True, allow_empty=True)
    assert NONE.judge(0, 0, has_match=True, allow_empty=True)


def test_parsing() -> None:
    assert parse_quantifier("all") == ALL
    assert parse_quantifier({"exactly": 3}) == exactly(3)
    assert parse_quantifier({"at_least": 1}) == at_least(1)
    for bad in ("some", {"exactly": "3"}, {"at_most": 2}, "exactly", {"exactly": True}):
        with pytest.raises(SpecError):
            parse_quantifier(bad)


def test_descriptions_name_the_count() -> None:
    assert exactly(3).describe("Pods") == "exactly 3 of the Pods"
    assert "at least one to exist" in ALL.describe("Pods")


def test_outcomes_combine_by_precedence() -> None:
    assert combine([Outcome.PASS, Outcome.PASS]) is Outcome.PASS
    assert combine([Outcome.PASS, Outcome.NOT_YET]) is Outcome.NOT_YET
    assert combine([Outcome.NOT_YET, Outcome.FAIL]) is Outcome.FAIL
    assert combine([Outcome.FAIL, Outcome.ERROR]) is Outcome.ERROR
    assert combine([]) is Outcome.FAIL


def test_outcomes_parse_from_text() -> None:
    assert parse_outcome("not_yet") is Outcome.NOT_YET
    assert parse_outcome("NOT YET") is Outcome.NOT_YET
    assert parse_outcome("fail") is Outcome.FAIL
    with pytest.raises(ValueError, match="unknown outcome"):
        parse_outcome("maybe")
