"""``kubelab break``: put the troubleshooting lab's namespace into one known broken state.

Real clusters break in a handful of typical ways (a mistyped image, a selector that matches
nothing, a probe that can never succeed, a missing ConfigMap key, requests no node can meet, a
command that crashes, a Service port that leads nowhere, a claim that never binds), and the
way out is always the same: ``get``, ``describe``, ``logs`` and events until the cause shows.

Each scenario is an ordinary exercise of the troubleshooting lesson, so everything the course
does for exercises works for it: its setup is the broken state, its checks describe the fixed
state (and name the fault while it is still there), its solution is the documented fix, and
``kubelab check`` and ``kubelab grade`` judge it. Breaking is starting that exercise and telling
the learner the symptom; once the check passes, the check's description says what was wrong.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from kubelab.checks.report import CheckReport
from kubelab.course import notebook
from kubelab.course.lab import Lab
from kubelab.course.loader import Catalog, UnknownExercise
from kubelab.course.model import Exercise
from kubelab.widgets import in_notebook

#: The lesson whose exercises are the break scenarios.
LESSON = "troubleshooting"


@dataclass(frozen=True)
class Scenario:
    """One way to break the namespace: the exercise that sets it up and checks the fix."""

    name: str
    exercise: Exercise

    @property
    def diagnosis(self) -> str:
        """What was wrong, and how it showed: said once the fix is confirmed."""
        return " ".join(check.description for check in self.exercise.checks if check.description)


def scenarios(catalog: Catalog) -> dict[str, Scenario]:
    """Every scenario of the course, by name (the exercise id without ``troubleshooting/``)."""
    found = {}
    for exercise in catalog.lesson_exercises(LESSON):
        name = exercise.id.split("/", 1)[1]
        found[name] = Scenario(name, exercise)
    return found


def scenario(catalog: Catalog, name: str) -> Scenario:
    """The scenario called ``name`` (its exercise id works too)."""
    known = scenarios(catalog)
    chosen = known.get(name.removeprefix(f"{LESSON}/"))
    if chosen is None:
        close = difflib.get_close_matches(name, list(known), n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise UnknownExercise(
            f"there is no break scenario {name!r}; {hint}scenarios: {', '.join(known)}"
        )
    return chosen


def briefing(chosen: Scenario, namespace: str) -> str:
    """What the learner reads after breaking: the symptom, where to look, how to check."""
    exercise = chosen.exercise
    return (
        f"Namespace {namespace} is broken ({chosen.name}): {exercise.title}.\n\n"
        f"{exercise.task.strip()}\n\n"
        "Diagnose it as you would on any cluster:\n"
        f"  kubectl get all -n {namespace}\n"
        f"  kubectl describe pod -n {namespace} NAME\n"
        f"  kubectl logs -n {namespace} NAME   (--previous for the run that crashed)\n"
        f"  kubectl get events -n {namespace} --sort-by=.lastTimestamp\n\n"
        f"When you think it is fixed: kubelab break {chosen.name} --check\n"
        f"(or kubelab check {exercise.id}; a hint: kubelab hint {exercise.id})"
    )


def break_in(lab: Lab, name: str) -> tuple[Scenario, str]:
    """Start the scenario's exercise (its broken state) and return the briefing to show."""
    chosen = scenario(lab.catalog, name)
    lab.start(chosen.exercise.id)
    return chosen, briefing(chosen, lab.target().namespace(chosen.exercise))


def check_in(lab: Lab, name: str, timeout: float | None = None) -> tuple[Scenario, CheckReport]:
    """Check the scenario's exercise (the fixed state), recording the attempt as any check."""
    chosen = scenario(lab.catalog, name)
    return chosen, lab.check(chosen.exercise.id, timeout=timeout)


def verdict_note(chosen: Scenario, report: CheckReport) -> str | None:
    """The words that follow a check: what was wrong once it is fixed, nothing before."""
    if not report.passed:
        return None
    return f"Fixed. What was wrong: {chosen.diagnosis}"


# --- in a notebook ----------------------------------------------------------------------------


def break_(name: str) -> None:
    """Break the troubleshooting namespace on purpose (``kubelab.break_("image-typo")``)."""
    chosen, text = break_in(notebook.lab(), name)
    if in_notebook():
        from IPython.display import Markdown, display

        namespace = notebook.lab().target().namespace(chosen.exercise)
        display(
            Markdown(
                f"**Namespace `{namespace}` is broken: {chosen.exercise.title}**\n\n"
                f"{chosen.exercise.task}\n\n"
                "Diagnose it with `kubectl get`, `describe`, `logs` and the events, fix it, then "
                f'run `kubelab.check_fix("{chosen.name}")`.'
            )
        )
    else:
        print(text)


def check_fix(name: str, *, timeout: float | None = None) -> CheckReport:
    """Check a scenario's fix; once it passes, say what was wrong."""
    chosen, report = check_in(notebook.lab(), name, timeout)
    note = verdict_note(chosen, report)
    if note:
        print(note)
    return report
