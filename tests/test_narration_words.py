"""Narration that does not confuse: rule letters never collide with the program's names, rules
by cases say which case holds, chain lines name the symbols they multiply, floating-point
noise is called rounding, and a check at a kink says what was decided."""

from __future__ import annotations

import re

from conftest import bprop


def explain(*args: str) -> str:
    r = bprop("explain", *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_rule_letters_avoid_the_programs_names() -> None:
    text = explain("a*b", "a=1", "b=2")
    rule = [line for line in text.splitlines() if line.strip().startswith("rule")]
    assert rule and "d(a * b)" not in text and "d(p * q)/dp = q" in rule[0]


def test_the_exp_rule_is_not_written_over_the_programs_x() -> None:
    text = explain("x*exp(y)", "x=1", "y=2")
    assert "exp(x)" not in text


def test_a_rule_by_cases_says_which_case_holds() -> None:
    text = explain("relu(x)", "x=2")
    assert "if 2 > 0" not in text
    assert "df/dx = 1 if x > 0, else 0; at x = 2 it is 1" in text


def test_chain_lines_name_what_they_multiply() -> None:
    text = explain("q = x + y; f = q * z", "x=-2", "y=5", "z=-4")
    assert "df/dx = df/dq * dq/dx = (-4) * 1 = -4" in text
    assert "df/dz = df/df * df/dz = 1 * 3 = 3" in text


def test_gate_lessons_say_things_once() -> None:
    assert "-x = -2 = -2" not in explain("neg")
    assert " ".join(explain("sub").split()).count("With --expand it becomes") == 1


def test_floating_noise_is_called_rounding() -> None:
    text = " ".join(explain("x + 0.1 + 0.2 - 0.3", "x=0").split())
    assert "5.55112e-17 is rounding error" in text


def test_the_two_layer_example_speaks_of_deltas() -> None:
    text = explain("--example", "two-layer")
    assert "delta1 = dL/dz1" in text and "delta2 = dL/dz2" in text


def test_a_check_at_a_kink_says_what_was_decided() -> None:
    r = bprop("eval", "relu(x) + 2*x", "x=0", "--check")
    assert r.returncode == 0
    said = " ".join((r.stdout + r.stderr).split())
    assert "no gradient disagrees with every estimate" not in said
    assert re.search(r"check passed at a kink: x sits where the derivative jumps", said)
    assert "PyTorch's convention" in said


def test_max_says_which_case_holds_like_relu() -> None:
    text = " ".join(explain("max(x,y)", "x=2", "y=1").split())
    assert "df/dx = 1 if x is the largest, else 0; at x = 2 it is 1" in text
    assert "is the largest else 0 =" not in text and "if 2 is the largest" not in text


def test_the_eval_table_does_not_chain_equals_through_a_case() -> None:
    r = bprop("eval", "relu(x) + max(x,y)", "x=2", "y=1")
    flat = " ".join(r.stdout.split())
    assert "else 0 =" not in flat
    assert "1 if x > 0, else 0; here 1" in flat and "1 if y is the largest, else 0; here 0" in flat
