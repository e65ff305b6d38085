"""How answers to bprop check and bprop quiz are marked: right to the digits written, the quiz's
1 %/0.001 tolerance, or a --tolerance the learner sets; and the names an unknown answer is
pointed to.

Sources of truth: the CS231n notes' sigmoid neuron (w0=2, x0=-1, w1=-3, x1=-2, w2=-3), whose
gradients the notes print rounded to two decimals (dw = [-0.20, -0.39, 0.20], dx = [0.39, -0.59]),
computed here by hand from s = sigmoid(1); Mazur's step-by-step example, whose numbers his post
prints to nine decimals; and exact decimal arithmetic (Decimal) for the property tests.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from conftest import bprop

from bprop_cli.practice.questions import (
    BY_DIGITS,
    BY_TOLERANCE,
    DEFAULT_MARKING,
    EXACT,
    Marking,
    mark,
    parse_answer,
    parse_tolerance,
    right_to_digits,
    within,
)

NEURON = ("1/(1+exp(-(w0*x0+w1*x1+w2)))", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3")
_S = 1 / (1 + math.exp(-1.0))  # w0*x0 + w1*x1 + w2 = -2 + 6 - 3 = 1
DS = _S * (1 - _S)  # 0.196612: d sigmoid/dz at z = 1
EXACT_GRADS = {"w0": -1 * DS, "x0": 2 * DS, "w1": -2 * DS, "x1": -3 * DS, "w2": DS}
PUBLISHED = {"w0": "-0.20", "x0": "0.39", "w1": "-0.39", "x1": "-0.59", "w2": "0.20"}  # the CS231n notes


def flat(text: str) -> str:
    return " ".join(text.split())


# --- the rule -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, exact, right", [
    ("-0.2", -0.196612, True),   # one decimal: -0.196612 rounds to -0.2
    ("-0.20", -0.196612, True),  # the CS231n notes' own rounding
    ("-0.19", -0.196612, False),  # cut off, not rounded
    ("0.39", 0.393224, True),
    ("0.4", 0.393224, True),
    ("0.3", 0.393224, False),
    ("0.3930", 0.393224, False),  # four decimals written, the fourth is off
    ("1.97e-1", 0.196612, True),  # the last digit written is in the third decimal place
    ("1.96e-1", 0.196612, False),
    ("1.5e3", 1549.0, True), ("1.5e3", 1551.0, False),
    ("0.15", 0.15, True), ("0.2", 0.15, True), ("0.1", 0.15, True),  # half way rounds either way
    ("1.0", 0.96, True),  # rounding carries into the units
    ("0.1", 0.05, False), ("0.0", 0.04, False),  # the value is smaller than the last digit written
    ("-0.2", 0.196612, False),  # the sign counts
    ("3", 2.6, False), ("3.", 2.6, False), ("1/5", 0.196612, False),  # no digits after a point
])
def test_right_to_the_digits_written(text: str, exact: float, right: bool) -> None:
    assert right_to_digits(text, exact) is right


@pytest.mark.parametrize("text, exact, by", [
    ("0.39", 0.393224, BY_DIGITS),
    ("0.3930", 0.393224, BY_TOLERANCE),  # wrong in its fourth decimal, but within 0.001
    ("3", 2.6, ""),  # an integer: the quiz's 1 % / 0.001 alone, and 3 is 15 % off
    ("101", 100.0, BY_TOLERANCE), ("100.5", 100.0, BY_TOLERANCE),  # 1 %, whatever the digits say
    ("1/3", 1 / 3, EXACT), ("0.333", 1 / 3, BY_DIGITS), ("1/4", 0.2505, BY_TOLERANCE),
])
def test_the_default_marking(text: str, exact: float, by: str) -> None:
    assert mark(text, parse_answer(text), exact) == by


def test_a_rounded_answer_is_right_and_one_two_units_off_is_wrong() -> None:
    """For any value x and k decimals, x rounded to k decimals is right to the digits given, and
    the same plus or minus two units of its last place is not (nor, unless the quiz's 1 % / 0.001
    tolerance covers the gap, is it marked right)."""
    from hypothesis import assume, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=500, deadline=None)
    @given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(min_value=1, max_value=9))
    def check(x: float, k: int) -> None:
        assume(abs(x) >= 10.0 ** -k)
        text = f"{x:.{k}f}"  # correctly rounded from x's exact binary value
        assert right_to_digits(text, x), (text, x)
        assert mark(text, float(text), x) in (EXACT, BY_DIGITS)
        for off in (2, -2):
            wrong = f"{Decimal(text) + off * Decimal(10) ** -k:.{k}f}"
            assert not right_to_digits(wrong, x), (wrong, x)
            assert (mark(wrong, float(wrong), x) == "") is not within(float(wrong), x)
            assert mark(wrong, float(wrong), x, Marking(rel=None, abs=10.0 ** -k, digits=False)) == ""

    check()


def test_hostile_answers_are_marked_quickly_and_without_error() -> None:
    for text in ("0." + "1" * 5000, "1.5e-99999", "1.5e99999", "-.0", "+0.5", "0.5e+3"):
        assert right_to_digits(text, 0.5) in (True, False)


@pytest.mark.parametrize("text, marking", [
    ("rel=1e-6", Marking(1e-6, None, False)), ("abs=0.01", Marking(None, 0.01, False)),
    (" rel = 1e-6 , abs = 1e-9 ", Marking(1e-6, 1e-9, False)), ("rel=1%", Marking(0.01, None, False)),
    ("abs=0", Marking(None, 0.0, False)),
])
def test_parse_tolerance(text: str, marking: Marking) -> None:
    assert parse_tolerance(text) == marking


def test_a_tolerance_replaces_the_default_rule() -> None:
    assert mark("-0.2", -0.2, -0.196612) == BY_DIGITS
    assert mark("-0.2", -0.2, -0.196612, parse_tolerance("rel=1e-6")) == ""
    assert mark("-0.2", -0.2, -0.196612, parse_tolerance("abs=0.01")) == BY_TOLERANCE
    assert mark("101", 101, 100, parse_tolerance("rel=0.001")) == ""
    assert DEFAULT_MARKING.to_dict() == {"rel": 0.01, "abs": 0.001, "digits": True}


# --- bprop check, end to end ---------------------------------------------------------------------

def _answers(given: dict[str, str]) -> list[str]:
    return [arg for name, value in given.items() for arg in ("--answer", f"d{name}={value}")]


def test_the_cs231n_notes_rounded_gradients_are_right() -> None:
    r = bprop("check", *NEURON, *_answers(PUBLISHED))
    assert r.returncode == 0, r.stdout + r.stderr
    out = flat(r.stdout)
    for name, value in PUBLISHED.items():
        exact = f"{EXACT_GRADS[name]:.6g}"
        assert f"right d{name} = {value} (df/d{name}): right to the digits given; exact value {exact}" in out
    assert "All 5 right; rule: within 1% or 0.001, or right to the digits given." in out


@pytest.mark.parametrize("answer, right", [
    ("dw0=-0.2", True), ("dx0=0.39", True), ("dx0=0.4", True), ("dx0=0.3", False), ("dw0=-0.19", False),
    ("dw0=0.2", False),
])
def test_check_marks_rounded_answers(answer: str, right: bool) -> None:
    r = bprop("check", *NEURON, "--answer", answer)
    assert r.returncode == (0 if right else 1), r.stdout + r.stderr
    assert r.stdout.count("right  " if right else "wrong  ") == 1


def test_mazurs_published_numbers_are_right_to_their_nine_decimals() -> None:
    given = {"E": "0.298371109", "dw5": "0.082167041", "dw1": "0.000438568", "dnet_o1": "0.138498562",
             "dout_o1": "0.74136507", "dout_o1/dnet_o1": "0.186815602"}
    r = bprop("check", "--example", "mazur-scalar", *(a for k, v in given.items() for a in ("--answer", f"{k}={v}")),
              "--json")
    data = json.loads(r.stdout)
    assert r.returncode == 0 and data["passed"], r.stdout
    assert [a["right_by"] for a in data["answers"]] == ["digits"] * len(given)


def test_an_integer_answer_keeps_the_one_percent_rule() -> None:
    r = bprop("check", "x*y", "x=1.3", "y=2", "--answer", "f=3")  # f = 2.6
    assert r.returncode == 1 and "wrong  f = 3" in r.stdout
    r = bprop("check", "x*y", "x=50.25", "y=2", "--answer", "f=101")  # f = 100.5: 0.5 % off
    assert r.returncode == 0 and "right  f = 101: within 1% or 0.001; exact value 100.5" in r.stdout


def test_an_exact_answer_gets_no_note() -> None:
    r = bprop("check", "(x+y)*z", "x=-2", "y=5", "z=-4", "--answer", "dx=-4", "--answer", "dz=3.0")
    assert r.returncode == 0 and "right  dx = -4 (df/dx)\nright  dz = 3.0 (df/dz)\n" in r.stdout


def test_check_tolerance() -> None:
    r = bprop("check", *NEURON, "--answer", "dw0=-0.2", "--tolerance", "rel=1e-6")
    assert r.returncode == 1 and "wrong  dw0 = -0.2" in r.stdout
    assert "0 of 1 right; rule: within 1e-06 relative." in r.stdout
    r = bprop("check", *NEURON, "--answer", "dw0=-0.19661", "--tolerance=rel=1e-4,abs=1e-9")
    assert r.returncode == 0
    assert "right to the digits given" not in r.stdout
    assert "within 0.0001 relative or 1e-09 absolute; exact value -0.196612" in flat(r.stdout)
    r = bprop("check", *NEURON, "--answer", "dw0=-0.2", "--tolerance", "abs=0.01", "--json")
    data = json.loads(r.stdout)
    assert r.returncode == 0 and data["marking"] == {"rel": None, "abs": 0.01, "digits": False}
    assert data["answers"][0]["right_by"] == "tolerance"
    r = bprop("check", *NEURON, "--answer", "dw0=-0.2", "--json")
    assert json.loads(r.stdout)["marking"] == {"rel": 0.01, "abs": 0.001, "digits": True}


@pytest.mark.parametrize("value", ["rel", "rel=", "rel=-1", "abs=nan", "rel=inf", "rel=1e999", "tol=1",
                                   "rel=1,rel=2", "rel=1;abs=2", "", "rel=1,", "rel=\x1b[31m1"])
@pytest.mark.parametrize("command", ["check", "quiz"])
def test_a_bad_tolerance_is_one_line_and_exit_2(command: str, value: str) -> None:
    r = bprop(command, *NEURON, "--answer", "dw0=-0.2", f"--tolerance={value}", stdin="") if command == "check" else \
        bprop(command, *NEURON, f"--tolerance={value}", stdin="")
    assert r.returncode == 2, r.stdout + r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "--tolerance takes rel=R, abs=A or both" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "\x1b" not in r.stderr and r.stdout == ""


# --- bprop quiz ------------------------------------------------------------------------------------

def test_quiz_marks_rounded_answers_and_says_the_rule() -> None:
    r = bprop("quiz", *NEURON, "--ask", "grad", stdin="-0.20\n0.39\n-0.39\n-0.59\n0.20\n")
    assert r.returncode == 0, r.stdout
    assert "right: 0.39 (right to the digits given; exactly 0.393224) (score 2/2)" in r.stdout
    assert "Score: 5 of 5 right; rule: within 1% or 0.001, or right to the digits given." in r.stdout
    r = bprop("quiz", *NEURON, "--ask", "grad", "--tolerance", "rel=1e-6", stdin="-0.20\n")
    assert r.returncode == 1 and "wrong: you said -0.20" in r.stdout
    assert "rule: within 1e-06 relative." in r.stdout
    r = bprop("quiz", *NEURON, "--ask", "grad", "--json", "--tolerance", "abs=0.01", stdin="-0.2\n")
    data = json.loads(r.stdout)
    assert data["marking"] == {"rel": None, "abs": 0.01, "digits": False}
    assert data["questions"][0]["verdict"] == "right" and data["questions"][0]["right_by"] == "tolerance"


# --- names an unknown answer is pointed to ---------------------------------------------------------

@pytest.mark.parametrize("args, answer, hint", [
    (("--example", "mazur-scalar"), "dnet_o1/dw5", "did you mean dnet_o1/db2?"),  # not dnet_o1/dv9
    (("--example", "mazur-scalar"), "dnet_h1/dw", "did you mean dnet_h1/db1?"),  # not dnet_h1/dv3
    (("--example", "mazur-scalar"), "dnet_o", "did you mean dnet_o1 or dnet_o2?"),
    (("--example", "mazur-scalar"), "dw5x", "did you mean dw5?"),
    (("(x+y)*z", "x=-2", "y=5", "z=-4"), "dv1/dxx", "did you mean dv1/dx?"),  # v1 is the learner's own word here
])
def test_suggestions_name_what_the_learner_can_write(args: tuple[str, ...], answer: str, hint: str) -> None:
    r = bprop("check", *args, "--answer", f"{answer}=1")
    assert r.returncode == 2 and f"hint: {hint}" in r.stderr, r.stderr


@pytest.mark.parametrize("answer", ["dnet_o1/dout", "dnet_o1/dv", "dnet_h1/dw", "dE/dnet", "dnet_o1/dout_h1"])
def test_no_suggestion_names_a_generated_id(answer: str) -> None:
    import re

    r = bprop("check", "--example", "mazur-scalar", "--answer", f"{answer}=1")
    assert r.returncode == 2 and "the trace has no quantity called that" in r.stderr
    hint = r.stderr.splitlines()[-1]
    assert not re.search(r"\b[vc]\d+\b|d[vc]\d+\b", hint.removeprefix("hint: name a node (v1), a gradient "
                                                                       "(dx or df/dx) or a local derivative (dv1/dx)"))


def test_the_exact_value_is_shown_to_at_least_the_digits_given() -> None:
    r = bprop("check", "--example", "mazur-scalar", "--answer", "dw1=0.00043856770")  # Mazur: 0.000438568
    assert r.returncode == 0 and "within 1% or 0.001; exact value 0.00043856773" in flat(r.stdout)
    r = bprop("check", "(x+y)*z", "x=-2", "y=5", "z=-4", "--answer", "dx=-3.999999")
    assert r.returncode == 0 and "right  dx = -3.999999 (df/dx): within 1% or 0.001; exact value -4\n" in r.stdout
