"""The gradient as a vector (|∇f| and its direction), nudges, and --check's step options:
against the Medium article's figures, hand arithmetic and hypothesis-made points."""

from __future__ import annotations

import json
import math

import pytest
from conftest import bprop
from hypothesis import given, settings
from hypothesis import strategies as st

from bprop_cli.engine.geometry import geometry, norm
from bprop_cli.engine.graph import compile_program
from bprop_cli.engine.nudge import nudge
from bprop_cli.engine.run import run

POLY = ("3*x^2 + 2*x*y + y^2", "x=1", "y=2")  # the article's ∇f(1,2) = (10, 6), |∇f| = 11.66


def test_gradient_norm_of_the_articles_example_in_every_view() -> None:
    data = json.loads(bprop("eval", *POLY, "--json").stdout)
    assert data["gradients"] == {"x": 10.0, "y": 6.0}
    assert data["gradient_norm"] == pytest.approx(math.sqrt(136))
    assert round(data["gradient_norm"], 2) == 11.66
    assert data["gradient_direction"] == pytest.approx({"x": 10 / math.sqrt(136), "y": 6 / math.sqrt(136)})
    table = bprop("eval", *POLY).stdout
    assert "|∇f| = 11.6619 over the inputs (x, y)" in table
    assert "unit direction of steepest ascent: x 0.857493, y 0.514496" in table
    plain = bprop("eval", *POLY, "--format", "plain").stdout.splitlines()
    assert f"norm\t{math.sqrt(136)!r}" in plain
    assert "\\|∇f\\| = 11.6619" in bprop("eval", *POLY, "--format", "markdown").stdout


def test_params_take_the_norm_over_the_parameters_and_list_the_data_apart() -> None:
    args = ("w1*x1 + w2*x2 + b", "w1=0.5", "x1=2", "w2=-1", "x2=3", "b=0.1", "--params", "w1,w2,b")
    data = json.loads(bprop("eval", *args, "--json").stdout)
    assert data["params"] == ["w1", "w2", "b"] and data["data"] == ["x1", "x2"]
    assert data["gradient_norm"] == pytest.approx(math.sqrt(2**2 + 3**2 + 1))  # dL/dw = x, dL/db = 1
    assert set(data["gradient_direction"]) == {"w1", "w2", "b"}
    table = bprop("eval", *args).stdout
    assert "over the parameters (w1, w2, b)" in table and "data (held fixed, not parameters): x1, x2" in table
    plain = bprop("eval", *args, "--format", "plain").stdout.splitlines()
    assert "data\tx1" in plain and "param\tb" in plain


def test_params_must_name_inputs() -> None:
    r = bprop("eval", "w*x", "w=1", "x=2", "--params", "w,wx")
    assert r.returncode == 2 and "'wx'" in r.stderr and "Traceback" not in r.stderr


def test_zero_gradient_has_no_direction() -> None:
    g = geometry({"x": 0.0, "y": 0.0})
    assert g.norm == 0 and g.direction is None
    assert "no direction" in " ".join(g.describe("f", str))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e200, 1e200, allow_nan=False), min_size=1, max_size=6))
def test_norm_is_the_euclidean_length_without_overflow(xs: list[float]) -> None:
    grads = {f"x{i}": x for i, x in enumerate(xs)}
    assert norm(grads) == pytest.approx(math.hypot(*xs), rel=1e-12)
    g = geometry(grads)
    if g.direction is not None:
        assert math.hypot(*g.direction.values()) == pytest.approx(1.0, rel=1e-12)


def test_nudge_of_an_intermediate_recomputes_its_downstream() -> None:
    args = ("u = b*c; v = a + u; J = 3*v", "a=5", "b=3", "c=2", "--nudge", "v=0.001")
    data = json.loads(bprop("eval", *args, "--json").stdout)["nudges"][0]
    assert data["before"] == 33.0 and data["after"] == pytest.approx(33.003, abs=1e-12)
    assert data["predicted"] == pytest.approx(0.003) and data["gradient"] == 3.0
    text = bprop("eval", *args).stdout
    assert "J: 33 -> 33.003" in text and "dJ/dv * h = 3 * 0.001 = 0.003" in text


@settings(max_examples=30, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(1e-4, 1e-2))
def test_nudge_matches_rerunning_with_the_input_moved(x: float, y: float, h: float) -> None:
    program = "q = x*y + sin(x); f = q^2 + y"
    trace = run(program, {"x": x, "y": y})
    n = nudge(compile_program(program), {"x": x, "y": y}, trace, "x", h)
    assert n.after == run(program, {"x": x + h, "y": y}).value
    # the intermediate q moved by h: f changes by (q+h)^2 - q^2 exactly
    q = trace.node("q").value
    m = nudge(compile_program(program), {"x": x, "y": y}, trace, "q", h)
    assert m.change == pytest.approx((q + h) ** 2 - q**2, rel=1e-9, abs=1e-12)
    assert m.predicted == pytest.approx(2 * q * h)


def test_nudge_errors_are_one_line() -> None:
    r = bprop("eval", "u = x*2; f = u^2", "x=1", "--nudge", "uu=0.1")
    assert r.returncode == 2 and "did you mean 'u'" in r.stderr
    r = bprop("eval", "log(x)", "x=1", "--nudge", "x=-1")
    assert r.returncode == 1 and "nudged by -1" in r.stderr and "Traceback" not in r.stderr
    r = bprop("eval", "x^2", "x=1", "--nudge", "x")
    assert r.returncode == 2 and "NAME=h" in r.stderr


def test_forward_difference_with_an_absolute_step_and_intermediates() -> None:
    # J = (2 + 3w)^2 at w = 3 with h = 0.001: (J(w+h) - J(w))/h = 66.009, and for a = 11: 22.001
    r = bprop("eval", "a = 2 + 3*w; J = a^2", "w=3", "--check", "--eps", "0.001", "--difference", "forward",
              "--nodes", "--json")
    check = json.loads(r.stdout)["check"]
    assert check["difference"] == "forward" and check["eps"] == 0.001
    assert check["gradients"]["w"]["numeric"] == pytest.approx(((11.003**2) - 121) / 0.001, rel=1e-9)
    assert check["gradients"]["w"]["numeric"] == pytest.approx(66.009, rel=1e-9)
    assert check["gradients"]["a"]["numeric"] == pytest.approx(22.001, rel=1e-9)
    central = json.loads(bprop("eval", "a = 2 + 3*w; J = a^2", "w=3", "--check", "--eps", "0.001", "--json").stdout)
    assert central["check"]["gradients"]["w"]["numeric"] == pytest.approx(66.0, rel=1e-9)  # exact for a quadratic
    assert "a" not in central["check"]["gradients"]


def test_check_step_options_need_check() -> None:
    r = bprop("eval", "x^2", "x=3", "--eps", "0.001")
    assert r.returncode == 2 and "--check" in r.stderr
    r = bprop("eval", "x^2", "x=3", "--check", "--eps", "-1")
    assert r.returncode == 2 and "positive" in r.stderr
