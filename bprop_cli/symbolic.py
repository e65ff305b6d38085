"""Symbolic and exact traces: the same walk over the Graph as the float engine, with sympy objects.

A variable without a value is a sympy Symbol; a value such as 1/3 is an exact Rational. Every
node value, local derivative and chain-rule product is then a sympy expression: a formula in
symbolic mode, an exact number (irrational parts kept symbolic) in exact mode. Never prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import sympy

from .errors import BpropError, EvalError, ValueBindingError
from .graph import CONST, INPUT, Graph, Node
from .parser import parse_expression
from .sympy_gates import Simplifier, exact_value, fold, form, is_finite, local_derivatives, rational, show

S = sympy.Expr
MAX_NODES = 400  # symbolic expressions grow with depth; beyond this the trace is not readable anyway
MAX_TERMS = 40_000  # total size of every formula in a trace (nested functions grow cubically)


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

    @property
    def exact(self) -> bool:
        return not self.free

    def to_dict(self) -> dict[str, Any]:
        """Every expression in bprop's notation, as strings (numbers carry a 'decimal' too)."""

        def pair(x: S) -> dict[str, Any]:
            d = decimal(x)
            return {"exact": show(x), **({"decimal": d} if d is not None else {})}

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


def decimal(x: S) -> float | None:
    """A float approximation of an exact number; None for a formula with free symbols."""
    if not getattr(x, "is_number", False):
        return None
    value = complex(sympy.N(x, 30))  # then rounded once, to the nearest double
    return value.real if value.imag == 0 else None


def symbol(name: str) -> sympy.Symbol:
    """The symbol of a variable or node id; real, so that |x| differentiates to sign(x)."""
    return sympy.Symbol(name, real=True)


def bind_exact(graph: Graph, given: Mapping[str, str], *, partial: bool) -> dict[str, S]:
    """Exact values for the given variables (every variable must have one unless `partial`)."""
    from .values import bind

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
    from .parser import parse
    from .syntax import Assign

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
        except (BpropError, KeyError, ZeroDivisionError, TypeError):
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
        return simplify(x)
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
            value = _check(graph, node, form(node.op, [values[i] for i in node.inputs]), "the value")
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
    """Forward and backward passes with sympy objects; free variables stay symbols."""
    nodes = graph.nodes
    _limit(graph)
    try:
        seed_s = rational(repr(float(seed)))
    except (ValueError, OverflowError):
        raise ValueBindingError(f"--seed-grad must be a finite number, not {seed!r}") from None
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
        formulas = local_derivatives(node.op, [ids[i] for i in node.inputs], ids[index])
        locals_ = local_derivatives(node.op, [values[i] for i in node.inputs], values[index])
        upstream = grads[index]
        for parent, formula, local in zip(node.inputs, formulas, locals_):
            if nodes[parent].op == CONST:
                continue
            local = tidy(_check(graph, node, local, f"the local derivative with respect to {nodes[parent].id}"),
                         simplify)
            product = tidy(upstream * local, simplify)
            live[parent] = True
            grads[parent] = tidy(grads[parent] + product, simplify)
            terms += size(product, memo) + size(local, memo) + size(upstream, memo)
            if terms > MAX_TERMS:
                raise ValueBindingError(
                    f"the formulas of this trace grow past {MAX_TERMS:,} terms (at node {node.id}), too many to show",
                    hint="give every variable a number and drop --symbolic/--exact/--latex, or trace a smaller program",
                )
            steps.append(SymStep(node.id, nodes[parent].id, upstream, formula, local, product, grads[parent]))

    notes = notes or {}
    records = tuple(
        SymNode(n.id, n.op, tuple(nodes[i].id for i in n.inputs),
                n.id if n.op == INPUT else graph.label(i) if n.op == CONST
                else n.gate.expression([graph.label(j) for j in n.inputs]),
                values[i], grads[i], notes.get(n.id))
        for i, n in enumerate(nodes)
    )
    return SymTrace(
        expression=graph.source,
        output=nodes[graph.output].id,
        value=values[graph.output],
        inputs={name: values[i] for name, i in graph.inputs.items()},
        free=tuple(name for name in graph.inputs if name not in bound),
        gradients={name: simplify(grads[i]) for name, i in graph.inputs.items()},
        nodes=records,
        backward=tuple(steps),
        seed=seed_s,
        simplified=not simplify.gave_up,
    )
