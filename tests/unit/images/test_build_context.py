"""The build context and ``.dockerignore``, with Docker's matching rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelab.images.context import BuildContext, ignored, read_ignore_rules
from kubelab.images.dockerfile import BuildError


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("secret.env", True),
        ("app.py", False),
        ("build/out.o", True),  # under an excluded directory
        ("src/deep/cache/__pycache__/x.pyc", True),
        ("docs/keep.md", False),  # brought back by "!"
        ("docs/other.md", True),
    ],
)
def test_dockerignore_rules(path: str, expected: bool) -> None:
    rules = read_ignore_rules(
        "# comment\n*.env\n/build\n**/__pycache__\ndocs/*.md\n!docs/keep.md\n"
    )
    assert ignored(path, rules) is expected


def test_context_lists_only_what_is_not_ignored(tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("body {}")
    (tmp_path / "app.py").write_text("print()")
    (tmp_path / "notes.txt").write_text("private")
    (tmp_path / ".dockerignore").write_text("notes.txt\n")
    context = BuildContext(tmp_path)
    assert context.files == [".dockerignore", "app.py", "static/site.css"]
    assert context.select("app.py", "Dockerfile:2") == ([("app.py", "app.py")], False)
    assert context.select("static", "Dockerfile:2") == ([("static/site.css", "site.css")], True)
    assert context.select("*.py", "Dockerfile:2") == ([("app.py", "app.py")], True)
    with pytest.raises(BuildError, match='"/notes.txt": not found'):
        context.select("notes.txt", "Dockerfile:3")
    with pytest.raises(BuildError, match="outside the build context"):
        context.select("../etc/passwd", "Dockerfile:3")
