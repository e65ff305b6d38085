"""Symbolic and exact traces: the same walk over the Graph as the float engine, with sympy objects.

A variable without a value is a sympy Symbol; a value such as 1/3 is an exact Rational. Every
node value, local derivative and chain-rule product is then a sympy expression: a formula in
symbolic mode, an exact number (irrational parts kept symbolic) in exact mode. Never prints.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import mpmath
import sympy
from sympy.core.evalf import PrecisionExhausted

from bprop_cli.engine.graph import CONST, INPUT, Graph, Node
from bprop_cli.errors import BpropError, EvalError, ValueBindingError
from bprop_cli.lang.parser import parse, parse_expression
from bprop_cli.lang.syntax import Assign

from .sympy_gates import (
    OutOfTime,
    Simplifier,
    TooBig,
    bounded,
    check_size,
    exact_value,
    fold,
    form,
    is_finite,
    local_derivatives,
    rational,
    show,
)

S = sympy.Expr
MAX_NODES = 400  # symbolic expressions grow with depth; beyond this the trace is not readable anyway
MAX_TERMS = 40_000  # total size of every formula in a trace (nested functions grow cubically)
MAX_DIGITS = 4_000  # of any exact numerator or denominator (Python itself prints ints up to 4,300 digits)
MAX_BITS = int(MAX_DIGITS / 0.30103)
SECONDS = 15.0  # wall-clock budget of a whole exact or symbolic trace (simplify's 3 s and decimals' 2 s inside it;
# the largest built-in example needs about 4 s of it, and a busy machine stretches the rest)
DECIMAL_DIGITS = 30  # each decimal is asked of sympy to this many digits, strictly
DECIMAL_MAXN = 5_000  # the working precision (digits) sympy may use to get them
NORMAL = 2.2250738585072014e-308  # the smallest normal double: below it a double has fewer than 17 digits


def size(x: S, _seen: dict[S, int] | None = None) -> int:
    """How many terms a formula prints as (shared sub-expressions counted each time they print)."""
    memo: dict[S, int] = {} if _seen is None else _seen
    stack: list[tuple[S, bool]] = [(x, False)]
    while stack:
        node, done = stack.pop()
        if node in memo:
            continue
        if done or not node.args:
            memo[node] = 1 + sum(memo[a] for a in node.args)
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in memo)
    return memo[x]


@dataclass(frozen=True, slots=True)
class SymNode:
    id: str
    op: str
    inputs: tuple[str, ...]
    expression: str  # over the inputs' ids, as in the float trace
    value: S
    grad: S
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SymStep:
    """One chain-rule product, d node/d input += upstream * local."""

    node: str
    input: str
    upstream: S
    formula: S  # local derivative over the node's input ids, e.g. z
    local: S  # the same at this trace's values
    product: S
    total: S


@dataclass(frozen=True, slots=True)
class SymTrace:
    expression: str
    output: str
    value: S
    inputs: dict[str, S]  # every variable: its exact value, or its own Symbol when free
    free: tuple[str, ...]  # variables without a value
    gradients: dict[str, S]  # simplified
    nodes: tuple[SymNode, ...]
    backward: tuple[SymStep, ...]
    seed: S
    simplified: bool = True  # False when sympy.simplify ran out of time and formulas are as computed
    decimals: Mapping[S, Approx | None] = field(default_factory=dict)  # of every number the trace shows

    @property
    def exact(self) -> bool:
        return not self.free

    def decimal(self, x: S) -> Approx | None:
        """The decimal of a number of this trace (None for a formula)."""
        return self.decimals.get(x)

    def to_dict(self) -> dict[str, Any]:
        """Every expression in bprop's notation, as strings (numbers carry a 'decimal' too: a
        double, or null when no double holds it to 17 digits or sympy cannot compute it)."""

        def pair(x: S) -> dict[str, Any]:
            d = self.decimal(x)
            return {"exact": show(x), **({"decimal": d.double} if d is not None else {})}

        return {
            "mode": "exact" if self.exact else "symbolic",
            "simplified": self.simplified,
            "free": list(self.free),
            "value": pair(self.value),
            "inputs": {k: pair(v) for k, v in self.inputs.items()},
            "gradients": {k: pair(v) for k, v in self.gradients.items()},
            "nodes": [
                {"id": n.id, "op": n.op, "inputs": list(n.inputs), "expression": n.expression,
                 "value": pair(n.value), "grad": pair(n.grad), **({"note": n.note} if n.note else {})}
                for n in self.nodes
            ],
            "backward": [
                {"node": s.node, "input": s.input, "upstream": show(s.upstream), "formula": show(s.formula),
                 "local": show(s.local), "product": show(s.product)}
                for s in self.backward
            ],
        }


@dataclass(frozen=True, slots=True)
class Approx:
    """The decimal of an exact number, known right to DECIMAL_DIGITS digits, or known not to be."""

    value: Any = None  # an mpmath mpf of DECIMAL_DIGITS digits; None when sympy could not get them
    why: str | None = None  # why not: it cannot be told from zero at DECIMAL_MAXN digits, say

    @property
    def known(self) -> bool:
        return self.value is not None

    @property
    def double(self) -> float | None:
        """The nearest double, when the number is 0 or in the doubles' normal range (where a double
        keeps 17 digits); None outside it (1e-130288 is not 0, 1e400 not inf) or when unknown."""
        if self.value is None:
            return None
        if not self.value:
            return 0.0
        if not NORMAL <= abs(self.value) <= mpmath.mpf(1.7976931348623157e308):
            return None
        return float(self.value)


def decimal(x: S, budget: "Decimals | None" = None) -> Approx | None:
    """The decimal of an exact real number; None for a formula with free symbols (or a number
    that is not real). sympy's N alone can be wrong here: when terms cancel past its working
    precision it returns a few bits of noise (1/3 - 1/(3 + exp(-300000)) gave 1.3e-166), so it
    is asked strictly, and a number it cannot pin down says so."""
    if not getattr(x, "is_number", False):
        return None
    limit = bounded(budget.left() if budget else 2.0, MAX_BITS)
    try:
        with limit:
            value = x.evalf(DECIMAL_DIGITS, strict=True, maxn=DECIMAL_MAXN)
    except OutOfTime as err:
        if not limit.owns(err):
            raise
        return Approx(None, "sympy ran out of time computing it")
    except PrecisionExhausted:
        return Approx(None, f"sympy cannot tell it from zero at {DECIMAL_MAXN:,} digits")
    except (TooBig, OverflowError, MemoryError, RecursionError, ValueError, TypeError):
        return Approx(None, "sympy cannot compute it")
    if value.is_zero:
        return Approx(_mpf(0))
    if not value.is_Float:  # complex: not a real number
        re, im = value.as_real_imag()
        if im.is_zero is False:
            return None
        value = re
    if not value.is_Float:
        return Approx(None, "sympy cannot compute it")
    return Approx(_mpf(value))


def _mpf(x: Any) -> Any:
    return mpmath.mpf(x._mpf_) if hasattr(x, "_mpf_") else mpmath.mpf(x)


class Decimals:
    """One time budget for every decimal of a trace (each is ms; a hostile one may be seconds)."""

    def __init__(self, seconds: float = 2.0) -> None:
        self._clock = time.monotonic
        self.deadline = self._clock() + seconds
        self.found: dict[S, Approx | None] = {}

    def left(self) -> float:
        return max(self.deadline - self._clock(), 1e-3)

    def __call__(self, x: S) -> None:
        if x not in self.found:
            self.found[x] = decimal(x, self) if self.deadline > self._clock() else \
                (Approx(None, "sympy ran out of time computing it") if getattr(x, "is_number", False) else None)


def symbol(name: str) -> sympy.Symbol:
    """The symbol of a variable or node id; real, so that |x| differentiates to sign(x)."""
    return sympy.Symbol(name, real=True)


def bind_exact(graph: Graph, given: Mapping[str, str], *, partial: bool) -> dict[str, S]:
    """Exact values for the given variables (every variable must have one unless `partial`)."""
    from bprop_cli.engine.values import bind

    if not partial:
        bind(graph, given)  # the float path's checks and messages: missing, extra, typo
    else:
        bind(graph, {**{n: "0" for n in graph.inputs}, **given})  # only extra names are errors
    return {name: exact_value(str(given[name]), name) for name in graph.inputs if name in given}


def _balanced(text: str) -> str:
    """A node's span can start inside a parenthesis, as in '(pi)^2' -> 'pi)^2': close it again."""
    depth = lowest = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        lowest = min(lowest, depth)
    return "(" * -lowest + text + ")" * (depth - lowest)


def _constant_names(graph: Graph) -> dict[str, S]:
    """Names the program binds to constant expressions (a = 1/3), folded exactly in order."""
    env: dict[str, S] = {}
    for stmt in parse(graph.source).statements:
        if isinstance(stmt, Assign):
            try:
                env[stmt.target] = fold(stmt.value, graph.source, env)
            except (KeyError, ZeroDivisionError):
                env.pop(stmt.target, None)  # depends on a variable
    return env


def constant(graph: Graph, node: Node, env: Mapping[str, S]) -> S:
    """A constant node's exact value, re-read from its source text with bprop's parser.

    The result is checked against the float the graph folded; if they differ (a name assigned
    twice, say) the float is used, written as the simplest nearby number in pi and e.
    """
    if node.span is not None:
        try:
            text = _balanced(graph.source[node.span.start : node.span.end])
            value = fold(parse_expression(text), graph.source, dict(env))
            if value.is_number and abs(float(sympy.N(value, 20)) - node.value) <= 1e-12 * max(1.0, abs(node.value)):
                return value
        except (BpropError, KeyError, ZeroDivisionError, TypeError, OverflowError, TooBig):
            pass
    return sympy.nsimplify(node.value, [sympy.pi, sympy.E])


def _check(graph: Graph, node: Node, value: S, what: str) -> S:
    if not is_finite(value):
        raise EvalError(f"node {node.id}: {what} is not finite ({show(value)})", graph.source, node.span)
    return value


def tidy(x: S, simplify: Simplifier) -> S:
    """An exact irrational number in its simplest form (e/(1+e)^2, not (1 - 1/(1+exp(-1)))/(1+exp(-1)));
    rationals and formulas are left as they are (simplifying every formula would be slow)."""
    if getattr(x, "is_number", False) and not x.is_Rational:
        return fitting(simplify(x), x)
    return x


def fitting(simpler: S, x: S) -> S:
    """`simpler` unless simplify made a number in it longer than any the trace may hold."""
    try:
        return check_size(simpler)
    except TooBig:
        return x


def forward_values(graph: Graph, bound: Mapping[str, S]) -> tuple[list[S], list[S]]:
    """Every node's sympy value, and how each node appears in a local-derivative formula."""
    env = _constant_names(graph) if any(n.op == CONST for n in graph.nodes) else {}
    values: list[S] = []
    ids: list[S] = []  # a symbol named by the node's id; constants appear as their value
    for node in graph.nodes:
        if node.op == INPUT:
            value = bound.get(node.id, symbol(node.id))
            ids.append(symbol(node.id))
        elif node.op == CONST:
            value = constant(graph, node, env)
            ids.append(value)
        else:
            try:
                value = check_size(form(node.op, [values[i] for i in node.inputs]))
            except TooBig as err:
                err.node = node  # type: ignore[attr-defined]  # for the message
                raise
            value = _check(graph, node, value, "the value")
            ids.append(symbol(node.id))
        values.append(value)
    return values, ids


def _limit(graph: Graph) -> None:
    if len(graph.nodes) > MAX_NODES:
        raise ValueBindingError(
            f"the program has {len(graph.nodes):,} nodes; symbolic and exact traces handle up to {MAX_NODES}",
            hint="drop --symbolic/--exact/--latex and give every variable a number",
        )


def symbolic_trace(graph: Graph, bound: Mapping[str, S], seed: float = 1.0,
                   notes: Mapping[str, str] | None = None) -> SymTrace:
    """Forward and backward passes with sympy objects; free variables stay symbols.

    Bounded: within SECONDS of wall-clock time, and with no exact number past MAX_DIGITS digits;
    past either, a usage error (exit 2) that names the node where it happened."""
    _limit(graph)
    try:
        seed_s = rational(repr(float(seed)))
    except (ValueError, OverflowError):
        raise ValueBindingError(f"--seed-grad must be a finite number, not {seed!r}") from None
    where: list[Node] = []  # the node being worked on, for the message
    with exact_limits(graph, where):
        return _trace(graph, bound, seed_s, notes or {}, where)


@contextmanager
def exact_limits(graph: Graph | None = None, where: list[Node] | None = None) -> Iterator[None]:
    """The bounds of SECONDS and MAX_DIGITS on a block of exact work, each turned into one clear
    usage error (exit 2): a calculator should say what it cannot do, not hang or guess."""
    where = [] if where is None else where
    flags = "drop --exact/--symbolic/--latex to compute in floats"

    def at() -> str:
        if graph is None or not where:
            return ""
        node = where[-1]
        return f" (at node {node.id} = {node.gate.expression([graph.label(j) for j in node.inputs])})"

    limit = bounded(SECONDS, MAX_BITS)
    try:
        with limit:
            yield
    except OutOfTime as err:
        if not limit.owns(err):
            raise
        raise ValueBindingError(f"exact arithmetic took longer than {SECONDS:g} seconds{at()}; "
                                f"{flags}, or trace a smaller program") from None
    except TooBig as err:
        node = getattr(err, "node", None)
        if node is not None:
            where.append(node)
        raise ValueBindingError(f"exact arithmetic would need {err} here{at()}, more than the "
                                f"{MAX_DIGITS:,} digits an exact trace keeps; {flags}") from None
    except (OverflowError, MemoryError) as err:
        what = "memory" if isinstance(err, MemoryError) else "integer size"
        raise ValueBindingError(f"exact arithmetic ran out of {what}{at()}; {flags}") from None


def _trace(graph: Graph, bound: Mapping[str, S], seed_s: S, notes: Mapping[str, str],
           where: list[Node]) -> SymTrace:
    nodes = graph.nodes
    simplify = Simplifier()
    values, ids = forward_values(graph, bound)
    values = [tidy(v, simplify) for v in values]
    memo: dict[S, int] = {}
    terms = sum(size(v, memo) for v in values)
    grads: list[S] = [sympy.Integer(0)] * len(nodes)
    grads[graph.output] = seed_s
    live = [False] * len(nodes)
    live[graph.output] = True
    steps: list[SymStep] = []
    for index in range(graph.output, -1, -1):
        node = nodes[index]
        if not live[index] or node.op in (INPUT, CONST):
            continue
        where.append(node)
        formulas = local_derivatives(node.op, [ids[i] for i in node.inputs], ids[index])
        locals_ = local_derivatives(node.op, [values[i] for i in node.inputs], values[index])
        upstream = grads[index]
        for parent, formula, local in zip(node.inputs, formulas, locals_):
            if nodes[parent].op == CONST:
                continue
            local = tidy(_check(graph, node, check_size(local),
                                f"the local derivative with respect to {nodes[parent].id}"), simplify)
            product = tidy(check_size(upstream * local), simplify)
            live[parent] = True
            grads[parent] = tidy(check_size(grads[parent] + product), simplify)
            terms += size(product, memo) + size(local, memo) + size(upstream, memo)
            if terms > MAX_TERMS:
                raise ValueBindingError(
                    f"the formulas of this trace grow past {MAX_TERMS:,} terms (at node {node.id}), too many to show",
                    hint="give every variable a number and drop --symbolic/--exact/--latex, or trace a smaller program",
                )
            steps.append(SymStep(node.id, nodes[parent].id, upstream, formula, local, product, grads[parent]))
    where.clear()

    records = tuple(
        SymNode(n.id, n.op, tuple(nodes[i].id for i in n.inputs),
                n.id if n.op == INPUT else graph.label(i) if n.op == CONST
                else n.gate.expression([graph.label(j) for j in n.inputs]),
                values[i], grads[i], notes.get(n.id))
        for i, n in enumerate(nodes)
    )
    gradients = {name: fitting(simplify(grads[i]), grads[i]) for name, i in graph.inputs.items()}
    decimals = Decimals()
    for x in (values[graph.output], *values, *grads, *gradients.values(), *(s.product for s in steps)):
        decimals(x)
    return SymTrace(
        expression=graph.source,
        output=nodes[graph.output].id,
        value=values[graph.output],
        inputs={name: values[i] for name, i in graph.inputs.items()},
        free=tuple(name for name in graph.inputs if name not in bound),
        gradients=gradients,
        nodes=records,
        backward=tuple(steps),
        seed=seed_s,
        simplified=not simplify.gave_up,
        decimals=decimals.found,
    )
