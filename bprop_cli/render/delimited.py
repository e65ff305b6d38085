"""CSV and TSV: one row per node (or, for a batch, one row per input row), full precision."""

from __future__ import annotations

import csv
import io
from typing import Iterable

from ..trace import Trace
from . import full

NODE_COLUMNS = ("id", "op", "inputs", "value", "grad", "expression", "note")
SEPARATORS = {"csv": ",", "tsv": "\t"}


def line(cells: Iterable[object], sep: str) -> str:
    """One CSV/TSV record (no line end); floats at full precision, quoting only where needed."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="").writerow(full(c) if isinstance(c, float) else c for c in cells)
    return buf.getvalue()


def render_delimited(trace: Trace, sep: str) -> str:
    """A header row, then every node in forward order: inputs are space-separated ids.

    A program over vectors and matrices has one more column, "shape" ("2x3", "" for a number),
    and its arrays' values and gradients are JSON lists in one cell each: [[1.0, 2.0], [3.0, 4.0]].
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n")  # one writer: one per row cost more than the row
    if trace.arrays:
        writer.writerow((*NODE_COLUMNS, "shape"))
        writer.writerows((n.id, n.op, " ".join(n.inputs), full(n.value), full(n.grad), n.expression, n.note or "",
                          "x".join(map(str, n.shape))) for n in trace.nodes)
        return buf.getvalue()[:-1]
    writer.writerow(NODE_COLUMNS)
    writer.writerows((n.id, n.op, " ".join(n.inputs), full(n.value), full(n.grad), n.expression, n.note or "")
                     for n in trace.nodes)
    return buf.getvalue()[:-1]  # the caller ends the last line
