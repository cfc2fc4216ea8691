"""A learner's progress, kept locally: attempts, passes, hints used, and when.

Progress lives in SQLite under ``$KUBELAB_HOME`` (default ``~/.kubelab``), so it survives a
restarted kernel, a new notebook session and a reset cluster, needs no account, and can be
handed to an instructor as one file. ``kubelab progress`` prints it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kubelab.cluster.process import kubelab_home

FILE_NAME = "progress.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    exercise_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    score REAL NOT NULL,
    points REAL NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_exercise ON attempts (exercise_id);
CREATE TABLE IF NOT EXISTS hints (
    exercise_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (exercise_id, number)
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ExerciseProgress:
    exercise_id: str
    attempts: int
    passes: int
    best_score: float
    points: float
    hints_used: int
    first_attempt: str | None
    last_attempt: str | None
    first_pass: str | None

    @property
    def passed(self) -> bool:
        return self.passes > 0


class Progress:
    """The progress store; every method opens and closes its own connection (safe to share)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else kubelab_home() / FILE_NAME

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        try:
            connection.executescript(_SCHEMA)
            with connection:
                yield connection
        finally:
            connection.close()

    def record_attempt(self, exercise_id: str, outcome: str, score: float, points: float) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO attempts (exercise_id, outcome, score, points, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (exercise_id, outcome, score, points, _now()),
            )

    def hints_used(self, exercise_id: str) -> int:
        with self._db() as db:
            row = db.execute(
                "SELECT COUNT(*) FROM hints WHERE exercise_id = ?", (exercise_id,)
            ).fetchone()
        return int(row[0])

    def record_hint(self, exercise_id: str) -> int:
        """Count one more hint as used; returns how many are used now."""
        with self._db() as db:
            used = db.execute(
                "SELECT COUNT(*) FROM hints WHERE exercise_id = ?", (exercise_id,)
            ).fetchone()[0]
            db.execute(
                "INSERT INTO hints (exercise_id, number, at) VALUES (?, ?, ?)",
                (exercise_id, used + 1, _now()),
            )
        return int(used) + 1

    def exercise(self, exercise_id: str) -> ExerciseProgress:
        with self._db() as db:
            row = db.execute(
                "SELECT COUNT(*), SUM(outcome = 'PASS'), MAX(score), MAX(points), MIN(at), "
                "MAX(at), MIN(CASE WHEN outcome = 'PASS' THEN at END) "
                "FROM attempts WHERE exercise_id = ?",
                (exercise_id,),
            ).fetchone()
            hints = db.execute(
                "SELECT COUNT(*) FROM hints WHERE exercise_id = ?", (exercise_id,)
            ).fetchone()[0]
        return ExerciseProgress(
            exercise_id,
            int(row[0]),
            int(row[1] or 0),
            float(row[2] or 0.0),
            float(row[3] or 0.0),
            int(hints),
            row[4],
            row[5],
            row[6],
        )

    def exercise_ids(self) -> list[str]:
        """Every exercise with an attempt or a hint, in the order first touched."""
        with self._db() as db:
            rows = db.execute(
                "SELECT exercise_id, MIN(at) FROM (SELECT exercise_id, at FROM attempts "
                "UNION ALL SELECT exercise_id, at FROM hints) GROUP BY exercise_id ORDER BY 2"
            ).fetchall()
        return [row[0] for row in rows]

    def summary(self, exercise_ids: list[str] | None = None) -> list[ExerciseProgress]:
        ids = list(exercise_ids) if exercise_ids is not None else []
        ids += [e for e in self.exercise_ids() if e not in ids]
        return [self.exercise(exercise_id) for exercise_id in ids]


def render_progress(rows: list[ExerciseProgress], titles: dict[str, str] | None = None) -> str:
    """The ``kubelab progress`` table."""
    if not rows:
        return 'No progress yet: run a check with `kubelab check ID` or kubelab.check("ID").'
    titles = titles or {}
    header = f"{'':2}{'exercise':34} {'attempts':>8} {'best':>9} {'hints':>5}  last attempt"
    lines = [header]
    for row in rows:
        mark = "✓" if row.passed else ("…" if row.attempts else " ")
        best = f"{row.best_score:g}/{row.points:g}" if row.attempts else "-"
        name = row.exercise_id
        if titles.get(name):
            name = f"{name} ({titles[name]})"
        lines.append(
            f"{mark} {name[:34]:34} {row.attempts:>8} {best:>9} {row.hints_used:>5}  "
            f"{row.last_attempt or '-'}"
        )
    done = sum(1 for row in rows if row.passed)
    lines.append(f"{done} of {len(rows)} exercises passed.")
    return "\n".join(lines)
