"""Plain, line-oriented output for grep/awk/cut: one fact per line, tab-separated, full precision.

    node   ID  OP  INPUTS(comma-separated)  VALUE  GRAD
    step   NODE  INPUT  UPSTREAM  LOCAL  PRODUCT  TOTAL
    note   ID  TEXT
    value  OUTPUT-ID  VALUE
    grad   INPUT-NAME  GRAD
"""

from __future__ import annotations

from typing import Iterator

from ..trace import Trace
from . import full


def render_plain(trace: Trace) -> Iterator[str]:
    for n in trace.nodes:
        yield "\t".join(("node", n.id, n.op, ",".join(n.inputs) or "-", full(n.value), full(n.grad)))
    for s in trace.backward:
        yield "\t".join(("step", s.node, s.input, *(full(v) for v in (s.upstream, s.local, s.product, s.total))))
    for n in trace.noted_nodes():
        yield f"note\t{n.id}\t{n.note}"
    yield f"value\t{trace.output}\t{full(trace.value)}"
    for name, g in trace.gradients.items():
        yield f"grad\t{name}\t{full(g)}"
