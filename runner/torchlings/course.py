"""The course: the catalog in exercises/info.toml, and where each file lives.

A workspace is any folder with `exercises/info.toml` in it: a clone of the
repository, or one written by `torchlings init`. Exercises are numbered by
their position in the catalog; progress is keyed by their stable `name`.
"""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from dataclasses import dataclass, fields
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


# What an exercise may require of the machine; a check that needs what is not
# there is SKIPPED ("not checked here"), never failed.
REQUIREMENTS = frozenset({"cuda"})
# The longest `timeout` an entry may ask for: a capstone that trains an agent
# takes minutes, never an hour. A larger number is a typo (or 1e300).
MAX_TIMEOUT = 3600.0


@dataclass(frozen=True)
class Exercise:
    """One `[[exercises]]` entry of exercises/info.toml.

    Every field but `number` is a key of the entry, documented here, where it
    is defined. Any other key is refused (a typo such as `timout` must never be
    ignored), and so is a value of the wrong type.
    """

    # The exercise's stable name, a Python identifier: its file is
    # exercises/<dir>/<name>.py, its check checks/<dir>/test_<name>.py, its
    # solution solutions/<dir>/<name>.py. Progress is keyed by it. Required.
    name: str
    # The chapter folder the three files live in (one name, no "/"). Required.
    dir: str
    # Not a key: the entry's position in the catalog (1-based), shown as "07".
    number: int
    # Hints, revealed one at a time by `torchlings hint` and the h key; the
    # last one may give most of the answer. Default: none.
    hints: tuple[str, ...]
    # What the exercise teaches, for `torchlings list` and the learner. Free
    # text that only people read: no behaviour may depend on it. Default: none.
    topics: tuple[str, ...] = ()
    # What the check needs of the machine, from REQUIREMENTS ("cuda"). Where it
    # is missing the check is skipped; a "cuda" check also runs in a fresh
    # process (forking a warm worker is unsafe for CUDA). Default: none.
    requires: tuple[str, ...] = ()
    # Seconds the check may take, a number above 0 and at most MAX_TIMEOUT.
    # Default: the engine's DEFAULT_TIMEOUT (10 s).
    timeout: float | None = None
    # The check calls torch.compile, whose first run in a session takes far
    # longer (inductor builds C++ code): the watch screen says so while the
    # first check runs. Default: false.
    uses_compile: bool = False

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

    unknown = sorted(set(data) - _CATALOG_KEYS)
    if unknown:
        raise CourseError(f"{path}: {_unknown_key(unknown[0], _CATALOG_KEYS)}")
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
    for key in ("welcome", "final"):
        if not isinstance(data.get(key, ""), str):
            raise CourseError(f"{path}: `{key}` must be a string.")

    exercises: list[Exercise] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        exercise = _read_entry(entry, position, f"{path}, exercise #{position}")
        if exercise.name in seen:
            raise CourseError(f"{path}, exercise #{position}: the name {exercise.name!r} is "
                              "used twice.")
        seen.add(exercise.name)
        exercises.append(exercise)
    return Course(
        root=root,
        welcome=str(data.get("welcome", "")).strip(),
        final=str(data.get("final", "")).strip(),
        exercises=tuple(exercises),
    )


# The top-level keys of the catalog: format_version (required, FORMAT_VERSION),
# welcome and final (text shown at the start and once every exercise passes),
# requires_torchlings (optional: a version specifier such as ">=0.2" that this
# torchlings must satisfy), and the [[exercises]] entries (the Exercise fields above).
_CATALOG_KEYS = frozenset({"format_version", "welcome", "final", "requires_torchlings",
                           "exercises"})
_ENTRY_KEYS = frozenset(f.name for f in fields(Exercise)) - {"number"}


def _unknown_key(key: str, known: frozenset[str]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f" Did you mean `{close[0]}`?" if close else f" The keys are: {', '.join(sorted(known))}."
    return f"unknown key `{key}`.{hint}"


def _read_entry(entry: object, position: int, where: str) -> Exercise:
    """One [[exercises]] table as an Exercise; every mistake names the entry and the key."""
    if not isinstance(entry, dict):
        raise CourseError(f"{where}: expected a table.")
    name = entry.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise CourseError(f"{where}: `name` must be a Python identifier, got {name!r}.")
    where = f"{where} ({name})"
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if unknown:
        raise CourseError(f"{where}: {_unknown_key(unknown[0], _ENTRY_KEYS)}")
    folder = entry.get("dir")
    if not isinstance(folder, str) or not folder or "/" in folder or ".." in folder:
        raise CourseError(f"{where}: `dir` must be a folder name, got {folder!r}.")
    requires = _strings(entry, "requires", where)
    for need in requires:
        if need not in REQUIREMENTS:
            raise CourseError(f"{where}: `requires` has {need!r}; the known requirements are "
                              f"{', '.join(sorted(REQUIREMENTS))}.")
    uses_compile = entry.get("uses_compile", False)
    if not isinstance(uses_compile, bool):
        raise CourseError(f"{where}: `uses_compile` must be true or false, got {uses_compile!r}.")
    return Exercise(
        name=name,
        dir=folder,
        number=position,
        hints=tuple(h.strip() for h in _strings(entry, "hints", where)),
        topics=_strings(entry, "topics", where),
        requires=requires,
        timeout=_timeout(entry.get("timeout"), where),
        uses_compile=uses_compile,
    )


def _strings(entry: dict[str, object], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CourseError(f"{where}: `{key}` must be a list of strings, got {value!r}.")
    return tuple(value)


def _timeout(value: object, where: str) -> float | None:
    if value is None:
        return None
    # bool is an int in Python; `timeout = true` is a mistake all the same.
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT):
        raise CourseError(f"{where}: `timeout` must be a number of seconds above 0 and at "
                          f"most {MAX_TIMEOUT:g}, got {value!r}.")
    return float(value)


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
