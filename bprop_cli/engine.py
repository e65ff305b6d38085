"""Forward and reverse-mode passes over a Graph: plain loops, no recursion, never prints."""

from __future__ import annotations

import math
from typing import Mapping

from .errors import EvalError
from .gates import GATES
from .graph import CONST, INPUT, Graph, Node, _num
from .trace import BackwardStep, NodeRecord, Trace

_MATH_ERRORS = (OverflowError, ValueError, ZeroDivisionError)


def _fail(graph: Graph, node: Node, problem: str, xs: list[float]) -> EvalError:
    labels = [graph.label(i) for i in node.inputs]
    shown = ", ".join(f"{lab} = {_num(x)}" for lab, x in zip(labels, xs) if lab != _num(x))
    where = f"node {node.id} = {node.gate.expression(labels)}"
    return EvalError(f"{where}: {problem}" + (f" ({shown})" if shown else ""), graph.source, node.span)


def forward(graph: Graph, inputs: Mapping[str, float]) -> list[float]:
    """Value of every node, in node order; raises EvalError naming the node that failed."""
    values: list[float] = []
    for node in graph.nodes:
        if node.op == INPUT:
            values.append(float(inputs[node.id]))
            continue
        if node.op == CONST:
            values.append(node.value)
            continue
        gate = node.gate
        xs = [values[i] for i in node.inputs]
        problem = gate.domain(*xs) if gate.domain else None
        if problem is None:
            try:
                out = gate.forward(*xs)
            except _MATH_ERRORS:
                out = math.inf
            if not math.isfinite(out):
                problem = "overflow: the result is too large for double precision"
        if problem is not None:
            raise _fail(graph, node, problem, xs)
        values.append(out)
    return values


def backward(graph: Graph, values: list[float], seed: float = 1.0, *, explain: bool = True) -> Trace:
    """Reverse sweep from the output: every local derivative, product and sum, as a Trace.

    explain=False keeps only values and gradients (no steps, no formulas): for batches of many rows.
    """
    nodes = graph.nodes
    labels = [node.id if node.op != CONST else graph.label(i) for i, node in enumerate(nodes)]
    grads = [0.0] * len(nodes)
    grads[graph.output] = seed
    live = [False] * len(nodes)  # nodes the output depends on; others get no products
    live[graph.output] = True
    is_const = [node.op == CONST for node in nodes]
    steps: list[BackwardStep] = []
    add_step = steps.append
    notes: dict[int, str] = {}
    isfinite = math.isfinite
    for index in range(graph.output, -1, -1):  # node order is topological, so reverse it
        node = nodes[index]
        if not live[index] or node.op == INPUT or node.op == CONST:
            continue
        gate = GATES[node.op]
        inputs = node.inputs
        xs = [values[i] for i in inputs]
        out = values[index]
        try:
            local = gate.local(*xs, out)
        except _MATH_ERRORS:
            local = (math.inf,) * len(xs)
        if gate.kink is not None and (note := gate.kink(*xs, out)):
            notes[index] = note
        upstream = grads[index]
        names = [labels[i] for i in inputs]
        for k, (parent, d) in enumerate(zip(inputs, local)):
            if d is None or is_const[parent]:
                continue  # constants need no gradient
            product = upstream * d
            if not isfinite(product):
                if not isfinite(d):
                    raise _fail(graph, node, f"the local derivative with respect to {names[k]} is infinite", xs)
                raise _fail(graph, node, "overflow in the chain-rule product", xs)
            live[parent] = True
            grads[parent] += product  # gradients add where a value fans out
            if not isfinite(grads[parent]):
                raise _fail(graph, node, f"overflow in the sum of the gradients of {names[k]}", xs)
            if explain:
                add_step(BackwardStep(node.id, labels[parent], upstream, d, product, grads[parent],
                                      gate.formula(k, names, node.id)))
    records = tuple(
        NodeRecord(
            n.id, n.op, tuple([nodes[i].id for i in n.inputs]), values[i], grads[i], n.text,
            "" if not explain else n.id if n.op == INPUT else labels[i] if n.op == CONST
            else GATES[n.op].expression([labels[j] for j in n.inputs]),
            notes.get(i),
        )
        for i, n in enumerate(nodes)
    )
    return Trace(
        expression=graph.source,
        output=nodes[graph.output].id,
        value=values[graph.output],
        inputs={name: values[i] for name, i in graph.inputs.items()},
        gradients={name: grads[i] for name, i in graph.inputs.items()},
        nodes=records,
        backward=tuple(steps),
        seed=seed,
    )
