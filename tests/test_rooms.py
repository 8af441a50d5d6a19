"""The import rules between the package's rooms (docs/ARCHITECTURE.md, "Rooms").

Read from the source with `ast`, so an import inside a function counts the
same as one at the top: it is the same dependency, only later.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "runner" / "torchlings"

# The engine's top: what every side of the engine (and its callers) may import.
ENGINE_TOP = ("torchlings.engine", "torchlings.engine.jobs", "torchlings.engine.result",
              "torchlings.engine.problems", "torchlings.engine.result_file",
              "torchlings.engine.limits", "torchlings.engine.visible",
              "torchlings.engine.protocol", "torchlings.engine.reaper",
              "torchlings.engine.regular_file")

# Edges the rules above would refuse, each allowed for a stated reason.
ALLOWED = {
    # The record of one episode is plain data that imports nothing: the check
    # makes it (checkapi) and the result carries it (the engine's top).
    ("torchlings.engine.result", "torchlings.checkapi.episode"),
}

# (a room, what it must never import, why). A room is a module name prefix.
RULES = [
    ("torchlings.checkapi", ("torchlings.learner", "torchlings.engine", "torchlings.authoring",
                             "torchlings.cli", "torchlings.tui", "torchlings.course",
                             "torchlings.vocabulary"),
     "checks import checkapi inside the check process: it stands alone"),
    ("torchlings.engine", ("torchlings.learner", "torchlings.authoring", "torchlings.cli",
                           "torchlings.tui", "torchlings.course", "torchlings.vocabulary"),
     "the engine knows a CheckJob, never the course: job_for puts in it all the engine needs"),
    ("torchlings.engine.host", ("torchlings.engine.child", "torchlings.engine.worker",
                                "torchlings.checkapi"),
     "the runner starts the worker and the child by module name: a process boundary"),
    (ENGINE_TOP, ("torchlings.engine.child", "torchlings.engine.worker",
                  "torchlings.checkapi"),
     "the engine's top is shared by every process: it must not pull in one side"),
    ("torchlings.engine.child", ("torchlings.engine.host", "torchlings.engine.worker"),
     "the check process shares only the engine's top with the runner"),
    ("torchlings.engine.worker", ("torchlings.engine.host",),
     "the worker shares only the engine's top with the runner"),
    ("torchlings.course", ("torchlings.learner", "torchlings.engine", "torchlings.authoring",
                           "torchlings.cli", "torchlings.tui", "torchlings.checkapi",
                           "torchlings.vocabulary"),
     "the catalog reader stands alone (it reads only the package's version)"),
    ("torchlings.vocabulary", ("torchlings.learner", "torchlings.cli", "torchlings.tui",
                               "torchlings.authoring", "torchlings.course"),
     "the verdict table is read by every surface"),
    ("torchlings.learner", ("torchlings.cli", "torchlings.tui", "torchlings.authoring"),
     "the learner's runtime is used by the CLI and the app, never the other way round"),
    ("torchlings.authoring", ("torchlings.cli", "torchlings.tui"),
     "authors' tools are called by the CLI"),
    ("torchlings.tui", ("torchlings.cli", "torchlings.authoring"),
     "the app is started by the CLI"),
]

# Outside the engine, only its public face: `torchlings.engine` itself.
ENGINE_INSIDE = tuple(m for m in ENGINE_TOP if m != "torchlings.engine") + (
    "torchlings.engine.host", "torchlings.engine.worker", "torchlings.engine.child")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from torchlings.engine import reaper` imports the module engine.reaper.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n == "torchlings" or n.startswith("torchlings.")}


MODULES = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix.rstrip(".") + ".") or (
        prefix.endswith(".") and name.startswith(prefix))


def in_room(name: str, room: str | tuple[str, ...]) -> bool:
    if isinstance(room, tuple):
        return name in room
    return within(name, room)


def test_the_package_is_read():
    assert "torchlings.engine.host.check_run" in MODULES
    assert "torchlings.learner.shipped" in MODULES["torchlings.learner.workspace"]


@pytest.mark.parametrize(("room", "forbidden", "why"), RULES,
                         ids=[r[0] if isinstance(r[0], str) else "engine-top" for r in RULES])
def test_a_room_imports_only_what_it_may(room, forbidden, why):
    broken = sorted(
        f"{module} imports {target}"
        for module, targets in MODULES.items() if in_room(module, room)
        for target in targets if any(within(target, f) for f in forbidden)
        and not any(within(module, m) and within(target, t) for m, t in ALLOWED)
    )
    assert not broken, f"{why}:\n" + "\n".join(broken)


def test_outside_the_engine_only_its_public_face_is_imported():
    broken = sorted(
        f"{module} imports {target}"
        for module, targets in MODULES.items() if not within(module, "torchlings.engine")
        for target in targets if any(within(target, inner) for inner in ENGINE_INSIDE)
    )
    assert not broken, "callers use `torchlings.engine` only:\n" + "\n".join(broken)


def test_the_rules_catch_a_forbidden_import(tmp_path):
    # The checker itself: an engine module importing the course is caught.
    fake = tmp_path / "x.py"
    fake.write_text("def f():\n    from torchlings.learner import shipped\n")
    assert "torchlings.learner.shipped" in imports_of(fake)
    assert within("torchlings.learner.shipped", "torchlings.learner")
    assert not within("torchlings.learnerish", "torchlings.learner")


def test_architecture_names_every_module():
    doc = (PACKAGE.parents[1] / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.name == "__init__.py" and rel.parent != Path("."):
            continue  # a room is named by its folder
        folder = f"{rel.parent.as_posix()}/" if rel.parent != Path(".") else ""
        # Named by its path, or in a row for its folder: "`tui/screens/` (`watch`, ...)".
        groups = re.findall(rf"`{re.escape(folder)}` \(([^)]*)\)", doc) if folder else []
        named = rel.as_posix() in doc or any(f"`{rel.stem}`" in g for g in groups)
        if not named:
            missing.append(rel.as_posix())
    assert not missing, "docs/ARCHITECTURE.md does not name: " + ", ".join(missing)
