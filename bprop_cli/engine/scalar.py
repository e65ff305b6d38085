"""Forward and reverse-mode passes over a Graph: plain loops over its columns, no recursion,
never prints."""

from __future__ import annotations

import math
from array import array
from typing import Mapping, Sequence

from bprop_cli.errors import EvalError
from bprop_cli.gates.registry import GATES

from .graph import CONST, INPUT, Graph, _num
from .trace import BackwardSteps, NodeRecords, Tape, Trace

_MATH_ERRORS = (OverflowError, ValueError, ZeroDivisionError)
_INF = math.inf


def _fail(graph: Graph, index: int, problem: str, xs: list[float]) -> EvalError:
    labels = [graph.label(i) for i in graph.args[index]]
    shown = ", ".join(f"{lab} = {_num(x)}" for lab, x in zip(labels, xs) if lab != _num(x))
    where = f"node {graph.ids[index]} = {GATES[graph.ops[index]].expression(labels)}"
    return EvalError(f"{where}: {problem}" + (f" ({shown})" if shown else ""), graph.source, graph.span(index))


def forward(graph: Graph, inputs: Mapping[str, float]) -> Sequence[float]:
    """Value of every node, in node order; raises EvalError naming the node that failed."""
    # The gate table is read at each call (not at import), so a gate can be swapped in a test.
    rules = {name: (gate.forward, gate.domain) for name, gate in GATES.items()}
    ids, consts, args = graph.ids, graph.consts, graph.args
    isfinite = math.isfinite
    values = array("d")  # 8 bytes a value, contiguous: a million-node pass stays in cache longer
    push, value_of = values.append, values.__getitem__
    for i, op in enumerate(graph.ops):
        if op == INPUT:
            push(float(inputs[ids[i]]))
            continue
        if op == CONST:
            push(consts[i])
            continue
        fn, domain = rules[op]
        xs = list(map(value_of, args[i]))  # (a list comprehension costs a call of its own)
        problem = domain(*xs) if domain else None
        if problem is None:
            try:
                out = fn(*xs)
            except _MATH_ERRORS:
                out = _INF
            if isfinite(out):
                push(out)
                continue
            problem = "overflow: the result is too large for double precision"
        raise _fail(graph, i, problem, xs)
    return values


def backward(graph: Graph, values: Sequence[float], seed: float = 1.0, *, explain: bool = True) -> Trace:
    """Reverse sweep from the output: every local derivative, product and sum, as a Trace.

    explain=False keeps only values and gradients (no steps, no formulas): for batches of many rows.
    """
    ops, args = graph.ops, graph.args
    rules = {name: (gate.local, gate.kink) for name, gate in GATES.items()}
    n = len(ops)
    grads = array("d", bytes(8 * n))  # flat arrays of doubles: 8 bytes a number, not 32
    grads[graph.output] = seed
    live = [False] * n  # nodes the output depends on; others get no products
    live[graph.output] = True
    step_node, step_arg = array("q"), array("b")  # per chain-rule product: which node, which input
    step_local, step_total = array("d"), array("d")
    notes: dict[int, str] = {}
    isfinite = math.isfinite
    value_of = values.__getitem__
    for index in range(graph.output, -1, -1):  # node order is topological, so reverse it
        if not live[index]:
            continue
        op = ops[index]
        if op == INPUT or op == CONST:
            continue
        local_of, kink = rules[op]
        inputs = args[index]
        xs = list(map(value_of, inputs))
        out = values[index]
        try:
            local = local_of(*xs, out)
        except _MATH_ERRORS:
            local = (_INF,) * len(xs)
        if kink is not None and (note := kink(*xs, out)):
            notes[index] = note
        upstream = grads[index]
        for k, parent in enumerate(inputs):
            d = local[k]
            if d is None or ops[parent] == CONST:
                continue  # constants need no gradient
            product = upstream * d
            total = grads[parent] + product  # gradients add where a value fans out
            if not isfinite(total):
                raise _overflow(graph, index, k, d, product, xs)
            live[parent] = True
            grads[parent] = total
            if explain:
                step_node.append(index)
                step_arg.append(k)
                step_local.append(d)
                step_total.append(total)
    tape = Tape(graph, values, grads, notes, explain, step_node, step_arg, step_local, step_total)
    return Trace(
        expression=graph.source,
        output=graph.ids[graph.output],
        value=values[graph.output],
        inputs={name: values[i] for name, i in graph.inputs.items()},
        gradients={name: grads[i] for name, i in graph.inputs.items()},
        nodes=NodeRecords(tape),
        backward=BackwardSteps(tape),
        seed=seed,
    )


def _overflow(graph: Graph, index: int, k: int, d: float, product: float, xs: list[float]) -> EvalError:
    """The error for a product or sum that is not finite, naming which it was."""
    name = graph.label(graph.args[index][k])
    if not math.isfinite(d):
        what = "not a number (NaN)" if math.isnan(d) else "infinite"
        return _fail(graph, index, f"the local derivative with respect to {name} is {what}", xs)
    if not math.isfinite(product):
        return _fail(graph, index, "overflow in the chain-rule product", xs)
    return _fail(graph, index, f"overflow in the sum of the gradients of {name}", xs)
