"""A grade written for machines: JUnit XML, CSV and JSON.

JUnit: one <testsuite> per learner, one <testcase> per exercise of the
installed course, named as `verify --junit-xml` names them ("07
leaf_gradients", class "torchlings.02_autograd"); failed unless it passed
(an exercise that needs hardware this machine lacks is skipped). A
suspicious exercise carries the property `suspicious` with the reasons and
says "suspicious: ..." in its text. CSV: one row per learner and exercise.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

from torchlings.engine import Status
from torchlings.grading.session import ExerciseGrade, Grade, LearnerGrade
from torchlings.learner.junit import describe, xml_safe

CSV_FIELDS = ("learner", "workspace", "number", "name", "status", "passed", "seconds", "message",
              "suspicious", "reasons")


def _skipped_here(grade: ExerciseGrade) -> bool:
    # Only what the installed catalog says needs other hardware may be skipped.
    return grade.result.status is Status.SKIPPED and bool(grade.exercise.requires)


def suspicion_text(grade: ExerciseGrade) -> str:
    return "suspicious: " + "; ".join(grade.reasons) if grade.reasons else ""


def junit(grade: Grade) -> ET.ElementTree:
    root = ET.Element("testsuites", name="torchlings grade")
    for learner in grade.learners:
        root.append(_suite(learner))
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return tree


def _suite(learner: LearnerGrade) -> ET.Element:
    suite = ET.Element("testsuite", name=learner.learner)
    failures = skipped = 0
    total = 0.0
    for item in learner.exercises:
        exercise, result = item.exercise, item.result
        total += result.seconds
        case = ET.SubElement(suite, "testcase", classname=f"torchlings.{exercise.dir}",
                             name=f"{exercise.label} {exercise.name}",
                             file=str(exercise.exercise_rel), time=f"{result.seconds:.3f}")
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="learner", value=xml_safe(learner.learner))
        if item.suspicious:
            ET.SubElement(props, "property", name="suspicious",
                          value=xml_safe("; ".join(item.reasons)))
        if _skipped_here(item):
            ET.SubElement(case, "skipped", message=xml_safe(result.summary))
            skipped += 1
        elif not item.passed:
            message, body = describe(result, learner.workspace)
            failure = ET.SubElement(case, "failure", message=xml_safe(message),
                                    type=result.status.value)
            failure.text = xml_safe("\n\n".join(t for t in (body, suspicion_text(item)) if t))
            failures += 1
        if item.suspicious:
            ET.SubElement(case, "system-out").text = xml_safe(suspicion_text(item))
    suite.set("tests", str(len(learner.exercises)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{total:.3f}")
    return suite


def rows(grade: Grade) -> list[dict[str, Any]]:
    out = []
    for learner in grade.learners:
        for item in learner.exercises:
            out.append({
                "learner": learner.learner,
                "workspace": str(learner.workspace),
                "number": item.exercise.label,
                "name": item.exercise.name,
                "status": item.result.status.value,
                "passed": item.passed,
                "seconds": round(item.result.seconds, 3),
                "message": item.result.summary,
                "suspicious": item.suspicious,
                "reasons": list(item.reasons),
            })
    return out


def csv_text(grade: Grade) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows(grade):
        writer.writerow({**row, "reasons": "; ".join(row["reasons"])})
    return buffer.getvalue()


def as_json(grade: Grade) -> dict[str, Any]:
    by_learner: dict[str, list[dict[str, Any]]] = {}
    for row in rows(grade):
        by_learner.setdefault(row["learner"], []).append(
            {k: v for k, v in row.items() if k not in ("learner", "workspace")})
    return {
        "course": str(grade.course.root),
        "exercises": len(grade.course.course.exercises),
        "installation_changed": grade.installation_changed,
        "learners": [{"learner": learner.learner, "workspace": str(learner.workspace),
                      "passed": learner.passed, "total": len(learner.exercises),
                      "suspicious": learner.suspicious,
                      "exercises": by_learner.get(learner.learner, [])}
                     for learner in grade.learners],
    }
