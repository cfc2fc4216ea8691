"""The course in a real browser: ``kubelab lab`` serves a copy of the course notebooks from a
teaching cluster of its own, and Playwright drives Debian's Chromium against it.

Everything runs as a learner's machine does: ``kubelab cluster up`` starts the cluster in the
background (five times faster than a learner's, so lessons that wait are quick), ``kubelab lab``
finds it running and opens JupyterLab with ``KUBELAB_HOME`` and ``KUBECONFIG`` pointing at it,
and the kernels inherit both. The notebooks are copies, because JupyterLab saves what it runs.
Screenshots go to ``test-artifacts/browser/`` and are kept after the run.

Where Chromium or Playwright is missing the tests are skipped and say how to get them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Kubectl
from tests.labserver import KUBELAB, learner_environment, start_lab, stop_lab, wait_for_lab

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
#: Chromium's flags: headless, and none of its background connections (this network refuses
#: them, and waiting for them makes every page slow).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
TOKEN = "kubelab-browser-test"
TIME_SCALE = "5"
#: JupyterLab settings for a quiet screen: no question about news, no update checks, and the
#: notebook's own kernel started without asking which one.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "autoStartDefaultKernel": True,
    },
}


def _missing() -> str | None:
    if not CHROMIUM.is_file():
        return (
            f"{CHROMIUM} is missing: the set-up (python3 dev.py setup, as root) installs Debian's "
            "chromium with apt-get; or run: apt-get update && apt-get install -y chromium"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[test]'"
    return None


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@dataclass(frozen=True)
class Lab:
    """A running ``kubelab lab``: where it listens, its notebooks, and kubectl on its cluster."""

    port: int
    notebooks: Path
    kubectl: Kubectl

    def url(self, path: str = "", reset: bool = False) -> str:
        """An address on the server; ``reset`` opens it without the tabs left open before."""
        return f"http://127.0.0.1:{self.port}/{path}?{'reset&' if reset else ''}token={TOKEN}"

    def add_notebook(self, name: str, cells: list[tuple[str, str]]) -> str:
        """Write a notebook of (cell type, source) pairs next to the course's; returns its name."""
        document = {
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": source, "id": f"cell-{n}"}
                | ({"execution_count": None, "outputs": []} if kind == "code" else {})
                for n, (kind, source) in enumerate(cells)
            ],
            "metadata": {
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (self.notebooks / name).write_text(json.dumps(document))
        return name


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    missing = _missing()
    if missing:
        pytest.skip(missing)
    base = tmp_path_factory.mktemp("browser")
    notebooks = base / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)
    home = base / "home"
    for name, values in LAB_SETTINGS.items():
        path = home / ".jupyter" / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    environment = learner_environment(home, base / "kubelab")
    up = subprocess.run(
        [KUBELAB, "cluster", "up", "--time-scale", TIME_SCALE],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert up.returncode == 0, up.stdout + up.stderr
    server, port = start_lab(notebooks, TOKEN, environment)
    try:
        wait_for_lab(port, TOKEN, server, time.monotonic() + 90)
        yield Lab(port, notebooks, Kubectl(base / "kubelab" / "kubeconfig", home))
    finally:
        stop_lab(server, environment)


@pytest.fixture(scope="module")
def browser(lab: Lab) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Remember whether the test itself failed, so the page can be photographed for the log."""
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture()
def page(browser: object, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    context.set_default_timeout(30_000)
    opened = context.new_page()
    yield opened
    if request.node.stash.get(FAILED, False):
        opened.screenshot(path=str(artifacts / f"failed-{request.node.name}.png"))
    context.close()
