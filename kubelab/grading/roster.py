"""The class list: which namespace holds each student's work.

A roster is a CSV file with the columns ``student_id`` and ``namespace`` (and, optionally,
``last_name``, ``first_name`` and ``email``, which go into the gradebook as they are).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

REQUIRED_COLUMNS = ("student_id", "namespace")
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


class RosterError(ValueError):
    """A roster that cannot be used; the message names the line."""


@dataclass(frozen=True)
class Student:
    student_id: str
    #: None: the student's work is in the lessons' own namespaces (one learner, one cluster).
    namespace: str | None
    last_name: str = ""
    first_name: str = ""
    email: str = ""


def read_roster(path: Path) -> list[Student]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise RosterError(f"{path}: missing column(s) {', '.join(missing)}; found {columns}")
        students: list[Student] = []
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            student_id, namespace = row["student_id"], row["namespace"]
            if not student_id and not namespace:
                continue
            if not student_id:
                raise RosterError(f"{path}:{line}: student_id is empty")
            if student_id in seen:
                raise RosterError(f"{path}:{line}: student {student_id} is listed twice")
            if not _NAMESPACE.fullmatch(namespace):
                raise RosterError(f"{path}:{line}: {namespace!r} is not a valid namespace name")
            seen.add(student_id)
            students.append(
                Student(
                    student_id,
                    namespace,
                    row.get("last_name", ""),
                    row.get("first_name", ""),
                    row.get("email", ""),
                )
            )
    if not students:
        raise RosterError(f"{path}: no students listed")
    return students
