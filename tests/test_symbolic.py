"""Symbolic and exact traces against an independent oracle: sympy built straight from the syntax
tree (recursively, with exact rationals), differentiated by sympy.diff."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

sympy = pytest.importorskip("sympy")

from conftest import bprop  # noqa: E402
from test_sympy_oracle import SMOOTH, SYMBOLS, VARS, to_sympy  # noqa: E402

from bprop_cli import EvalError, build_graph, parse  # noqa: E402
from bprop_cli.trust.symbolic import bind_exact, symbolic_trace  # noqa: E402
from bprop_cli.trust.sympy_gates import expand_sigmoid  # noqa: E402


def oracle(node):  # type: ignore[no-untyped-def]
    """The tree in sympy with exact numbers: 0.1 is 1/10, as --exact means it."""
    return to_sympy(node, number=lambda n: sympy.Rational(Fraction(n.text).numerator, Fraction(n.text).denominator))


def trace_of(text: str, given: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    graph = build_graph(parse(text))
    return symbolic_trace(graph, bind_exact(graph, given or {}, partial=True))


POSITIVE = {v: sympy.Symbol(v, positive=True) for v in VARS}


def is_zero(x) -> bool:  # type: ignore[no-untyped-def]
    """simplify(difference) == 0, or else 0 in every orthant: x/|x| and sign(x) differ only at x = 0."""
    x = sympy.simplify(expand_sigmoid(x))
    if x == 0:
        return True
    names = sorted(s.name for s in x.free_symbols)
    if all(
        sympy.simplify(x.xreplace({SYMBOLS[n]: sign * POSITIVE[n] for n, sign in zip(names, signs)})) == 0
        for signs in itertools.product((1, -1), repeat=len(names))
    ):
        return True
    # sympy's simplify cannot prove every identity (0.5 - sigmoid(1/2) + tanh(1/4)/2 is 0): then
    # the difference must vanish to 40 digits at exact rational points (where it is defined).
    points = [sympy.Rational(p, q) for p, q in ((3, 7), (-5, 11), (13, 5), (-17, 9))]
    for k in range(4):
        at = {SYMBOLS[n]: points[(k + j) % 4] for j, n in enumerate(names)}
        value = sympy.N(x.xreplace(at), 50)
        if value.has(sympy.zoo, sympy.nan) or not value.is_number:
            continue
        if abs(complex(value)) > 1e-40:
            return False
    return True


small = st.recursive(
    st.sampled_from(VARS) | st.integers(1, 4).map(str) | st.sampled_from(["0.5", "pi"]),
    lambda inner: st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    | st.tuples(inner, st.sampled_from(["2", "3", "-1"])).map(lambda t: f"({t[0]})^{t[1]}")
    | st.tuples(st.sampled_from(sorted(SMOOTH)), inner).map(lambda t: f"{t[0]}({t[1]})"),
    max_leaves=5,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(small)
def test_symbolic_gradients_equal_sympy_diff(text: str) -> None:
    expr = oracle(parse(text).statements[0])
    assume(not expr.has(sympy.zoo, sympy.nan))
    try:
        trace = trace_of(text)
    except EvalError:  # a constant part outside its domain, e.g. log(cos(2)): refused as in float mode
        assume(False)
    assert is_zero(trace.value - expr), text
    for name, grad in trace.gradients.items():
        assert is_zero(grad - sympy.diff(expr, SYMBOLS[name])), (text, name, grad)


RATIONAL_VALUES = st.fractions(min_value=-5, max_value=5, max_denominator=7).filter(lambda f: f != 0)
rational_exprs = st.recursive(
    st.sampled_from(VARS) | st.integers(1, 5).map(str) | st.sampled_from(["0.25", "1.5"]),
    lambda inner: st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    | st.tuples(inner, st.sampled_from(["2", "3", "-1"])).map(lambda t: f"({t[0]})^{t[1]}"),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(rational_exprs, st.fixed_dictionaries({v: RATIONAL_VALUES for v in VARS}))
def test_exact_mode_gives_the_exact_fractions(text: str, at: dict[str, Fraction]) -> None:
    expr = oracle(parse(text).statements[0])
    try:
        graph = build_graph(parse(text))
    except EvalError:  # a constant part such as 1/(1-1) is refused while the graph is built
        assume(False)
    given = {v: f"{at[v].numerator}/{at[v].denominator}" for v in graph.inputs}
    subs = {SYMBOLS[v]: sympy.Rational(at[v].numerator, at[v].denominator) for v in graph.inputs}
    expected = expr.xreplace(subs)
    assume(expected.is_Rational)  # not a division by zero somewhere
    try:
        trace = symbolic_trace(graph, bind_exact(graph, given, partial=False))
    except EvalError:  # a zero denominator inside the program, as the engine would say
        assume(False)
    assert trace.exact and trace.value == expected and trace.value.is_Rational
    for name, grad in trace.gradients.items():
        want = sympy.diff(expr, SYMBOLS[name]).xreplace(subs)
        assert grad == want and grad.is_Rational, (text, name)


def test_exact_example_from_the_issue() -> None:
    trace = trace_of("x/3 + y^2", {"x": "1", "y": "1/2"})
    assert trace.value == sympy.Rational(7, 12)
    assert trace.gradients == {"x": sympy.Rational(1, 3), "y": 1}
    assert [n.value for n in trace.nodes if n.op not in ("input", "const")] == [sympy.Rational(1, 3), sympy.Rational(1, 4),
                                                                  sympy.Rational(7, 12)]


def test_micrograd_program_in_exact_fractions() -> None:
    trace = trace_of("e = a*b; d = e + c; L = d*f", {"a": "2/3", "b": "-3", "c": "1/10", "f": "-2"})
    assert trace.value == sympy.Rational(-2 * (-2 + sympy.Rational(1, 10)))
    assert trace.gradients == {"a": 6, "b": sympy.Rational(-4, 3), "c": -2, "f": sympy.Rational(-19, 10)}


def test_constants_of_the_program_are_read_exactly() -> None:
    assert trace_of("x * 0.1 + 1/3", {"x": "1"}).value == sympy.Rational(13, 30)
    trace = trace_of("sqrt(x) * pi", {"x": "2"})
    assert trace.value == sympy.sqrt(2) * sympy.pi  # irrational parts stay symbolic


def test_partially_bound_inputs() -> None:
    trace = trace_of("x*y + z", {"x": "1/2", "y": "3"})
    z = sympy.Symbol("z", real=True)
    assert trace.free == ("z",) and trace.value == z + sympy.Rational(3, 2)
    assert trace.gradients == {"x": 3, "y": sympy.Rational(1, 2), "z": 1}


def test_subgradient_conventions_hold_in_exact_mode() -> None:
    trace = trace_of("relu(x) + abs(y) + max(x, y)", {"x": "0", "y": "0"})
    assert trace.gradients == {"x": sympy.Rational(1, 2), "y": sympy.Rational(1, 2)}


# -- the command line --------------------------------------------------------------------------

def test_no_values_gives_a_symbolic_trace() -> None:
    r = bprop("eval", "(x+y)*z")
    assert r.returncode == 0, r.stderr
    assert "symbolic in x, y, z" in r.stdout and "df/dz = v1 = x + y" in r.stdout
    assert max(map(len, r.stdout.splitlines())) <= 80
    data = json.loads(bprop("eval", "(x+y)*z", "--json").stdout)
    assert data["mode"] == "symbolic" and data["free"] == ["x", "y", "z"]
    assert {k: v["exact"] for k, v in data["gradients"].items()} == {"x": "z", "y": "z", "z": "x + y"}


def test_exact_on_the_command_line() -> None:
    r = bprop("eval", "x/3 + y^2", "x=1", "y=1/2", "--exact")
    assert r.returncode == 0, r.stderr
    assert "Gradients of f = 7/12 ≈ 0.583333" in r.stdout
    data = json.loads(bprop("eval", "x/3 + y^2", "x=1", "y=1/2", "--exact", "--json").stdout)
    assert data["value"] == pytest.approx(7 / 12)  # the SPEC's numbers are unchanged
    assert data["exact"]["value"] == {"exact": "7/12", "decimal": pytest.approx(7 / 12)}
    assert data["exact"]["gradients"]["x"]["exact"] == "1/3"


def test_irrational_values_keep_a_decimal_beside() -> None:
    r = bprop("eval", "sigmoid(w*x+b)", "w=2", "x=1", "b=-1", "--exact")
    assert r.returncode == 0, r.stderr
    assert "e/(1 + e)^2" in r.stdout and "0.196612" in r.stdout


def test_latex() -> None:
    r = bprop("eval", "sigmoid(w*x+b)", "--latex")
    assert r.returncode == 0, r.stderr
    assert r"\frac{\partial f}{\partial w} &= x \left(1 - \sigma\left(b + w x\right)\right)" in r.stdout
    assert r.stdout.count(r"\begin{aligned}") == r.stdout.count(r"\end{aligned}") == 3
    r = bprop("eval", "x/3", "x=1", "--latex")
    assert r"\frac{\partial f}{\partial x} &= \frac{1}{3}" in r.stdout


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (("x*y", "x=1"), 2, "bprop eval --symbolic keeps them as symbols"),
        (("x*y", "x=1", "--exact"), 2, "no value given for y"),
        (("x*y", "--check"), 2, "no value given for x, y"),
        (("x*y", "x=1", "--check"), 2, "--check needs a number for every variable: add y=1"),
        (("log(x)", "x=0", "--exact"), 1, "log needs a positive input"),
        (("log(x*y)", "x=0", "--symbolic"), 1, "node f: the value is not finite"),
        (("x*y", "x=1", "q=2", "--symbolic"), 2, "q is not a variable"),
    ],
)
def test_errors(args: tuple[str, ...], code: int, fragment: str) -> None:
    r = bprop("eval", *args)
    assert r.returncode == code and fragment in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_symbolic_refuses_huge_programs_clearly() -> None:
    r = bprop("eval", "+".join(f"x{i}" for i in range(300)), "--symbolic")
    assert r.returncode == 2 and "symbolic and exact traces handle up to" in r.stderr


def test_growing_formulas_are_refused_quickly() -> None:
    deep = "sin(" * 60 + "x" + ")" * 60  # each product holds up to 60 nested cosines
    r = bprop("eval", deep, "--symbolic")
    assert r.returncode == 2 and "too many to show" in r.stderr


# The budget is a SIGALRM; on a loaded machine it can land while Python runs a finalizer, and
# Python reports the exception raised there as "unraisable" instead of passing it on.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_simplify_has_a_time_budget() -> None:
    from bprop_cli.trust.sympy_gates import Simplifier

    x = sympy.Symbol("x", real=True)
    nested = x
    for _ in range(14):  # simplify alone takes over a minute on this
        nested = sympy.sin(nested)
    simplify = Simplifier(0.2)
    derivative = sympy.diff(nested, x)
    assert simplify(derivative) == derivative and simplify.gave_up


def test_a_power_too_large_to_simplify_is_shown_unsimplified() -> None:
    """sin(a)^1e16: sympy's simplify multiplies a list by the exponent and runs out of memory;
    that is an answer left unsimplified, not an internal error (found by the fuzz test below)."""
    from bprop_cli.trust.sympy_gates import Simplifier

    a = sympy.Symbol("a", real=True)
    simplify = Simplifier(3.0)
    derivative = sympy.diff(sympy.sin(a) ** sympy.Integer(10**16), a)
    assert simplify(derivative) == derivative and simplify.gave_up
    r = bprop("eval", "b = sin(a)\nc = b ^ 1e16", "a=0.5", "--exact", env={"COLUMNS": "200"})  # header on one line
    assert r.returncode == 0, r.stderr
    assert "not simplified (out of time or memory)" in r.stdout


def test_simplify_budget_survives_a_lost_alarm(monkeypatch: pytest.MonkeyPatch) -> None:
    """An alarm landing in a finalizer is swallowed ("unraisable"); the next must still stop simplify."""
    import time

    from bprop_cli.trust import sympy_gates

    def swallows_the_first_alarm(x):  # type: ignore[no-untyped-def]
        try:
            time.sleep(5)
        except sympy_gates._OutOfTime:
            pass  # what a finalizer does with it
        time.sleep(5)
        return x

    monkeypatch.setattr(sympy_gates.sympy, "simplify", swallows_the_first_alarm)
    simplify = sympy_gates.Simplifier(0.1)
    started = time.monotonic()
    x = sympy.Symbol("x")
    assert simplify(x) == x and simplify.gave_up
    assert time.monotonic() - started < 4
