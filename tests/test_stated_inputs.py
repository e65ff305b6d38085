"""A name a program first assigns a number is an input with that value (docs/design.md), as
the micrograd lecture and the CS231n notes write their inputs; the command line overrides it."""

from __future__ import annotations

import json

import pytest

from bprop_cli.engine.run import run
from bprop_cli.errors import ParseError, ValueBindingError

# The micrograd lecture's expression, with its inputs written as the lecture's code writes them;
# its published numbers: L = -8, dL/da = 6, dL/db = -4, dL/dc = -2, dL/df = 4.
MICROGRAD = "a = 2.0\nb = -3.0\nc = 10.0\ne = a*b\nd = e + c\nf = -2.0\nL = d*f"
# The CS231n notes' (x+y)*z at x=-2, y=5, z=-4: f = -12, df/dx = df/dy = -4, df/dz = 3.
CS231N = "x = -2; y = 5; z = -4; q = x + y; f = q * z"


def test_micrograd_inputs_written_in_the_program() -> None:
    trace = run(MICROGRAD, {})
    assert trace.output == "L"
    assert trace.value == -8
    assert trace.gradients == {"a": 6, "b": -4, "c": -2, "f": 4}


def test_cs231n_inputs_written_in_the_program() -> None:
    trace = run(CS231N, {})
    assert (trace.output, trace.value) == ("f", -12)
    assert trace.gradients == {"x": -4, "y": -4, "z": 3}


def test_the_command_line_overrides_a_stated_value() -> None:
    trace = run(CS231N, {"x": "3"})  # (3 + 5) * -4 = -32; df/dz = x + y = 8
    assert trace.inputs == {"x": 3, "y": 5, "z": -4}
    assert trace.value == -32 and trace.gradients["z"] == 8


@pytest.mark.parametrize("text, value", [("-3", -3.0), ("+ 2.5", 2.5), ("1/3", 1 / 3), ("-pi/4", -0.7853981633974483),
                                         ("2*e", 5.43656365691809), ("1e-3", 0.001)])
def test_a_constant_expression_is_a_stated_value(text: str, value: float) -> None:
    trace = run(f"k = {text}; y = k*x", {"x": 1})
    assert trace.inputs == {"k": pytest.approx(value, rel=1e-15), "x": 1}
    assert trace.gradients["k"] == 1  # d(k*x)/dk = x


def test_the_first_binding_is_the_input() -> None:
    trace = run("a = 2; a = a*3; a = a + 1", {})
    assert list(trace.inputs) == ["a"] and trace.inputs["a"] == 2
    assert trace.output == "a@3" and trace.value == 7 and trace.gradients == {"a": 3}
    later = run("a = 2; a = 5; y = a*x", {"x": 1})  # a@2 = 5 is a constant: the input a stays 2
    assert later.inputs == {"a": 2, "x": 1} and later.value == 5 and later.gradients == {"a": 0, "x": 5}


def test_a_value_computed_from_program_names_is_not_an_input() -> None:
    trace = run("x = 2; x = 3; k = x*2; y = k*w", {"w": 1})
    assert set(trace.inputs) == {"x", "w"} and trace.value == 6


def test_the_output_is_named_after_the_last_statement() -> None:
    assert run("a = 2", {}).output == "a"
    assert run("c = x*2; c = 3", {"x": 1}).output == "c@2"


def test_missing_and_extra_values_still_name_the_culprit() -> None:
    with pytest.raises(ValueBindingError, match="no value given for b"):
        run("a = 2.0; c = a*b", {})
    with pytest.raises(ValueBindingError, match="z is not a variable") as info:
        run("a = 2.0; c = a*b", {"b": 1, "z": 1})
    assert "a, b" in str(info.value)


def test_an_array_literal_in_a_program_says_where_arrays_go() -> None:
    with pytest.raises(ParseError) as info:
        run("W = [[1,2],[3,4]]; f = sum(W @ x)", {"x": "[1,2]"})
    assert "W=[[1,2],[3,4]]" in str(info.value.hint) and "command line" in str(info.value.hint)


def test_cli_grad_json_and_exact(run_cli) -> None:  # type: ignore[no-untyped-def]
    program = "a = 2.0; b = -3.0; c = a*b + b**3"  # dc/da = b = -3, dc/db = a + 3b^2 = 29
    r = run_cli("eval", program, "--grad", "a")
    assert (r.returncode, r.stdout, r.stderr) == (0, "-3.0\n", "")
    data = json.loads(run_cli("eval", program, "--json").stdout)
    assert data["output"] == "c" and data["gradients"] == {"a": -3, "b": 29}
    assert run_cli("eval", program, "b=1", "--grad", "b").stdout == "5.0\n"  # a + 3b^2 at b = 1
    exact = run_cli("eval", "a = 1/3; b = a*3", "--exact")
    assert exact.returncode == 0 and "at a = 1/3" in exact.stdout
