"""Narration that does not confuse: rule letters never collide with the program's names, rules
by cases say which case holds, chain lines name the symbols they multiply, floating-point
noise is called rounding, and a check at a kink says what was decided."""

from __future__ import annotations

import re

import pytest
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
    assert "Δ2 = dL/dy1" in text and "Δσ2 = dL/dz2" in text


# A delta, as the backpropagation appendix defines it: Δ_i = dL/dy_i, the gradient with respect to
# a layer's INPUT (its recursion Δ_i = W_iᵀ·(Δ_(i+1) ⊙ σ'(z_i)) holds only for that meaning).
# dL/dz is Δσ, Mazur's δ. No lesson, example or walkthrough may call dL/dz "the delta".
DELTA_OF_Z = re.compile(r"(?:\bdelta_?[a-z0-9]*|Δ_?\d*)(?: =)? d\w+/dz|dz\w* is [^.:]*\bdelta\b", re.IGNORECASE)


@pytest.mark.parametrize("args", [("layers-and-deltas",), ("--example", "two-layer"), ("--example", "mazur"),
                                  ("--example", "two-layer-relu"), ("--example", "logistic-batch"),
                                  ("--example", "mazur-scalar")])
def test_delta_means_the_gradient_of_a_layers_input_everywhere(args: tuple[str, ...]) -> None:
    text = " ".join(explain(*args).split())
    assert not DELTA_OF_Z.findall(text), DELTA_OF_Z.findall(text)
    if "Δ" in text:
        assert re.search(r"Δσ\d* = d\w+/dz", text) or "Δσ =" in text  # dL/dz has its own name


def test_the_layers_lesson_numbers_are_the_traces_gradients() -> None:
    """Each delta row of the lesson is the two-layer example's gradient of that node, from --json."""
    import json

    from conftest import bprop as run

    grads = {n["id"]: n["grad"] for n in json.loads(run("eval", "--example", "two-layer", "--json").stdout)["nodes"]}
    rows = {}
    for line in explain("layers-and-deltas").splitlines():
        m = re.match(r"\s+(Δσ?\d)\s+(d\w+/d\w+) = .* = (\S+)$", line)
        if m:
            rows[m.group(1)] = (m.group(2), float(m.group(3)))
    assert rows == {"Δ3": ("dL/dy2", pytest.approx(grads["y2"], rel=1e-5)),
                    "Δσ2": ("dL/dz2", pytest.approx(grads["z2"], rel=1e-5)),
                    "Δ2": ("dL/dy1", pytest.approx(grads["y1"], rel=1e-5)),
                    "Δσ1": ("dL/dz1", pytest.approx(grads["z1"], rel=1e-5)),
                    "Δ1": ("dL/dx", pytest.approx(grads["x"], rel=1e-5))}


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
