"""The image builder stays inside its build context: sources outside it, links that lead out of
it and archives whose entries climb out of their target are refused or kept inside."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from kubelab.cluster.registry import oci
from kubelab.images import build
from kubelab.images.builder import BuildResult
from kubelab.images.dockerfile import BuildError

SECRET = b"the instructor's private notes"


@pytest.fixture()
def context(tmp_path: Path) -> Path:
    """A build context beside a file it must never reach."""
    (tmp_path / "outside.txt").write_bytes(SECRET)
    directory = tmp_path / "context"
    directory.mkdir()
    (directory / "app.py").write_text("print('hi')\n")
    return directory


def built(context: Path, dockerfile: str) -> BuildResult:
    (context / "Dockerfile").write_text(dockerfile)
    return build(context, "safety:1", store=context.parent / "store", progress=None)


def image_bytes(context: Path, result: BuildResult) -> dict[str, bytes]:
    """Every file of every layer the build added, by path."""
    files: dict[str, bytes] = {}
    for layer in result.image.manifest["layers"]:
        digest = layer["digest"].removeprefix("sha256:")
        blob = (context.parent / "store" / "blobs" / "sha256" / digest).read_bytes()
        files.update({change.path: change.data for change in oci.read_layer(blob)})
    return files


def tar_of(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            archive.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return buffer.getvalue()


def entry(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize("source", ["../outside.txt", "/../outside.txt", "app/../../outside.txt"])
def test_copy_from_outside_the_context_is_refused(context: Path, source: str) -> None:
    with pytest.raises(BuildError, match="outside the build context"):
        built(context, f"FROM alpine\nCOPY {source} /srv/\n")


def test_a_link_out_of_the_context_does_not_bring_its_target_in(context: Path) -> None:
    (context / "notes.txt").symlink_to(context.parent / "outside.txt")
    (context / "everything").symlink_to(context.parent)
    try:
        result = built(context, "FROM alpine\nCOPY . /srv/\n")
    except BuildError as error:
        assert SECRET.decode() not in str(error)
    else:
        assert all(SECRET not in data for data in image_bytes(context, result).values())


@pytest.mark.parametrize(
    "name", ["../../escape.txt", "site/../../../escape.txt", "./../escape.txt"]
)
def test_an_archive_entry_that_climbs_out_is_refused(context: Path, name: str) -> None:
    (context / "site.tar").write_bytes(tar_of((entry(name), b"x")))
    with pytest.raises(BuildError, match="outside of"):
        built(context, "FROM nginx\nADD site.tar /usr/share/nginx/\n")


def test_absolute_and_dotted_archive_entries_stay_under_the_target(context: Path) -> None:
    members = [(entry("/etc/passwd"), b"root"), (entry(".hidden"), b"dot")]
    (context / "site.tar").write_bytes(tar_of(*members))
    files = image_bytes(context, built(context, "FROM nginx\nADD site.tar /usr/share/nginx/\n"))
    assert files["/usr/share/nginx/etc/passwd"] == b"root"
    assert files["/usr/share/nginx/.hidden"] == b"dot"


def test_archive_links_do_not_reach_out(context: Path) -> None:
    members = [
        (entry("leak", tarfile.SYMTYPE, str(context.parent / "outside.txt")), b""),
        (entry("hard", tarfile.LNKTYPE, "../../outside.txt"), b""),
        (entry("index.html"), b"hello"),
    ]
    (context / "site.tar").write_bytes(tar_of(*members))
    try:
        result = built(context, "FROM nginx\nADD site.tar /usr/share/nginx/\n")
    except BuildError as error:
        assert "outside of" in str(error) or "invalid" in str(error)
    else:
        files = image_bytes(context, result)
        assert files["/usr/share/nginx/index.html"] == b"hello"
        assert all(SECRET not in data for data in files.values())
