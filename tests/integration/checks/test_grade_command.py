"""``kubelab grade`` on a class of three: one full marks, one partial, one who did nothing."""

from __future__ import annotations

import csv
import json
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kubelab.checks import KubeAPI
from kubelab.cli import main
from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.course import lifecycle
from kubelab.course.loader import EXAMPLES_DIR
from kubelab.grading.gradebook import COLUMNS
from kubelab.testing import content_lab

HIDDEN_CHECK = """
exercise: examples/web-pod
checks:
  - id: examples/web-pod/one-container
    title: Pod web runs a single container
    criteria:
      - id: single
        title: exactly one container
        select: {kind: Pod, name: web}
        quantifier: any
        match: {spec: {containers: {$length: 1}}}
"""


@pytest.fixture()
def classroom(cluster: EmbeddedCluster, api: KubeAPI, tmp_path: Path):
    suffix = uuid.uuid4().hex[:6]
    students = {name: f"stu-{name}-{suffix}" for name in ("full", "partial", "empty")}

    def lab_for(namespace: str):
        return content_lab(cluster.kubeconfig, tmp_path, [EXAMPLES_DIR], namespace)

    full = lab_for(students["full"])
    full.solve("examples/color-config")
    for exercise in ("examples/color-config", "examples/web-pod"):
        full.start(exercise)
    full.solve("examples/web-pod")

    partial = lab_for(students["partial"])
    for exercise in ("examples/color-config", "examples/web-pod"):
        partial.start(exercise)
        first_wrong = partial.exercise(exercise).wrong_answers[0]
        lifecycle.apply_answer(partial.target(), partial.exercise(exercise), first_wrong.answer)

    empty = lab_for(students["empty"])
    for exercise in ("examples/color-config", "examples/web-pod"):
        empty.start(exercise)

    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student_id,namespace,last_name,first_name,email\n"
        + "".join(
            f"{name},{namespace},{name.title()},Student,{name}@example.org\n"
            for name, namespace in students.items()
        )
    )
    yield roster, students
    for namespace in students.values():
        lifecycle.manifests.delete_namespace(api, namespace)


def grade(cluster: EmbeddedCluster, roster: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "grade",
            "--namespace-per-student",
            str(roster),
            "--course",
            str(EXAMPLES_DIR),
            "--kubeconfig",
            str(cluster.kubeconfig),
            "--out",
            str(out),
            "--timeout",
            "30",
            *extra,
        ]
    )


def test_grading_three_students(cluster: EmbeddedCluster, classroom, tmp_path: Path) -> None:
    roster, students = classroom
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "web-pod.yaml").write_text(HIDDEN_CHECK)
    out, evidence = tmp_path / "out", tmp_path / "evidence"
    assert grade(cluster, roster, out, "--hidden", str(hidden), "--evidence", str(evidence)) == 0

    with (out / "grades.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = {row["student_id"]: row for row in reader}
    expected = {"full": "7", "partial": "3", "empty": "0"}
    assert {sid: row["score"] for sid, row in rows.items()} == expected
    assert {row["raw_score"] for row in rows.values()} == set(expected.values())
    assert {row["max_score"] for row in rows.values()} == {"7"}
    assert {row["assignment"] for row in rows.values()} == {"examples"}
    assert rows["partial"]["email"] == "partial@example.org"
    assert rows["partial"]["last_name"] == "Partial"
    assert rows["full"]["late_submission_penalty"] == "0"

    suites = {s.get("name"): s for s in ET.parse(out / "grades.xml").getroot().iter("testsuite")}
    assert set(suites) == set(students)
    assert {name: int(s.get("tests")) for name, s in suites.items()} == dict.fromkeys(students, 7)
    failures = {name: int(s.get("failures")) for name, s in suites.items()}
    assert failures == {"full": 0, "partial": 4, "empty": 7}
    partial_failed = {
        case.get("name").split(":")[0]
        for case in suites["partial"].iter("testcase")
        if case.find("failure") is not None
    }
    assert partial_failed == {"labelled", "serving", "configmap", "painter-running"}
    score = {p.get("name"): p.get("value") for p in suites["partial"].iter("property")}
    assert score["score"] == "3" and score["namespace"] == students["partial"]

    report = json.loads((out / "grades.json").read_text())
    by_student = {s["student_id"]: s for s in report["students"]}
    assert by_student["full"]["score"] == 7 and by_student["empty"]["score"] == 0
    web = next(e for e in by_student["partial"]["exercises"] if e["id"] == "examples/web-pod")
    assert [c["hidden"] for c in web["checks"]] == [False, True]
    assert web["score"] == 3 and web["max_score"] == 5
    hidden_result = json.dumps(by_student["empty"]["exercises"])
    assert "a length of 1" not in hidden_result

    saved = json.loads((evidence / "full" / "examples__web-pod.json").read_text())
    assert saved["outcome"] == "PASS" and saved["student_id"] == "full"
    kinds = {obj["kind"] for c in saved["criteria"] for obj in c["evidence"]["objects"]}
    assert {"Pod", "EndpointSlice"} <= kinds
    failed = json.loads((evidence / "empty" / "examples__color-config.json").read_text())
    painter = next(c for c in failed["criteria"] if c["id"] == "painter-running")
    assert painter["causes"][0]["cause"] == "config-error"
    assert any(e["reason"] == "Failed" for e in painter["evidence"]["events"])


def test_one_assignment_for_everything(cluster: EmbeddedCluster, classroom, tmp_path: Path) -> None:
    roster, _ = classroom
    out = tmp_path / "out"
    assert grade(cluster, roster, out, "--assignment", "homework-1", "--duedate", "2030-01-31") == 0
    with (out / "grades.csv").open(newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert {row["assignment"] for row in rows.values()} == {"homework-1"}
    assert {row["duedate"] for row in rows.values()} == {"2030-01-31"}
    assert {sid: row["score"] for sid, row in rows.items()} == {
        "full": "6",
        "partial": "2",
        "empty": "0",
    }
    assert {row["max_score"] for row in rows.values()} == {"6"}


def test_a_bad_roster_is_refused(cluster: EmbeddedCluster, tmp_path: Path, capsys) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("student,ns\na,b\n")
    assert grade(cluster, roster, tmp_path / "out") == 1
    assert "missing column(s) student_id, namespace" in capsys.readouterr().err
