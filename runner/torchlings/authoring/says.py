"""What a learner reads when a check fails, and whether it names the mistake.

A known-wrong variant proves more than "the check fails": its `says` phrase
must appear in the first failure the learner is shown (the failing test's
docstring sentence, its message, and the one-line meaning of a PyTorch
error), so a variant that fails for another reason than the one it stands
for is caught. The learner's own source line is left out on purpose: the
wrong code itself (`zero_grad` deleted, `dim=0`) would otherwise "say" the
phrase without the check ever explaining it.
"""

from __future__ import annotations

from torchlings.checkapi.translations import translate
from torchlings.engine import CheckResult


def learner_reads(result: CheckResult | None) -> str:
    """The text of the first failure a learner would read, without their source line."""
    if result is None:
        return ""
    failure = result.first_failure
    if failure is None:
        return result.summary
    parts = [failure.doc or f"While {failure.name}:", failure.message.rstrip()]
    meaning = translate(failure.message)
    if meaning and meaning not in failure.message:
        parts.append(f"→ {meaning}")
    return "\n".join(p for p in parts if p)


def says_it(result: CheckResult | None, phrase: str) -> bool:
    """True when `phrase` (case-insensitive, whitespace-normalised) is in what the learner reads."""
    wanted = " ".join(phrase.lower().split())
    return bool(wanted) and wanted in " ".join(learner_reads(result).lower().split())
