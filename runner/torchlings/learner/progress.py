"""What a verdict means for the learner's place in the course, as data.

`Workspace.record` returns a `Progress` whose `step` is one of four tags, so
that every caller (the CLI's `run`, the watch screen) acts on the same
decision instead of combining flags its own way:

- `Stay`: the code does not pass yet (or was not judged): fix it here.
- `MoveOn(to)`: go on to `to`, the next exercise that is not done.
- `RecheckCourse`: nothing else is pending and this verdict changed something:
  check every exercise once more before calling the course complete.
- `Complete`: nothing else is pending and nothing changed (a pass on a course
  already complete): there is nowhere to go.

Where "current" goes is decided in one place, `Workspace.go`, from a step or
from the final re-check's `CourseCheck`.
"""

from __future__ import annotations

from dataclasses import dataclass

from torchlings.course import Exercise
from torchlings.engine import Status


@dataclass(frozen=True)
class Stay:
    pass


@dataclass(frozen=True)
class MoveOn:
    to: Exercise


@dataclass(frozen=True)
class RecheckCourse:
    pass


@dataclass(frozen=True)
class Complete:
    pass


Step = Stay | MoveOn | RecheckCourse | Complete


@dataclass(frozen=True)
class Progress:
    """What one verdict means for the learner's progress (returned by `Workspace.record`)."""

    exercise: Exercise
    status: Status
    done: bool  # the exercise is done after this verdict
    newly_done: bool  # ... and was not before it
    step: Step

    @property
    def next(self) -> Exercise | None:
        """Where "next" (the n key, `Next:` after `run`) goes, if anywhere."""
        return self.step.to if isinstance(self.step, MoveOn) else None


@dataclass(frozen=True)
class CourseCheck:
    """The verdict of the final re-check (returned by `Workspace.course_check`)."""

    complete: bool
    failing: tuple[Exercise, ...]  # in course order

    @property
    def first_failing(self) -> Exercise | None:
        return self.failing[0] if self.failing else None
