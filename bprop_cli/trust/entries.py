"""--check for a program over arrays: every entry of every input's gradient against a central
difference of the array engine's forward pass. Never prints."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from bprop_cli.engine.arrays import forward, infer_shapes
from bprop_cli.engine.graph import Graph
from bprop_cli.engine.trace import Trace
from bprop_cli.errors import BpropError
from bprop_cli.gates.registry import GATES

from .crosscheck import EPS, FAIL, KINK, NUMERIC_TOL, OK, UNCHECKED, CheckReport, GradCheck, close, relative_error

CHECK_ENTRIES = 20_000  # entries checked by central differences; beyond that, a note says so


def _kinks(graph: Graph, values: Sequence[Any]) -> dict[int, list[Any]]:
    """The local derivatives of every gate with a non-differentiable point (relu, abs, max, min)."""
    states = {}
    for i, op in enumerate(graph.ops):
        gate = GATES.get(op)
        if gate is not None and gate.kink is not None:
            xs = [values[j] for j in graph.args[i]]
            with np.errstate(all="ignore"):
                states[i] = [np.asarray(d) for d in gate.vlocal(np, *xs, values[i]) if d is not None]  # type: ignore[misc]
    return states


def check_entries(graph: Graph, values: Mapping[str, Any], trace: Trace, eps: float | None = None) -> Any:
    """--check for an array program: every entry of every input's gradient against a central
    difference of the forward pass (sympy is not used: the program is over arrays)."""
    eps = EPS if eps is None else eps
    shapes, _ = infer_shapes(graph, values)
    centre = _kinks(graph, forward(graph, values, shapes))
    seed = trace.seed
    checks = []
    count = 0
    for name in graph.inputs:
        value = values[name]
        grad = np.asarray(trace.gradients[name], dtype=float)
        for index in np.ndindex(np.shape(value)):
            label = name + "".join(f"[{k}]" for k in index)
            engine = float(grad[index])
            count += 1
            if count > CHECK_ENTRIES:
                checks.append(GradCheck(label, engine, None, None, "", None, None, UNCHECKED,
                                        f"only the first {CHECK_ENTRIES:,} entries are checked"))
                continue
            x = float(np.asarray(value)[index])
            h = eps * max(1.0, abs(x))
            sides, kink, problem = [], None, None
            for sign in (1.0, -1.0):
                moved = np.array(value, dtype=float)
                moved[index] = x + sign * h
                shifted = {**values, name: moved if moved.ndim else float(moved)}
                try:
                    out = forward(graph, shifted, shapes)
                except BpropError as err:
                    problem = f"{label} {'+-'[sign < 0]} eps leaves the domain ({err.message.split(':')[0]})"
                    break
                sides.append(np.asarray(out[graph.output], dtype=float))
                for i, state in _kinks(graph, out).items():
                    if kink is None and any(not np.array_equal(a, b) for a, b in zip(state, centre[i])):
                        kink = f"{graph.ids[i]} switches branch within eps of {label}"
            if problem is not None:
                checks.append(GradCheck(label, engine, None, None, "", None, None, UNCHECKED, problem))
                continue
            numeric = float(np.sum(np.asarray(seed) * (sides[0] - sides[1])) / (2 * h))
            error = relative_error(engine, numeric)
            agree = close(engine, numeric, NUMERIC_TOL)
            status = OK if agree else (KINK if kink else FAIL)
            reason = None if agree else kink
            checks.append(GradCheck(label, engine, numeric, None, "", error, None, status, reason))
    note = "every entry against a central difference (sympy is not used for programs over arrays)"
    return CheckReport(tuple(checks), eps=eps, note=note)
