"""``kubelab image ...`` on a learner's terminal: build, ls, inspect, history, layers, diff.

The commands run in this process through ``kubelab.cli.main`` with ``KUBELAB_HOME`` pointing at
a fresh directory, and once as the installed ``kubelab`` program.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubelab.cli import main

WHITEOUT_DOCKERFILE = """\
FROM alpine:3.20
RUN mkdir -p /data && echo hello > /data/greeting.txt && echo scratch > /data/tmp.txt
RUN rm /data/tmp.txt /etc/os-release && echo again >> /data/greeting.txt
ENTRYPOINT ["cat"]
CMD ["/data/greeting.txt"]
"""


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KUBELAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBELAB_CONTEXT", raising=False)
    return tmp_path / "home"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["image", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture()
def layered(tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> str:
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(WHITEOUT_DOCKERFILE)
    code, out, err = run(capsys, "build", "--builder", "kubelab", "-t", "layers:1", str(context))
    assert code == 0, err
    assert "=> [3/3] RUN rm /data/tmp.txt /etc/os-release" in out
    return "layers:1"


def test_diff_shows_adds_changes_and_whiteouts(
    layered: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "diff", layered)
    assert code == 0
    layer2, layer3 = out.split("layer 3 ")[0].split("layer 2 ")[1], out.split("layer 3 ")[1]
    assert "  A /data/" in layer2 and "  A /data/greeting.txt" in layer2
    assert "  A /data/tmp.txt" in layer2
    assert "  C /data/greeting.txt" in layer3
    assert "  D /data/tmp.txt  (whiteout" in layer3 and "  D /etc/os-release  (whiteout" in layer3
    code, merged, _ = run(capsys, "diff", layered, "--merged", "--path", "/data")
    assert "/data/greeting.txt" in merged and "/data/tmp.txt" not in merged
    assert merged.splitlines()[-1].split()[0] == "3"  # greeting.txt now comes from layer 3
    code, everything, _ = run(capsys, "diff", layered, "--merged")
    assert "/etc/os-release" not in everything and "/bin/sh" in everything


def test_the_whiteout_is_a_real_tar_entry(layered: str, home: Path) -> None:
    from kubelab.cluster.registry import oci
    from kubelab.images.store import ImageStore

    store = ImageStore(home / "images")
    image = store.find(layered)
    top = store.read_blob(image.manifest["layers"][-1]["digest"])
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(oci.decompress(top))) as archive:
        names = archive.getnames()
    assert "data/.wh.tmp.txt" in names and "etc/.wh.os-release" in names


def test_ls_inspect_history_layers(layered: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ls")
    header, row = out.splitlines()
    assert header.split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert row.split()[:2] == ["layers", "1"]
    code, out, _ = run(capsys, "inspect", layered)
    (document,) = json.loads(out)
    assert document["Config"]["Entrypoint"] == ["cat"]
    assert document["Config"]["Cmd"] == ["/data/greeting.txt"]
    assert document["RepoTags"] == ["layers:1"] and len(document["RootFS"]["Layers"]) == 3
    code, out, _ = run(capsys, "history", layered)
    lines = out.splitlines()
    assert 'CMD ["/data/greeting.txt"]' in lines[1] and "catalog image" in lines[-1]
    code, out, _ = run(capsys, "layers", layered)
    assert len(out.splitlines()) == 4 and "RUN /bin/sh -c mkdir -p /data" in out


def test_an_unknown_image_is_a_message_not_a_traceback(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "inspect", "nothing:here")
    assert code == 1
    assert err == (
        "error: No such image: nothing:here (build it first: "
        "kubelab image build -t nothing:here DIR)\n"
    )


def test_the_installed_command_builds(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM busybox\nCOPY hello.txt /\n")
    (context / "hello.txt").write_text("hi\n")
    environment = {**os.environ, "KUBELAB_HOME": str(tmp_path / "home")}
    environment.pop("KUBELAB_CONTEXT", None)
    kubelab = Path(sys.executable).parent / "kubelab"
    command = [
        str(kubelab),
        "image",
        "build",
        "--builder",
        "kubelab",
        "-t",
        "hello:1",
        str(context),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "=> [2/2] COPY hello.txt /" in result.stdout
    assert (tmp_path / "home" / "images" / "index.json").is_file()
