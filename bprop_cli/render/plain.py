"""Plain, line-oriented output for grep/awk/cut: one fact per line, tab-separated, full precision.

    node   ID  OP  INPUTS(comma-separated)  VALUE  GRAD
    step   NODE  INPUT  UPSTREAM  LOCAL  PRODUCT  TOTAL
    note   ID  TEXT
    value  OUTPUT-ID  VALUE
    grad   INPUT-NAME  GRAD

A program over vectors and matrices writes every array as a JSON list on its line
([[0.15, 0.2], [0.25, 0.3]]), adds a `shape ID 2x2` line per array node (a number has none),
and, where a step of an array gate has no single local derivative, writes its rule in matrix
form in the LOCAL column (`transpose(W2) @ upstream`). A broadcast note becomes a line
`broadcast NODE INPUT TEXT`.
"""

from __future__ import annotations

from typing import Iterator

from ..trace import Trace
from . import full


def render_plain(trace: Trace) -> Iterator[str]:
    for n in trace.nodes:
        yield "\t".join(("node", n.id, n.op, ",".join(n.inputs) or "-", full(n.value), full(n.grad)))
    if trace.arrays:
        for n in trace.nodes:
            if n.shape:
                yield f"shape\t{n.id}\t{'x'.join(map(str, n.shape))}"
    for s in trace.backward:
        local = s.rule if s.rule is not None else full(s.local)
        yield "\t".join(("step", s.node, s.input, full(s.upstream), local, full(s.product), full(s.total)))
    if trace.arrays:
        for s in trace.backward:
            if s.note:
                yield f"broadcast\t{s.node}\t{s.input}\t{s.note}"
    for n in trace.noted_nodes():
        yield f"note\t{n.id}\t{n.note}"
    yield f"value\t{trace.output}\t{full(trace.value)}"
    for name, g in trace.gradients.items():
        yield f"grad\t{name}\t{full(g)}"
