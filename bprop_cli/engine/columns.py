"""Both passes over many data rows at once: the program's scalar graph evaluated with every
data input a numpy vector (one entry per row) and every parameter a number, so one training
step costs one pass over the graph instead of one per row. numpy is imported here only.

Each gate's rule is its elementwise array rule in gates.py (`vforward`, `vlocal`); a
parameter's gradient is the sum over the rows of what reaches it.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from bprop_cli.errors import EvalError
from bprop_cli.gates.registry import GATES

from .graph import CONST, INPUT, Graph


def supported(graph: Graph) -> bool:
    """Every gate of the graph has an elementwise array rule."""
    return all(op in (INPUT, CONST) or GATES[op].vlocal is not None for op in set(graph.ops))


def passes(graph: Graph, values: Mapping[str, Any], wanted: Sequence[str], rows: int,
           grads: bool = True) -> tuple[Any, dict[str, float] | None]:
    """(output per row, {name: d(sum of the outputs over the rows)/d name}) for the inputs in
    `wanted`; the data inputs are vectors of `rows` entries, the others numbers."""
    ops, args, ids = graph.ops, graph.args, graph.ids
    vals: list[Any] = [None] * len(ops)
    with np.errstate(all="ignore"):
        for i, op in enumerate(ops):
            if op == INPUT:
                vals[i] = values[ids[i]]
                continue
            if op == CONST:
                vals[i] = graph.consts[i]
                continue
            gate = GATES[op]
            xs = [vals[j] for j in args[i]]
            out = gate.vforward(np, *xs)
            if not np.all(np.isfinite(out)):
                raise _bad(graph, i, xs, out, gate.domain)
            vals[i] = out
        loss = np.broadcast_to(vals[graph.output], (rows,))
        if not grads:
            return loss, None
        g: list[Any] = [0.0] * len(ops)
        g[graph.output] = np.ones(rows)
        live = [False] * len(ops)
        live[graph.output] = True
        for i in range(graph.output, -1, -1):
            op = ops[i]
            if not live[i] or op == INPUT or op == CONST:
                continue
            xs = [vals[j] for j in args[i]]
            local = GATES[op].vlocal(np, *xs, vals[i])
            up = g[i]
            for k, parent in enumerate(args[i]):
                d = local[k]
                if d is None or ops[parent] == CONST:
                    continue
                g[parent] = g[parent] + up * d
                live[parent] = True
    out: dict[str, float] = {}
    for name in wanted:
        total = float(np.sum(g[graph.inputs[name]]))
        if not np.isfinite(total):
            raise EvalError(f"the gradient of {name} is not a finite number (an infinite local derivative, "
                            "or an overflow, on some row)")
        out[name] = total
    return loss, out


def _bad(graph: Graph, i: int, xs: list[Any], out: Any, domain: Any) -> EvalError:
    """The error for the first row where node i is not finite, worded as the scalar engine's."""
    from .scalar import _fail

    shape = np.shape(out)
    row = int(np.flatnonzero(~np.isfinite(out))[0]) if shape else 0
    at = [float(np.broadcast_to(x, shape).flat[row]) for x in xs]
    problem = (domain(*at) if domain else None) or "overflow: the result is too large for double precision"
    err = _fail(graph, i, problem, at)
    if shape:
        err.message += f" (data row {row + 1})"
    return err
