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

After the gradients, the gradient as a vector:
    norm   |GRADIENT|  (over the inputs, or the parameters with --params)
    direction  INPUT-NAME  GRADIENT/|GRADIENT|  (none when the gradient is zero)
    param  NAME / data  NAME  (with --params)
"""

from __future__ import annotations

from typing import Iterator, TextIO

from bprop_cli.engine.geometry import Geometry, geometry
from bprop_cli.engine.trace import Tape, Trace
from bprop_cli.text import full

from .tape import chunks, tape_of


def render_plain(trace: Trace, geo: Geometry | None = None) -> Iterator[str]:
    """The lines (without line ends), record by record."""
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
    yield from _tail(trace, geo)


def write_plain(trace: Trace, out: TextIO, geo: Geometry | None = None) -> None:
    """Write render_plain's lines, each ended; from the trace's columns when it has them (the
    same bytes, a chunk at a time, with no record objects)."""
    tape = tape_of(trace)
    if tape is None:
        out.writelines(line + "\n" for line in render_plain(trace, geo))
        return
    vs, gs = list(map(full, tape.values)), list(map(full, tape.grads))
    _nodes(tape, vs, gs, out)
    _steps(tape, vs, gs, out)
    out.writelines(line + "\n" for line in _tail(trace, geo))


def _tail(trace: Trace, geo: Geometry | None = None) -> Iterator[str]:
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


def _nodes(tape: Tape, vs: list[str], gs: list[str], out: TextIO) -> None:
    g = tape.graph
    ids, ops, args = g.ids, g.ops, g.args
    for lo, hi in chunks(len(ids)):
        lines: list[str] = []
        add = lines.append
        for id_, op, inputs, v, gr in zip(ids[lo:hi], ops[lo:hi], args[lo:hi], vs[lo:hi], gs[lo:hi]):
            if len(inputs) == 2:
                a, b = inputs
                add(f"node\t{id_}\t{op}\t{ids[a]},{ids[b]}\t{v}\t{gr}\n")
            else:
                add(f"node\t{id_}\t{op}\t{','.join([ids[p] for p in inputs]) or '-'}\t{v}\t{gr}\n")
        out.write("".join(lines))


def _steps(tape: Tape, vs: list[str], gs: list[str], out: TextIO) -> None:
    # As in JSON: each value and gradient is formatted once, and reused wherever the very same
    # number appears again (equal floats other than zeros have the same shortest repr).
    g = tape.graph
    ids, args, values, grads = g.ids, g.args, tape.values, tape.grads
    step_node, step_arg, step_local, step_total = tape.step_node, tape.step_arg, tape.step_local, tape.step_total
    for lo, hi in chunks(len(step_node)):
        lines: list[str] = []
        add = lines.append
        for i, k, local, total in zip(step_node[lo:hi], step_arg[lo:hi], step_local[lo:hi], step_total[lo:hi]):
            inputs = args[i]
            parent = inputs[k]
            product = grads[i] * local
            shown_total = gs[parent] if total == grads[parent] and total else full(total)
            shown_product = shown_total if product == total and product else full(product)
            other = inputs[1 - k] if len(inputs) == 2 else i
            if local == values[other] and local:
                shown_local = vs[other]
            else:
                shown_local = "1.0" if local == 1.0 else "-1.0" if local == -1.0 else full(local)
            add(f"step\t{ids[i]}\t{ids[parent]}\t{gs[i]}\t{shown_local}\t{shown_product}\t{shown_total}\n")
        out.write("".join(lines))
