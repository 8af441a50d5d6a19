"""What Python's and PyTorch's error messages mean for the learner: one table.

The report shows the meaning beside any failure whose message quotes one of
these needles; `testkit.autograd` uses the entries marked `autograd` to turn a
learner's autograd error into a teaching failure. (Running out of memory is
explained by the engine itself, with the limit it set.)
"""

from __future__ import annotations

import difflib
import re
from typing import Any, NamedTuple


class Translation(NamedTuple):
    needle: str  # a piece of the original message
    meaning: str  # what it means, in the learner's terms
    autograd: bool = False  # one of autograd's own errors


TRANSLATIONS: tuple[Translation, ...] = (
    Translation("Expected all tensors to be on the same device",
                "Two tensors in one operation live on different devices: move them with "
                ".to(device)."),
    Translation("does not require grad and does not have a grad_fn",
                "backward() reached a tensor autograd never tracked: a leaf without "
                "requires_grad=True, or a graph cut by detach(), no_grad() or .item().",
                autograd=True),
    Translation("backward through the graph a second time",
                "backward() frees the graph it walked. For a second backward, compute the "
                "forward pass again, add the losses and call backward once, or keep the graph "
                "with retain_graph=True on the first backward.",
                autograd=True),
    Translation("modified by an inplace operation",
                "An in-place operation (x += 1, x.add_(), x[i] = ...) changed a tensor autograd "
                "had saved for backward; use an out-of-place version (x = x + 1).",
                autograd=True),
    Translation("implicitly created only for scalar outputs",
                "backward() without arguments needs a single number: reduce with .sum() or "
                ".mean(), or pass gradient=.",
                autograd=True),
    Translation("Inference tensors cannot be saved for backward",
                "A tensor made under torch.inference_mode() was used in a computation that "
                "autograd records. Inference tensors can never join a graph; use "
                "torch.no_grad() or .detach() when the result must take part in a later "
                "backward.",
                autograd=True),
    Translation("can only change requires_grad flags of leaf variables",
                "requires_grad can only be switched on or off on a leaf (a tensor you "
                "created). To cut a computed tensor from the graph use .detach() or compute "
                "it under torch.no_grad().",
                autograd=True),
    Translation("expected scalar type Long",
                "This operation wants int64 indices or class labels: use .long() on the "
                "targets."),
    Translation("view size is not compatible with input tensor's size and stride",
                "view() needs contiguous memory; use reshape(), or call .contiguous() first."),
    Translation("mat1 and mat2 shapes cannot be multiplied",
                "A matrix product got inner sizes that differ: check in_features against the "
                "last dimension of the input."),
)

_IMPORT_NAME = re.compile(r"cannot import name '([^']+)' from '([^']+)'")
_NO_MODULE = re.compile(r"No module named '([^']+)'")
_NO_ATTRIBUTE = re.compile(r"module '([^']+)' has no attribute '([^']+)'")


def translate(message: str, *, suggestion: str = "") -> str | None:
    """One line that says what a Python or PyTorch error means for the learner.

    `suggestion` is the close name for a misspelling, when the check process
    (which has the module imported) found one.
    """
    for entry in TRANSLATIONS:
        if entry.needle in message:
            return entry.meaning
    maybe = f" Did you mean {suggestion!r}?" if suggestion else ""
    if match := _IMPORT_NAME.search(message):
        return (f"Your file imports {match[1]!r} from {match[2]!r}, which has no such name: "
                f"check the spelling, or where that name really lives.{maybe}")
    if match := _NO_MODULE.search(message):
        return f"There is no module called {match[1]!r}: check the spelling of the import.{maybe}"
    if match := _NO_ATTRIBUTE.search(message):
        return f"{match[1]!r} has no attribute {match[2]!r}: check the spelling.{maybe}"
    return None


def autograd_meaning(message: str) -> str | None:
    """The meaning of one of autograd's own errors, or None for any other message."""
    for entry in TRANSLATIONS:
        if entry.autograd and entry.needle in message:
            return entry.meaning
    return None


def close_name(wrong: str, candidates: list[str] | tuple[str, ...]) -> str:
    """The name among `candidates` that `wrong` most likely misspells, or ""."""
    public = [c for c in candidates if not c.startswith("_")] or list(candidates)
    found = difflib.get_close_matches(wrong, public, n=1, cutoff=0.75)
    return found[0] if found else ""


def suggestion_for(exc: BaseException) -> str:
    """For a misspelt attribute or import, the close name that exists (else "").

    Runs in the check process, where the module in question is imported.
    """
    if isinstance(exc, AttributeError) and getattr(exc, "name", None):
        owner: Any = getattr(exc, "obj", None)
        if owner is not None:
            try:
                return close_name(exc.name or "", dir(owner))
            except Exception:  # a hostile __dir__ must not break the report
                return ""
    if isinstance(exc, ImportError) and (match := _IMPORT_NAME.search(str(exc))):
        import sys

        module = sys.modules.get(match[2])
        if module is not None:
            return close_name(match[1], dir(module))
    return ""
