"""The teaching cluster's chart repository: packaged charts in a directory, and their index.

A Helm chart repository is nothing more than a web directory holding packaged charts
(``NAME-VERSION.tgz``) and an ``index.yaml`` that lists them, so ``helm repo add``,
``helm search repo`` and ``helm pull`` work with no internet once the teaching cluster serves
one (:mod:`kubelab.cluster.api.chartrepo`). The course's own charts (``kubelab/course/charts``)
are packaged into ``$KUBELAB_HOME/charts`` whenever the cluster starts; an instructor may drop
more packaged charts there (``helm package``), and the index lists whatever the directory holds.

Packaging is deterministic: the same chart files always give the same archive bytes, hence the
same digest, so a restart does not make a learner's cached index stale.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

#: The course's chart sources, shipped inside the package.
COURSE_CHARTS = Path(__file__).resolve().parents[1] / "course" / "charts"

#: Where a cluster home keeps its served charts.
CHARTS_DIRECTORY_NAME = "charts"

#: The path under which the API listener serves the repository.
REPOSITORY_PATH = "/charts"

#: The modification time written into every archive member (1980-01-01, the zip epoch): a
#: fixed time keeps archives reproducible, and tools do not call it implausibly old.
ARCHIVE_MTIME = 315_532_800

INDEX_FILE = "index.yaml"
_ARCHIVE_SUFFIX = ".tgz"


class ChartError(ValueError):
    """A chart directory or archive that is not a usable chart; the message says why."""


def charts_directory(home: Path) -> Path:
    return home / CHARTS_DIRECTORY_NAME


def repository_url(cluster_url: str) -> str:
    """The chart repository's URL on a teaching cluster whose API is at ``cluster_url``."""
    return f"{cluster_url.rstrip('/')}{REPOSITORY_PATH}"


def helm_repo_add_command(cluster_url: str, ca_file: Path, name: str = "kubelab") -> list[str]:
    """The ``helm repo add`` command that makes the repository known to helm.

    ``--force-update`` lets the same command run again after the cluster restarts on another
    port; ``--ca-file`` makes helm trust the cluster's own certificate authority.
    """
    return [
        "helm",
        "repo",
        "add",
        name,
        repository_url(cluster_url),
        "--ca-file",
        str(ca_file),
        "--force-update",
    ]


def _chart_metadata(chart_yaml: bytes, where: str) -> dict[str, Any]:
    try:
        metadata = yaml.safe_load(chart_yaml)
    except yaml.YAMLError as error:
        raise ChartError(f"{where}: Chart.yaml is not valid YAML: {error}") from error
    if not isinstance(metadata, dict):
        raise ChartError(f"{where}: Chart.yaml is not a mapping")
    for field in ("name", "version"):
        if not isinstance(metadata.get(field), str | int | float) or not str(metadata[field]):
            raise ChartError(f"{where}: Chart.yaml has no {field}")
    return metadata


def _chart_files(chart_dir: Path) -> list[Path]:
    """The chart's files in archive order: Chart.yaml first, then the rest by path."""
    files = (p for p in chart_dir.rglob("*") if p.is_file())
    return sorted(files, key=lambda p: (p.relative_to(chart_dir) != Path("Chart.yaml"), p))


def package_chart(chart_dir: Path) -> tuple[str, bytes]:
    """The archive file name and bytes of the chart in ``chart_dir``, as ``helm package`` lays
    it out (every file under a top directory named after the chart), but reproducible."""
    chart_yaml = chart_dir / "Chart.yaml"
    if not chart_yaml.is_file():
        raise ChartError(f"{chart_dir}: no Chart.yaml")
    metadata = _chart_metadata(chart_yaml.read_bytes(), str(chart_dir))
    name = str(metadata["name"])
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path in _chart_files(chart_dir):
            content = path.read_bytes()
            member = tarfile.TarInfo(f"{name}/{path.relative_to(chart_dir).as_posix()}")
            member.size = len(content)
            member.mode = 0o644
            member.mtime = ARCHIVE_MTIME
            archive.addfile(member, io.BytesIO(content))
    archive_bytes = gzip.compress(tar_bytes.getvalue(), compresslevel=9, mtime=0)
    return f"{name}-{metadata['version']}{_ARCHIVE_SUFFIX}", archive_bytes


def _write_if_changed(path: Path, content: bytes) -> None:
    """Replace ``path`` atomically, and only when its content changes (its time then tells
    when this version was first published, which the index reports as ``created``)."""
    if path.is_file() and path.read_bytes() == content:
        return
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(content)
    partial.replace(path)


def publish_charts(sources: Path, directory: Path) -> None:
    """Package every chart under ``sources`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for chart_dir in sorted(p for p in sources.iterdir() if (p / "Chart.yaml").is_file()):
        file_name, content = package_chart(chart_dir)
        _write_if_changed(directory / file_name, content)


def archive_metadata(content: bytes, where: str) -> dict[str, Any]:
    """The Chart.yaml of a packaged chart: the one file ``<top directory>/Chart.yaml``."""
    try:
        with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as archive:
            for member in archive:
                parts = member.name.split("/")
                if member.isfile() and len(parts) == 2 and parts[1] == "Chart.yaml":
                    extracted = archive.extractfile(member)
                    if extracted is not None:
                        return _chart_metadata(extracted.read(), where)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ChartError(f"{where}: not a gzipped tar archive ({error})") from error
    raise ChartError(f"{where}: no Chart.yaml at the top of the archive")


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class _Stamp:
    """What identifies one state of an archive file, to know when to read it again."""

    size: int
    mtime_ns: int


_SEMVER = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$")


def _version_key(version: str) -> tuple[Any, ...]:
    """A sort key ordering semantic versions; a pre-release sorts before its release."""
    match = _SEMVER.match(version)
    if match is None:
        return (0, 0, 0, 0, (), version)
    major, minor, patch, pre = match.groups()
    numbers = (int(major), int(minor or 0), int(patch or 0))
    if pre is None:
        return (1, *numbers, 1, ())
    fields = tuple((0, int(f), "") if f.isdigit() else (1, 0, f) for f in pre.split("."))
    return (1, *numbers, 0, fields)


class ChartRepository:
    """The packaged charts in one directory, and the ``index.yaml`` describing them.

    Entries are remembered per archive (size and time), so serving the index reads and hashes
    an archive only when it is new or has changed.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._entries: dict[str, tuple[_Stamp, dict[str, Any] | None]] = {}

    def archive(self, file_name: str) -> Path | None:
        """The archive called ``file_name`` in the repository, or None (never outside it)."""
        if "/" in file_name or not file_name.endswith(_ARCHIVE_SUFFIX):
            return None
        path = self.directory / file_name
        return path if path.is_file() and not file_name.startswith(".") else None

    def _entry(self, path: Path) -> dict[str, Any] | None:
        stat = path.stat()
        stamp = _Stamp(stat.st_size, stat.st_mtime_ns)
        cached = self._entries.get(path.name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        content = path.read_bytes()
        try:
            metadata = archive_metadata(content, path.name)
        except ChartError:
            entry = None
        else:
            entry = {
                **metadata,
                "created": _rfc3339(datetime.fromtimestamp(stat.st_mtime, UTC)),
                "digest": hashlib.sha256(content).hexdigest(),
                "urls": [path.name],
            }
            entry["version"] = str(entry["version"])
        self._entries[path.name] = (stamp, entry)
        return entry

    def index(self) -> dict[str, Any]:
        """The repository index (helm's ``IndexFile``): every chart's versions, newest first.

        Archives that are not charts are left out, as ``helm repo index`` skips them.
        """
        entries: dict[str, list[dict[str, Any]]] = {}
        archives = sorted(p for p in self.directory.glob(f"*{_ARCHIVE_SUFFIX}") if p.is_file())
        for path in archives:
            if path.name.startswith("."):
                continue
            try:
                entry = self._entry(path)
            except FileNotFoundError:
                continue  # removed since the directory was listed
            if entry is not None:
                entries.setdefault(str(entry["name"]), []).append(entry)
        for versions in entries.values():
            versions.sort(key=lambda e: _version_key(e["version"]), reverse=True)
        return {
            "apiVersion": "v1",
            "entries": dict(sorted(entries.items())),
            "generated": _rfc3339(datetime.now(UTC)),
        }

    def index_yaml(self) -> bytes:
        return yaml.safe_dump(self.index(), sort_keys=True, default_flow_style=False).encode()
