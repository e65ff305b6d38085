"""The engine against the seeds' published numbers, closed forms, and SPEC §4/§5 rules."""

from __future__ import annotations

import math

import pytest
from conftest import assert_json_invariants

from bprop_cli import EvalError
from bprop_cli.engine.run import run
from bprop_cli.errors import NameResolutionError, ParseError, ValueBindingError

SEED_CASES = [
    pytest.param("(x+y)*z", {"x": -2, "y": 5, "z": -4}, -12, {"x": -4, "y": -4, "z": 3}, id="cs231n"),
    pytest.param("x1*x2 + c", {"x1": 2, "x2": 5, "c": 3}, 13, {"x1": 5, "x2": 2, "c": 1}, id="x1x2c"),
    pytest.param(
        "1/(1+exp(-(w0*x0+w1*x1+w2)))", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}, 0.7311,
        {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966}, id="sigmoid-neuron",
    ),
    pytest.param(
        "sigmoid(w0*x0+w1*x1+w2)", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}, 0.7311,
        {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966}, id="sigmoid-fused",
    ),
    pytest.param(
        "e = a*b; d = e + c; L = d*f", {"a": 2, "b": -3, "c": 10, "f": -2}, -8,
        {"a": 6, "b": -4, "c": -2, "f": 4}, id="micrograd-lecture",
    ),
]


@pytest.mark.parametrize("program, at, value, grads", SEED_CASES)
def test_seed_numbers(program: str, at: dict, value: float, grads: dict) -> None:
    trace = run(program, at)
    assert trace.value == pytest.approx(value, abs=5e-5)
    assert trace.gradients == pytest.approx(grads, abs=5e-5)


def test_named_intermediate_gradient() -> None:
    trace = run("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4})
    q = trace.node("q")
    assert (q.value, q.grad) == (3, -4)  # SPEC §8: via q = x+y = 3, df/dq = -4


def test_sigmoid_neuron_intermediate_chain_of_seed_000() -> None:
    trace = run("1/(1+exp(-(w0*x0+w1*x1+w2)))", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
    products = [round(s.product, 2) for s in trace.backward]
    # seed 000: -1/(1.37^2) = -0.53, +1 keeps -0.53, exp gives -0.2, *-1 gives 0.2, ... dx0 = 0.4
    assert products[:4] == [-0.53, -0.53, -0.2, 0.2]
    assert round(trace.gradients["x0"], 1) == 0.4


def test_fan_out_adds() -> None:
    trace = run("x*x + x", {"x": 3})
    assert trace.gradients == {"x": 7.0}  # 2x + 1
    into_x = [s for s in trace.backward if s.input == "x"]
    assert len(into_x) == 3
    assert [s.total for s in into_x][-1] == sum(s.product for s in into_x) == 7.0


def test_reassignment_sees_newest_value() -> None:
    trace = run("y = x * 2\ny = y * y\ny + x", {"x": 3})
    assert trace.value == 39  # (2x)^2 + x
    assert trace.gradients == {"x": 8 * 3 + 1}
    assert [n.id for n in trace.nodes if n.op != "const"] == ["x", "y", "y@2", "f"]


def test_constant_can_be_shadowed() -> None:
    trace = run("e = c - d; e * 2", {"c": 5, "d": 1})
    assert trace.value == 8 and trace.gradients == {"c": 2, "d": -2}
    assert run("e * x", {"x": 1}).value == pytest.approx(math.e)


def test_constant_exponent_needs_no_log() -> None:
    trace = run("x^2", {"x": -3})
    assert (trace.value, trace.gradients["x"]) == (9, -6)
    assert run("x^3", {"x": -2}).gradients["x"] == 12
    assert run("x^(1/2)", {"x": 4}).gradients["x"] == pytest.approx(0.25)


def test_variable_exponent() -> None:
    trace = run("x^y", {"x": 2, "y": 3})
    assert trace.value == 8
    assert trace.gradients == pytest.approx({"x": 12, "y": 8 * math.log(2)})
    assert run("2^y", {"y": 3}).gradients["y"] == pytest.approx(8 * math.log(2))


def test_kinks_are_marked() -> None:
    trace = run("relu(x) + abs(y) + max(x, y)", {"x": 0, "y": 0})
    notes = [n.op for n in trace.nodes if n.note]
    assert notes == ["relu", "abs", "max"]
    assert trace.gradients == {"x": 0.5, "y": 0.5}


def test_seed_gradient_scales_everything() -> None:
    trace = run("(x+y)*z", {"x": -2, "y": 5, "z": -4}, seed=2.0)
    assert trace.gradients == {"x": -8, "y": -8, "z": 6}


def test_values_may_be_constant_expressions() -> None:
    trace = run("w * x", {"w": "-pi/4", "x": "1/3"})
    assert trace.inputs == pytest.approx({"w": -math.pi / 4, "x": 1 / 3})


@pytest.mark.parametrize(
    "program, at, fragment",
    [
        ("log(x)", {"x": 0}, "log needs a positive input"),
        ("log(x)", {"x": -1}, "log needs a positive input"),
        ("sqrt(x)", {"x": -1}, "sqrt needs a non-negative input"),
        ("1/x", {"x": 0}, "division by zero"),
        ("x^0.5", {"x": -1}, "negative base under a non-integer exponent"),
        ("exp(x)", {"x": 1000}, "overflow"),
        ("x^9^9", {"x": 9}, "overflow"),
        ("exp(exp(exp(x)))", {"x": 10}, "overflow"),
        ("sqrt(x)", {"x": 0}, "local derivative with respect to x is infinite"),
        ("x^y", {"x": -2, "y": 2}, "needs a positive base"),
        ("x * 1e308 * 10", {"x": 1}, "overflow"),
    ],
)
def test_evaluation_errors_name_the_node(program: str, at: dict, fragment: str) -> None:
    with pytest.raises(EvalError) as info:
        run(program, at)
    assert fragment in info.value.message
    assert info.value.message.startswith("node ")
    assert info.value.span is not None


def test_constant_errors_are_evaluation_errors() -> None:
    with pytest.raises(EvalError, match="division by zero"):
        run("x + 1/0", {"x": 1})
    with pytest.raises(EvalError, match="overflow"):
        run("9^9^9 + x", {"x": 1})


@pytest.mark.parametrize(
    "program, at, error, fragment",
    [
        ("x + y", {"x": 1}, ValueBindingError, "no value given for y"),
        ("x + y", {"x": 1, "y": 2, "zz": 3}, ValueBindingError, "zz is not a variable"),
        ("x1 + x2", {"x1": 1, "x3": 2}, ValueBindingError, "x3 is not a variable"),
        ("x", {"x": 1, "pi": 3}, ValueBindingError, "pi is a constant"),
        ("x", {"x": "y+1"}, ValueBindingError, "must be a number or a constant expression"),
        ("x", {"x": "abc("}, ValueBindingError, "is not a number"),
        ("sigmod(x)", {"x": 1}, NameResolutionError, "unknown function 'sigmod'"),
        ("exp(x, x)", {"x": 1}, ParseError, "exp takes 1 argument, got 2"),
        ("max(x)", {"x": 1}, ParseError, "max needs two or more arguments"),
        ("exp + x", {"x": 1}, NameResolutionError, "exp is a function"),
        ("exp = x", {"x": 1}, NameResolutionError, "exp is a function and cannot be assigned"),
    ],
)
def test_usage_errors(program: str, at: dict, error: type, fragment: str) -> None:
    with pytest.raises(error) as info:
        run(program, at)
    assert fragment in info.value.message
    assert info.value.status == 2


def test_did_you_mean() -> None:
    with pytest.raises(NameResolutionError) as info:
        run("sigmod(x)", {"x": 1})
    assert info.value.hint == "did you mean sigmoid?"
    with pytest.raises(NameResolutionError) as info:
        run("ln(x)", {"x": 1})
    assert info.value.hint == "write log"
    with pytest.raises(ValueBindingError) as info:
        run("x1 + x2", {"x1": 1, "x3": 2})
    assert info.value.hint == "did you mean x2?"  # the variable still without a value


def test_deep_chain_has_no_recursion_limit() -> None:
    n = 100_000
    program = "y = x\n" + "y = y * 1.0001\n" * n + "y"
    trace = run(program, {"x": 2})
    assert trace.gradients["x"] == pytest.approx(1.0001**n, rel=1e-9)


def test_wide_fan_out() -> None:
    n = 100_000
    trace = run("+".join(["x*x"] * n), {"x": 3})
    assert trace.value == pytest.approx(9 * n)
    assert trace.gradients["x"] == pytest.approx(6 * n)


def test_deeply_nested_program() -> None:
    depth = 10_000
    trace = run("(" * depth + "x*2" + ")" * depth, {"x": 1})
    assert trace.gradients == {"x": 2}
    trace = run("-" * depth + "x", {"x": 1})
    assert trace.gradients == {"x": 1.0}  # an even number of negations


def test_json_invariants() -> None:
    trace = run("a = x*y; b = a + x; sigmoid(b) * a - max(x, y)", {"x": 0.5, "y": -1.5})
    assert_json_invariants(trace.to_dict())


def test_a_nan_local_derivative_is_called_nan(monkeypatch: pytest.MonkeyPatch) -> None:
    """No built-in scalar gate gives a NaN local derivative inside its domain, so one is swapped in."""
    from bprop_cli.gates import registry as gates

    monkeypatch.setitem(gates.GATES, "tanh", gates.GATES["tanh"]._replace(local=lambda a, out: (math.nan,)))
    with pytest.raises(EvalError) as info:
        run("h = tanh(x); f = 2*h", {"x": 1})
    assert info.value.message == "node h = tanh(x): the local derivative with respect to x is not a number (NaN) (x = 1)"
    with pytest.raises(EvalError, match="with respect to x is infinite"):  # an infinite one is still infinite
        run("sqrt(x)", {"x": 0})


def test_a_nan_local_derivative_of_an_array_gate_is_called_nan() -> None:
    # d(x^y)/dy = x^y log x: at x = -1 it is not a real number (the scalar gate refuses such a base outright)
    with pytest.raises(EvalError) as info:
        run("sum(x^y)", {"x": "[-1, 1]", "y": "[2, 1]"})
    message = info.value.message
    assert message.startswith("node v1 = x^y: the local derivative with respect to y is not a number (NaN) at entry [0]")
    assert "needs a positive base" in message and "x = -1, y = 2" in message and "infinite" not in message
    with pytest.raises(EvalError, match=r"respect to x is infinite at entry \[1\]"):
        run("sum(sqrt(x))", {"x": "[1, 0]"})
