"""--scalarize against the array engine where numbers are extreme: softmax of large or very
negative logits, sums, means, mse and matrix products of large entries. Wherever the array
engine answers, the scalar gates must answer too, with the same value and gradients; both are
run as a user runs them (`bprop eval ... --json`, with and without --scalarize)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import assert_json_invariants, bprop
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st


def _softmax_dot(x: list[float], c: list[float]) -> tuple[float, np.ndarray, np.ndarray]:
    """softmax(x) @ c and its gradients, by hand in NumPy (the max subtracted, as one must)."""
    x_, c_ = np.array(x), np.array(c)
    p = np.exp(x_ - x_.max())
    p /= p.sum()
    f = float(p @ c_)
    return f, p * (c_ - f), p  # df/dx = p (c - f), df/dc = p


@pytest.mark.parametrize("x", [[800.0, 0.0], [-800.0, -801.0], [1000.0, 1000.0], [1.0, 2.0]],
                         ids=["large", "very-negative", "tied-large", "ordinary"])
def test_scalarized_softmax_of_extreme_logits_answers(x: list[float]) -> None:
    c = [1.0, 2.0]
    r = bprop("eval", "--scalarize", "--json", "softmax(x) @ c", f"x={json.dumps(x)}", f"c={json.dumps(c)}")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert_json_invariants(data)
    f, dx, dc = _softmax_dot(x, c)
    assert data["value"] == pytest.approx(f, rel=1e-12)
    got = data["gradients"]
    np.testing.assert_allclose([got["x[0]"], got["x[1]"]], dx, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose([got["c[0]"], got["c[1]"]], dc, rtol=1e-9, atol=1e-15)


def test_the_shift_is_a_visible_gate_of_the_walkthrough() -> None:
    r = bprop("explain", "--scalarize", "softmax(x) @ c", "x=[800,0]", "c=[1,2]")
    assert r.returncode == 0, r.stderr
    assert "max(x[0], x[1]) = max(800, 0) = 800" in r.stdout
    assert "x[1] - v1 = 0 - 800 = -800" in r.stdout


# -- the property: both engines agree wherever the array engine answers -----------------------

EXTREME = st.sampled_from([800.0, -800.0, -801.0, 1000.0, -1000.0, 710.0, 1e-300, 0.0, 1e6, -3e5])
ORDINARY = st.floats(-2, 2, allow_nan=False)
ENTRY = st.one_of(EXTREME, ORDINARY)
UNARY = ["softmax", "tanh", "sigmoid", "exp", "-"]


def _value(shape: tuple[int, ...]):  # type: ignore[no-untyped-def]
    size = int(np.prod(shape)) if shape else 1
    return st.lists(ENTRY, min_size=size, max_size=size).map(lambda xs: np.array(xs).reshape(shape).tolist())


@st.composite
def programs(draw):  # type: ignore[no-untyped-def]
    """A program over A (m x n), u (n), v (m) and s, reduced to one number by sum, mean, mse or @."""
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pool: list[tuple[str, tuple[int, ...]]] = [("A", (m, n)), ("u", (n,)), ("v", (m,)), ("s", ())]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["unary", "unary", "binary", "matmul"]))
        text, shape = draw(st.sampled_from(pool))
        if kind == "unary":
            f = draw(st.sampled_from(UNARY))
            if f == "softmax" and not shape:
                continue
            pool.append((f"-({text})" if f == "-" else f"{f}({text})", shape))
        elif kind == "binary":
            same = [(t, s) for t, s in pool if s == shape or s == () or shape == ()]
            other, other_shape = draw(st.sampled_from(same))
            op = draw(st.sampled_from(["+", "-", "*"]))
            pool.append((f"({text} {op} {other})", shape or other_shape))
        else:
            fits = [(t, s) for t, s in pool if s and shape and shape[-1] == s[0] and len(shape) + len(s) <= 3]
            if fits:
                other, other_shape = draw(st.sampled_from(fits))
                pool.append((f"({text} @ {other})", shape[:-1] + other_shape[1:]))
    body, shape = pool[-1]
    ends = ["sum", "mean", "mse"] + (["@"] if len(shape) == 1 else [])
    end = draw(st.sampled_from(ends))
    if end == "mse":
        partners = [t for t, s in pool if s == shape or s == ()]
        program = f"mse({body}, {draw(st.sampled_from(partners))})"
    elif end == "@":
        partners = [t for t, s in pool if s == shape]
        program = f"{body} @ {draw(st.sampled_from(partners))}"
    else:
        program = f"{end}({body})"
    values = {"A": draw(_value((m, n))), "u": draw(_value((n,))), "v": draw(_value((m,))), "s": draw(_value(()))}
    return program + " + 0*(sum(A) + sum(u) + sum(v) + s)", values


def _flat(x: object) -> np.ndarray:
    return np.ravel(np.asarray(x, dtype=float))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
@example(("softmax(u) @ v + 0*(sum(A) + sum(u) + sum(v) + s)",
          {"A": [[0.0]], "u": [800.0, 0.0], "v": [1.0, 2.0], "s": 0.0}))
@example(("sum(softmax(A) * A) + 0*(sum(A) + sum(u) + sum(v) + s)",
          {"A": [[-800.0, -801.0], [1000.0, 0.0]], "u": [0.0, 0.0], "v": [1.0, 2.0], "s": 0.0}))
@example(("mse(softmax(u), v) + mean(A @ u) + 0*(sum(A) + sum(u) + sum(v) + s)",
          {"A": [[1e6, -3e5]], "u": [-1000.0, -800.0], "v": [1.0], "s": 0.0}))
def test_scalarize_agrees_with_the_array_engine_at_extreme_values(case) -> None:  # type: ignore[no-untyped-def]
    program, values = case
    given_values = [f"{k}={json.dumps(v)}" for k, v in values.items()]
    arrays = bprop("eval", "--json", program, *given_values)
    scalars = bprop("eval", "--json", "--scalarize", program, *given_values)
    assert scalars.returncode in (0, 1) and "Traceback" not in scalars.stderr, scalars.stderr
    if arrays.returncode != 0:  # the array engine refused (an overflow, say): nothing to compare
        assert arrays.returncode == 1 and "Traceback" not in arrays.stderr, arrays.stderr
        return
    assert scalars.returncode == 0, f"the array engine answers, --scalarize does not: {scalars.stderr}"
    a, s = json.loads(arrays.stdout), json.loads(scalars.stdout)
    # Both sum the same terms in different orders: allow rounding at the scale of the numbers met.
    size = max(max(float(np.abs(_flat(node["value"])).max(initial=0)) for node in a["nodes"]), 1.0)
    slope = max(max(float(np.abs(_flat(node["grad"])).max(initial=0)) for node in a["nodes"]), 1.0)
    assert s["value"] == pytest.approx(a["value"], rel=1e-9, abs=1e-12 * size)
    for name, grad in a["gradients"].items():
        grad = np.asarray(grad, dtype=float)
        for index in np.ndindex(grad.shape):
            entry = name + "".join(f"[{k}]" for k in index)
            assert s["gradients"][entry] == pytest.approx(grad[index], rel=1e-9, abs=1e-12 * size * slope), entry
