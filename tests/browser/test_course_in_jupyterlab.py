"""A learner's session in JupyterLab, in Chromium: the start page, lesson 00 and its checkpoint,
a hint, and the cluster map following ``kubectl scale``. Screenshots of each step are kept in
``test-artifacts/browser/``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Lab

pytest.importorskip("playwright.sync_api")

LESSON_00 = "00-cluster-tour.ipynb"
RUN_TIMEOUT = 120_000


def _kernel_idle(page: Any) -> None:
    """Wait for the status bar to show the notebook's kernel started and idle."""
    page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).wait_for(timeout=60_000)


def _open(page: Any, lab: Lab, notebook: str) -> Any:
    """Open a notebook and wait until its kernel is ready; returns the notebook panel."""
    page.goto(lab.url(f"lab/tree/{notebook}", reset=True))
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-Cell").first.wait_for()
    _kernel_idle(page)
    return panel


def _run_all(page: Any) -> None:
    """Run > Run All Cells, as a learner would from the menu; returns once the first cell of
    the open notebook has started."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
    started = (
        "() => [...document.querySelectorAll("
        "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')]"
        ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"
    )
    page.wait_for_function(started, timeout=60_000)


def _wait_until_idle(page: Any) -> None:
    """Wait until no cell is running or queued (no ``[*]`` prompt) and the kernel is idle."""
    running = (
        "() => ![...document.querySelectorAll('.jp-InputPrompt')]"
        ".some(p => p.textContent.includes('*'))"
    )
    page.wait_for_function(running, timeout=RUN_TIMEOUT)
    _kernel_idle(page)


def test_lab_opens_on_the_start_page_listing_the_lessons(page, lab, artifacts: Path):
    page.goto(lab.url())
    page.wait_for_url(re.compile(r"/lab/tree/00-start-here\.ipynb"))
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    _kernel_idle(page)
    _run_all(page)
    table = panel.locator(".kubelab-contents")
    table.wait_for(timeout=RUN_TIMEOUT)
    lessons = sorted(
        path.stem
        for path in lab.notebooks.glob("[0-9][0-9]-*.ipynb")
        if path.name != "00-start-here.ipynb"
    )
    rows = table.locator("tr.kubelab-lesson")
    shown = [rows.nth(i).get_attribute("data-lesson") for i in range(rows.count())]
    assert set(lessons) <= set(shown)
    tour = table.locator("tr[data-lesson='00-cluster-tour']")
    assert "A tour of the cluster" in tour.text_content()
    _wait_until_idle(page)
    table.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "01-start-page.png"))


def test_lesson_00_checkpoint_passes_and_a_hint_shows(page, lab, artifacts: Path):
    panel = _open(page, lab, LESSON_00)
    _run_all(page)
    # The lesson checks before and after its guided steps; the checkpoint after them passes.
    passed = re.compile(r"^\s*PASS\s.*\scluster-tour/desired-state\s.*5 / 5 points")
    check = panel.locator(".widget-vbox", has_text=passed).filter(
        has=page.locator("button", has_text="Show a hint")
    )
    check.wait_for(timeout=RUN_TIMEOUT)
    check.scroll_into_view_if_needed()
    check.screenshot(path=str(artifacts / "02-lesson-00-checkpoint-pass.png"))

    check.locator("button", has_text="Show a hint").click()
    hint = check.locator("li", has_text="Hint 1.")
    hint.wait_for()
    assert len(hint.text_content()) > len("Hint 1. ")
    assert "left" in check.locator("button", has_text="hint").text_content()
    check.screenshot(path=str(artifacts / "03-lesson-00-hint.png"))
    _wait_until_idle(page)
    page.screenshot(path=str(artifacts / "04-lesson-00.png"))

    # Back on the start page, the checkpoint counts as progress in lesson 00.
    start = _open(page, lab, "00-start-here.ipynb")
    _run_all(page)
    tour = start.locator(".kubelab-contents tr[data-lesson='00-cluster-tour']")
    tour.wait_for(timeout=RUN_TIMEOUT)
    assert tour.get_attribute("data-passed") == "1"
    assert f"1 of {tour.get_attribute('data-exercises')} exercises" in tour.text_content()
    assert "in progress" in tour.text_content()
    _wait_until_idle(page)
    tour.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "05-start-page-progress.png"))


def _ready_pods(picture: Any) -> int:
    return picture.locator("svg g.pod[data-ready='true']").count()


def test_cluster_map_follows_kubectl_scale(page, lab, artifacts: Path):
    namespace = "browser-map"
    notebook = lab.add_notebook(
        "cluster-map.ipynb",
        [
            ("markdown", "# The cluster map, live"),
            (
                "code",
                "import kubelab\n\n%load_ext kubelab\nkubelab.connect()\n"
                f'kubelab.lesson_namespace("{namespace}")',
            ),
            (
                "code",
                "%kubectl create deployment web --image=nginx:1.27 --replicas=2\n"
                "%kubectl expose deployment web --port=80",
            ),
            ("code", 'kubelab.wait_for_rollout("web")'),
            ("code", "kubelab.show.cluster_map()"),
        ],
    )
    panel = _open(page, lab, notebook)
    _run_all(page)
    picture = panel.locator(".kubelab-picture")
    picture.wait_for(timeout=RUN_TIMEOUT)
    page.wait_for_function(
        "el => el.querySelectorAll(\"svg g.pod[data-ready='true']\").length === 2",
        arg=picture.element_handle(),
        timeout=60_000,
    )
    service = picture.locator("svg g.service[data-name='web']")
    page.wait_for_function(
        "el => el.dataset.endpoints.split(' ').filter(Boolean).length === 2",
        arg=service.element_handle(),
        timeout=60_000,
    )
    picture.scroll_into_view_if_needed()
    picture.screenshot(path=str(artifacts / "06-cluster-map-2-pods.png"))

    lab.kubectl("scale", "deployment", "web", "--replicas=4", "-n", namespace)
    page.wait_for_function(
        "el => el.querySelectorAll(\"svg g.pod[data-ready='true']\").length === 4",
        arg=picture.element_handle(),
        timeout=60_000,
    )
    assert _ready_pods(picture) == 4
    replicaset = picture.locator("svg g.replicaset")
    assert replicaset.get_attribute("data-replicas") == "4"
    picture.screenshot(path=str(artifacts / "07-cluster-map-scaled-to-4.png"))
