"""Views of what the library is doing: rich in a Jupyter notebook, plain text anywhere else.

The same lesson code runs in JupyterLab, in a terminal and under the test suite, so every view
asks :func:`in_notebook` first. Nothing here imports ipywidgets, which is only installed with
the ``lab`` extra.
"""

from __future__ import annotations

#: The course's start page: its table of contents, where ``kubelab lab`` opens JupyterLab.
START_PAGE = "00-start-here.ipynb"


def in_notebook() -> bool:
    """Whether output goes to a Jupyter front end (a kernel-backed IPython shell).

    A terminal IPython or a plain ``InteractiveShell`` has no kernel and cannot show HTML or
    widgets, so both count as "not a notebook".
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
