"""The course: the catalog in exercises/info.toml, and where each file lives.

A workspace is any folder with `exercises/info.toml` in it: a clone of the
repository, or one written by `torchlings init`. Exercises are numbered by
their position in the catalog; progress is keyed by their stable `name`.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

CATALOG = Path("exercises") / "info.toml"
FORMAT_VERSION = 1
WORKSPACE_ENV = "TORCHLINGS_WORKSPACE"


class CourseError(Exception):
    """The course cannot be used; the message says what to do about it."""


class NoWorkspace(CourseError):
    pass


class UnknownExercise(CourseError):
    def __init__(self, key: str, suggestions: list[str]) -> None:
        self.key = key
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(
            f"There is no exercise {key!r}.{hint} `torchlings list` shows them all."
        )


@dataclass(frozen=True)
class Exercise:
    name: str
    dir: str
    number: int
    hints: tuple[str, ...]
    topics: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    timeout: float | None = None

    @property
    def label(self) -> str:
        return f"{self.number:02d}"

    @property
    def exercise_rel(self) -> Path:
        return Path("exercises") / self.dir / f"{self.name}.py"

    @property
    def check_rel(self) -> Path:
        return Path("checks") / self.dir / f"test_{self.name}.py"

    @property
    def solution_rel(self) -> Path:
        return Path("solutions") / self.dir / f"{self.name}.py"

    @property
    def variants_rel(self) -> Path:
        return Path("tests") / "variants" / self.dir / f"{self.name}.toml"


@dataclass(frozen=True)
class Course:
    root: Path
    welcome: str
    final: str
    exercises: tuple[Exercise, ...]

    def exercise_path(self, exercise: Exercise) -> Path:
        return self.root / exercise.exercise_rel

    def check_path(self, exercise: Exercise) -> Path:
        return self.root / exercise.check_rel

    def by_name(self, name: str) -> Exercise | None:
        return next((e for e in self.exercises if e.name == name), None)

    def resolve(self, key: str) -> Exercise:
        """Find an exercise by number (`07`, `7`) or by name."""
        key = key.strip()
        if key.isdigit():
            number = int(key)
            if 1 <= number <= len(self.exercises):
                return self.exercises[number - 1]
            raise UnknownExercise(key, self._nearest_numbers(number))
        found = self.by_name(key) or self.by_name(Path(key).stem)
        if found is not None:
            return found
        names = [e.name for e in self.exercises]
        # A part of a name ("creating") means that name, before any look-alike.
        close = [n for n in names if key.lower() in n.lower()][:3]
        if not close:
            close = difflib.get_close_matches(key, names, n=3, cutoff=0.5)
        labels = {e.name: e.label for e in self.exercises}
        raise UnknownExercise(key, [f"{labels[n]} {n}" for n in close])

    def _nearest_numbers(self, number: int) -> list[str]:
        if not self.exercises:
            return []
        last = self.exercises[-1]
        return [f"{last.label} {last.name} (the last one)"] if number > len(self.exercises) else [
            f"{self.exercises[0].label} {self.exercises[0].name} (the first one)"
        ]


def find_root(start: Path | None = None) -> Path:
    """The workspace folder containing `start` (default: the current folder)."""
    override = os.environ.get(WORKSPACE_ENV)
    if override:
        root = Path(override).expanduser().resolve()
        if (root / CATALOG).is_file():
            return root
        raise NoWorkspace(
            f"{WORKSPACE_ENV}={override} is not a torchlings workspace (no {CATALOG} there)."
        )
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CATALOG).is_file():
            return folder
    raise NoWorkspace(
        "This folder is not inside a torchlings workspace (no exercises/info.toml above it).\n"
        "Make one with `torchlings init` (it creates ./torchlings), then `cd torchlings`."
    )


def load_course(root: Path) -> Course:
    """Read and validate the catalog; every problem names the file and what to fix."""
    path = root / CATALOG
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CourseError(f"{path} is missing.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path} is not valid TOML: {exc}. Fix that line and try again.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CourseError(f"{path} cannot be read: {exc}") from exc

    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise CourseError(
            f"{path} has format_version = {version!r}; this torchlings reads version "
            f"{FORMAT_VERSION}. Upgrade torchlings, or fix the catalog."
        )
    _refuse_unrunnable(path, data.get("requires_torchlings"))
    entries = data.get("exercises")
    if not isinstance(entries, list) or not entries:
        raise CourseError(f"{path} lists no [[exercises]].")

    exercises: list[Exercise] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        where = f"{path}, exercise #{position}"
        if not isinstance(entry, dict):
            raise CourseError(f"{where}: expected a table.")
        name = entry.get("name")
        folder = entry.get("dir")
        if not isinstance(name, str) or not name.isidentifier():
            raise CourseError(f"{where}: `name` must be a Python identifier, got {name!r}.")
        if name in seen:
            raise CourseError(f"{where}: the name {name!r} is used twice.")
        if not isinstance(folder, str) or not folder or "/" in folder or ".." in folder:
            raise CourseError(f"{where} ({name}): `dir` must be a folder name, got {folder!r}.")
        hints = entry.get("hints", [])
        if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
            raise CourseError(f"{where} ({name}): `hints` must be a list of strings.")
        timeout = entry.get("timeout")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise CourseError(f"{where} ({name}): `timeout` must be a positive number of seconds.")
        seen.add(name)
        exercises.append(
            Exercise(
                name=name,
                dir=folder,
                number=position,
                hints=tuple(h.strip() for h in hints),
                topics=tuple(str(t) for t in entry.get("topics", [])),
                requires=tuple(str(r) for r in entry.get("requires", [])),
                timeout=float(timeout) if timeout is not None else None,
            )
        )
    return Course(
        root=root,
        welcome=str(data.get("welcome", "")).strip(),
        final=str(data.get("final", "")).strip(),
        exercises=tuple(exercises),
    )


def _refuse_unrunnable(path: Path, spec: object) -> None:
    """A course may name the torchlings versions it runs on (`requires_torchlings = ">=0.2"`)."""
    if spec is None:
        return
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from torchlings import __version__

    try:
        wanted = SpecifierSet(str(spec)) if isinstance(spec, str) else None
    except InvalidSpecifier:
        wanted = None
    if wanted is None:
        raise CourseError(f"{path}: `requires_torchlings` must be a version specifier such as "
                          f"\">=0.2\", got {spec!r}.")
    if __version__ not in wanted:
        raise CourseError(
            f"This course needs torchlings {wanted} and this is torchlings {__version__}. "
            f"Install one that fits: pip install 'torchlings-rl{wanted}' (or ask the course's "
            "authors for a version of the course that runs on yours)."
        )
