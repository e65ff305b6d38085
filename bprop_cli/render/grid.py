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


def grid(value: Any, every: bool = False, width: int | None = None) -> str:
    """grid_text(), with fewer columns of a big matrix shown until its lines fit in `width`."""
    text = grid_text(value, every)
    if width is None or every or getattr(value, "ndim", 0) != 2:
        return text
    columns = COLUMNS
    while columns > 2 and max(map(len, text.split("\n"))) > width:
        columns -= 1
        text = grid_text(value, every, columns)
    return text


def grid_text(value: Any, every: bool = False, columns: int = COLUMNS) -> str:
    """A number as num() writes it; a vector on one line, [0.05  0.1]; a matrix one row a line,
    its columns aligned on the decimal point:
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
    cols = _cut(value.shape[1], columns, every)
    table = [["..." if r is None or c is None else num(float(value[r, c])) for c in cols] for r in rows]
    columns = [_on_the_point([row[j] for row in table]) for j in range(len(cols))]
    lines = []
    for k in range(len(table)):
        body = "  ".join(column[k] for column in columns)
        lines.append(("[[" if k == 0 else " [") + body + ("]]" if k == len(table) - 1 else "]"))
    return "\n".join(lines)


def _on_the_point(cells: list[str]) -> list[str]:
    """A column of numbers padded so that their decimal points (or, for integers, their last
    digits) stand under each other; '...' centred."""
    def split(cell: str) -> tuple[str, str]:
        mantissa = cell.split("e")[0]
        point = mantissa.find(".")
        cut = point if point >= 0 else len(mantissa)
        return cell[:cut], cell[cut:]

    parts = [split(cell) for cell in cells if cell != "..."]
    left = max((len(a) for a, _ in parts), default=0)
    right = max((len(b) for _, b in parts), default=0)
    width = max(left + right, 3 if "..." in cells else 0)
    out = []
    for cell in cells:
        if cell == "...":
            out.append(cell.center(width))
        else:
            a, b = split(cell)
            out.append((a.rjust(left) + b.ljust(right)).rjust(width))
    return out
