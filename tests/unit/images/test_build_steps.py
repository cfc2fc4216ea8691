"""What individual Dockerfile instructions do to the image, as Docker's builder does it."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from kubelab.cluster.registry import oci
from kubelab.images import build
from kubelab.images.builder import BuildResult


def build_text(tmp_path: Path, dockerfile: str, tag: str, **options: object) -> BuildResult:
    context = tmp_path / tag.replace(":", "-")
    context.mkdir(exist_ok=True)
    (context / "Dockerfile").write_text(dockerfile)
    for name, data in dict(options.pop("files", {})).items():  # type: ignore[call-overload]
        (context / name).write_bytes(data)
    return build(context, tag, store=tmp_path / "store", progress=None, **options)  # type: ignore[arg-type]


def top_layer(tmp_path: Path, result: BuildResult) -> dict[str, bytes]:
    """The files the image's last layer adds."""
    digest = result.image.manifest["layers"][-1]["digest"]
    blob = (tmp_path / "store" / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()
    return {change.path: change.data for change in oci.read_layer(blob)}


def config(result: BuildResult) -> dict[str, object]:
    return result.image.config["config"]


def test_entrypoint_resets_the_base_cmd_and_args_reach_env(tmp_path: Path) -> None:
    result = build_text(
        tmp_path,
        'FROM redis:7\nARG GREETING=hi\nENV MESSAGE=$GREETING-there\nENTRYPOINT ["redis-cli"]\n',
        "cli:1",
        build_args={"GREETING": "hello"},
    )
    settings = config(result)
    assert settings["Entrypoint"] == ["redis-cli"] and "Cmd" not in settings
    assert "MESSAGE=hello-there" in settings["Env"]  # type: ignore[operator]
    assert settings["WorkingDir"] == "/data"  # from the base image


def test_workdir_that_exists_adds_no_layer(tmp_path: Path) -> None:
    result = build_text(tmp_path, "FROM alpine\nWORKDIR /etc\nWORKDIR /srv/app\n", "dirs:1")
    assert [step.layer is not None for step in result.steps] == [True, False, True]
    assert config(result)["WorkingDir"] == "/srv/app"


def test_add_unpacks_a_local_tar_archive(tmp_path: Path) -> None:
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo("site/index.html")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    result = build_text(
        tmp_path, "FROM nginx\nADD site.tar /usr/share/nginx/\n", "site:1",
        files={"site.tar": archive.getvalue()},
    )  # fmt: skip
    assert result.steps[-1].text == "ADD site.tar /usr/share/nginx/"
    assert top_layer(tmp_path, result)["/usr/share/nginx/site/index.html"] == b"hello"


def test_from_an_image_built_before(tmp_path: Path) -> None:
    base = build_text(tmp_path, "FROM busybox\nRUN echo base > /base.txt\n", "base:1")
    child = build_text(tmp_path, "FROM base:1\nRUN cat /base.txt > /copy.txt\n", "child:1")
    assert child.image.manifest["layers"][:2] == base.image.manifest["layers"]
    assert len(child.image.manifest["layers"]) == 3
    assert top_layer(tmp_path, child)["/copy.txt"] == b"base\n"
    assert child.image.manifest["annotations"]["org.opencontainers.image.base.name"] == (
        "docker.io/library/base:1"
    )
