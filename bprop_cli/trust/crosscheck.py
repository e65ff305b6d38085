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
import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import sympy
from sympy.core.evalf import PrecisionExhausted

from bprop_cli.engine.graph import Graph
from bprop_cli.engine.scalar import forward
from bprop_cli.engine.trace import Trace
from bprop_cli.errors import BpropError
from bprop_cli.gates.registry import GATES

from .symbolic import DECIMAL_MAXN, MAX_NODES, MAX_TERMS, forward_values, size, symbol
from .sympy_gates import OutOfTime, Simplifier, TooBig, bounded, check_size, expand_sigmoid, show

EPS = 1e-6
NUMERIC_TOL = (1e-5, 1e-3)  # (atol, rtol): torch.autograd.gradcheck's defaults for eps = 1e-6
SYMBOLIC_TOL = (1e-9, 1e-7)  # sympy is exact, so only the engine's rounding separates them
SYMPY_SECONDS = 6.0  # wall-clock budget of sympy's part of one check
SYMPY_BITS = 1_000_000  # no exact number sympy computes for a check grows past this (300,000 digits)

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


class _Imprecise(Exception):
    """sympy cannot evaluate a derivative to 30 digits (its terms cancel past its working precision)."""


def _real(x: sympy.Expr, floats: dict[sympy.Symbol, sympy.Float] | None = None) -> float | None:
    """x evaluated numerically (its symbols at these exact Floats, if given), strictly to 30 digits:
    sympy.N alone returns a few bits of noise when terms cancel past its precision."""
    try:
        value = complex(x.evalf(30, subs=floats, strict=True, maxn=DECIMAL_MAXN))
    except PrecisionExhausted:
        raise _Imprecise from None
    except (TypeError, ValueError):  # an unevaluated piece (e.g. a derivative of Max at a tie)
        return None
    if not (math.isfinite(value.real) and math.isfinite(value.imag)):
        return None
    if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
        return None
    return value.real


class _SympyEstimates:
    """sympy's derivative of the output for each input, at the inputs' exact binary values, each
    within one shared budget of SYMPY_SECONDS and with no power past SYMPY_BITS bits (x^y at
    x = 1.0000001, y = 1e7 is a 70-million-digit rational): what runs past either is left out,
    with the reason, and the check goes on with central differences alone."""

    def __init__(self, graph: Graph, at: Mapping[str, float], seed: float) -> None:
        self.deadline = time.monotonic() + SYMPY_SECONDS
        self.seed = seed
        self.output = None
        self.why_not: str | None = None
        self.point = {symbol(name): sympy.Rational(value) for name, value in at.items()}  # the float's exact value
        self.floats = {symbol(name): sympy.Float(value, precision=53) for name, value in at.items()}
        if len(graph.nodes) <= MAX_NODES:
            self.output = self._bounded(lambda: expand_sigmoid(forward_values(graph, {})[0][graph.output]))

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    def _bounded(self, work):  # type: ignore[no-untyped-def]
        """work(), or None with self.why_not said."""
        if self._left() <= 0:
            self.why_not = f"sympy ran out of time ({SYMPY_SECONDS:g} s for the whole check)"
            return None
        limit = bounded(self._left(), SYMPY_BITS)
        try:
            with limit:
                result = work()
                return check_size(result) if isinstance(result, sympy.Basic) else result
        except OutOfTime as err:
            if not limit.owns(err):
                raise
            self.why_not = f"sympy ran out of time ({SYMPY_SECONDS:g} s for the whole check)"
        except TooBig as err:
            self.why_not = f"sympy's derivative needs {err} here"
        except (OverflowError, MemoryError, RecursionError):
            self.why_not = "sympy's derivative is too large to evaluate here"
        return None

    def __call__(self, name: str) -> tuple[float | None, str, str | None]:
        """(estimate, sympy's derivative as text, why there is no estimate)."""
        if self.output is None:
            return None, "", self.why_not  # None with no reason: the program is too large (said once)
        d = self._bounded(lambda: sympy.diff(self.output, symbol(name)))
        if d is None:
            return None, "", self.why_not
        if size(d) > MAX_TERMS:
            return None, "", f"sympy's derivative has over {MAX_TERMS:,} terms"
        derivative = show(d)
        imprecise = False

        def at_point(x: sympy.Expr, numerically: bool = False) -> float | None:
            nonlocal imprecise
            try:
                return _real(x, self.floats) if numerically else _real(x.xreplace(self.point))
            except _Imprecise:
                imprecise = True
                return None

        value = self._bounded(lambda: at_point(d))
        if value is None and self.why_not is not None and self.why_not.startswith("sympy's derivative needs"):
            # Too large to evaluate exactly (x^y at x = 1.0000001, y = 1e7): evaluated instead in
            # mpmath's arithmetic, from the same exact binary values (a double fits a 53-bit Float).
            self.why_not = None
            value = self._bounded(lambda: at_point(d, numerically=True))
        if value is None and self.why_not is None:  # e.g. x^y*y/x at x = 0, which is y*x^(y-1) once simplified
            value = self._bounded(lambda: at_point(Simplifier(min(1.0, max(self._left(), 0.01)))(d)))
        if value is None:
            why, self.why_not = self.why_not, None
            if why is None and imprecise:
                why = f"sympy cannot evaluate its derivative here to 30 digits (not at {DECIMAL_MAXN:,} digits of working precision)"
            return None, derivative, why or "sympy's derivative has no real value here"
        return self.seed * value, derivative, None


def _node_numeric(graph: Graph, at: dict[str, float], index: int, seed: float, h: float,
                  difference: str) -> tuple[float | None, str | None]:
    """A finite difference for an intermediate node: move it, recompute what follows."""
    from bprop_cli.engine.nudge import shifted_output

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
    sympy_says = _SympyEstimates(graph, at, trace.seed)
    checks = []
    for name, engine in trace.gradients.items():
        numeric, missing, kink = _numeric(graph, at, name, trace.seed, centre, eps, difference)
        symbolic, derivative, why_symbolic = sympy_says(name)
        checks.append(_judge(name, engine, numeric, symbolic, derivative, notes, kink,
                             [r for r in (missing, why_symbolic) if r]))
    output = sympy_says.output
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
    note = None if output is not None or len(graph.nodes) <= MAX_NODES else \
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
