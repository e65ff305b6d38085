"""Vectors and matrices as people read them: entries aligned in columns, a big array shortened
to its corners (every entry with --all-rows), a value and its shape."""

from __future__ import annotations

from typing import Any

from . import num

ROWS, COLUMNS = 8, 6  # larger arrays show their corners unless every row is asked for


def shape_text(shape: tuple[int, ...]) -> str:
    """'2x3', '3' (a vector of 3), '' for a number."""
    return "x".join(map(str, shape))


def _cut(n: int, limit: int, every: bool) -> list[int | None]:
    """Indexes to show out of n (None marks the gap)."""
    if every or n <= limit:
        return list(range(n))
    head = limit // 2
    return [*range(head), None, *range(n - (limit - head - 1), n)]


def grid(value: Any, every: bool = False) -> str:
    """A number as num() writes it; a vector on one line, [0.05  0.1]; a matrix one row a line,
    its columns aligned:
        [[0.15  0.2 ]
         [0.25  0.3 ]]"""
    if isinstance(value, (int, float)):
        return num(value)
    if value.ndim == 0:
        return num(float(value))
    if value.ndim == 1:
        cells = ["..." if k is None else num(float(value[k])) for k in _cut(len(value), COLUMNS * 2, every)]
        return "[" + "  ".join(cells) + "]"
    rows = _cut(value.shape[0], ROWS, every)
    cols = _cut(value.shape[1], COLUMNS, every)
    table = [["..." if r is None or c is None else num(float(value[r, c])) for c in cols] for r in rows]
    widths = [max(len(row[j]) for row in table) for j in range(len(cols))]
    lines = []
    for k, row in enumerate(table):
        body = "  ".join(cell.ljust(w) if cell != "..." else cell.center(w) for cell, w in zip(row, widths))
        lines.append(("[[" if k == 0 else " [") + body + ("]]" if k == len(table) - 1 else "]"))
    return "\n".join(lines)
