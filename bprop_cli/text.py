"""Numbers and user text as people read them, for every view and message: a number in 6
significant digits or at full precision, an array on one line or as an aligned grid, and
text a user wrote made safe to show on a terminal. Imports nothing of bprop."""

from __future__ import annotations

import re
from typing import Any

# Numbers

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
    """A number at full double precision (shortest text that reads back to the same float);
    a vector or matrix as a JSON list of such numbers, [[0.15, 0.2], [0.25, 0.3]]."""
    if isinstance(x, float):
        return float.__repr__(x)  # also for a NumPy float64 (whose repr names its type)
    if hasattr(x, "tolist"):
        import json

        return json.dumps(x.tolist(), allow_nan=False)
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


# Text a user wrote, made safe to show
#
# Text a user wrote, made safe to show: the one place every renderer, narration, picture and
# error message sends user text through before it reaches a terminal.
# 
# A program is shared as a file, so its comments and names are someone else's text: an ESC in a
# comment could clear the screen or (OSC 52) write the clipboard, a U+202E could show the program
# reversed. `visible()` writes every such character as an escape a reader can see (\\x1b, \\u202e);
# ordinary text, line breaks and tabs pass through unchanged.

# C0 controls but tab and line feed, DEL and the C1 controls, the bidirectional controls
# (marks, embeddings, overrides, isolates), the line and paragraph separators, and lone
# surrogates (undecodable bytes that Python keeps as U+DC80..U+DCFF).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every control, bidi-override or undecodable character shown as an escape."""
    return UNSAFE.sub(_escape, text) if UNSAFE.search(text) else text


def one_line(text: str) -> str:
    """visible(), with line breaks and tabs escaped too (for a table cell or a message on one line)."""
    return visible(text).replace("\n", "\\n").replace("\t", "\\t")


def is_safe(text: str) -> bool:
    """True if `text` has nothing visible() would change."""
    return UNSAFE.search(text) is None


# Vectors and matrices as aligned grids

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
