"""JUnit XML: one test suite per student, one test case per criterion.

CI systems and LMS plug-ins read JUnit; per-criterion test cases show exactly which
requirement each student missed. NOT YET is reported as a failure of type ``NOT YET`` (at
grading time, unfinished is not done), ERROR as an error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from kubelab.checks.outcome import Outcome
from kubelab.checks.results import CriterionResult
from kubelab.checks.text import cause_heading
from kubelab.grading.gradebook import number
from kubelab.grading.runner import GradeRun


def _body(criterion: CriterionResult) -> str:
    verdict = criterion.verdict
    lines = [verdict.summary, *verdict.details]
    if verdict.causes:
        lines.append(f"{cause_heading(criterion)}:")
        lines.extend(f"  {f.message}" for f in verdict.causes)
    return "\n".join(line for line in lines if line)


def build(run: GradeRun) -> ET.Element:
    root = ET.Element("testsuites", name="kubelab grade", timestamp=run.started_at)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    total_time = 0.0
    for graded in run.students:
        suite = ET.SubElement(root, "testsuite", name=graded.student.student_id)
        properties = ET.SubElement(suite, "properties")
        for key, value in (
            ("namespace", graded.student.namespace or ""),
            ("score", number(graded.score())),
            ("max_score", number(graded.points())),
        ):
            ET.SubElement(properties, "property", name=key, value=value)
        counts = {"tests": 0, "failures": 0, "errors": 0}
        suite_time = 0.0
        for exercise in graded.exercises:
            for result in exercise.results:
                suite_time += result.duration
                share = result.duration / max(1, len(result.criteria))
                for criterion in result.criteria:
                    counts["tests"] += 1
                    case = ET.SubElement(
                        suite,
                        "testcase",
                        classname=result.check_id,
                        name=f"{criterion.id}: {criterion.title}",
                        time=f"{share:.3f}",
                    )
                    if criterion.outcome is Outcome.PASS:
                        continue
                    tag = "error" if criterion.outcome is Outcome.ERROR else "failure"
                    counts["errors" if tag == "error" else "failures"] += 1
                    element = ET.SubElement(
                        case,
                        tag,
                        message=criterion.verdict.summary or criterion.outcome.value,
                        type=criterion.outcome.value,
                    )
                    element.text = _body(criterion)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{suite_time:.3f}")
        total_time += suite_time
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{total_time:.3f}")
    return root


def write_junit(run: GradeRun, path: Path) -> None:
    tree = ET.ElementTree(build(run))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
