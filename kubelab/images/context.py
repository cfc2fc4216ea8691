"""The build context: the directory a build may copy from, minus what ``.dockerignore`` excludes.

``.dockerignore`` patterns follow Docker's rules: one pattern a line, ``#`` comments, paths
relative to the context (a leading ``/`` changes nothing), ``*`` and ``?`` within one path
element, ``**`` across any number of them, ``!`` to bring back what an earlier line excluded;
the last matching line wins, and excluding a directory excludes everything in it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from kubelab.images.dockerfile import BuildError


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
            if pattern.startswith("/", index):
                parts.append("/?")
                index += 1
            continue
        char = pattern[index]
        parts.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
        index += 1
    return re.compile("^" + "".join(parts) + "$")


@dataclass(frozen=True)
class IgnoreRule:
    regex: re.Pattern[str]
    exclude: bool


def read_ignore_rules(text: str) -> list[IgnoreRule]:
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exclude = not line.startswith("!")
        pattern = posixpath.normpath(line.lstrip("!").strip().lstrip("/")) or "."
        rules.append(IgnoreRule(_pattern_regex(pattern), exclude))
    return rules


def ignored(path: str, rules: list[IgnoreRule]) -> bool:
    """Whether ``path`` (relative, with ``/``) is left out of the context."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
    verdict = False
    for rule in rules:
        if any(rule.regex.match(prefix) for prefix in prefixes):
            verdict = rule.exclude
    return verdict


class BuildContext:
    """The files of a context directory that a build can see."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise BuildError(f"unable to prepare context: path {str(root)!r} not found")
        self.root = root.resolve()
        ignore = self.root / ".dockerignore"
        self.rules = read_ignore_rules(ignore.read_text()) if ignore.is_file() else []
        self.files = sorted(
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*")
            if path.is_file()
            and self._inside(path)
            and not ignored(path.relative_to(self.root).as_posix(), self.rules)
        )

    def _inside(self, path: Path) -> bool:
        """Whether ``path``, links followed, is in the context: a link that leads out of it is
        not part of the build (Docker copies the link itself, which layers here do not hold)."""
        return path.resolve().is_relative_to(self.root)

    def read(self, relative: str) -> bytes:
        path = self.root / relative
        if not self._inside(path):
            raise BuildError(f"{relative!r} is outside the build context")
        return path.read_bytes()

    def select(self, source: str, where: str) -> tuple[list[tuple[str, str]], bool]:
        """The files a COPY source names, as ``(path in context, path below the target)``.

        The flag says whether the source stands for several files (a directory or a pattern),
        which makes the target a directory.
        """
        clean = posixpath.normpath(source.lstrip("/"))
        if clean.startswith(".."):
            raise BuildError(f"{where}: {source!r} is outside the build context")
        if clean == ".":
            return [(path, path) for path in self.files], True
        exact = [(path, posixpath.basename(path)) for path in self.files if path == clean]
        if exact:
            return exact, False
        inside = [(p, p[len(clean) + 1 :]) for p in self.files if p.startswith(clean + "/")]
        if inside:
            return inside, True
        matched: list[tuple[str, str]] = []
        for path in self.files:
            parts = path.split("/")
            depth = clean.count("/") + 1
            head = "/".join(parts[:depth])
            if fnmatch.fnmatchcase(head, clean):
                below = "/".join(parts[depth:])
                matched.append((path, below or parts[depth - 1]))
        if not matched:
            raise BuildError(
                f'{where}: failed to compute cache key: "/{clean}": not found '
                "(is it in the build context, and not excluded by .dockerignore?)"
            )
        return matched, True

    def checksum(self, paths: list[str]) -> str:
        digest = hashlib.sha256()
        for path in sorted(paths):
            digest.update(path.encode() + b"\0" + hashlib.sha256(self.read(path)).digest())
        return digest.hexdigest()
