"""Reading a trace's tape (its columns) a chunk at a time, for the writers of big outputs
(plain, CSV/TSV, Markdown; JSON has its own tuned loop): no record objects, and each chunk's
text is written before the next is made, so memory stays flat in the size of the output."""

from __future__ import annotations

from typing import Iterator

from bprop_cli.engine.trace import BackwardSteps, NodeRecords, Tape, Trace
from bprop_cli.gates.registry import GATES

CHUNK = 4096  # rows formatted per write


def tape_of(trace: Trace) -> Tape | None:
    """The tape behind a trace made by the scalar engine; None for a trace made of records
    (or of arrays)."""
    if getattr(trace, "arrays", False):
        return None
    if isinstance(trace.nodes, NodeRecords) and isinstance(trace.backward, BackwardSteps):
        return trace.nodes.tape
    return None


def chunks(count: int) -> Iterator[tuple[int, int]]:
    """(lo, hi) bounds of consecutive chunks covering range(count)."""
    for lo in range(0, count, CHUNK):
        yield lo, min(lo + CHUNK, count)


class Expressions:
    """tape.expression(i), with the common binary gates ("{0} * {1}") joined without str.format."""

    def __init__(self, tape: Tape) -> None:
        g = tape.graph
        self.ops, self.args, self.labels, self.explain = g.ops, g.args, tape.labels, tape.explain
        self.infix = {op: gate.show[3:-3] for op, gate in GATES.items()
                      if gate.arity == 2 and gate.show.startswith("{0}") and gate.show.endswith("{1}")}
        self.expression = tape.expression

    def __call__(self, i: int) -> str:
        op = self.ops[i]
        if op in self.infix and self.explain:
            a, b = self.args[i]
            return self.labels[a] + self.infix[op] + self.labels[b]
        return self.expression(i)

    def plain(self, op: str) -> bool:
        """Whether every expression of this gate is made of labels and its operator only
        (ids and plain numbers: nothing any format needs to quote or escape)."""
        return op in self.infix and self.explain


def quick_formula(form: str) -> str | int | None:
    """Most local-derivative formulas are a constant ("1", "-1": returned as is) or one input's
    label ("{1}" for mul: its index); those need no str.format. None: format it."""
    if "{" not in form:
        return form
    if len(form) == 3 and form[0] == "{" and form[1].isdigit() and form[2] == "}":
        return int(form[1])
    return None
