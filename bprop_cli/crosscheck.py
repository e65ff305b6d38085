"""--check: every engine gradient against two independent estimates. Never prints.

* numeric: central differences (f(x+h) - f(x-h)) / 2h on the engine's forward pass, in double
  precision with h = eps * max(1, |x|), eps = 1e-6, and PyTorch gradcheck's tolerance
  |a-b| <= atol + rtol*|b| (gradcheck's step is absolute; scaling it keeps x + h != x for big x);
* symbolic: sympy.diff of the output written as one sympy expression, built node by node from
  the Graph (sigmoid written out as 1/(1+exp(-x)), so no local rule is shared with the engine),
  evaluated at the exact binary values of the inputs to 30 digits.

Near a non-differentiable point (a subgradient convention used at the point, or a kink within
eps) the estimates may rightly differ: such an input is reported, not failed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import sympy

from .engine import forward
from .errors import BpropError
from .gates import GATES
from .graph import Graph
from .sympy_gates import Simplifier, expand_sigmoid, show
from .symbolic import MAX_NODES, MAX_TERMS, forward_values, size, symbol
from .trace import Trace

EPS = 1e-6
NUMERIC_TOL = (1e-5, 1e-3)  # (atol, rtol): torch.autograd.gradcheck's defaults for eps = 1e-6
SYMBOLIC_TOL = (1e-9, 1e-7)  # sympy is exact, so only the engine's rounding separates them

OK, WARN, KINK, FAIL, UNCHECKED = "ok", "warn", "kink", "FAIL", "unchecked"


@dataclass(frozen=True, slots=True)
class GradCheck:
    input: str
    engine: float
    numeric: float | None  # None when x +- eps leaves the domain
    symbolic: float | None  # None when sympy's derivative has no real value here
    derivative: str  # sympy's derivative of the output with respect to this input
    numeric_error: float | None  # relative error of the engine against each estimate
    symbolic_error: float | None
    status: str  # ok, warn, kink, FAIL or unchecked
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CheckReport:
    checks: tuple[GradCheck, ...]
    eps: float = EPS
    note: str | None = None  # said once for every input, e.g. why sympy was not asked
    difference: str = "central"  # or "forward": (f(x+h) - f(x)) / h
    absolute: bool = False  # h = eps as given (--eps), not eps * max(1, |x|)

    @property
    def passed(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(c.input for c in self.checks if c.status == FAIL)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "eps": self.eps,
            "difference": self.difference,
            "step": "absolute" if self.absolute else "relative",
            "note": self.note,
            "tolerance": {"numeric": dict(zip(("atol", "rtol"), NUMERIC_TOL)),
                          "symbolic": dict(zip(("atol", "rtol"), SYMBOLIC_TOL))},
            "gradients": {
                c.input: {
                    "engine": c.engine, "numeric": c.numeric, "symbolic": c.symbolic, "derivative": c.derivative,
                    "numeric_error": c.numeric_error, "symbolic_error": c.symbolic_error,
                    "status": c.status, "reason": c.reason,
                }
                for c in self.checks
            },
        }


def relative_error(a: float, b: float) -> float:
    """|a - b| / max(|a|, |b|), and 0 when both are 0."""
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


def close(a: float, b: float, tol: tuple[float, float]) -> bool:
    atol, rtol = tol
    return abs(a - b) <= atol + rtol * abs(b)


def _kink_states(graph: Graph, values: Sequence[float]) -> dict[int, tuple[Any, ...]]:
    """The local derivatives of every gate that has a non-differentiable point (relu, abs, max, min)."""
    states: dict[int, tuple[Any, ...]] = {}
    for i, node in enumerate(graph.nodes):
        if node.op in GATES and GATES[node.op].kink is not None:
            xs = [values[j] for j in node.inputs]
            states[i] = tuple(node.gate.local(*xs, values[i]))
    return states


def _numeric(graph: Graph, at: dict[str, float], name: str, seed: float,
             centre: dict[int, tuple[Any, ...]], eps: float | None = None,
             difference: str = "central") -> tuple[float | None, str | None, str | None]:
    """(estimate, why it is missing, a kink crossed within eps) for one input.

    h is eps * max(1, |x|) by default (relative for large inputs, where x + 1e-6 would equal x),
    or exactly `eps` when the user gave one."""
    sides = []
    kink = None
    h = EPS * max(1.0, abs(at[name])) if eps is None else eps
    for sign in (1, -1) if difference == "central" else (1, 0):
        shifted = {**at, name: at[name] + sign * h}
        try:
            values = forward(graph, shifted)
        except BpropError as err:
            node = getattr(err, "message", str(err)).split(":")[0]
            return None, f"{name} {'+-'[sign < 0]} eps leaves the domain ({node})", None
        sides.append(values[graph.output])
        for i, state in _kink_states(graph, values).items():
            if kink is None and state != centre.get(i):
                node = graph.nodes[i]
                kink = f"{node.id} = {node.gate.expression([graph.label(j) for j in node.inputs])} switches branch within eps of {name}"
    span = 2 * h if difference == "central" else h
    estimate = seed * (sides[0] - sides[1]) / span
    if not math.isfinite(estimate):
        return None, "the central difference overflows", kink
    return estimate, None, kink


def _real(x: sympy.Expr) -> float | None:
    try:
        value = complex(sympy.N(x, 30))
    except (TypeError, ValueError):  # an unevaluated piece (e.g. a derivative of Max at a tie)
        return None
    if not (math.isfinite(value.real) and math.isfinite(value.imag)):
        return None
    if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
        return None
    return value.real


def _node_numeric(graph: Graph, at: dict[str, float], index: int, seed: float, h: float,
                  difference: str) -> tuple[float | None, str | None]:
    """A finite difference for an intermediate node: move it, recompute what follows."""
    from .nudge import shifted_output

    try:
        ahead = shifted_output(graph, at, index, h)
        behind = shifted_output(graph, at, index, -h) if difference == "central" else forward(graph, at)[graph.output]
    except BpropError as err:
        return None, f"a step of eps leaves the domain ({err.message.split(':')[0]})"
    estimate = seed * (ahead - behind) / (2 * h if difference == "central" else h)
    return (estimate, None) if math.isfinite(estimate) else (None, "the difference overflows")


def crosscheck(graph: Graph, at: Mapping[str, float], trace: Trace, *, eps: float | None = None,
               difference: str = "central", nodes: bool = False) -> CheckReport:
    """Compare every gradient of `trace` (computed at `at`) with both estimates; with `nodes`,
    every named intermediate's gradient too (against a finite difference only)."""
    at = {name: float(at[name]) for name in graph.inputs}
    centre = _kink_states(graph, forward(graph, at))
    notes = {n.id: n.note for n in trace.nodes if n.note}
    output = None
    if len(graph.nodes) <= MAX_NODES:
        output = expand_sigmoid(forward_values(graph, {})[0][graph.output])
    point = {symbol(name): sympy.Rational(value) for name, value in at.items()}  # the float's exact value
    checks = []
    for name, engine in trace.gradients.items():
        numeric, missing, kink = _numeric(graph, at, name, trace.seed, centre, eps, difference)
        symbolic, derivative, why_symbolic = None, "", None
        if output is not None:
            d = sympy.diff(output, symbol(name))
            if size(d) > MAX_TERMS:
                checks.append(_judge(name, engine, numeric, None, "", notes, kink,
                                     [r for r in (missing, f"sympy's derivative has over {MAX_TERMS:,} terms") if r]))
                continue
            derivative = show(d)
            value = _real(d.xreplace(point))
            if value is None:  # e.g. x^y*y/x at x = 0, which is y*x^(y-1) once simplified
                value = _real(Simplifier(1.0)(d).xreplace(point))
            symbolic = None if value is None else trace.seed * value
            if symbolic is None:
                why_symbolic = "sympy's derivative has no real value here"
        checks.append(_judge(name, engine, numeric, symbolic, derivative, notes, kink,
                             [r for r in (missing, why_symbolic) if r]))
    if nodes:
        values = forward(graph, at)
        for index, name in sorted(graph.names.items()):
            node_id = graph.ids[index]
            if graph.ops[index] in ("input", "const") or node_id in trace.gradients or index == graph.output:
                continue
            h = EPS * max(1.0, abs(values[index])) if eps is None else eps
            numeric, missing = _node_numeric(graph, at, index, trace.seed, h, difference)
            checks.append(_judge(node_id, trace.node(node_id).grad, numeric, None, "", notes, None,
                                 [r for r in (missing,) if r]))
    note = None if output is not None else \
        f"sympy was not asked: the program has more than {MAX_NODES} nodes ({difference} differences only)"
    return CheckReport(tuple(checks), eps=EPS if eps is None else eps, note=note, difference=difference,
                       absolute=eps is not None)


def _judge(name: str, engine: float, numeric: float | None, symbolic: float | None, derivative: str,
           notes: dict[str, str], kink: str | None, missing: list[str]) -> GradCheck:
    num_err = None if numeric is None else relative_error(engine, numeric)
    sym_err = None if symbolic is None else relative_error(engine, symbolic)
    agree = {
        "central difference": None if numeric is None else close(engine, numeric, NUMERIC_TOL),
        "sympy": None if symbolic is None else close(engine, symbolic, SYMBOLIC_TOL),
    }
    known = {k: v for k, v in agree.items() if v is not None}
    reasons = list(missing)
    if (notes or kink) and not all(known.values()):
        status = KINK
        where = [f"a subgradient convention is used at {', '.join(notes)}"] if notes else []
        reasons += [*where, *([kink] if kink else []),
                    "the derivative jumps here, so estimates may differ from the engine's convention"]
    elif not known:
        status = UNCHECKED
    elif all(known.values()):
        status = OK
    elif not any(known.values()):
        status = FAIL
        reasons.append("the engine's gradient disagrees with every estimate beyond tolerance")
    else:
        status = WARN
        off = [k for k, v in known.items() if not v]
        reasons.append(f"the estimates disagree with each other ({', '.join(off)} is off): "
                       "a central difference is inexact where the function curves sharply")
    return GradCheck(name, engine, numeric, symbolic, derivative, num_err, sym_err, status,
                     "; ".join(reasons) or None)
