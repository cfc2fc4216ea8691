"""The course: exercises and lessons (model, loader), their lifecycle, and learner commands.

Notebook functions are in :mod:`kubelab.course.notebook`; the package itself imports nothing,
so that the ``kubelab`` command starts instantly.
"""
