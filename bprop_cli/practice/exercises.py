"""Made-up exercises for `bprop quiz --random`: small programs worth working by hand.

Level 1: two gates over three inputs (one of them a multiply), small integers.
Level 2: three or four gates where a value is used twice, so gradients add at a fan-out.
Level 3: a level-2 circuit fed through a sigmoid or a kink (relu, max, abs).

A candidate is kept only if the engine evaluates it without error, every number of its trace
(values, local derivatives, products, gradients) is a multiple of 1/8 no larger than 200 in
size, so that every answer comes out exact, and it is worth doing (for example, not every
gradient 0, no tie or kink exactly at 0). The same --seed always makes the same exercise.
"""

from __future__ import annotations

import random as _random
import re
from dataclasses import dataclass
from typing import Union

from bprop_cli.engine.run import run
from bprop_cli.engine.trace import Trace
from bprop_cli.errors import BpropError, ValueBindingError

LEVELS = (1, 2, 3)
LARGEST = 200.0
TRIES = 2000

NAMES = (("x", "y", "z"), ("a", "b", "c"), ("w", "x", "b"), ("p", "q", "r"), ("u", "v", "w"))
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}

Tree = Union[str, tuple]  # a variable name, or (op, left, right), or (function, argument...)


@dataclass(frozen=True, slots=True)
class Exercise:
    program: str
    values: tuple[tuple[str, str], ...]  # (name, value as typed)
    level: int
    seed: int

    @property
    def title(self) -> str:
        return f"A made-up exercise, level {self.level} (--seed {self.seed} makes it again):"

    @property
    def arguments(self) -> list[str]:
        """The exercise as `bprop` arguments: the program, then NAME=VALUE for each input."""
        return [self.program, *(f"{name}={value}" for name, value in self.values)]


def exercise(level: int = 1, seed: int | None = None) -> Exercise:
    """The exercise of this level and seed (a fresh seed, shown in the title, when none is given)."""
    if level not in LEVELS:
        raise ValueBindingError(f"--level is 1, 2 or 3, not {level}")
    if seed is None:
        seed = _random.SystemRandom().randrange(1, 100_000)
    rng = _random.Random(f"bprop-exercise-{level}-{seed}")
    for _ in range(TRIES):
        program, values = _candidate(rng, level)
        if _worthwhile(program, values, level):
            return Exercise(program, tuple(values.items()), level, seed)
    # Practically unreachable (a try succeeds about one time in ten); a known good exercise then.
    fallback = {1: ("(x+y)*z", {"x": "-2", "y": "5", "z": "-4"}),
                2: ("q = x*y; f = q*q + x", {"x": "2", "y": "3"}),
                3: ("relu(x*y - z) * x", {"x": "2", "y": "3", "z": "1"})}[level]
    return Exercise(fallback[0], tuple(fallback[1].items()), level, seed)


# --- candidates ------------------------------------------------------------------------------

def _value(rng: _random.Random, halves: bool) -> str:
    whole = rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5])
    if halves and rng.random() < 0.25:
        return f"{whole - 0.5 if whole > 0 else whole + 0.5}"
    return str(whole)


def _op(rng: _random.Random, divide: bool = False) -> str:
    return rng.choice(["+", "-", "*", "*"] + (["/"] if divide else []))


def _binary(rng: _random.Random, leaves: list[Tree], divide: bool = False) -> Tree:
    """A random binary tree over the leaves, in order."""
    if len(leaves) == 1:
        return leaves[0]
    cut = rng.randrange(1, len(leaves))
    return (_op(rng, divide), _binary(rng, leaves[:cut], divide), _binary(rng, leaves[cut:], divide))


def _text(tree: Tree, parent: int = 0, right: bool = False) -> str:
    if isinstance(tree, str):
        return tree
    head = tree[0]
    if head not in PRECEDENCE:  # a function call
        return f"{head}({', '.join(_text(arg) for arg in tree[1:])})"
    prec = PRECEDENCE[head]
    text = f"{_text(tree[1], prec)} {head} {_text(tree[2], prec, True)}"
    if prec < parent or (right and prec == parent):
        return f"({text})"
    return text


def _tight(text: str) -> str:
    """Products written without spaces (x*y + z), as people write them by hand."""
    return text.replace(" * ", "*").replace(" / ", "/")


def _candidate(rng: _random.Random, level: int) -> tuple[str, dict[str, str]]:
    names = list(rng.choice(NAMES))
    if level == 1:
        tree = _binary(rng, list(names))
        if "*" not in _text(tree):
            tree = ("*", tree[1], tree[2]) if rng.random() < 0.5 else tree  # type: ignore[index]
        program = _tight(_text(tree))
    elif level == 3 and rng.random() < 0.25:
        return _sigmoid_neuron(rng, names)
    else:
        program = _fan_out(rng, names)
        if level == 3:
            program = _with_kink(rng, program, names)
    used = [n for n in names if _uses(program, n)]
    values = {n: _value(rng, level > 1) for n in used}
    return program, values


def _fan_out(rng: _random.Random, names: list[str]) -> str:
    """Three or four gates where a value is used twice."""
    shape = rng.randrange(3)
    a, b, c = names
    if shape == 0:  # a variable used twice in one expression
        leaves: list[Tree] = [a, b, rng.choice([a, b]), c][: rng.choice([3, 4])]
        rng.shuffle(leaves)
        return _tight(_text(_binary(rng, leaves)))
    if shape == 1:  # a named intermediate used twice
        inner = _tight(_text(_binary(rng, [a, b])))
        uses: list[Tree] = ["h", "h", c]
        rng.shuffle(uses)
        return f"h = {inner}; {_tight(_text(_binary(rng, uses)))}"
    square = rng.choice([a, b])  # a square: x^2 is x times itself
    rest = _tight(_text(_binary(rng, [b if square == a else a, c])))
    return f"{square}^2 {rng.choice(['+', '-'])} {rest}" if rng.random() < 0.5 else f"({rest}) * {square}"


def _with_kink(rng: _random.Random, program: str, names: list[str]) -> str:
    """Feed a circuit through a sigmoid, a relu, a max or an abs."""
    *before, last = program.split("; ")
    a, b, c = names
    kind = rng.choice(["relu", "max", "abs"])
    if kind == "max":
        body = f"max({last}, {rng.choice([a, b, c])})"
    else:
        body = f"{kind}({last})"
    if rng.random() < 0.5:
        body = f"{body} {rng.choice(['+', '*'])} {rng.choice([a, b, c])}"
    return "; ".join([*before, body])


def _sigmoid_neuron(rng: _random.Random, names: list[str]) -> tuple[str, dict[str, str]]:
    """A neuron's sigmoid, exact only where its input is 0 (sigmoid(0) = 1/2, slope 1/4): the
    bias is chosen to cancel the weighted input, and the weight is used again after it."""
    w, x, b = names
    weight, value = rng.choice([-3, -2, -1, 1, 2, 3]), rng.choice([-3, -2, -1, 1, 2, 3])
    minus = rng.random() < 0.5
    neuron = f"sigmoid({w}*{x} {'-' if minus else '+'} {b})"
    program = rng.choice([f"{neuron} * {w}", f"{neuron} * ({w} + {b})", f"{neuron} + {w}*{b}",
                          f"h = {w}*{x}; sigmoid(h {'-' if minus else '+'} {b}) * h"])
    return program, {w: str(weight), x: str(value), b: str(weight * value if minus else -weight * value)}


def _uses(program: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){name}(?![A-Za-z0-9_(])", program) is not None


# --- keeping a candidate ---------------------------------------------------------------------

def exact(x: float) -> bool:
    """A multiple of 1/8 no larger than LARGEST: written in at most three decimals, exactly."""
    return abs(x) <= LARGEST and (x * 8).is_integer()


def numbers(trace: Trace) -> list[float]:
    """Every number a quiz on this trace can ask for."""
    out = [n.value for n in trace.nodes] + [n.grad for n in trace.nodes]
    for s in trace.backward:
        out += [s.local, s.product, s.total]
    return out


def _worthwhile(program: str, values: dict[str, str], level: int) -> bool:
    try:
        trace = run(program, values)
    except BpropError:
        return False
    if not all(exact(x) for x in numbers(trace)) or trace.noted_nodes():
        return False
    grads = list(trace.gradients.values())
    if sum(g != 0 for g in grads) < 2 or len(set(values.values())) < min(2, len(values)):
        return False
    if any(n.value == 0 for n in trace.nodes if n.op not in ("input", "const", "sigmoid", "relu")) and level < 3:
        return False  # a zero in the middle makes too many answers 0
    if level >= 2 and max(trace.fan_in().values(), default=0) < 2:
        return False
    return True
