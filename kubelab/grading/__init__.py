"""Grading a class: run a course's checks per student and write gradebooks and evidence.

``kubelab grade`` runs the checks of a lesson or the whole course (plus hidden checks the
learners never saw) against one cluster, either once (the current learner) or once per student
namespace from a roster, and writes JSON, JUnit XML and an nbgrader-style CSV gradebook.
"""
