"""What students really type: compound assignment works as in micrograd's code, and the
usual slips (NumPy's functions, a comma for a decimal point, a capital letter, Greek
letters, a dot) get a hint that says what to type instead."""

from __future__ import annotations

import json

import pytest
from conftest import bprop

from bprop_cli.engine.run import run


@pytest.mark.parametrize("compound, written_out", [
    ("c = a; c += b", "c = a; c = c + (b)"),
    ("c = a; c -= b*a", "c = a; c = c - (b*a)"),
    ("c = a; c *= b + 1", "c = a; c = c * (b + 1)"),
    ("c = a*b; c /= a - 3", "c = a*b; c = c / (a - 3)"),
    ("c = a\nc += c + 1\nc += 1 + c + (-a)\nd = b*c\nd *= 2", "c = a\nc = c + (c + 1)\nc = c + (1 + c + (-a))\nd = b*c\nd = d*2"),
    ("a += b", "a = a + b"),  # an input updated in place: the new a is a + b
], ids=["+=", "-=", "*=", "/=", "micrograd-style", "input"])
def test_compound_assignment_is_the_written_out_statement(compound: str, written_out: str) -> None:
    at = {"a": -4.0, "b": 2.0}
    got, want = run(compound, at), run(written_out, at)
    assert got.value == want.value
    assert got.gradients == want.gradients


def test_compound_assignment_from_the_command_line() -> None:
    r = bprop("eval", "c = a; c += a*b; c *= 2; c -= 1; c /= b", "a=1", "b=2", "--json")
    data = json.loads(r.stdout)
    assert data["value"] == 2.5  # ((1 + 1*2)*2 - 1)/2
    assert data["gradients"] == pytest.approx({"a": 3.0, "b": -0.25})  # d/da = 2(1+b)/b; d/db = 2a/b - 2.5/b


def test_a_spaced_compound_operator_is_not_one() -> None:
    r = bprop("eval", "c = a; c + = a", "a=1")
    assert r.returncode == 2 and "syntax error" in r.stderr


@pytest.mark.parametrize("args, hint", [
    (("sum(x,y)", "x=1", "y=2"), "for separate values write x + y"),
    (("mean(x,y)", "x=1", "y=2"), "for separate values write (x + y) / 2"),
    (("dot(x,y)", "x=1", "y=2"), "the dot product is x @ y"),
    (("softmax(x,y)", "x=1", "y=2"), "softmax(v) takes one vector"),
    (("x*y", "x=1,5", "y=2"), "write x=1.5 (a decimal point, not a comma)"),
    (("X*y", "x=3", "y=2"), "did you mean X? (names are case-sensitive)"),
    (("σ(x)", "x=1"), "write sigmoid(...)"),
    (("x.y", "x=1", "y=2"), "to multiply, write x*y"),
    (("x. + 1", "x=1"), "a decimal is written 1.5"),
], ids=["sum", "mean", "dot", "softmax", "comma", "case", "sigma", "dot-between-names", "stray-dot"])
def test_hints_for_what_students_type(args: tuple[str, ...], hint: str) -> None:
    r = bprop("eval", *args)
    assert r.returncode == 2
    assert "hint: " in r.stderr and hint in r.stderr, r.stderr
    assert "did you mean max" not in r.stderr and "write sum*(" not in r.stderr


@pytest.mark.parametrize("program, at, value", [
    ("F.relu()", {"F": -1.0}, 0.0),  # a value named like a module prefix still has methods
    ("F.T + np", {"F": 2.0, "np": 3.0}, 5.0),
])
def test_module_like_names_are_still_values(program: str, at: dict, value: float) -> None:
    assert run(program, at).value == value


@pytest.mark.parametrize("program, hint", [
    ("math.exp(-y)", "drop the prefix 'math.': write exp(-y)"),
    ("np.dot(W, x)", "W @ x"),
    ("torch.matmul(W, h)", "the matrix product is W @ h"),
    ("np.maximum(0, z)", "write max(0, z) or relu(z)"),
    ("huber(z, y)", "bprop's functions are exp, log"),
    ("x.reshape(3,1)", "the methods call a function of one argument: exp, log"),
])
def test_pasted_python_gets_the_bprop_spelling(program: str, hint: str) -> None:
    r = bprop("eval", program)
    assert r.returncode == 2 and hint in r.stderr.partition("\nhint: ")[2], r.stderr
    assert "to multiply" not in r.stderr and "takes no arguments" not in r.stderr
