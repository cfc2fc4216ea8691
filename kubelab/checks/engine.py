"""Running a check: poll the cluster until it passes, fails for sure, or time runs out.

Clusters converge: right after ``kubectl apply`` a pod is Pending, a rollout is half done.
Judging at that instant fails correct work, so the engine keeps looking while anything is
NOT YET, up to the check's time limit. It stops early when every criterion passes, when the
cluster cannot be asked (ERROR), or when a criterion has failed steadily for a short settle time:
that failure will not fix itself, and the learner should hear about it now rather than in 30 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from kubelab.checks.context import RunContext
from kubelab.checks.criteria import Criterion, Evaluation, NeverCriterion
from kubelab.checks.kubeapi import APIRequestError, ClusterError, ClusterUnreachable, KubeAPI
from kubelab.checks.matchers import SpecError
from kubelab.checks.outcome import Outcome
from kubelab.checks.results import CheckResult, CriterionResult, Verdict

DEFAULT_TIMEOUT = 30.0
POLL_INTERVAL = 0.5
#: How long a FAIL must persist before the run ends early (covers the moment between a
#: learner's write and the controllers' reaction to it).
SETTLE_SECONDS = 1.0


@dataclass(frozen=True)
class Check:
    """A stable id, a title, points, and the criteria that earn them.

    Points are shared among the criteria in proportion to their weights (partial credit);
    they default to the sum of the weights.
    """

    id: str
    title: str
    criteria: tuple[Criterion, ...]
    points: float | None = None
    timeout: float = DEFAULT_TIMEOUT
    hidden: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if not self.criteria:
            raise SpecError(f"check {self.id} has no criteria")
        ids = [c.id for c in self.criteria]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise SpecError(f"check {self.id} repeats criterion ids {duplicates}")
        if self.timeout <= 0:
            raise SpecError(f"check {self.id} needs a timeout above 0 s")
        for criterion in self.criteria:
            if isinstance(criterion, NeverCriterion) and criterion.window > self.timeout:
                raise SpecError(
                    f"check {self.id}: criterion {criterion.id} watches for "
                    f"{criterion.window:g} s, longer than the check's timeout of {self.timeout:g} s"
                )

    @property
    def max_points(self) -> float:
        return self.points if self.points is not None else sum(c.weight for c in self.criteria)


ProgressCallback = Callable[[list[CriterionResult]], None]


def run_check(
    check: Check,
    api: KubeAPI,
    namespace: str,
    *,
    timeout: float | None = None,
    interval: float = POLL_INTERVAL,
    settle: float = SETTLE_SECONDS,
    on_progress: ProgressCallback | None = None,
) -> CheckResult:
    """Evaluate every criterion until the verdict is clear or the time limit is reached."""
    limit = check.timeout if timeout is None else timeout
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    context = RunContext(api, namespace, started, started + limit)
    evaluations = [c.start(context) for c in check.criteria]
    failing_since: dict[str, float] = {}
    timed_out = False
    try:
        while True:
            results = _look(check, evaluations)
            now = time.monotonic()
            for result in results:
                if result.outcome is Outcome.FAIL:
                    failing_since.setdefault(result.id, now)
                else:
                    failing_since.pop(result.id, None)
            if on_progress is not None:
                on_progress(results)
            outcomes = {r.outcome for r in results}
            if Outcome.ERROR in outcomes or outcomes == {Outcome.PASS}:
                break
            if any(now - since >= settle for since in failing_since.values()):
                break
            if now >= context.deadline:
                timed_out = Outcome.NOT_YET in outcomes
                break
            time.sleep(max(0.0, min(interval, context.deadline - now)))
    finally:
        for evaluation in evaluations:
            evaluation.close()
    return CheckResult(
        check.id,
        check.title,
        check.max_points,
        namespace,
        results,
        started_at,
        time.monotonic() - started,
        timed_out,
        check.hidden,
    )


def _look(check: Check, evaluations: list[Evaluation]) -> list[CriterionResult]:
    """One round over all criteria; once the cluster is unreachable, do not ask it again."""
    results = []
    unreachable: str | None = None
    for criterion, evaluation in zip(check.criteria, evaluations, strict=True):
        if unreachable is not None:
            verdict = Verdict(Outcome.ERROR, unreachable)
        else:
            try:
                verdict = evaluation.evaluate()
            except ClusterUnreachable as exc:
                unreachable = str(exc)
                verdict = Verdict(Outcome.ERROR, unreachable)
            except ClusterError as exc:
                verdict = Verdict(Outcome.ERROR, str(exc))
            except APIRequestError as exc:
                verdict = Verdict(Outcome.ERROR, f"The cluster refused a request: {exc.message}")
        results.append(
            CriterionResult(
                criterion.id, criterion.title, criterion.weight, criterion.hidden, verdict
            )
        )
    return results
