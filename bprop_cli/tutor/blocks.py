"""The pieces every lesson and walkthrough is made of, read by the views that show them."""

from __future__ import annotations

from typing import NamedTuple


class Block(NamedTuple):
    """One piece of a lesson or walkthrough.

    kind: "title", "heading", "text", "code" (program lines), "step" (numbered; `node` is the
    node it is about, `rows` are aligned (label, formula) pairs) or "try" (a command to run).
    """

    kind: str
    text: str = ""
    number: int = 0
    node: str = ""
    rows: tuple[tuple[str, str], ...] = ()
