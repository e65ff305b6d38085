"""The tutor: narration against golden files and the seeds' numbers, fused vs expanded gates,
lessons for every gate and topic, and every suggested command actually running."""

from __future__ import annotations

import io
import os
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from conftest import EXAMPLES, example_values
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bprop_cli import build_graph, parse
from bprop_cli.cli.entry import app
from bprop_cli.engine.graph import expansion_template
from bprop_cli.engine.run import run
from bprop_cli.gates.registry import AXIS_CALLS, GATES
from bprop_cli.lang.catalog import examples
from bprop_cli.lang.syntax import Call
from bprop_cli.tutor.lessons import TOPICS, gate_lesson, index, lesson
from bprop_cli.tutor.narration import narrate
from bprop_cli.views.story import story_plain, story_rich

GOLDEN = Path(__file__).resolve().parent / "golden" / "explain"
UPDATE = os.environ.get("BPROP_UPDATE_GOLDEN") == "1"  # regenerate: BPROP_UPDATE_GOLDEN=1 pytest


def _values(path: Path) -> dict[str, str]:
    return dict(v.split("=", 1) for v in example_values(path))


def _story(path: Path, expand: bool = False) -> str:
    return story_plain(narrate(run(path.read_text(), _values(path), expand=expand), expand=expand), width=80)


GOLDEN_CASES = [pytest.param(p, False, p.stem, id=p.stem) for p in EXAMPLES] + [
    pytest.param(p, True, p.stem + "-expand", id=p.stem + "-expand")
    for p in EXAMPLES if p.stem in ("sigmoid_neuron_fused", "perceptron_mse")
]


@pytest.mark.parametrize("path, expand, name", GOLDEN_CASES)
def test_narration_matches_golden_file(path: Path, expand: bool, name: str) -> None:
    text = _story(path, expand)
    golden = GOLDEN / f"{name}.txt"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"no golden file for {name}: run BPROP_UPDATE_GOLDEN=1 pytest tests/test_tutor.py"
    assert text == golden.read_text()
    assert max(map(len, text.splitlines())) <= 80


def test_every_golden_file_belongs_to_a_case() -> None:
    assert {p.stem for p in GOLDEN.glob("*.txt")} == {c.values[2] for c in GOLDEN_CASES}


# --- the seeds' numbers, in the seeds' order -------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _in_order(text: str, expected: list[float]) -> bool:
    """True when `expected` occurs as a subsequence of the numbers in `text`, each matched at the
    precision it is written with (the seeds round: -0.53 matches -0.534447)."""
    found = iter(float(m) for m in _NUMBER.findall(text))
    for want in expected:
        digits = len(repr(want).split(".")[1]) if "." in repr(want) and not float(want).is_integer() else 0
        tolerance = 0.5 * 10 ** -digits + 1e-12
        if not any(abs(got - want) <= tolerance for got in found):
            return False
    return True


SEED_SEQUENCES = [
    # seed 000: -1/(1.37^2) = -0.53, +1 keeps -0.53, exp gives -0.2, *-1 gives 0.2, dw2 = 0.2, the
    # add gates pass 0.2 on, dw0 = -0.2, dx0 = 0.4
    pytest.param("sigmoid_neuron", False, [1.37, -0.53, -0.53, -0.2, 0.2, 0.2, 0.2, -0.2, 0.4], id="seed000"),
    pytest.param("sigmoid_neuron_fused", True, [1.37, -0.53, -0.53, -0.2, 0.2, 0.2, 0.2, -0.2, 0.4],
                 id="seed000-fused-expanded"),
    # seeds 000/002: dq = -4, dz = 3, then dx = dy = -4
    pytest.param("cs231n", False, [-4, 3, -4, -4], id="cs231n"),
    # seed 004: dY/dS1 = 1, dY/dC = 1, dX1 = 5, dX2 = 2
    pytest.param("x1x2c", False, [1, 1, 5, 2], id="seed004"),
    # the micrograd lecture: dd = -2, df = 4, de = -2, dc = -2, da = 6, db = -4
    pytest.param("micrograd_lecture", False, [-2, 4, -2, -2, 6, -4], id="micrograd"),
]


@pytest.mark.parametrize("stem, expand, numbers", SEED_SEQUENCES)
def test_narration_has_the_seeds_numbers_in_order(stem: str, expand: bool, numbers: list[float]) -> None:
    text = _story(next(p for p in EXAMPLES if p.stem == stem), expand)
    backward = text.split("Backward pass", 1)[1]
    assert _in_order(backward, numbers)
    assert not _in_order(backward, numbers[::-1] + [99.5])  # the check itself can fail


def test_forward_numbers_of_the_seeds() -> None:
    text = _story(next(p for p in EXAMPLES if p.stem == "sigmoid_neuron"))
    forward = text.split("Forward pass", 1)[1].split("Backward pass", 1)[0]
    assert _in_order(forward, [-2, 6, 4, 1, -1, 0.37, 1.37, 0.73])  # seed 000's forward values


def test_fan_out_shows_the_sum() -> None:
    text = " ".join(story_plain(narrate(run("x*x + x", {"x": 3}))).split())
    assert "x is used 3 times" in text and "df/dx = 1 + 3 + 3 = 7" in text


def test_gradient_meaning_is_spelled_out() -> None:
    text = " ".join(story_plain(narrate(run("(x+y)*z", {"x": -2, "y": 5, "z": -4}))).split())
    assert "nudging x up by a small h changes f by about -4h" in text


def test_fused_narration_explains_the_saving() -> None:
    fused = " ".join(story_plain(narrate(run("sigmoid(x)", {"x": 1}))).split())
    assert "Why fused" in fused and "4 primitive gates (neg, exp, add, div)" in fused and "Game of Go" in fused
    expanded = " ".join(story_plain(narrate(run("sigmoid(x)", {"x": 1}, expand=True), expand=True)).split())
    assert "sigmoid(x) = 1/(1 + exp(-x))" in expanded and "Why fused" not in expanded


# --- fused vs expanded -------------------------------------------------------------------------

COMPOSITE = {
    "sigmoid": "sigmoid(x*y + z)", "tanh": "tanh(x*y + z)", "softplus": "softplus(x*y + z)",
    "silu": "silu(x*y + z)",
    "sub": "x*y - z",
    "bce": "bce(sigmoid(x*y), sigmoid(z))", "bce_logits": "bce_logits(x*y, sigmoid(z))",
}

# Composites over arrays: a program, and how to draw its values.
ARRAY_COMPOSITE = {
    "cross_entropy": "cross_entropy(Z * w, y) + cross_entropy(Z, Y)",
    "batchnorm": "sum(tanh(batchnorm(Z * w, g, b)) * W)",
    "layernorm": "sum(tanh(layernorm(Z, g, b)) * W) + sum(layernorm(w, 2, 0) * w)",
}


@pytest.mark.parametrize("name", sorted(ARRAY_COMPOSITE))
@pytest.mark.parametrize("seed", range(12))
def test_expanded_and_fused_array_gradients_agree(name: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = rng.integers(2, 5), rng.integers(2, 5)
    at = {"Z": rng.normal(size=(n, k)) * 3, "w": rng.normal(size=k), "y": rng.integers(0, k, size=n).astype(float),
          "Y": np.eye(k)[rng.integers(0, k, size=n)], "g": rng.normal(size=k), "b": rng.normal(size=k),
          "W": rng.normal(size=(n, k))}
    source = ARRAY_COMPOSITE[name]
    at = {key: value for key, value in at.items() if key in source.replace(name, "")}
    fused, expanded = run(source, at), run(source, at, expand=True)
    assert name in {node.op for node in fused.nodes}
    assert name not in {node.op for node in expanded.nodes}
    assert expanded.value == pytest.approx(fused.value, rel=1e-11, abs=1e-13)
    for key in at:
        if key not in ("y", "Y"):
            assert np.allclose(expanded.gradients[key], fused.gradients[key], rtol=1e-9, atol=1e-12), key


def test_the_spec_composites_have_expansions() -> None:
    assert {"sigmoid", "tanh", "softplus"} <= {g.name for g in GATES.values() if g.expand}
    assert set(COMPOSITE) | set(ARRAY_COMPOSITE) == {g.name for g in GATES.values() if g.expand}, \
        "add a test program for the new composite"


def test_expansions_terminate_and_use_only_known_functions() -> None:
    def calls(name: str) -> set[str]:
        found, stack = set(), [expansion_template(name)]
        while stack:
            node = stack.pop()
            if isinstance(node, Call):
                found.add(node.func)
            stack.extend(getattr(node, attr) for attr in ("left", "right", "operand") if hasattr(node, attr))
            stack.extend(getattr(node, "args", ()))
        return found

    for gate in (g for g in GATES.values() if g.expand):
        seen, todo = set(), [gate.name]
        while todo:  # composite gates used by an expansion must not lead back to it
            for fn in calls(todo.pop()):
                assert fn != gate.name, f"{gate.name}'s expansion uses itself"
                fn = AXIS_CALLS.get(fn, fn)  # mean(X, axis=0, keepdims=true): the parser's call of mean_axis_keepdims
                if GATES[fn].expand and fn not in seen:
                    seen.add(fn)
                    todo.append(fn)


@pytest.mark.parametrize("name", sorted(COMPOSITE))
def test_expanded_graph_has_only_primitive_gates(name: str) -> None:
    fused = build_graph(parse(COMPOSITE[name]))
    expanded = build_graph(parse(COMPOSITE[name]), expand=True)
    assert name in {n.op for n in fused.nodes}
    assert not {n.op for n in expanded.nodes if n.op in GATES and GATES[n.op].expand}
    assert len(expanded.nodes) > len(fused.nodes)


finite = st.floats(min_value=-4, max_value=4, allow_nan=False)


@pytest.mark.parametrize("name", sorted(COMPOSITE))
@settings(max_examples=60, deadline=None)
@given(x=finite, y=finite, z=finite)
def test_expanded_and_fused_gradients_agree(name: str, x: float, y: float, z: float) -> None:
    at = {"x": x, "y": y, "z": z}
    fused, expanded = run(COMPOSITE[name], at), run(COMPOSITE[name], at, expand=True)
    assert expanded.value == pytest.approx(fused.value, rel=1e-9, abs=1e-12)
    assert expanded.gradients == pytest.approx(fused.gradients, rel=1e-9, abs=1e-12)


def test_seed_neuron_fused_expanded_equals_primitive_program() -> None:
    paths = {p.stem: p for p in EXAMPLES}
    primitive = run(paths["sigmoid_neuron"].read_text(), _values(paths["sigmoid_neuron"]))
    expanded = run(paths["sigmoid_neuron_fused"].read_text(), _values(paths["sigmoid_neuron_fused"]), expand=True)
    assert [n.op for n in expanded.nodes] == [n.op for n in primitive.nodes]
    assert expanded.gradients == pytest.approx(primitive.gradients, rel=1e-12)


# --- lessons -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(GATES))
def test_every_gate_has_a_lesson(name: str) -> None:
    gate = GATES[name]
    assert gate.pattern and gate.lesson and gate.example, f"gate {name} needs pattern, lesson and example in its registry entry"
    text = story_plain(gate_lesson(gate))
    assert gate.pattern in text.replace("\n", " ").lower() or gate.pattern[1:] in " ".join(text.split())
    assert "Try:" in text and max(map(len, text.splitlines())) <= 80


REQUIRED_TOPICS = ["chain-rule", "computational-graph", "gates", "fan-out", "sigmoid-neuron",
                   "gradient-descent", "layers-and-deltas", "gradient-check"]


def test_required_topics_exist() -> None:
    assert set(REQUIRED_TOPICS) <= set(TOPICS)


@pytest.mark.parametrize("name", sorted(TOPICS))
def test_every_topic_ends_with_a_command(name: str) -> None:
    blocks = lesson(name)
    assert blocks[-1].kind == "try" and blocks[-1].text.startswith("bprop ")
    assert max(map(len, story_plain(blocks).splitlines())) <= 80


def test_gradient_descent_lesson_uses_the_update_rule() -> None:
    text = story_plain(lesson("gradient-descent"))
    assert "w <- w - a * dL/dw" in text and "Cardete" in text


def _suggested_commands() -> list[str]:
    docs = [index(), *(lesson(t) for t in TOPICS), *(gate_lesson(g) for g in GATES.values())]
    commands = {line for blocks in docs for b in blocks if b.kind == "try" for line in b.text.splitlines()}
    commands |= {f"bprop explain {t}" for t in TOPICS} | {f"bprop explain {g}" for g in GATES}
    commands |= {f"bprop eval --example {e}" for e in examples()} | {f"bprop explain --example {e}" for e in examples()}
    return sorted(commands)


@pytest.mark.parametrize("command", _suggested_commands())
def test_every_suggested_command_runs(command: str) -> None:
    args = shlex.split(command)
    assert args[0] == "bprop"
    result = CliRunner().invoke(app, args[1:], env={"NO_COLOR": "1", "COLUMNS": "80"}, catch_exceptions=False)
    assert result.exit_code == 0, (command, result.output)
    assert result.output.strip()


# --- rendering -----------------------------------------------------------------------------------

def test_rich_rendering_highlights_and_fits_80_columns() -> None:
    from rich.console import Console

    blocks = narrate(run("(x+y)*z", {"x": -2, "y": 5, "z": -4}))
    colour = io.StringIO()
    Console(file=colour, width=80, force_terminal=True, color_system="standard").print(story_rich(blocks))
    assert "\x1b[1;35mv1\x1b[0m = x + y" in colour.getvalue()  # the step's node is highlighted
    plain = io.StringIO()
    Console(file=plain, width=80, color_system=None).print(story_rich(blocks))
    lines = plain.getvalue().splitlines()
    assert max(map(len, lines)) <= 80 and "\x1b[" not in plain.getvalue()
    assert any("local  df/dv1 = z = -4" in line for line in lines)  # label and formula aligned


def test_long_walkthroughs_are_summarised() -> None:
    program = "s = x\n" + "\n".join("s = s*0.5 + x" for _ in range(60))
    trace = run(program, {"x": 1})
    short = story_plain(narrate(trace))
    full = story_plain(narrate(trace, all_steps=True))
    assert short.count("more steps (--all-rows shows every step)") == 2
    assert "more steps" not in full and len(full.splitlines()) > 2 * len(short.splitlines())
    last = lambda text: [line for line in text.splitlines() if re.match(r"\s*\d+\. ", line)][-1]  # noqa: E731
    assert last(short) == last(full)  # the result keeps its step number


def test_gradient_check_lesson_agrees_to_ten_digits() -> None:
    rows = {label: formula for b in lesson("gradient-check") for label, formula in b.rows}
    backprop = rows["backprop"].split(" = ")[1].split()[0]
    numeric = rows["numeric"].split(" = ")[1].split()[0]
    assert backprop == numeric == "-0.1966119332"
