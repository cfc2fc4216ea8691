"""Every exercise of the course, proved sound on a fresh teaching cluster.

For each exercise the unsolved starting state fails its checks, the solution passes them, each
known-wrong answer fails with its intended message, and a reset brings the failure back
(:func:`kubelab.testing.verify_exercise`). Learners would find any of these bugs first.

They run on the fast teaching cluster (time scale 20), which the course's grading test shares:
waits for image pulls, probes and graceful termination shrink, and what the checks see is the
same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelab.cluster.embedded import EmbeddedCluster
from kubelab.course.loader import COURSE_DIR, load_catalog
from kubelab.testing import content_lab, exercise_ids, verify_exercise
from tests.integration.scenarios.conftest import fast_cluster

__all__ = ["fast_cluster"]

COURSE_EXERCISES = exercise_ids(load_catalog([COURSE_DIR]))


def test_the_course_has_exercises() -> None:
    assert COURSE_EXERCISES, f"no exercises under {COURSE_DIR}"


@pytest.mark.parametrize("exercise_id", COURSE_EXERCISES)
def test_course_exercise(exercise_id: str, fast_cluster: EmbeddedCluster, tmp_path: Path) -> None:
    verify_exercise(content_lab(fast_cluster.kubeconfig, tmp_path), exercise_id)
