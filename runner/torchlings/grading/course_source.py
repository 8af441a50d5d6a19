"""The course a grade judges with: read once, from the installation, before any learner code.

Never from a workspace: a learner's catalog could list only what they
solved, and their checks could say anything. The root is a parameter so a
teacher's own course (`grade --course DIR`) can take the installed one's place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torchlings.course import Course, CourseError, load_course
from torchlings.learner import shipped


@dataclass(frozen=True)
class PinnedCourse:
    course: Course
    checks: dict[str, bytes]  # by exercise name: the bytes every check runs from
    solutions: dict[str, bytes]  # by exercise name, where shipped: to flag copies of them

    @property
    def root(self) -> Path:
        return self.course.root

    @property
    def forbidden(self) -> tuple[str, ...]:
        """Folders a graded check process must not read: the reference solutions, and
        the checks (whose expected values an exercise could otherwise copy)."""
        return (str((self.root / "solutions").resolve()), str((self.root / "checks").resolve()))

    @classmethod
    def load(cls, root: Path | None = None) -> PinnedCourse:
        if root is None:
            root = shipped.course_root()
            if root is None:
                raise CourseError("The installed torchlings has no course in it; reinstall "
                                  "torchlings.")
        root = Path(root).resolve()
        course = load_course(root)
        checks: dict[str, bytes] = {}
        solutions: dict[str, bytes] = {}
        for exercise in course.exercises:
            try:
                checks[exercise.name] = (root / exercise.check_rel).read_bytes()
            except OSError as exc:
                raise CourseError(f"The course's check {exercise.check_rel} cannot be read "
                                  f"({exc.strerror or exc}); reinstall torchlings.") from exc
            try:
                solutions[exercise.name] = (root / exercise.solution_rel).read_bytes()
            except OSError:
                pass
        return cls(course, checks, solutions)
