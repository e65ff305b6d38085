"""Plain, line-oriented output for grep/awk/cut: one fact per line, tab-separated, full precision.

    node   ID  OP  INPUTS(comma-separated)  VALUE  GRAD
    step   NODE  INPUT  UPSTREAM  LOCAL  PRODUCT  TOTAL
    note   ID  TEXT
    value  OUTPUT-ID  VALUE
    grad   INPUT-NAME  GRAD
    norm   |GRADIENT|  (over the inputs, or the parameters with --params)
    direction  INPUT-NAME  GRADIENT/|GRADIENT|  (none when the gradient is zero)
    param  NAME / data  NAME  (with --params)
"""

from __future__ import annotations

from typing import Iterator

from ..geometry import Geometry, geometry
from ..trace import Trace
from . import full


def render_plain(trace: Trace, geo: Geometry | None = None) -> Iterator[str]:
    for n in trace.nodes:
        yield "\t".join(("node", n.id, n.op, ",".join(n.inputs) or "-", full(n.value), full(n.grad)))
    for s in trace.backward:
        yield "\t".join(("step", s.node, s.input, *(full(v) for v in (s.upstream, s.local, s.product, s.total))))
    for n in trace.noted_nodes():
        yield f"note\t{n.id}\t{n.note}"
    yield f"value\t{trace.output}\t{full(trace.value)}"
    for name, g in trace.gradients.items():
        yield f"grad\t{name}\t{full(g)}"
    geo = geo or geometry(trace.gradients)
    if geo.over:
        yield f"norm\t{full(geo.norm)}"
        for name, d in (geo.direction or {}).items():
            yield f"direction\t{name}\t{full(d)}"
    if geo.chosen:
        yield from (f"param\t{name}" for name in geo.over)
        yield from (f"data\t{name}" for name in geo.data)
