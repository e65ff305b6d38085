"""Renderers: pure functions from a Trace to something to print. One module per format."""

from __future__ import annotations

from enum import Enum


class Format(str, Enum):
    table = "table"
    plain = "plain"
    json = "json"
    markdown = "markdown"
    csv = "csv"
    tsv = "tsv"


class GraphFormat(str, Enum):
    """`bprop graph --format`: the pictures written on stdout (here, not in render.graph, so that
    the command line can name them without loading the picture code)."""

    terminal = "terminal"
    dot = "dot"
    mermaid = "mermaid"


DEFAULT_LIMIT = 60  # boxes drawn before a picture is summarised


def num(x: float) -> str:
    """A number as people read it: integers without '.0', otherwise 6 significant digits."""
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def full(x: float) -> str:
    """A number at full double precision (shortest text that reads back to the same float)."""
    return repr(x)
