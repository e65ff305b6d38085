"""CSV and TSV: one row per node (or, for a batch, one row per input row), full precision."""

from __future__ import annotations

import csv
import io
from typing import Iterable, TextIO

from bprop_cli.engine.trace import Trace
from bprop_cli.text import full

from .tape import Expressions, chunks, tape_of

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
    write_delimited(trace, sep, buf)
    return buf.getvalue()[:-1]  # the caller ends the last line


def write_delimited(trace: Trace, sep: str, out: TextIO) -> None:
    """render_delimited's text, every line ended, written a chunk of rows at a time."""
    tape = tape_of(trace)
    if tape is None:
        writer = csv.writer(out, delimiter=sep, lineterminator="\n")  # one writer: one per row cost more than the row
        if trace.arrays:  # one more column, the shape; arrays as JSON lists, one cell each
            writer.writerow((*NODE_COLUMNS, "shape"))
            writer.writerows((n.id, n.op, " ".join(n.inputs), full(n.value), full(n.grad), n.expression, n.note or "",
                              "x".join(map(str, n.shape))) for n in trace.nodes)
            return
        writer.writerow(NODE_COLUMNS)
        writer.writerows((n.id, n.op, " ".join(n.inputs), full(n.value), full(n.grad), n.expression, n.note or "")
                         for n in trace.nodes)
        return
    # Straight from the columns. Ids, gate names, numbers and the expressions of the binary
    # operators never hold a separator, a quote or a line break, so they are written as they are;
    # any other expression, and every note, goes through the csv module's quoting.
    out.write(line(NODE_COLUMNS, sep) + "\n")
    g = tape.graph
    ids, ops, args = g.ids, g.ops, g.args
    vs, gs = map(full, tape.values), map(full, tape.grads)
    expression = Expressions(tape)
    plain = {op: expression.plain(op) for op in set(ops)}
    notes = tape.notes
    for lo, hi in chunks(len(ids)):
        lines: list[str] = []
        add = lines.append
        for i, id_, op, inputs, v, gr in zip(range(lo, hi), ids[lo:hi], ops[lo:hi], args[lo:hi], vs, gs):
            e = expression(i)
            if not plain[op]:
                e = _cell(e, sep)
            note = _cell(notes[i], sep) if i in notes else ""
            if len(inputs) == 2:
                a, b = inputs
                add(f"{id_}{sep}{op}{sep}{ids[a]} {ids[b]}{sep}{v}{sep}{gr}{sep}{e}{sep}{note}\n")
            else:
                add(f"{id_}{sep}{op}{sep}{' '.join([ids[p] for p in inputs])}{sep}{v}{sep}{gr}{sep}{e}{sep}{note}\n")
        out.write("".join(lines))


def _cell(text: str, sep: str) -> str:
    """A cell as the csv module writes it in a row of several (quoted only where needed)."""
    if sep in text or '"' in text or "\n" in text or "\r" in text:
        buf = io.StringIO()
        csv.writer(buf, delimiter=sep, lineterminator="\n").writerow((text, ""))
        return buf.getvalue()[:-2]  # less the separator and the line end
    return text
