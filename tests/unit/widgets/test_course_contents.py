"""The start page's table of contents, built from the notebooks and lesson directories on disk
and the progress store."""

from __future__ import annotations

import json
from pathlib import Path

from kubelab.course.loader import load_catalog
from kubelab.progress import Progress
from kubelab.widgets.contents import (
    CourseContents,
    contents_html,
    course_contents,
    lesson_entries,
    notebook_title,
)

EXERCISE = """
id: {id}
title: {id}
checks:
  - title: a namespace exists
    criteria:
      - title: it exists
        select: {{kind: Namespace, name: x}}
        quantifier: any
"""


def write_notebook(directory: Path, name: str, heading: str | None) -> None:
    cells = [{"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": []}]
    if heading is not None:
        cells.append({"cell_type": "markdown", "metadata": {}, "source": ["intro\n", heading]})
    (directory / name).write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))


def write_lesson(course: Path, name: str, exercises: list[str]) -> None:
    directory = course / name
    directory.mkdir(parents=True)
    (directory / "lesson.yaml").write_text(
        f"id: {name[3:]}\ntitle: t\nnamespace: lesson-{name[:2]}\n"
    )
    for number, exercise in enumerate(exercises):
        (directory / f"{number}.yaml").write_text(EXERCISE.format(id=exercise))


def test_lessons_come_from_notebooks_and_lesson_directories(tmp_path):
    notebooks, course = tmp_path / "notebooks", tmp_path / "course"
    notebooks.mkdir()
    write_notebook(notebooks, "00-start-here.ipynb", "# Start here")
    write_notebook(notebooks, "01-pods.ipynb", "# Lesson 01 · Pods, one by one")
    write_notebook(notebooks, "02-reading.ipynb", None)
    write_notebook(notebooks, "notes.ipynb", "# Not a lesson")
    write_lesson(course, "01-pods", ["pods/a", "pods/b"])
    write_lesson(course, "03-later", ["later/a"])
    progress = Progress(tmp_path / "progress.db")
    progress.record_attempt("pods/a", "FAIL", 0, 1)
    progress.record_attempt("pods/a", "PASS", 1, 1)
    progress.record_attempt("pods/b", "FAIL", 0, 1)

    entries = lesson_entries(notebooks, load_catalog([course]), progress)
    rows = [(e.name, e.title, e.notebook, e.exercises, e.passed, e.status) for e in entries]
    assert rows == [
        ("01-pods", "Pods, one by one", "01-pods.ipynb", 2, 1, "in progress"),
        ("02-reading", "Reading", "02-reading.ipynb", 0, 0, "reading only"),
        ("03-later", "Later", None, 1, 0, "not started"),
    ]

    progress.record_attempt("pods/b", "PASS", 1, 1)
    [pods, *_] = lesson_entries(notebooks, load_catalog([course]), progress)
    assert pods.status == "done"


def test_the_table_links_each_written_lesson_and_escapes_titles(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks, "04-tags.ipynb", "## <b>Tags</b> & more")
    entries = lesson_entries(
        notebooks, load_catalog([tmp_path / "none"]), Progress(tmp_path / "p.db")
    )
    html = contents_html(entries)
    assert '<a href="04-tags.ipynb">&lt;b&gt;Tags&lt;/b&gt; &amp; more</a>' in html
    assert 'data-lesson="04-tags" data-passed="0" data-exercises="0"' in html
    assert "1 lessons</strong>; 0 of 0 with exercises done" in html
    assert repr(CourseContents(entries)).split() == [
        "04",
        "<b>Tags</b>",
        "&",
        "more",
        "-",
        "reading",
        "only",
    ]


def test_titles_come_from_the_first_heading(tmp_path):
    write_notebook(tmp_path, "05-x.ipynb", "# 05 · Services and Ingress")
    assert notebook_title(tmp_path / "05-x.ipynb") == "Services and Ingress"
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert notebook_title(tmp_path / "broken.ipynb") is None


def test_the_packaged_course_lists_the_repository_notebooks(tmp_path):
    contents = course_contents(
        Path(__file__).resolve().parents[3] / "notebooks", Progress(tmp_path / "p.db")
    )
    assert contents.problem is None
    assert any(entry.name == "00-cluster-tour" and entry.exercises for entry in contents.entries)
    assert all(entry.name != "00-start-here" for entry in contents.entries)
