"""Both passes over many data rows at once: the program's scalar graph evaluated with every
data input a numpy vector (one entry per row) and every parameter a number, so one training
step costs one pass over the graph instead of one per row. numpy is imported here only.

The rules below are each gate's scalar rule (gates.py) written for numpy vectors; a test runs
every one against the scalar gate at random points. (When gates.py holds array rules of its
own, this table can read them from there.)
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .errors import EvalError
from .gates import GATES
from .graph import CONST, INPUT, Graph

Array = Any


def _sigmoid(x: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # stable for any x


def _pow_local(x: Array, c: Array, out: Array) -> tuple[Array, None]:
    c = float(np.asarray(c).flat[0])
    if c == 0:
        return (np.zeros_like(x), None)
    if c == 1:
        return (np.ones_like(x), None)
    return (c * np.power(x, c - 1), None)


def _ties(*xs: Array) -> tuple[Array, ...]:
    out = xs[-1]
    winners = [np.equal(x, out) for x in xs[:-1]]
    count = sum(w.astype(float) for w in winners)
    return tuple(w / count for w in winners)


# gate name -> (forward, local derivatives (*inputs, out) -> tuple)
RULES: dict[str, tuple[Callable[..., Array], Callable[..., tuple[Array | None, ...]]]] = {
    "add": (np.add, lambda a, b, out: (1.0, 1.0)),
    "sub": (np.subtract, lambda a, b, out: (1.0, -1.0)),
    "mul": (np.multiply, lambda a, b, out: (b, a)),
    "div": (np.divide, lambda a, b, out: (1.0 / b, -a / (b * b))),
    "neg": (np.negative, lambda a, out: (-1.0,)),
    "pow": (np.power, _pow_local),
    "pow_var": (np.power, lambda x, y, out: (np.where(y == 0, 0.0, y * np.power(x, y - 1)),
                                             np.where(x == 0, 0.0, out * np.log(np.where(x == 0, 1.0, x))))),
    "exp": (np.exp, lambda a, out: (out,)),
    "log": (np.log, lambda a, out: (1.0 / a,)),
    "sqrt": (np.sqrt, lambda a, out: (0.5 / out,)),
    "sin": (np.sin, lambda a, out: (np.cos(a),)),
    "cos": (np.cos, lambda a, out: (-np.sin(a),)),
    "tan": (np.tan, lambda a, out: (1.0 + out * out,)),
    "tanh": (np.tanh, lambda a, out: (1.0 - out * out,)),
    "sigmoid": (_sigmoid, lambda a, out: (out * (1.0 - out),)),
    "softplus": (lambda a: np.logaddexp(0.0, a), lambda a, out: (_sigmoid(a),)),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a, out: ((a > 0).astype(float),)),
    "abs": (np.abs, lambda a, out: (np.sign(a),)),
    "max": (lambda *xs: np.maximum.reduce(np.broadcast_arrays(*xs)), _ties),
    "min": (lambda *xs: np.minimum.reduce(np.broadcast_arrays(*xs)), _ties),
    "mse": (lambda a, b: (a - b) * (a - b), lambda a, b, out: (2.0 * (a - b), -2.0 * (a - b))),
    "bce": (lambda p, y: -(np.where(y != 0, y * np.log(p), 0.0) + np.where(y != 1, (1.0 - y) * np.log1p(-p), 0.0)),
            lambda p, y, out: ((p - y) / (p * (1.0 - p)), np.log1p(-p) - np.log(p))),
    "bce_logits": (lambda z, y: np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z))),
                   lambda z, y, out: (_sigmoid(z) - y, -z)),
}


def supported(graph: Graph) -> bool:
    """Every gate of the graph has a rule here."""
    return all(op in (INPUT, CONST) or op in RULES or op in EXTRA for op in set(graph.ops))


EXTRA: dict[str, tuple[Callable[..., Array], Callable[..., tuple[Array | None, ...]]]] = {}  # loss gates add theirs


def _rule(op: str) -> tuple[Callable[..., Array], Callable[..., tuple[Array | None, ...]]]:
    return RULES[op] if op in RULES else EXTRA[op]


def passes(graph: Graph, values: Mapping[str, Any], wanted: Sequence[str], rows: int,
           grads: bool = True) -> tuple[Array, dict[str, Any] | None]:
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
            out = _rule(op)[0](*xs)
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
            local = _rule(op)[1](*xs, vals[i])
            up = g[i]
            for k, parent in enumerate(args[i]):
                d = local[k]
                if d is None or ops[parent] == CONST:
                    continue
                g[parent] = g[parent] + up * d
                live[parent] = True
    out: dict[str, Any] = {}
    for name in wanted:
        total = g[graph.inputs[name]]
        total = float(np.sum(total))
        if not np.isfinite(total):
            raise EvalError(f"the gradient of {name} overflows")
        out[name] = total
    return loss, out


def _bad(graph: Graph, i: int, xs: list[Any], out: Any, domain: Any) -> EvalError:
    """The error for the first row where node i is not finite, worded as the scalar engine's."""
    from .engine import _fail

    row = int(np.flatnonzero(~np.isfinite(np.broadcast_to(out, np.broadcast(*xs).shape if xs else np.shape(out))))[0]) \
        if np.ndim(out) else 0
    at = [float(np.broadcast_to(x, np.shape(out)).flat[row]) if np.ndim(out) else float(x) for x in xs]
    problem = (domain(*at) if domain else None) or "overflow: the result is too large for double precision"
    err = _fail(graph, i, problem, at)
    if np.ndim(out):
        err.message += f" (data row {row + 1})"
    return err
