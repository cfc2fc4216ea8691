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
    passed = re.compile(r"^\s*PASS\s.*\scluster-tour/desired-state\s")
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


def _wait_for_count(page: Any, picture: Any, selector: str, count: int) -> None:
    """Wait until ``count`` elements of the picture match ``selector`` (it redraws itself)."""
    page.wait_for_function(
        "([el, selector, count]) => el.querySelectorAll(selector).length === count",
        arg=[picture.element_handle(), selector, count],
        timeout=60_000,
    )


def test_pictures_follow_kubectl_scale_and_set_image(page, lab, artifacts: Path):
    namespace = "browser-pictures"
    notebook = lab.add_notebook(
        "pictures.ipynb",
        [
            ("markdown", "# The cluster, drawn live"),
            (
                "code",
                "import kubelab\n\n%load_ext kubelab\nkubelab.connect()\n"
                f'kubelab.lesson_namespace("{namespace}")',
            ),
            (
                "code",
                "%kubectl create deployment web --image=nginx:1.27 --replicas=2\n"
                "%kubectl expose deployment web --port=80\n"
                "%kubectl run crash --image=busybox --restart=Always -- false",
            ),
            ("code", 'kubelab.wait_for_rollout("web")'),
            ("code", "kubelab.show.cluster_map()"),
            ("code", 'kubelab.show.rollout("web")'),
            ("code", 'kubelab.show.pod_timeline("crash")'),
            ("code", "kubelab.show.resources()"),
        ],
    )
    panel = _open(page, lab, notebook)
    _run_all(page)
    pictures = panel.locator(".kubelab-picture")
    _wait_until_idle(page)
    assert pictures.count() == 4
    cluster_map, rollout, timeline, resources = (pictures.nth(i) for i in range(4))

    web_pods = "svg g.pod[data-ready='true'][data-name^='web-']"
    _wait_for_count(page, cluster_map, web_pods, 2)
    _wait_for_count(page, cluster_map, "svg g.service[data-name='web'] path.endpoint", 2)
    cluster_map.scroll_into_view_if_needed()
    cluster_map.screenshot(path=str(artifacts / "06-cluster-map-2-pods.png"))

    lab.kubectl("scale", "deployment", "web", "--replicas=4", "-n", namespace)
    _wait_for_count(page, cluster_map, web_pods, 4)
    assert cluster_map.locator("svg g.replicaset").get_attribute("data-replicas") == "4"
    cluster_map.screenshot(path=str(artifacts / "07-cluster-map-scaled-to-4.png"))

    lab.kubectl("set", "image", "deployment/web", "nginx=nginx:1.25", "-n", namespace)
    _wait_for_count(page, rollout, "svg g.replicaset[data-revision='2'][data-ready='4']", 1)
    _wait_for_count(page, rollout, "svg g.replicaset[data-revision='1'][data-replicas='0']", 1)
    assert rollout.locator("svg polyline.history").count() == 2
    rollout.scroll_into_view_if_needed()
    rollout.screenshot(path=str(artifacts / "08-rollout.png"))

    _wait_for_count(page, timeline, "svg g.restart[data-count='2']", 1)
    timeline.scroll_into_view_if_needed()
    timeline.screenshot(path=str(artifacts / "09-pod-timeline.png"))

    _wait_for_count(page, resources, "svg g.pod[data-name^='web-']", 4)
    assert resources.locator("svg g.pod[data-name='crash']").get_attribute("data-qos") == (
        "BestEffort"
    )
    resources.scroll_into_view_if_needed()
    resources.screenshot(path=str(artifacts / "10-resources.png"))
