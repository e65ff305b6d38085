"""bprop quiz --random: 1,000 exercises per level, each evaluated, exact and worth doing.

Exactness is checked against Python's Fraction arithmetic, independently of the engine: every
program is re-evaluated with fractions from its integer and half inputs, and every answer the
quiz would accept as typed must read back as exactly the number the quiz expects.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest
from conftest import bprop

from bprop_cli.engine.run import run
from bprop_cli.practice.exercises import exercise
from bprop_cli.practice.questions import is_right, parse_answer, questions
from bprop_cli.text import num

SEEDS = range(1000)
KINKS = ("relu", "max", "abs")


def fraction_value(program: str, values: dict[str, str]) -> Fraction:
    """The program's output in exact rational arithmetic, for the gates exercises use."""
    env = {name: Fraction(text) for name, text in values.items()}
    result = Fraction(0)
    for statement in program.split("; "):
        target, _, expr = statement.rpartition(" = ")
        result = _rational(expr, env)
        if target:
            env[target] = result
    return result


def _rational(expr: str, env: dict[str, Fraction]) -> Fraction:
    tokens = re.findall(r"[A-Za-z_]\w*|\d+|[-+*/^(),]", expr)
    pos = 0

    def peek() -> str:
        return tokens[pos] if pos < len(tokens) else ""

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def atom() -> Fraction:
        tok = take()
        if tok == "(":
            value = total()
            take()
            return value
        if tok == "-":
            return -power()
        if tok.isdigit():
            return Fraction(int(tok))
        if peek() == "(":
            take()
            args = [total()]
            while peek() == ",":
                take()
                args.append(total())
            take()
            if tok == "sigmoid":
                assert args[0] == 0, "sigmoid is exact only at 0"
                return Fraction(1, 2)
            return {"relu": lambda a: max(a[0], Fraction(0)), "abs": lambda a: abs(a[0]),
                    "max": max, "min": min}[tok](args)
        return env[tok]

    def power() -> Fraction:
        base = atom()
        if peek() == "^":
            take()
            return base ** int(take())
        return base

    def product() -> Fraction:
        value = power()
        while peek() in ("*", "/"):
            value = value * power() if take() == "*" else value / power()
        return value

    def total() -> Fraction:
        value = product()
        while peek() in ("+", "-"):
            value = value + product() if take() == "+" else value - product()
        return value

    return total()


@pytest.mark.parametrize("level", [1, 2, 3])
def test_a_thousand_exercises_per_level(level: int) -> None:
    programs = set()
    for seed in SEEDS:
        made = exercise(level, seed)
        values = dict(made.values)
        trace = run(made.program, values)  # never a domain error
        assert trace.value == fraction_value(made.program, values), made.arguments
        programs.add(made.program)
        assert all(re.fullmatch(r"-?\d+(\.5)?", v) for v in values.values()), made.arguments  # small, simple
        qs = questions(trace)
        assert qs
        for q in qs:  # the right answer, written as the quiz writes it, reads back exactly
            typed = num(q.expected)
            assert parse_answer(typed) == q.expected and is_right(parse_answer(typed), q.expected), (made.arguments, q)
            assert len(typed) <= 8, (made.arguments, q)
        assert not trace.noted_nodes()  # no tie, no kink exactly at 0
        assert sum(g != 0 for g in trace.gradients.values()) >= 2
        if level >= 2:
            assert max(trace.fan_in().values()) >= 2, made.arguments  # a value used twice
        if level == 3:
            assert any(n.op in ("sigmoid", *KINKS) for n in trace.nodes), made.arguments
    assert len(programs) > {1: 50, 2: 200, 3: 200}[level]


def test_the_same_seed_makes_the_same_exercise() -> None:
    for level in (1, 2, 3):
        assert [exercise(level, s) for s in range(50)] == [exercise(level, s) for s in range(50)]
    assert exercise(2, 7) != exercise(2, 8) or exercise(2, 8) != exercise(2, 9)


def test_level_3_has_both_sigmoids_and_kinks() -> None:
    programs = [exercise(3, s).program for s in range(200)]
    assert any("sigmoid" in p for p in programs)
    for kink in KINKS:
        assert any(f"{kink}(" in p for p in programs), kink


def test_random_quiz_through_the_cli() -> None:
    first = bprop("quiz", "--random", "--level", "2", "--seed", "7", "--json", stdin="")
    data = json.loads(first.stdout)
    again = bprop("quiz", "--random", "--level", "2", "--seed", "7", stdin="")
    assert "A made-up exercise, level 2 (--seed 7 makes it again):" in again.stdout
    made = exercise(2, 7)
    assert data["expression"] == made.program and again.stdout.splitlines()[1] == made.program
    typed = "".join(num(q["expected"]) + "\n" for q in data["questions"])
    r = bprop("quiz", "--random", "--level", "2", "--seed", "7", stdin=typed)
    assert r.returncode == 0, r.stdout
    without = bprop("quiz", "--random", stdin="")
    assert re.search(r"level 1 \(--seed \d+ makes it again\)", without.stdout)


@pytest.mark.parametrize("args, message", [
    (("--random", "x*y", "x=1"), "--random makes up its own program"),
    (("--random", "--example", "cs231n"), "--random makes up its own program"),
    (("--random", "--level", "4"), "4 is not in the range"),
])
def test_random_usage_errors(args: tuple[str, ...], message: str) -> None:
    r = bprop("quiz", *args, stdin="")
    assert r.returncode == 2 and message in r.stderr
