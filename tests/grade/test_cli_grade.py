"""`torchlings grade` as a teacher runs it: reports, what it reads, what it never touches."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import invoke, tree_snapshot
from tests.grade.conftest import make_workspace
from torchlings.learner import shipped

HONEST_DOUBLE = "import torch\n\n\ndef double(t):\n    return t + t\n"
SUSPICIOUS_ADD = "import inspect\n\n\ndef add(a, b):\n    return a + b\n"


@pytest.fixture
def as_installed(installed: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test course plays the installed one."""
    monkeypatch.setattr(shipped, "course_root", lambda *_a, **_k: installed)
    return installed


@pytest.fixture
def two_learners(tmp_path: Path) -> list[Path]:
    alice = make_workspace(tmp_path, "alice", {"exercises/01_basics/double.py": HONEST_DOUBLE,
                                               "exercises/01_basics/add.py": SUSPICIOUS_ADD})
    bob = make_workspace(tmp_path, "bob", {})
    return [alice, bob]


def test_reports_one_case_per_learner_and_exercise(as_installed, two_learners, tmp_path) -> None:
    before = [tree_snapshot(w) for w in two_learners]
    xml_path, csv_path = tmp_path / "out" / "grade.xml", tmp_path / "grade.csv"
    result = invoke("grade", *map(str, two_learners), "--junit-xml", str(xml_path),
                    "--csv", str(csv_path))
    assert result.exit_code == 1, result.output  # not everyone passes everything
    assert "alice    2 of 3 pass  1 suspicious" in result.output
    assert [tree_snapshot(w) for w in two_learners] == before  # nothing written there

    suites = ET.parse(xml_path).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["alice", "bob"]
    alice = {c.get("name"): c for c in suites[0].findall("testcase")}
    assert list(alice) == ["01 add", "02 double", "03 halve"]  # as verify names them
    assert alice["02 double"].find("failure") is None
    assert alice["03 halve"].find("failure") is not None
    suspicious = {p.get("name"): p.get("value")
                  for p in alice["01 add"].iter("property")}["suspicious"]
    assert "reads frames (imports inspect)" in suspicious
    assert "suspicious: reads frames" in alice["01 add"].find("system-out").text
    bob = suites[1].findall("testcase")
    assert len(bob) == 3 and all(c.find("failure") is not None for c in bob)
    assert suites[1].get("failures") == "3"

    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert [(r["learner"], r["name"], r["status"]) for r in rows][:3] == [
        ("alice", "add", "passed"), ("alice", "double", "passed"), ("alice", "halve", "error")]
    assert len(rows) == 6
    assert rows[0]["suspicious"] == "True" and "inspect" in rows[0]["reasons"]
    assert rows[1]["suspicious"] == "False"


def test_json_says_who_passed_what(as_installed, two_learners) -> None:
    result = invoke("grade", *map(str, two_learners), "--json")
    data = json.loads(result.output[result.output.index("{"):])
    assert data["exercises"] == 3 and not data["installation_changed"]
    alice, bob = data["learners"]
    assert (alice["passed"], alice["suspicious"], bob["passed"]) == (2, 1, 0)
    add = alice["exercises"][0]
    assert add["suspicious"] and add["reasons"] == ["reads frames (imports inspect)"]
    assert bob["exercises"][2]["message"] == "exercises/01_basics/halve.py is missing"


def test_an_unwritable_report_is_a_clear_error(as_installed, two_learners, tmp_path) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    result = invoke("grade", str(two_learners[1]), "--csv", str(not_a_folder / "grade.csv"))
    assert result.exit_code == 2
    assert "Could not write" in result.output and "nothing was written" in result.output
    assert "Traceback" not in result.output


@pytest.mark.real_engines
def test_nothing_of_the_checkout_runs(as_installed, tmp_path, monkeypatch) -> None:
    """A checkout with its own `torch`, `pip`, sitecustomize and conftest: none of them is imported."""
    markers = tmp_path / "ran"
    markers.mkdir()
    planted = {name: f"open({str(markers / name.replace('/', '_'))!r}, 'w').close()\n"
               for name in ("torch/__init__.py", "pip/__init__.py", "pip/__main__.py",
                            "sitecustomize.py", "usercustomize.py", "conftest.py",
                            "exercises/01_basics/conftest.py", "pytest.py")}
    checkout = make_workspace(tmp_path, "checkout",
                              {**planted, "exercises/01_basics/double.py": HONEST_DOUBLE})
    monkeypatch.chdir(checkout)
    result = invoke("grade", ".", "--json")
    data = json.loads(result.output[result.output.index("{"):])
    double = data["learners"][0]["exercises"][1]
    assert double["status"] == "passed" and not double["suspicious"]
    assert sorted(os.listdir(markers)) == []
