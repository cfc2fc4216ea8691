"""Which tags a built-in repository has, the way its maintainers publish them.

Official images are tagged by version at several precisions (``1``, ``1.27``, ``1.27.3``), by
alias (``latest``, ``stable``, a release's code name) and by variant (``-alpine``, ``-slim``),
often combined (``1.27-alpine``). ``TagScheme`` accepts exactly those combinations for a known
set of releases, so ``nginx:1.27-alpine`` pulls while ``nginx:9.99`` is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product


@dataclass(frozen=True)
class Tag:
    version: str  # the full release, e.g. "1.27.3"
    variant: str  # "" for the default variant


@dataclass(frozen=True)
class TagScheme:
    #: "major.minor" → the newest patch release of that line (None: the line has no patches).
    releases: dict[str, int | None]
    #: Names that stand for a release line: {"latest": "1.27", "stable": "1.26"}.
    aliases: dict[str, str] = field(default_factory=dict)
    #: Variant suffixes besides the default one ("").
    variants: tuple[str, ...] = ()
    #: Tags outside the scheme that are accepted as they are, each naming a release line.
    extra: dict[str, str] = field(default_factory=dict)

    def full_version(self, line: str) -> str:
        patch = self.releases[line]
        return line if patch is None else f"{line}.{patch}"

    def _version(self, text: str) -> str | None:
        text = self.aliases.get(text, text)
        if text in self.releases:
            return self.full_version(text)
        lines = [line for line in self.releases if line.split(".")[0] == text]
        if lines:
            return self.full_version(max(lines, key=lambda v: tuple(map(int, v.split(".")))))
        line, _, patch = text.rpartition(".")
        known = self.releases.get(line)
        if patch.isdigit() and known is not None and int(patch) <= known:
            return text
        return None

    def parse(self, tag: str) -> Tag | None:
        if tag in self.extra:
            return Tag(self.full_version(self.extra[tag]), "")
        if tag in self.variants:
            version = self._version("latest")
            return Tag(version, tag) if version else None
        for variant in sorted(self.variants, key=len, reverse=True):
            if tag.endswith("-" + variant):
                version = self._version(tag[: -len(variant) - 1])
                return Tag(version, variant) if version else None
        version = self._version(tag)
        return Tag(version, "") if version else None

    def tags(self) -> list[str]:
        """Every tag of the scheme (used to find an image by digest)."""
        names = [*self.releases, *self.aliases, *self.extra]
        for line, patch in self.releases.items():
            names.extend(f"{line}.{p}" for p in range(patch + 1) if patch is not None)
        with_variants = [f"{n}-{v}" for n, v in product(names, self.variants)]
        return [*names, *self.variants, *with_variants]
