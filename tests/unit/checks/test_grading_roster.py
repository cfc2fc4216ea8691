"""Reading a class roster."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelab.grading.roster import RosterError, Student, read_roster


def roster(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text)
    return path


def test_a_roster_with_optional_columns(tmp_path: Path) -> None:
    path = roster(
        tmp_path,
        "student_id,namespace,last_name,first_name,email\n"
        "ada,stu-ada,Lovelace,Ada,ada@example.org\n"
        "\n"
        " bob , stu-bob ,,,\n",
    )
    assert read_roster(path) == [
        Student("ada", "stu-ada", "Lovelace", "Ada", "ada@example.org"),
        Student("bob", "stu-bob"),
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("student,namespace\na,b\n", "missing column"),
        ("student_id,namespace\na,Stu_A\n", "not a valid namespace"),
        ("student_id,namespace\na,x\na,y\n", "listed twice"),
        ("student_id,namespace\n,x\n", "student_id is empty"),
        ("student_id,namespace\n", "no students"),
    ],
)
def test_bad_rosters_are_refused(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(RosterError, match=error):
        read_roster(roster(tmp_path, text))
