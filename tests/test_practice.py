"""bprop quiz (scripted through stdin) and bprop check: questions, verdicts, exit codes, JSON.

Sources of truth: the CS231n notes' numbers for (x+y)*z at x=-2, y=5, z=-4 (typed here by hand),
and `bprop eval --json`, whose trace each question's "key" must point into.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT, bprop

from bprop_cli.engine.run import run
from bprop_cli.practice.questions import AnswerError, check_answers, is_right, parse_answer, parse_kinds, questions
from bprop_cli.text import num

CS231N = ("(x+y)*z", "x=-2", "y=5", "z=-4")
# Every number of the walkthrough, in the order the trace computes them (the CS231n notes):
# q = x + y = 3, f = q z = -12; df/dq = z = -4, df/dz = q = 3; dq/dx = dq/dy = 1; df/dx = df/dy = -4.
CS231N_ANSWERS = ["3", "-12", "-4", "-4", "3", "3", "1", "-4", "1", "-4", "-4", "-4", "3"]


def flat(text: str) -> str:
    """Text with its line breaks and indents folded into single spaces (long lines wrap at 80)."""
    return " ".join(text.split())


def answers(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


def test_all_right_exits_0() -> None:
    r = bprop("quiz", *CS231N, stdin=answers(*CS231N_ANSWERS))
    assert r.returncode == 0, r.stderr
    assert "Score: 13 of 13 right; rule: within 1% or 0.001, or right to the digits given." in flat(r.stdout)
    assert r.stdout.count("  right: ") == 13


def test_questions_are_lines_ending_in_a_question_mark() -> None:
    r = bprop("quiz", *CS231N, stdin="\n" * 13)  # every question skipped
    asked = [line for line in r.stdout.splitlines() if line.startswith("[")]
    assert len(asked) == 13 and all(line.endswith(" = ?") for line in asked)
    assert asked[0] == "[1/13] v1 = x + y = ?"
    assert "[7/13] dv1/dx = ?" in asked and "[11/13] df/dx = ?" in asked


def test_one_wrong_answer_exits_1_and_shows_the_right_value() -> None:
    wrong = list(CS231N_ANSWERS)
    wrong[6] = "-4"  # dv1/dx: the product given where the local derivative was asked
    r = bprop("quiz", *CS231N, stdin=answers(*wrong))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    at = lines.index("[7/13] dv1/dx = ?")
    assert lines[at + 1].startswith("  wrong: you said -4; dv1/dx = 1 ")
    assert "rule: d(a + b)/da = 1" in r.stdout
    assert "Score: 12 of 13 right (1 wrong); rule: within 1% or 0.001, or right to the digits given." in flat(r.stdout)
    assert "at add gates: missed once" in r.stdout


def test_the_quiz_goes_on_after_a_wrong_answer() -> None:
    r = bprop("quiz", *CS231N, "--ask", "forward", stdin=answers("4", "-12"))
    assert r.returncode == 1
    assert "wrong: you said 4; v1 = x + y = (-2) + 5 = 3" in r.stdout
    assert "right: -12" in r.stdout


def test_skips_empty_lines_and_end_of_input() -> None:
    r = bprop("quiz", *CS231N, "--ask", "forward,grad", stdin=answers("", "-12", "-4"))
    assert r.returncode == 1
    assert "skipped: v1 = x + y = (-2) + 5 = 3" in r.stdout
    assert "end of input: 2 questions left, counted as skipped" in r.stdout
    assert "Score: 2 of 5 right (3 skipped); rule: within 1% or 0.001, or right to the digits given." in flat(r.stdout)


def test_q_quits_and_counts_the_rest_as_skipped() -> None:
    r = bprop("quiz", *CS231N, "--ask", "forward", stdin=answers("3", "q", "-12"))
    assert r.returncode == 1
    assert "you quit: 1 question left" in r.stdout


def test_fractions_and_tolerance() -> None:
    # sigmoid(0) = 1/2 and its local derivative s(1-s) = 1/4; the third answer is 1 % off.
    r = bprop("quiz", "sigmoid(x*y)", "x=0", "y=3", "--ask", "forward,local",
              stdin=answers("0", "1/2", "1/4", "3.03", "-0"))
    assert r.returncode == 0, r.stdout
    assert "Score: 5 of 5 right; rule: within 1% or 0.001, or right to the digits given." in flat(r.stdout)
    r = bprop("quiz", "sigmoid(x*y)", "x=0", "y=3", "--ask", "forward", stdin=answers("0", "0.49"))
    assert r.returncode == 1 and "you said 0.49" in r.stdout


def test_something_that_is_not_a_number_counts_as_wrong() -> None:
    r = bprop("quiz", *CS231N, "--ask", "forward", stdin=answers("three\x1b[31m", "-12"))
    assert r.returncode == 1
    assert "'three?[31m' is not a number or a fraction" in r.stdout
    assert "\x1b" not in r.stdout


def test_a_hint_gives_the_rule_not_the_number() -> None:
    r = bprop("quiz", *CS231N, "--ask", "local", stdin=answers("?", "-4"))
    hint = next(line for line in r.stdout.splitlines() if line.startswith("  hint:"))
    assert "d(a * b)/da = b" in hint and "-4" not in hint
    assert "1 with a hint" in r.stdout
    for q in questions(run("q = x*y; f = q*q + x - exp(y)", {"x": 2, "y": 3})):
        if q.kind != "forward" and not (q.kind == "local" and q.gate in ("add", "sub")):  # (their rule is 1 or -1)
            assert num(q.expected) not in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", q.hint), q  # the rule, never the number


@pytest.mark.parametrize("ask, kinds", [
    ("grad", {"grad"}), ("local,grad", {"local", "grad"}), ("product", {"product"}),
    ("grad,forward", {"forward", "grad"}),
])
def test_ask_picks_the_kinds(ask: str, kinds: set[str]) -> None:
    r = bprop("quiz", *CS231N, "--ask", ask, "--json", stdin="")
    data = json.loads(r.stdout)
    assert {q["kind"] for q in data["questions"]} == kinds
    order = [q["kind"] for q in data["questions"]]
    assert order == sorted(order, key=["forward", "local", "product", "grad"].index)


def _at(data: dict, key: str) -> float:
    """The number a question's key points to in `bprop eval --json` (the key's form is checked too)."""
    if key.startswith("gradients."):
        return data["gradients"][key.split(".", 1)[1]]
    match = re.fullmatch(r"(nodes|backward)\[(\d+)\]\.(value|grad|local|product)", key)
    assert match, key
    return data[match[1]][int(match[2])][match[3]]


@pytest.mark.parametrize("program", [
    CS231N,
    ("q = x*y; f = q*q + x", "x=2", "y=3"),
    ("1/(1+exp(-(w0*x0+w1*x1+w2)))", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"),
    ("max(a, b) * relu(a - c)", "a=3", "b=1", "c=1"),
    ("x*x", "x=3"),
], ids=lambda p: p[0])
def test_json_summary_keys_point_into_the_trace(program: tuple[str, ...]) -> None:
    trace = json.loads(bprop("eval", *program, "--json").stdout)
    r = bprop("quiz", *program, "--json", stdin="")
    data = json.loads(r.stdout)
    assert r.returncode == 1 and data["passed"] is False
    assert data["score"]["skipped"] == data["score"]["total"] == len(data["questions"]) > 0
    for q in data["questions"]:
        assert q["expected"] == _at(trace, q["key"]), q
        assert q["verdict"] == "skipped" and q["given"] is None and q["question"].endswith("?")


def test_json_answers_all_right_from_the_trace_itself() -> None:
    program = ("q = x*y; f = q*q + x", "x=2", "y=3")
    first = json.loads(bprop("quiz", *program, "--json", stdin="").stdout)
    r = bprop("quiz", *program, "--json", stdin=answers(*(repr(q["expected"]) for q in first["questions"])))
    data = json.loads(r.stdout)
    assert r.returncode == 0 and data["passed"] is True
    assert data["score"] == {"right": 18, "wrong": 0, "skipped": 0, "total": 18}
    assert [q["verdict"] for q in data["questions"]] == ["right"] * 18


def test_fan_out_sum_is_asked_once_its_products_are_in() -> None:
    trace = run("q = x*y; f = q*q + x", {"x": 2, "y": 3})
    qs = questions(trace)
    names = [q.name for q in qs]
    assert names.index("df/dq") > names.index("df/dv1 * dv1/dq (2nd input)")
    assert names.index("df/dq") < names.index("dq/dx")
    dq = qs[names.index("df/dq")]
    assert dq.gate == "fan-out" and dq.expected == 12  # d(q^2)/dq = 2q = 12


@pytest.mark.parametrize("text, value", [
    ("-4", -4.0), ("3/2", 1.5), ("-1/4", -0.25), (" 0.5 ", 0.5), (".5", 0.5), ("1e-3", 0.001),
    ("2 / -4", -0.5), ("\u22123", -3.0),
])
def test_parse_answer(text: str, value: float) -> None:
    assert parse_answer(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1/0", "1//2", "pi", "2*3", "1/2/3", "--1", "0x10", "1e999", "1/1e999",
                                  "nan", "inf"])
def test_parse_answer_refuses(text: str) -> None:
    with pytest.raises(AnswerError):
        parse_answer(text)


@pytest.mark.parametrize("given, expected, right", [
    (101, 100, True), (99, 100, True), (101.01, 100, False), (98.98, 100, False),
    (0.001, 0, True), (-0.001, 0, True), (0.0011, 0, False),
    (0.0109, 0.01, True), (0.0111, 0.01, False),  # small values: the 1e-3 absolute slack decides
    (-4, 4, False),
])
def test_tolerance_edges(given: float, expected: float, right: bool) -> None:
    assert is_right(given, expected) is right


def test_tolerance_edge_through_the_cli() -> None:
    r = bprop("quiz", "x*y", "x=10", "y=10", "--ask", "forward", stdin=answers("101"))
    assert r.returncode == 0 and "right: 101 (exactly 100)" in r.stdout
    r = bprop("quiz", "x*y", "x=10", "y=10", "--ask", "forward", stdin=answers("101.5"))
    assert r.returncode == 1


@pytest.mark.parametrize("args, message", [
    (("--ask", "forwards"), "--ask takes a comma-separated list"),
    (("--seed", "3"), "--seed picks a made-up exercise"),
])
def test_quiz_usage_errors(args: tuple[str, ...], message: str) -> None:
    r = bprop("quiz", *CS231N, *args, stdin="")
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_quiz_takes_the_program_options() -> None:
    r = bprop("quiz", "--example", "cs231n", "--ask", "grad", stdin=answers("-4", "-4", "3"))
    assert r.returncode == 0, r.stdout + r.stderr
    r = bprop("quiz", "sigmoid(x)", "x=0", "--expand", "--ask", "forward", "--json", stdin="")
    ops = [q["gate"] for q in json.loads(r.stdout)["questions"]]
    assert ops == ["neg", "exp", "add", "div"]
    r = bprop("quiz", "-", "x=1", stdin="x*2\n")
    assert r.returncode == 2 and "cannot both come from standard input" in r.stderr


def test_a_mul_slip_is_named() -> None:
    r = bprop("quiz", "x*y", "x=2", "y=5", "--ask", "local", stdin=answers("2", "2"))
    assert "multiplied by the wrong input" in r.stdout
    assert "at mul gates: missed once - multiplied by the wrong input" in r.stdout


# --- bprop check ---------------------------------------------------------------------------------

def test_check_says_which_answers_are_wrong() -> None:
    r = bprop("check", *CS231N, "--answer", "dx=-4", "--answer", "dz=-3")
    assert r.returncode == 1
    assert "right  dx = -4" in r.stdout
    assert "wrong  dz = -3: df/dz = df/df * df/dz (local) = 3" in r.stdout
    assert "1 of 2 right; rule: within 1% or 0.001, or right to the digits given." in flat(r.stdout)


def test_check_all_right_exits_0() -> None:
    r = bprop("check", *CS231N, "--answer", "dx=-4", "--answer", "df/dy=-4", "--answer", "v1=3",
              "--answer", "dz=3", "--answer", "dv1=-4")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "All 5 right; rule: within 1% or 0.001, or right to the digits given." in flat(r.stdout)


def test_check_traces_a_wrong_local_derivative_in_a_chain_to_its_gate() -> None:
    # f = sin(x^2) * y at x=3, y=2: a student takes d(x^2)/dx as x (not 2x) and carries the slip on.
    program = ("f = sin(x^2) * y", "x=3", "y=2")
    cos9 = -0.9111302618846769  # cos(x^2) at x = 3
    trace = run(program[0], {"x": 3, "y": 2})
    results = check_answers(trace, [("dv1/dx", "3"), ("dx", repr(2 * cos9 * 3)), ("dv2/dv1", "-0.9111")])
    dx = results[1]
    assert dx.verdict.status == "wrong"
    assert dx.culprit is not None and dx.culprit.name == "dv1/dx" and dx.culprit.gate == "pow"
    assert results[2].verdict.status == "right" and results[2].culprit is None
    r = bprop("check", *program, "--answer", "dv1/dx=3", "--answer", "dx=-5.4668", "--answer", "dv2/dv1=-0.9111")
    assert r.returncode == 1
    out = flat(r.stdout)
    assert "wrong dx = -5.4668: df/dx = df/dv1 * dv1/dx = -10.9336" in out
    assert "it depends on dv1/dx, which is wrong too: you have 3, but dv1/dx = 2*x^(2-1) = 2*3^(2-1) = 6" in out
    assert "first wrong step: the local derivative of the pow gate v1 with respect to x" in out
    assert "right dv2/dv1 = -0.9111" in out


def test_check_lists_the_steps_to_look_at_when_only_the_end_is_given() -> None:
    r = bprop("check", "q = x*y; f = q*q", "x=2", "y=3", "--answer", "dx=144")
    assert r.returncode == 1
    assert "it is computed from these steps; compare them with yours:" in flat(r.stdout)
    assert "df/dq = 6 + 6 = 12" in r.stdout and "dq/dx = y = 3" in r.stdout


def test_check_json() -> None:
    r = bprop("check", *CS231N, "--answer", "dv1/dx=2", "--answer", "dx=-8", "--json")
    data = json.loads(r.stdout)
    assert r.returncode == 1 and data["passed"] is False
    dx = data["answers"][1]
    assert dx["name"] == "df/dx" and dx["key"] == "gradients.x" and dx["expected"] == -4
    assert dx["first_wrong_step"]["name"] == "dv1/dx" and dx["first_wrong_step"]["gate"] == "add"


@pytest.mark.parametrize("args, message", [
    ((), "no answer to check"),
    (("--answer", "dx"), "--answer takes NAME=VALUE"),
    (("--answer", "dw=1"), "the trace has no quantity called that"),
    (("--answer", "dx=four"), "not a number or a fraction"),
    (("--answer", "dx=1", "--answer", "df/dx=2"), "twice"),
    (("--answer", "df=1"), "where the backward pass starts"),
])
def test_check_usage_errors(args: tuple[str, ...], message: str) -> None:
    r = bprop("check", *CS231N, *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_parse_kinds() -> None:
    assert parse_kinds("grad,local") == ("local", "grad")
    with pytest.raises(ValueError):
        parse_kinds("")


def test_explain_step_off_a_terminal_is_the_usual_walkthrough() -> None:
    plain = bprop("explain", *CS231N)
    stepped = bprop("explain", *CS231N, "--step")
    assert stepped.returncode == plain.returncode == 0
    assert stepped.stdout == plain.stdout and "6. v1 = x + y is an add gate" in stepped.stdout


@pytest.mark.parametrize("path", sorted((ROOT / "bprop_cli" / "examples").glob("*.bp")), ids=lambda p: p.stem)
def test_every_example_quizzes_and_checks_without_trouble(path) -> None:
    from conftest import example_values

    from bprop_cli.practice.questions import Quiz, judge, resolve

    values = dict(v.split("=", 1) for v in example_values(path))
    if any(v.lstrip().startswith("[") for v in values.values()):  # an array program: refused for now
        r = bprop("quiz", "-f", str(path), *example_values(path), stdin="")
        assert r.returncode == 2 and "quiz works on scalar programs" in r.stderr
        return
    trace = run(path.read_text(), values)
    qs = questions(trace)
    assert len({q.key for q in qs}) == len(qs)  # one question per number of the trace
    for q in qs:
        assert resolve(q.name, qs, trace) is q  # every question can be named in bprop check
        for given in ("0", "-1", "1e300", "-1e-300", repr(-q.expected), repr(q.expected * 2 + 1)):
            judge(q, given, trace)  # diagnosing any answer never fails
    quiz = Quiz(trace, qs)
    for q in qs:
        quiz.answer(repr(q.expected))
    assert quiz.passed


def _generated(text: str, at: dict[str, float]):  # type: ignore[no-untyped-def]
    from hypothesis import assume

    from bprop_cli import BpropError, build_graph, parse

    try:
        graph = build_graph(parse(text))
        return run(text, {v: at[v] for v in graph.inputs})
    except BpropError:
        assume(False)


def test_generated_programs_quiz_and_check() -> None:
    """Hypothesis-generated programs: every question points at its number in the JSON trace, is
    asked after everything it depends on, can be named in bprop check; and one slip carried
    down to everything computed from it is found as the first wrong step of each of them."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from test_sympy_oracle import expressions, points

    from bprop_cli.practice.questions import Quiz, resolve

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
    @given(expressions, points, st.randoms(use_true_random=False))
    def check(text: str, at: dict[str, float], rng) -> None:  # type: ignore[no-untyped-def]
        trace = _generated(text, at)
        data = trace.to_dict()
        qs = questions(trace)
        numbers = {q.name: q.number for q in qs}
        for q in qs:
            assert q.expected == _at(data, q.key)
            assert all(numbers[d] < q.number for d in q.depends if d in numbers), q
            assert resolve(q.name, qs, trace) is q
        quiz = Quiz(trace, qs)
        for q in qs:
            quiz.answer(repr(q.expected))
        assert quiz.passed
        if not qs:
            return
        slip = rng.choice(qs)
        later = [q for q in qs if slip.name in _behind(q, qs)]
        wrong = {q.name: repr(q.expected + 1 + abs(q.expected)) for q in [slip, *later]}
        given = [(q.name, wrong.get(q.name, repr(q.expected))) for q in qs]
        for c in check_answers(trace, given):
            if c.name in wrong:
                assert c.verdict.status == "wrong" and c.culprit is not None and c.culprit.name == slip.name
            else:
                assert c.verdict.status == "right" and c.culprit is None

    check()


def _behind(q, qs) -> set[str]:  # type: ignore[no-untyped-def]
    named = {x.name: x for x in qs}
    seen: set[str] = set()
    todo = list(q.depends)
    while todo:
        name = todo.pop()
        if name in named and name not in seen:
            seen.add(name)
            todo.extend(named[name].depends)
    return seen


@pytest.mark.parametrize("command", [("quiz",), ("check", "--answer", "dy=1")])
def test_array_programs_are_refused_for_now(command: tuple[str, ...]) -> None:
    r = bprop(*command[:1], "x*y", "x=[1,2]", "y=1", *command[1:], stdin="")
    assert r.returncode == 2 and f"{command[0]} works on scalar programs" in r.stderr
