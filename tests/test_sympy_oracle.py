"""Hypothesis-generated expressions: gradients agree with sympy's derivative of the same tree.

The sympy expression is built from bprop's syntax tree, never from text.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

sympy = pytest.importorskip("sympy")

from bprop_cli import EvalError  # noqa: E402
from bprop_cli.engine.run import run  # noqa: E402
from bprop_cli.lang.parser import parse  # noqa: E402
from bprop_cli.lang.syntax import Assign, Binary, Call, Name, Num, Unary  # noqa: E402

VARS = ("x", "y", "z")
SYMBOLS = {v: sympy.Symbol(v, real=True) for v in VARS}
SMOOTH = {
    "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "sin": sympy.sin, "cos": sympy.cos,
    "tan": sympy.tan, "tanh": sympy.tanh, "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
    "softplus": lambda a: sympy.log(1 + sympy.exp(a)), "silu": lambda a: a / (1 + sympy.exp(-a)),
}


def _float(node: Num):  # type: ignore[no-untyped-def]
    return sympy.Float(node.value, 30) if not float(node.value).is_integer() else sympy.Integer(int(node.value))


def to_sympy(node, number=_float):  # recursion is fine: generated trees are small
    """The syntax tree as a sympy expression, built independently of bprop's graph;
    `number` turns a numeric literal into sympy (a 30-digit float by default)."""
    if isinstance(node, Num):
        return number(node)
    if isinstance(node, Name):
        return {"pi": sympy.pi, "e": sympy.E}.get(node.id, SYMBOLS.get(node.id))
    if isinstance(node, Unary):
        return -to_sympy(node.operand, number) if node.op == "-" else to_sympy(node.operand, number)
    if isinstance(node, Binary):
        a, b = to_sympy(node.left, number), to_sympy(node.right, number)
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "^": a**b}[node.op]
    assert isinstance(node, Call)
    return SMOOTH[node.func](*(to_sympy(arg, number) for arg in node.args))


leaf = st.sampled_from(VARS) | st.integers(1, 4).map(str) | st.sampled_from(["0.5", "1.5", "pi"])


def extend(inner):
    binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    power = st.tuples(inner, st.sampled_from(["2", "3", "-1", "0.5"])).map(lambda t: f"({t[0]})^{t[1]}")
    call = st.tuples(st.sampled_from(sorted(SMOOTH)), inner).map(lambda t: f"{t[0]}({t[1]})")
    neg = inner.map(lambda s: f"-{s}")
    return binary | power | call | neg


expressions = st.recursive(leaf, extend, max_leaves=8)
points = st.fixed_dictionaries({v: st.floats(-2.0, 2.0).map(lambda f: round(f, 3)) for v in VARS})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(expressions, points)
def test_gradients_match_sympy(text: str, at: dict[str, float]) -> None:
    tree = parse(text).statements[0]
    assert not isinstance(tree, Assign)
    used = {v: at[v] for v in VARS if v in set(_names(tree))}
    try:
        trace = run(text, used)
    except EvalError:
        assume(False)  # domain edges are tested separately
    expr = to_sympy(tree)
    subs = {SYMBOLS[v]: sympy.Float(val, 30) for v, val in used.items()}
    expected_value = complex(expr.evalf(30, subs=subs))
    assume(abs(expected_value.imag) < 1e-12 and math.isfinite(expected_value.real))
    # abs 1e-7: a square root magnifies rounding near 0, e.g. sqrt(sin(pi)) is 1.1e-8 in doubles, 0 exactly.
    assert trace.value == pytest.approx(expected_value.real, rel=1e-9, abs=1e-7)
    for v in used:
        exact = complex(sympy.diff(expr, SYMBOLS[v]).evalf(30, subs=subs))
        assume(math.isfinite(exact.real) and abs(exact.real) < 1e8)
        assert trace.gradients[v] == pytest.approx(exact.real, rel=1e-7, abs=1e-7), (text, used, v)


def _names(tree):
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            yield node.id
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack += [node.left, node.right]
        elif isinstance(node, Call):
            stack += list(node.args)
