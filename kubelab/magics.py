"""Notebook magics, loaded with ``%load_ext kubelab``: ``%kubectl`` and ``%%apply``.

They let a lesson read like a terminal session (``%kubectl get pods``) or like a manifest file
(a ``%%apply`` cell holding YAML) while running in the lesson namespace on the chosen cluster,
with the same kubectl and the same output a learner would get by hand.
"""

from __future__ import annotations

import argparse
import shlex

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from kubelab import steps


@magics_class
class KubelabMagics(Magics):
    """The magics; IPython creates one instance per shell."""

    @line_magic
    def kubectl(self, line: str) -> None:
        """Run kubectl: ``%kubectl get pods``, in the lesson namespace unless ``-n``/``-A``.

        A failing command shows kubectl's error and does not stop the notebook, as in a
        terminal; lessons use failures to teach.
        """
        try:
            args = shlex.split(line)
        except ValueError as error:
            raise UsageError(f"cannot split the command line: {error}") from error
        steps.kubectl(*args)

    @cell_magic
    def apply(self, line: str, cell: str) -> None:
        """Apply the cell's YAML (one or more documents): ``%%apply`` or ``%%apply -n NS``.

        A manifest the cluster refuses stops the notebook, because later steps depend on it.
        """
        parser = argparse.ArgumentParser(prog="apply", add_help=False, exit_on_error=False)
        parser.add_argument("-n", "--namespace")
        try:
            options, unknown = parser.parse_known_args(shlex.split(line))
        except (argparse.ArgumentError, ValueError) as error:
            raise UsageError(f"%%apply takes only -n NAMESPACE ({error})") from error
        if unknown:
            raise UsageError(f"%%apply takes only -n NAMESPACE, not {' '.join(unknown)}")
        try:
            steps.apply(cell, namespace=options.namespace)
        except steps.StepError as error:
            raise UsageError(f"the manifest was not applied: {_first_line(str(error))}") from error


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register the magics in ``ipython`` (what ``%load_ext kubelab`` calls)."""
    ipython.register_magics(KubelabMagics)
