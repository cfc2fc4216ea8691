"""Reading the course from YAML: lessons, their exercises, and (for graders) hidden checks.

Layout of a course directory::

    <course>/
      <lesson-dir>/
        lesson.yaml          id, title, namespace
        <exercise>.yaml      one exercise per file (see the exercise keys below)
        <fixtures>.yaml      manifests an exercise refers to by file name

Hidden checks live in a separate directory that is never shipped to learners; each YAML file
there names an exercise and adds checks to it (``exercise: pods/first-pod`` and ``checks:``).
They are marked hidden, so their results never reveal expected values.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from kubelab.checks.engine import Check
from kubelab.checks.matchers import SpecError
from kubelab.checks.outcome import parse_outcome
from kubelab.checks.spec import parse_check
from kubelab.course.model import Answer, Exercise, Lesson, WrongAnswer

LESSON_FILE = "lesson.yaml"
#: The course shipped with the package.
COURSE_DIR = Path(__file__).parent / "lessons"
#: Two small exercises that show the format and serve the tests.
EXAMPLES_DIR = Path(__file__).parent / "examples"

EXERCISE_KEYS = {
    "id",
    "title",
    "task",
    "setup",
    "checks",
    "hints",
    "solution",
    "wrong_answers",
}
ANSWER_KEYS = {"manifests", "commands"}
WRONG_ANSWER_KEYS = {"title", "manifests", "commands", "message", "outcome"}


class UnknownExercise(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def _yaml_documents(path: Path) -> list[Any]:
    try:
        return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    except yaml.YAMLError as exc:
        raise SpecError(f"{path} is not valid YAML: {exc}") from exc


def _single(path: Path) -> dict[str, Any]:
    documents = _yaml_documents(path)
    if len(documents) != 1 or not isinstance(documents[0], dict):
        raise SpecError(f"{path} must hold one YAML map")
    return documents[0]


def _manifests(value: Any, base: Path, what: str) -> tuple[dict[str, Any], ...]:
    """Inline manifests, or file names (relative to the exercise) holding them."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    manifests: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            manifests.extend(_yaml_documents(base / item))
        elif isinstance(item, dict):
            manifests.append(item)
        else:
            raise SpecError(f"{what}: a manifest is a map or a file name, not {item!r}")
    for manifest in manifests:
        if not isinstance(manifest, dict) or not {"apiVersion", "kind"} <= set(manifest):
            raise SpecError(f"{what}: every manifest needs apiVersion and kind")
        if not (manifest.get("metadata") or {}).get("name"):
            raise SpecError(f"{what}: a {manifest['kind']} manifest has no metadata.name")
    return tuple(manifests)


def _commands(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise SpecError(f"{what}: commands is a list of kubectl or helm command lines")
    for command in value:
        if command.split()[:1] not in (["kubectl"], ["helm"]):
            raise SpecError(f"{what}: commands run kubectl or helm only, not {command!r}")
    return tuple(value)


def _answer(data: Any, base: Path, what: str) -> Answer:
    if data is None:
        return Answer()
    if not isinstance(data, dict) or set(data) - ANSWER_KEYS:
        raise SpecError(f"{what} takes manifests and commands")
    return Answer(
        _manifests(data.get("manifests"), base, what), _commands(data.get("commands"), what)
    )


def _wrong_answer(data: Any, base: Path, what: str) -> WrongAnswer:
    if not isinstance(data, dict) or set(data) - WRONG_ANSWER_KEYS:
        raise SpecError(f"{what}: keys are {sorted(WRONG_ANSWER_KEYS)}")
    if not isinstance(data.get("title"), str) or not isinstance(data.get("message"), str):
        raise SpecError(f"{what} needs a title and the message (a regex) the checks must give")
    answer = Answer(
        _manifests(data.get("manifests"), base, what), _commands(data.get("commands"), what)
    )
    if answer.empty:
        raise SpecError(f"{what} needs manifests or commands")
    return WrongAnswer(
        data["title"], answer, data["message"], parse_outcome(str(data.get("outcome", "FAIL")))
    )


def _checks(data: Any, exercise_id: str, hidden: bool = False) -> tuple[Check, ...]:
    if not isinstance(data, list) or not data:
        raise SpecError(f"exercise {exercise_id} needs a list of checks")
    if len(data) > 1 and any(not isinstance(c, dict) or "id" not in c for c in data):
        raise SpecError(f"exercise {exercise_id} has several checks: give each an id")
    checks = []
    for item in data:
        if isinstance(item, dict) and "id" not in item:
            item = {"id": exercise_id, **item}
        checks.append(parse_check(item, hidden))
    return tuple(checks)


def load_exercise(path: Path, lesson: Lesson) -> Exercise:
    data = _single(path)
    unknown = set(data) - EXERCISE_KEYS
    if unknown:
        raise SpecError(f"{path}: unknown keys {sorted(unknown)}")
    exercise_id = data.get("id")
    if not isinstance(exercise_id, str) or not exercise_id:
        raise SpecError(f"{path}: every exercise needs an id")
    what = f"exercise {exercise_id}"
    hints = data.get("hints") or []
    if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
        raise SpecError(f"{what}: hints is a list of texts")
    try:
        return Exercise(
            id=exercise_id,
            title=str(data.get("title") or exercise_id),
            lesson=lesson.id,
            namespace=lesson.namespace,
            task=str(data.get("task") or ""),
            checks=_checks(data.get("checks"), exercise_id),
            setup=_manifests(data.get("setup"), path.parent, f"{what} setup"),
            hints=tuple(hints),
            solution=_answer(data.get("solution"), path.parent, f"{what} solution"),
            wrong_answers=tuple(
                _wrong_answer(item, path.parent, f"{what} wrong answer {n}")
                for n, item in enumerate(data.get("wrong_answers") or [], 1)
            ),
            source=path,
        )
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}") from exc


def _is_exercise_file(path: Path) -> bool:
    """Exercise files carry an ``id`` and ``checks``; fixture files are plain manifests."""
    documents = _yaml_documents(path)
    return len(documents) == 1 and isinstance(documents[0], dict) and "checks" in documents[0]


def load_lesson(directory: Path) -> tuple[Lesson, list[Exercise]]:
    data = _single(directory / LESSON_FILE)
    for key in ("id", "namespace"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise SpecError(f"{directory / LESSON_FILE} needs {key}")
    lesson = Lesson(data["id"], str(data.get("title") or data["id"]), data["namespace"], ())
    exercises = [
        load_exercise(path, lesson)
        for path in sorted(directory.glob("*.yaml"))
        if path.name != LESSON_FILE and _is_exercise_file(path)
    ]
    return replace(lesson, exercises=tuple(e.id for e in exercises)), exercises


@dataclass(frozen=True)
class Catalog:
    """Every lesson and exercise of a course, in order, looked up by id."""

    lessons: dict[str, Lesson]
    exercises: dict[str, Exercise]

    def exercise(self, exercise_id: str) -> Exercise:
        found = self.exercises.get(exercise_id)
        if found is None:
            close = difflib.get_close_matches(exercise_id, list(self.exercises), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownExercise(f"there is no exercise {exercise_id!r}{hint}")
        return found

    def resolve(self, check_or_exercise_id: str) -> tuple[Exercise, tuple[Check, ...]]:
        """An exercise id gives all its checks; a check id gives that check."""
        if check_or_exercise_id in self.exercises:
            exercise = self.exercises[check_or_exercise_id]
            return exercise, exercise.checks
        for exercise in self.exercises.values():
            for check in exercise.checks:
                if check.id == check_or_exercise_id:
                    return exercise, (check,)
        return self.exercise(check_or_exercise_id), ()

    def lesson(self, lesson_id: str) -> Lesson:
        if lesson_id not in self.lessons:
            raise UnknownExercise(
                f"there is no lesson {lesson_id!r}; lessons: {', '.join(self.lessons) or 'none'}"
            )
        return self.lessons[lesson_id]

    def lesson_exercises(self, lesson_id: str) -> list[Exercise]:
        return [self.exercises[e] for e in self.lesson(lesson_id).exercises]

    def with_hidden(self, directory: Path) -> Catalog:
        """This catalog plus the hidden checks in ``directory`` (for graders only)."""
        extra: dict[str, list[Check]] = {}
        for path in sorted(directory.rglob("*.yaml")):
            data = _single(path)
            if set(data) - {"exercise", "checks"} or not isinstance(data.get("exercise"), str):
                raise SpecError(f"{path}: a hidden-check file has exercise: ID and checks: [...]")
            exercise = self.exercise(data["exercise"])
            if not isinstance(data.get("checks"), list) or not all(
                isinstance(c, dict) and "id" in c for c in data["checks"]
            ):
                raise SpecError(f"{path}: hidden checks need ids of their own")
            extra.setdefault(exercise.id, []).extend(_checks(data["checks"], exercise.id, True))
        exercises = {
            key: exercise.with_checks(tuple(extra.get(key, ())))
            for key, exercise in self.exercises.items()
        }
        _require_unique_check_ids(exercises)
        return Catalog(self.lessons, exercises)


def _require_unique_check_ids(exercises: dict[str, Exercise]) -> None:
    ids = [c.id for e in exercises.values() for c in e.checks]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise SpecError(f"check ids must be unique across the course: {repeated}")


def _lesson_dirs(root: Path) -> list[Path]:
    if (root / LESSON_FILE).exists():
        return [root]
    return sorted(p for p in root.iterdir() if (p / LESSON_FILE).exists()) if root.is_dir() else []


def load_catalog(roots: Iterable[Path] | None = None) -> Catalog:
    """Lessons under each root (a course directory, or a lesson directory itself)."""
    lessons: dict[str, Lesson] = {}
    exercises: dict[str, Exercise] = {}
    for root in roots if roots is not None else [COURSE_DIR]:
        for directory in _lesson_dirs(Path(root)):
            lesson, found = load_lesson(directory)
            if lesson.id in lessons:
                raise SpecError(f"lesson id {lesson.id} is used twice ({directory})")
            lessons[lesson.id] = lesson
            for exercise in found:
                if exercise.id in exercises:
                    raise SpecError(f"exercise id {exercise.id} is used twice ({exercise.source})")
                exercises[exercise.id] = exercise
    _require_unique_check_ids(exercises)
    return Catalog(lessons, exercises)
