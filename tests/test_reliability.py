"""Regression tests for the reliability fixes: gradients at the edges of double precision,
output that cannot be written or encoded, batch rows that must not vanish, consistent input
handling (issue: exact gates, no terminal injection, no traceback when output fails)."""

from __future__ import annotations

import math

import mpmath
import pytest

from bprop_cli import BpropError, run


def _true(fn, *xs: float) -> float:  # type: ignore[no-untyped-def]
    with mpmath.workdps(50):
        return float(fn(*map(mpmath.mpf, xs)))


@pytest.mark.parametrize("x, y", [(1e-150, 1e-160), (1e-200, 1e-200), (0.0, 1e-200), (1e-320, 1e-10), (3.0, -1e-150)])
def test_div_gradient_for_small_denominators(x: float, y: float) -> None:
    trace = run("x/y", {"x": x, "y": y})
    assert trace.gradients["x"] == pytest.approx(_true(lambda a, b: 1 / b, x, y), rel=1e-14)
    assert trace.gradients["y"] == pytest.approx(_true(lambda a, b: -a / b**2, x, y), rel=1e-14, abs=0)


@pytest.mark.parametrize("c", ["1e16", "1e17", "9007199254740994"])
def test_huge_even_power_keeps_the_sign(c: str) -> None:
    assert run(f"x^{c}", {"x": -1.0}).gradients["x"] == -float(c)


def test_variable_power_with_a_subnormal_base() -> None:
    trace = run("x^y", {"x": 1e-320, "y": 1e-300})
    x = trace.inputs["x"]  # the subnormal double nearest 1e-320
    assert trace.value == 1.0
    assert trace.gradients["x"] == pytest.approx(_true(lambda a, b: b * a ** (b - 1), x, 1e-300), rel=1e-12)
    assert trace.gradients["y"] == pytest.approx(_true(lambda a, b: a**b * mpmath.log(a), x, 1e-300), rel=1e-12)


@pytest.mark.parametrize("fn, ref", [
    ("sigmoid", lambda a: mpmath.exp(-a) / (1 + mpmath.exp(-a)) ** 2),
    ("tanh", lambda a: mpmath.sech(a) ** 2),
])
@pytest.mark.parametrize("x", [30.0, -30.0, 15.0, 300.0])
def test_saturated_derivatives_keep_relative_precision(fn: str, ref, x: float) -> None:  # type: ignore[no-untyped-def]
    assert run(f"{fn}(x)", {"x": x}).gradients["x"] == pytest.approx(_true(ref, x), rel=1e-13)
