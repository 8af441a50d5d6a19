"""The file a check process leaves its result in, and how the runner reads it back.

Written by the child (engine/child) and read by the runner (engine/host): the
format lives here, at the engine's top, so that neither side imports the other.
A result counts only when it carries the nonce the runner gave this check.
"""

from __future__ import annotations

import hmac
import json
import os
from pathlib import Path

from torchlings.engine.result import CheckResult


def write_result(path: Path, result: CheckResult, nonce: str) -> None:
    """Write atomically, so the parent never reads half a result."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"nonce": nonce, "result": result.to_dict()}), encoding="utf-8")
    os.replace(tmp, path)


def read_result(path: Path, nonce: str) -> CheckResult | None:
    """The result in `path`, or None when it is missing, broken, or not from this check."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not nonce or not hmac.compare_digest(str(data.get("nonce", "")), nonce):
            return None  # not written by the runner's own code in this check
        return CheckResult.from_dict(data["result"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
