"""What a learner does with exercises from a notebook: check, hint, start, solve, reset.

``check``, ``hint``, ``start``, ``solve``, ``reset`` and ``cleanup`` act on the packaged course
and on the cluster the lesson is connected to (see :mod:`kubelab.connect`); progress is kept in
``$KUBELAB_HOME``. Build a :class:`~kubelab.course.lab.Lab` for anything else (another course
directory, another cluster, a student's namespace).
"""

from __future__ import annotations

from kubelab.checks.report import CheckReport
from kubelab.course.lab import Lab
from kubelab.widgets import in_notebook

_lab: Lab | None = None


def lab() -> Lab:
    """The notebook's lab: the packaged course on the current connection, unless :func:`use`
    chose another."""
    global _lab
    if _lab is None:
        _lab = Lab()
    return _lab


def use(chosen: Lab | None) -> None:
    """Make the notebook functions act on another lab (a course directory of your own, a
    student namespace, a particular cluster); None goes back to the default."""
    global _lab
    _lab = chosen


def check(check_id: str, *, timeout: float | None = None) -> CheckReport:
    """Check an exercise (all its checks) or one check; the result renders in the notebook."""
    return lab().check(check_id, timeout=timeout)


def hint(exercise_id: str) -> None:
    """Show the next hint of an exercise."""
    exercise = lab().exercise(exercise_id)
    text = lab().hint(exercise_id)
    if text is None:
        print(
            f"There are no more hints for {exercise_id}; kubelab.solve({exercise_id!r}) "
            "applies the solution if you want to move on."
        )
        return
    used = lab().progress.hints_used(exercise_id)
    print(f"Hint {used} of {len(exercise.hints)}: {text}")


def start(exercise_id: str) -> None:
    """Begin an exercise from its starting state and show its task.

    What an earlier attempt (or the lesson's own demonstration) left behind is removed first,
    so the check judges only what the learner does from here.
    """
    current = lab()
    current.reset(exercise_id)
    exercise = current.exercise(exercise_id)
    namespace = current.target().namespace(exercise)
    print(f"{exercise_id} is ready in namespace {namespace}.")
    _show_task(exercise.title, exercise.task)


def _show_task(title: str, task: str) -> None:
    """The task as formatted text in a notebook, as plain text elsewhere."""
    if in_notebook():
        from IPython.display import Markdown, display

        display(Markdown(f"**{title}**\n\n{task}"))
    else:
        print(f"\n{title}\n\n{task.strip()}")


def solve(exercise_id: str) -> None:
    """Apply the exercise's solution (to move on, or to compare with your own)."""
    lab().solve(exercise_id)
    print(
        f"The solution of {exercise_id} is applied; kubelab.check({exercise_id!r}) to see it pass."
    )


def reset(exercise_id: str) -> None:
    """Put an exercise back to where it starts."""
    lab().reset(exercise_id)
    print(f"{exercise_id} is back to its starting state.")


def cleanup(exercise_id: str) -> None:
    """Remove what an exercise created."""
    lab().cleanup(exercise_id)
    print(f"{exercise_id} is cleaned up.")
