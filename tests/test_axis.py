"""Reductions along an axis: sum(X, axis=0), mean, max, min and logsumexp, with keepdims.

Checked against NumPy and hand-written gradients (the reference below is written from the
definitions, not from bprop's rules), against central differences on generated programs over
random shapes, and against --scalarize, which lowers each line's reduction to scalar gates.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import bprop
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bprop_cli import BpropError
from bprop_cli.engine.run import run

REDUCTIONS = ("sum", "mean", "max", "min", "logsumexp")


def reference(name: str, x: np.ndarray, axis: int, keep: bool) -> tuple[np.ndarray, np.ndarray]:
    """(the reduction, d sum(reduction * u) / dx for u = 1), from the definitions: a sum's every
    entry counts once, a mean's 1/n, a max's or min's winners share the line's 1, and logsumexp's
    entries exp(x) / sum(exp(x)) of their line."""
    n = x.shape[axis]
    if name == "sum":
        value, grad = x.sum(axis=axis, keepdims=True), np.ones_like(x)
    elif name == "mean":
        value, grad = x.sum(axis=axis, keepdims=True) / n, np.full_like(x, 1.0 / n)
    elif name in ("max", "min"):
        value = x.max(axis=axis, keepdims=True) if name == "max" else x.min(axis=axis, keepdims=True)
        winners = (x == value).astype(float)
        grad = winners / winners.sum(axis=axis, keepdims=True)
    else:
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        value = np.log(e.sum(axis=axis, keepdims=True)) + x.max(axis=axis, keepdims=True)
        grad = e / e.sum(axis=axis, keepdims=True)
    return (value if keep else np.squeeze(value, axis=axis)), grad


def program(name: str, axis: int, keep: bool, method: bool = False) -> str:
    extra = ", keepdims=true" if keep else ""
    return f"sum(X.{name}(axis={axis}{extra}))" if method else f"sum({name}(X, axis={axis}{extra}))"


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", [0, 1, -1, -2])
@pytest.mark.parametrize("keep", [False, True])
def test_each_reduction_against_the_reference(name: str, axis: int, keep: bool) -> None:
    x = np.array([[1.0, 8.0, -2.0], [4.0, 4.0, 0.5]])  # a tie in the second row
    value, grad = reference(name, x, axis, keep)
    trace = run(f"{name}(X, axis={axis}" + (", keepdims=true)" if keep else ")"), {"X": x}, seed=np.ones(value.shape))
    assert np.shape(trace.value) == value.shape
    assert np.allclose(trace.value, value, rtol=1e-15, atol=0)
    assert np.allclose(trace.gradients["X"], grad, rtol=1e-14, atol=1e-16)
    # the method form, as NumPy's methods are written, is the same program
    method = run(program(name, axis, keep, method=True), {"X": x})
    assert method.value == pytest.approx(float(np.sum(value)), rel=1e-15)
    assert np.array_equal(method.gradients["X"], trace.gradients["X"])


def test_logsumexp_of_every_entry_and_of_huge_values() -> None:
    x = np.array([[1000.0, 999.0], [-1000.0, 998.0]])  # exp(1000) overflows: the max is shifted out
    trace = run("logsumexp(X)", {"X": x})
    e = np.exp(x - 1000.0)
    assert trace.value == pytest.approx(1000.0 + np.log(e.sum()), rel=1e-15)
    assert np.allclose(trace.gradients["X"], e / e.sum(), rtol=1e-13, atol=1e-300)
    rows = run("sum(logsumexp(X, axis=1))", {"X": x})
    assert np.isfinite(rows.value) and np.allclose(rows.gradients["X"].sum(axis=1), 1.0, rtol=1e-15)


def test_cross_entropy_from_logsumexp_is_softmax_minus_the_targets() -> None:
    """The batch cross-entropy written with the new reductions, as the makemore exercise writes
    it: its gradient is (softmax(Z) - Y) / n, the identity the CS231n notes derive."""
    rng = np.random.default_rng(3)
    z = rng.normal(size=(4, 3))
    y = np.eye(3)[[0, 2, 1, 2]]
    trace = run("mean(logsumexp(Z, axis=1) - sum(Z * Y, axis=1))", {"Z": z, "Y": y})
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert trace.value == pytest.approx(-np.mean(np.log(p[y == 1])), rel=1e-14)
    assert np.allclose(trace.gradients["Z"], (p - y) / 4, rtol=1e-13, atol=1e-16)
    shifted = run("mean(logsumexp(Z - Z.max(1, keepdims=true), axis=1) - sum((Z - Z.max(1, keepdims=true)) * Y, axis=1))",
                  {"Z": z, "Y": y})
    assert shifted.value == pytest.approx(trace.value, rel=1e-14)
    assert np.allclose(shifted.gradients["Z"], trace.gradients["Z"], rtol=1e-12, atol=1e-15)


shapes = st.one_of(st.tuples(st.integers(1, 4)), st.tuples(st.integers(1, 4), st.integers(1, 4)))


@st.composite
def cases(draw):  # type: ignore[no-untyped-def]
    shape = draw(shapes)
    name = draw(st.sampled_from(REDUCTIONS))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    keep = draw(st.booleans())
    # small whole numbers make ties, which max and min must split as the scalar max gate does
    entries = st.integers(-3, 3).map(float) if draw(st.booleans()) else st.floats(-4, 4, allow_subnormal=False)
    x = np.array(draw(st.lists(entries, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))).reshape(shape)
    return name, axis, keep, x


def _weighted(name: str, axis: int, keep: bool) -> str:
    """A program whose output weighs each entry of the reduction differently (so that a gradient
    sent to the wrong line shows), then squashes it with tanh (so the upstream is not constant)."""
    extra = ", keepdims=true" if keep else ""
    return f"r = {name}(X, axis={axis}{extra}); sum(tanh(r * U))"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.integers(0, 2**32 - 1))
def test_generated_reductions_against_central_differences_and_scalarize(case, seed: int) -> None:  # type: ignore[no-untyped-def]
    name, axis, keep, x = case
    value, _ = reference(name, x, axis, keep)
    u = np.random.default_rng(seed).normal(size=value.shape) if value.shape else float(np.random.default_rng(seed).normal())
    source = _weighted(name, axis, keep)
    trace = run(source, {"X": x, "U": u})
    assert trace.value == pytest.approx(float(np.sum(np.tanh(value * u))), rel=1e-12, abs=1e-12)
    grad = np.asarray(trace.gradients["X"])
    if name in ("max", "min"):  # not differentiable at a tie: the reference's even split instead
        winners = np.broadcast_to(np.expand_dims(value, axis) if not keep else value, x.shape) == x
        up = (1 - np.tanh(value * u) ** 2) * u
        up = np.broadcast_to(np.expand_dims(up, axis) if not keep else up, x.shape)
        share = winners / winners.sum(axis=axis, keepdims=True)
        assert np.allclose(grad, up * share, rtol=1e-12, atol=1e-14)
    else:
        h = 1e-6
        for index in np.ndindex(x.shape):
            plus, minus = x.copy(), x.copy()
            plus[index] += h
            minus[index] -= h
            numeric = (run(source, {"X": plus, "U": u}).value - run(source, {"X": minus, "U": u}).value) / (2 * h)
            assert grad[index] == pytest.approx(numeric, rel=1e-5, abs=1e-7)
    scalar = run(source, {"X": x, "U": u}, scalarize=True)
    assert scalar.value == pytest.approx(trace.value, rel=1e-12, abs=1e-14)
    for index in np.ndindex(x.shape):
        entry = "X" + "".join(f"[{k}]" for k in index)
        assert scalar.gradients[entry] == pytest.approx(grad[index], rel=1e-9, abs=1e-12), entry


@pytest.mark.parametrize("source, words", [
    ("sum(X, axis=2)", "it has no axis 2 (its axes are 0 and 1, or -2 and -1 from the end)"),
    ("sum(v, axis=1)", "it has no axis 1 (its one axis is 0, or -1)"),
    ("sum(x, axis=0)", "a number has no axes (leave out axis=)"),
    ("sum(X, axis=0.5)", "axis= takes a whole number"),
    ("sum(X, axis=x)", "axis= takes a number or true/false as written"),
    ("sum(X, axis=0+1)", "axis= takes a number or true/false as written"),
    ("sum(X, keepdims=true)", "keepdims= needs axis="),
    ("sum(X, axis=0, keepdims=2)", "keepdims= takes true or false"),
    ("sum(X, axis=0, axis=1)", "axis= is given twice"),
    ("sum(X, axis=0, foo=1)", "unknown keyword foo="),
    ("relu(X, axis=0)", "relu() takes no keyword arguments"),
    ("max(X, X, axis=0)", "max(..., axis=) takes one array, got 2"),
    ("sum(axis=0, X)", "an argument after a keyword must be a keyword too"),
    ("sum(X, 0)", "sum(A, axis=0) each column"),
    ("sum(X.sum(1, 2))", "expected a keyword"),
])
def test_a_reduction_written_wrong_is_one_clear_error(source: str, words: str) -> None:
    values = [v for v in ("X=[[1,2],[3,4]]", "v=[1,2]", "x=3") if f"{v[0]}" in source.replace("axis", "").replace("max", "")]
    r = bprop("eval", source, *values)
    assert r.returncode == 2 and words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") <= 4


def test_a_reduction_of_a_constant_number_is_an_evaluation_error() -> None:
    r = bprop("eval", "sum(2, axis=0) + x", "x=3")
    assert r.returncode == 1 and "sum(..., axis=) needs an array: a number has no axes" in r.stderr


def test_the_walkthrough_and_every_format_name_the_axis() -> None:
    args = ("sum(max(X, axis=1) * w)", "X=[[1,8],[4,2]]", "w=[1,-1]")
    data = json.loads(bprop("eval", *args, "--json").stdout)
    node = next(n for n in data["nodes"] if n["op"] == "max_axis")
    assert node["value"] == [8.0, 4.0] and node["grad"] == [1.0, -1.0]
    assert data["gradients"]["X"] == [[0.0, 1.0], [-1.0, 0.0]]
    explain = bprop("explain", *args).stdout
    assert "v1 = max(X, axis=1) = max([[1, 8], [4, 2]], axis=1) = [8, 4]" in explain
    assert "to the largest entry of each line along axis 1" in explain
    for fmt in ("table", "markdown", "csv"):
        r = bprop("eval", *args, "--format", fmt)
        assert r.returncode == 0 and "max(X, axis=1)" in r.stdout, fmt
    assert "max axis=1" in bprop("graph", *args).stdout


def test_check_agrees_on_a_reduction() -> None:
    r = bprop("eval", "sum(logsumexp(X, axis=0, keepdims=true) * X)", "X=[[1,8],[4,2]]", "--check", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["check"]["passed"]


def test_every_reduction_has_a_lesson_that_runs() -> None:
    for name in REDUCTIONS:
        r = bprop("explain", f"{name}_axis")
        assert r.returncode == 0 and f"{name}(X, axis=k)" in r.stdout, r.stderr
    with pytest.raises(BpropError):
        run("sum(X, axis=1)", {"X": np.ones(3)})


WORDS = ["sum", "max", "mean", "logsumexp", "pick", "cross_entropy", "relu", "(", ")", ",", "X", "y", "axis", "=",
         "keepdims", "true", "False", "0", "1", "-1", "2", "-", "+", "*", ".", " ", "\n", ";", "x", "1.5"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=14))
def test_any_mix_of_calls_and_keywords_runs_or_is_a_bprop_error(words: list[str]) -> None:
    """Keywords in calls and methods, in any order and any state of completion: a result or one
    of bprop's errors, never a crash (the parser's keyword paths and the label and axis gates)."""
    try:
        run("".join(words), {"X": np.array([[1.0, 2.0], [3.0, 0.0]]), "y": np.array([1.0, 0.0]), "x": 2.0})
    except BpropError:
        pass
