"""Course text (welcome, final) as paragraphs that wrap to the widget they are shown in.

The catalog writes them wrapped at about 78 columns; shown as they are in a narrower
box, each of those lines breaks again in its middle.
"""

from __future__ import annotations


def reflow(text: str) -> str:
    """Each paragraph on one line (blank lines keep paragraphs apart), for the widget to wrap."""
    paragraphs = [" ".join(block.split()) for block in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)
