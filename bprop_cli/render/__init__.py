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


def num(x: float) -> str:
    """A number as people read it: integers without '.0', otherwise 6 significant digits;
    a vector or matrix on one line, [1, 2.5] or [[1, 2], [3, 4]] (long ones shortened)."""
    if not isinstance(x, (float, int)):
        return inline_array(x)
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def full(x: float) -> str:
    """A number at full double precision (shortest text that reads back to the same float)."""
    return repr(x)


INLINE_ENTRIES = 12  # entries of an array written on one line before it is shortened


def inline_array(a) -> str:  # type: ignore[no-untyped-def]
    """An array on one line: [1, 2.5], [[1, 2], [3, 4]]; a big one as its shape and a few entries."""
    if a.ndim == 0:
        return num(float(a))
    if a.size > INLINE_ENTRIES:
        flat = a.ravel()
        shape = "x".join(map(str, a.shape))
        return f"[{shape}: {', '.join(num(float(v)) for v in flat[:3])}, ..., {num(float(flat[-1]))}]"
    if a.ndim == 1:
        return "[" + ", ".join(num(float(v)) for v in a) + "]"
    return "[" + ", ".join(inline_array(row) for row in a) + "]"
