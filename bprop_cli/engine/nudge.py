"""Nudges: move one input or one named intermediate by h, recompute everything downstream of
it, and compare the output's change with the first-order prediction gradient * h. The same
shifted forward pass gives finite differences for intermediates (--check --nodes).
Computation only; views/nudge.py shows the result."""

from __future__ import annotations

import math
from typing import Mapping, NamedTuple

from bprop_cli.errors import EvalError, ValueBindingError
from bprop_cli.gates.registry import GATES

from .graph import CONST, INPUT, Graph
from .scalar import _fail, forward


class Nudge(NamedTuple):
    name: str  # the input or node id that was moved
    h: float
    value: float  # its value before the nudge
    gradient: float  # d output / d name
    before: float  # the output before
    after: float  # the output with `name` moved by h (its downstream recomputed)

    @property
    def change(self) -> float:
        return self.after - self.before

    @property
    def predicted(self) -> float:
        """The first-order (linear) prediction of the change: gradient * h."""
        return self.gradient * self.h

    @property
    def error(self) -> float:
        """What the linear prediction missed: the actual change minus gradient * h."""
        return self.change - self.predicted

    def to_dict(self) -> dict[str, float | str]:
        return {"name": self.name, "h": self.h, "value": self.value, "gradient": self.gradient,
                "before": self.before, "after": self.after, "change": self.change,
                "predicted": self.predicted, "error": self.error}


def node_index(graph: Graph, name: str) -> int:
    """The node an input name or a node id refers to (a usage error naming the choices if none)."""
    if name in graph.inputs:
        return graph.inputs[name]
    for i, node_id in enumerate(graph.ids):
        if node_id == name and graph.ops[i] != CONST:
            return i
    from difflib import get_close_matches

    choices = [i for i, op in zip(graph.ids, graph.ops) if op != CONST]
    close = get_close_matches(name, choices, n=1)
    raise ValueBindingError(f"{name!r} is neither an input nor a node of the program (nodes: {', '.join(choices)})",
                            hint=f"did you mean {close[0]!r}?" if close else None)


def shifted_output(graph: Graph, values: Mapping[str, float], index: int, h: float) -> float:
    """The output when node `index` is moved by h and everything after it is recomputed."""
    base = forward(graph, values)
    if graph.ops[index] == INPUT:
        moved = dict(values)
        name = graph.ids[index]
        moved[name] = float(values[name]) + h
        try:
            return forward(graph, moved)[graph.output]
        except EvalError as err:
            err.message += f" (with {name} nudged by {h:g})"
            raise
    out = list(base)
    out[index] = base[index] + h
    for i in range(index + 1, len(graph.ops)):
        op = graph.ops[i]
        if op == INPUT or op == CONST:
            continue
        gate = GATES[op]
        xs = [out[j] for j in graph.args[i]]
        problem = gate.domain(*xs) if gate.domain else None
        if problem is None:
            try:
                result = gate.forward(*xs)
            except (OverflowError, ValueError, ZeroDivisionError):
                result = math.inf
            if math.isfinite(result):
                out[i] = result
                continue
            problem = "overflow: the result is too large for double precision"
        raise _fail(graph, i, problem + f" (with {graph.ids[index]} nudged by {h:g})", xs)
    return out[graph.output]


def parse_nudge(text: str) -> tuple[str, float]:
    """NAME=h, with h a number or constant expression (as values are read)."""
    from .values import parse_assignments

    name, eq, _ = text.partition("=")
    if not eq or not name.strip():
        raise ValueBindingError(f"--nudge takes NAME=h, e.g. --nudge x=0.001, not {text!r}")
    from .number import constant_value

    (key, raw), = parse_assignments([text]).items()
    h = constant_value(raw, f"--nudge {key}")
    if not math.isfinite(h):
        raise ValueBindingError(f"--nudge {key}: h must be a finite number")
    return key, h


def nudge(graph: Graph, values: Mapping[str, float], trace, name: str, h: float) -> Nudge:  # type: ignore[no-untyped-def]
    """Move `name` (an input or an intermediate node's id) by h; see Nudge."""
    index = node_index(graph, name)
    node_id = graph.ids[index]
    record = trace.node(node_id)
    after = shifted_output(graph, values, index, h)
    return Nudge(name, h, record.value, record.grad, trace.value, after)
