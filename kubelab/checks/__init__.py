"""The check engine: declarative checks of cluster state and behaviour, with learner feedback.

A :class:`Check` has criteria; each criterion selects objects (:class:`Selection`), counts them
with a :class:`Quantifier` after partial matching (:mod:`kubelab.checks.matchers`), watches
them over a window (:class:`NeverCriterion`), or probes behaviour (:mod:`kubelab.checks.probes`).
:func:`run_check` polls until the verdict is clear: PASS, NOT YET, FAIL or ERROR. Checks are
usually written in YAML (:func:`parse_check`); the Python classes have the same power.
"""

from kubelab.checks.criteria import Criterion, NeverCriterion, StateCriterion
from kubelab.checks.engine import Check, run_check
from kubelab.checks.kubeapi import AccessDenied, ClusterError, ClusterUnreachable, KubeAPI
from kubelab.checks.matchers import SpecError, match
from kubelab.checks.outcome import Outcome
from kubelab.checks.probes import (
    DataSurvivesProbe,
    ExecProbe,
    HttpProbe,
    LogsProbe,
    ProbeCriterion,
    RolloutHistoryProbe,
)
from kubelab.checks.quantifiers import ALL, ANY, NONE, Quantifier, at_least, exactly
from kubelab.checks.report import CheckReport
from kubelab.checks.results import CheckResult, CriterionResult
from kubelab.checks.selection import Selection
from kubelab.checks.spec import parse_check

__all__ = [
    "ALL",
    "ANY",
    "NONE",
    "AccessDenied",
    "Check",
    "CheckReport",
    "CheckResult",
    "ClusterError",
    "ClusterUnreachable",
    "Criterion",
    "CriterionResult",
    "DataSurvivesProbe",
    "ExecProbe",
    "HttpProbe",
    "KubeAPI",
    "LogsProbe",
    "NeverCriterion",
    "Outcome",
    "ProbeCriterion",
    "Quantifier",
    "RolloutHistoryProbe",
    "Selection",
    "SpecError",
    "StateCriterion",
    "at_least",
    "exactly",
    "match",
    "parse_check",
    "run_check",
]
