"""The course's table of contents, with the learner's progress in each lesson.

The start page is built from what is on disk each time it runs: every lesson notebook
(``NN-slug.ipynb``) next to it, titled by its first heading, and the exercises of the lesson
directory of the same name in the packaged course (``kubelab/course/lessons/NN-slug/``), counted
against the progress kept in ``$KUBELAB_HOME``. A lesson added tomorrow appears without anyone
editing the start page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from kubelab.checks.matchers import SpecError
from kubelab.course.loader import Catalog, load_catalog
from kubelab.progress import Progress
from kubelab.widgets import START_PAGE

LESSON_NAME = re.compile(r"^(\d\d)-[a-z0-9][a-z0-9-]*$")
#: "Lesson 00 · " or "03 · " before a notebook's title: the table has a column for the number.
NUMBER_PREFIX = re.compile(r"^(lesson\s+)?\d+\s*[·:.\-–—]\s*", re.IGNORECASE)
#: Where the course's notebooks are in a source checkout.
SOURCE_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@dataclass(frozen=True)
class LessonEntry:
    """One row of the contents: a lesson, its notebook (if written) and its progress."""

    number: str
    name: str
    title: str
    notebook: str | None
    exercises: int
    passed: int
    attempted: int

    @property
    def status(self) -> str:
        if not self.exercises:
            return "reading only" if self.notebook else "coming soon"
        if self.passed == self.exercises:
            return "done"
        if self.attempted:
            return "in progress"
        return "not started"


def notebook_title(path: Path) -> str | None:
    """The first Markdown heading of a notebook, without its ``#`` marks."""
    try:
        cells = json.loads(path.read_text()).get("cells") or []
    except (OSError, ValueError):
        return None
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source") or ""
        text = "".join(source) if isinstance(source, list) else str(source)
        for line in text.splitlines():
            if line.startswith("#"):
                return NUMBER_PREFIX.sub("", line.lstrip("#").strip()) or None
    return None


def _lesson_dirs(catalog: Catalog) -> dict[str, list[str]]:
    """Exercise ids by the name of the lesson directory they come from."""
    found: dict[str, list[str]] = {}
    for exercise in catalog.exercises.values():
        if exercise.source is not None:
            found.setdefault(Path(exercise.source).parent.name, []).append(exercise.id)
    return found


def lesson_entries(notebooks: Path, catalog: Catalog, progress: Progress) -> list[LessonEntry]:
    """Every lesson that has a notebook in ``notebooks`` or exercises in ``catalog``."""
    pages = {
        path.stem: path
        for path in notebooks.glob("*.ipynb")
        if LESSON_NAME.match(path.stem) and path.name != START_PAGE
    }
    exercises = {
        name: ids for name, ids in _lesson_dirs(catalog).items() if LESSON_NAME.match(name)
    }
    entries = []
    for name in sorted(set(pages) | set(exercises)):
        page = pages.get(name)
        ids = exercises.get(name, [])
        rows = [progress.exercise(exercise_id) for exercise_id in ids]
        slug = name[3:].replace("-", " ")
        entries.append(
            LessonEntry(
                number=name[:2],
                name=name,
                title=(notebook_title(page) if page else None) or slug.capitalize(),
                notebook=page.name if page else None,
                exercises=len(ids),
                passed=sum(1 for row in rows if row.passed),
                attempted=sum(1 for row in rows if row.attempts),
            )
        )
    return entries


STATUS_COLOURS = {
    "done": "#1a7f37",
    "in progress": "#9a6700",
    "not started": "#57606a",
    "reading only": "#57606a",
    "coming soon": "#8c959f",
}


def contents_html(entries: list[LessonEntry], problem: str | None = None) -> str:
    rows = []
    for entry in entries:
        link = (
            f'<a href="{escape(entry.notebook)}">{escape(entry.title)}</a>'
            if entry.notebook
            else escape(entry.title)
        )
        if entry.exercises:
            share = round(100 * entry.passed / entry.exercises)
            bar = (
                '<div style="display:inline-block;width:120px;height:8px;background:#eaeef2;'
                'border-radius:4px;vertical-align:middle;margin-right:8px">'
                f'<div style="width:{share}%;height:8px;background:#2da44e;border-radius:4px">'
                "</div></div>"
                f"{entry.passed} of {entry.exercises} exercises"
            )
        else:
            bar = '<span style="color:#8c959f">no exercises</span>'
        colour = STATUS_COLOURS[entry.status]
        rows.append(
            f'<tr class="kubelab-lesson" data-lesson="{escape(entry.name)}" '
            f'data-passed="{entry.passed}" data-exercises="{entry.exercises}">'
            f'<td style="text-align:right;color:#57606a">{escape(entry.number)}</td>'
            f'<td style="text-align:left">{link}</td>'
            f'<td style="text-align:left">{bar}</td>'
            f'<td style="text-align:left;color:{colour};font-weight:600">'
            f"{escape(entry.status)}</td></tr>"
        )
    if not rows:
        rows.append('<tr><td colspan="4">No lessons yet.</td></tr>')
    done = sum(1 for e in entries if e.exercises and e.status == "done")
    graded = sum(1 for e in entries if e.exercises)
    note = f'<p style="color:#cf222e">{escape(problem)}</p>' if problem else ""
    return (
        '<div class="kubelab-contents">'
        f"<p><strong>{len(entries)} lessons</strong>; {done} of {graded} with exercises done.</p>"
        '<table style="border-collapse:collapse"><thead><tr>'
        '<th></th><th style="text-align:left">Lesson</th>'
        '<th style="text-align:left">Exercises passed</th><th style="text-align:left">Status</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}</div>"
    )


def contents_text(entries: list[LessonEntry]) -> str:
    if not entries:
        return "No lessons yet."
    lines = []
    for entry in entries:
        count = f"{entry.passed}/{entry.exercises}" if entry.exercises else "-"
        lines.append(f"{entry.number}  {entry.title[:44]:44}  {count:>5}  {entry.status}")
    return "\n".join(lines)


class CourseContents:
    """The table as a notebook shows it (HTML with links) or a terminal prints it."""

    def __init__(self, entries: list[LessonEntry], problem: str | None = None) -> None:
        self.entries = entries
        self.problem = problem

    def _repr_html_(self) -> str:
        return contents_html(self.entries, self.problem)

    def __repr__(self) -> str:
        return contents_text(self.entries) + (f"\n{self.problem}" if self.problem else "")


def _notebook_dir(chosen: Path | None) -> Path:
    """The notebooks next to the running one (a kernel runs in its notebook's directory), else
    the source checkout's."""
    if chosen is not None:
        return chosen
    here = Path.cwd()
    if (here / START_PAGE).exists() or any(LESSON_NAME.match(p.stem) for p in here.glob("*.ipynb")):
        return here
    return SOURCE_NOTEBOOKS


def course_contents(
    notebooks: Path | None = None, progress: Progress | None = None
) -> CourseContents:
    problem = None
    try:
        catalog = load_catalog()
    except SpecError as error:
        catalog = Catalog({}, {})
        problem = f"The exercises could not be read: {error}"
    entries = lesson_entries(_notebook_dir(notebooks), catalog, progress or Progress())
    return CourseContents(entries, problem)
