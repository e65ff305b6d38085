"""`bprop explain`, `bprop examples`, `--example` and `--expand` as a user runs them."""

from __future__ import annotations

import json

import pytest
from conftest import bprop

CS231N = ("(x+y)*z", "x=-2", "y=5", "z=-4")
NEURON = ("w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3")


def _ok(*args: str, stdin: str | None = None) -> str:
    r = bprop(*args, stdin=stdin)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "" and "\x1b[" not in r.stdout
    assert max(map(len, r.stdout.splitlines())) <= 80
    return " ".join(r.stdout.split())


def test_explain_narrates_an_expression() -> None:
    out = _ok("explain", *CS231N)
    for fragment in ("Forward pass", "v1 = x + y = (-2) + 5 = 3", "Backward pass", "f = v1 * z is a mul gate. Multiply swaps",
                     "df/dv1 = z = -4", "df/dx = df/dv1 * dv1/dx = (-4) * 1 = -4", "nudging x up by a small h changes f by about -4h"):
        assert fragment in out


def test_explain_expression_starting_with_minus_and_after_double_dash() -> None:
    assert "f = -v1" in _ok("explain", "-x^2", "x=3")
    assert "f = -v1" in _ok("explain", "--", "-x^2", "x=3")


def test_explain_reads_stdin_and_files() -> None:
    assert "dY/dx1 = dY/dv1 * dv1/dx1 = 1 * 5 = 5" in _ok("explain", "-", "x1=2", "x2=5", "c=3", stdin="Y = x1*x2 + c\n")
    assert "df/dq = z = -4" in _ok("explain", "-f", "bprop_cli/examples/cs231n.bp", "x=-2", "y=5", "z=-4")


def test_explain_without_arguments_lists_topics_gates_and_examples() -> None:
    out = _ok("explain")
    for fragment in ("bprop explain chain-rule", "bprop explain gradient-descent", "bprop explain mul",
                     "bprop explain sigmoid", "--example sigmoid-neuron"):
        assert fragment in out


@pytest.mark.parametrize("topic, fragment", [
    ("mul", "Multiply swaps"), ("*", "Multiply swaps"), ("sigmoid", "4 primitive gates (neg, exp, add, div)"),
    ("chain-rule", "df/dx = df/dq * dq/dx = -4 * 1 = -4"), ("Chain_Rule", "The chain rule"),
    ("fan-out", "df/dx = 1 + 3 + 3 = 7"), ("gradient-descent", "w <- w - a * dL/dw"),
])
def test_explain_topic_or_gate(topic: str, fragment: str) -> None:
    out = _ok("explain", topic)
    assert fragment in out and "Try:" in out


def test_explain_expand_shows_the_primitive_chain() -> None:
    fused = _ok("explain", "sigmoid(w0*x0+w1*x1+w2)", *NEURON)
    expanded = _ok("explain", "sigmoid(w0*x0+w1*x1+w2)", *NEURON, "--expand")
    assert "Why fused: written out, sigmoid(x) = 1/(1 + exp(-x)) takes 4 primitive gates" in fused
    assert "Add --expand" in fused
    assert "is a sigmoid gate" not in expanded
    for fragment in ("-1/1.36788^2 = -0.534447", "exp(-1) = 0.367879", "(-0.196612) * (-1) = 0.196612"):
        assert fragment in expanded


def test_eval_expand_gives_the_same_gradients_with_more_nodes() -> None:
    fused = json.loads(bprop("eval", "sigmoid(w0*x0+w1*x1+w2)", *NEURON, "--json").stdout)
    expanded = json.loads(bprop("eval", "sigmoid(w0*x0+w1*x1+w2)", *NEURON, "--json", "--expand").stdout)
    assert expanded["gradients"] == pytest.approx(fused["gradients"], rel=1e-12)
    # sigmoid(v4) becomes the seed's chain: *-1, exp, +1 (a constant 1 and an add), 1/x (a constant 1, a div)
    assert [n["op"] for n in expanded["nodes"]][-6:] == ["neg", "exp", "const", "add", "const", "div"]
    assert len(expanded["nodes"]) == len(fused["nodes"]) + 5


def test_examples_lists_every_builtin() -> None:
    out = _ok("examples")
    for name in ("cs231n", "sigmoid-neuron", "sigmoid-neuron-fused", "perceptron-mse", "x1x2c", "two-layer"):
        assert name in out


def test_eval_example_and_override() -> None:
    data = json.loads(bprop("eval", "--example", "sigmoid-neuron", "--json").stdout)
    assert data["gradients"]["x0"] == pytest.approx(0.3932, abs=1e-4)
    moved = json.loads(bprop("eval", "--example", "cs231n", "x=0", "--json").stdout)
    assert moved["value"] == -20 and moved["gradients"] == {"x": -4.0, "y": -4.0, "z": 5.0}


def test_explain_example() -> None:
    out = _ok("explain", "--example", "cs231n")
    assert "df/dq = z = -4" in out and "q = x + y = (-2) + 5 = 3" in out


@pytest.mark.parametrize("args, fragment", [
    (("explain", "chain-rul"), "did you mean chain-rule?"),
    (("explain", "sigmod"), "did you mean sigmoid?"),
    (("explain", "nonsense"), "no topic or gate called 'nonsense'"),
    (("eval", "--example", "sigmoid-nueron"), "did you mean sigmoid-neuron?"),
    (("explain", "--example", "nope"), "no built-in example called 'nope'"),
    (("eval", "--example", "cs231n", "-f", "x.bp"), "not both"),
    (("explain", "(x+y", "x=1", "y=2"), "expected ')'"),
    (("explain", "x+y", "x=1"), "no value given for y"),
])
def test_explain_usage_errors_exit_2(args: tuple[str, ...], fragment: str) -> None:
    r = bprop(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert fragment in r.stderr and "Traceback" not in r.stderr and r.stdout == ""


def test_explain_evaluation_error_exits_1() -> None:
    r = bprop("explain", "log(x)", "x=0")
    assert r.returncode == 1 and "log needs a positive input" in r.stderr


def test_explain_help_shows_an_example() -> None:
    r = bprop("explain", "--help")
    assert r.returncode == 0 and 'bprop explain "(x+y)*z" x=-2 y=5 z=-4' in r.stdout


def test_readme_shows_the_real_narration() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = next(b.split("\n```", 1)[0] for b in readme.split("```text\n")[1:]
                 if b.startswith("Backpropagation, step by step"))
    assert block == bprop("explain", *CS231N).stdout.rstrip("\n"), "regenerate the README's explain block"


def test_explain_hostile_inputs_fail_cleanly() -> None:
    for program in ("(" * 10_000 + "x" + ")" * 10_000, "x\x00", "é + x", "[red]x[/]"):
        r = bprop("explain", "-", "x=1", stdin=program)
        assert r.returncode in (0, 2) and "Traceback" not in r.stderr, program[:20]


@pytest.mark.parametrize("seed, target", [("[1,0]", "f[0]"), ("[0,1]", "f[1]"), ("[1,-1]", "sum(S ⊙ f)")])
def test_explain_says_what_an_array_seed_differentiates(seed: str, target: str) -> None:
    """With --seed-grad S on an array output, the gradients are those of sum(S ⊙ f) (one entry
    of f for a one-hot S), and the narration says so instead of 'a nudge of f changes f'."""
    r = bprop("explain", "W @ x", "W=[[1,2],[3,4]]", "x=[1,2]", "--seed-grad", seed)
    assert r.returncode == 0, r.stderr
    prose = " ".join(r.stdout.split())
    assert f"every gradient below is then that of {target}." in prose
    assert f"changes {target} by about" in prose
    assert "a nudge of f changes f by the same amount" not in prose
