"""The real program in a subprocess: exit codes, stdout/stderr separation, stdin, formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import bprop

CS231N = ("(x+y)*z", "x=-2", "y=5", "z=-4")


def test_table_output_reads_like_the_walkthrough() -> None:
    r = bprop("eval", *CS231N)
    assert r.returncode == 0 and r.stderr == ""
    out = r.stdout
    for fragment in ("Forward pass", "Backward pass", "df/dv1 = z = -4", "1 * -4 = -4", "Gradients of f = -12"):
        assert fragment in out
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "\x1b[" not in out  # no colour escapes in a pipe


def test_json_is_the_spec_object() -> None:
    r = bprop("eval", *CS231N, "--json")
    assert r.returncode == 0 and r.stderr == ""
    data = json.loads(r.stdout)
    assert data["bprop"] == 1 and data["expression"] == "(x+y)*z"
    assert data["output"] == "f" and data["value"] == -12.0
    assert data["inputs"] == {"x": -2.0, "y": 5.0, "z": -4.0}
    assert data["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert {"id", "op", "inputs", "value", "grad"} <= set(data["nodes"][0])
    assert {"node", "input", "upstream", "local", "product"} <= set(data["backward"][0])


def test_format_json_equals_json_flag() -> None:
    assert bprop("eval", *CS231N, "--format", "json").stdout == bprop("eval", *CS231N, "--json").stdout


def test_plain_format_is_greppable() -> None:
    r = bprop("eval", *CS231N, "--format", "plain")
    grads = dict(line.split("\t")[1:] for line in r.stdout.splitlines() if line.startswith("grad\t"))
    assert grads == {"x": "-4.0", "y": "-4.0", "z": "3.0"}
    assert "value\tf\t-12.0" in r.stdout.splitlines()


def test_program_from_stdin() -> None:
    r = bprop("eval", "-", "x1=2", "x2=5", "c=3", "--json", stdin="x1*x2 + c\n")
    assert r.returncode == 0
    assert json.loads(r.stdout)["gradients"] == {"x1": 5.0, "x2": 2.0, "c": 1.0}


def test_program_from_file() -> None:
    r = bprop("eval", "-f", "bprop_cli/examples/sigmoid_neuron.bp", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["value"] == pytest.approx(0.7311, abs=1e-4)


@pytest.mark.parametrize(
    "args",
    [("-x^2", "x=3", "--json"), ("--json", "--", "-x^2", "x=3"), ("--json", "-x^2", "x=3")],
    ids=["as-typed", "after-double-dash", "after-an-option"],
)
def test_expression_starting_with_minus(args: tuple[str, ...]) -> None:
    r = bprop("eval", *args)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert (data["value"], data["gradients"]) == (-9.0, {"x": -6.0})


def test_options_may_come_first() -> None:
    r = bprop("eval", "--format", "plain", "-x*y", "x=2", "y=3")
    assert r.returncode == 0, r.stderr
    assert "grad\tx\t-3.0" in r.stdout


def test_python_m_and_version_and_help() -> None:
    assert bprop("--version").stdout.startswith("bprop ")
    r = bprop("eval", "--help")
    assert r.returncode == 0 and 'bprop eval "(x+y)*z" x=-2 y=5 z=-4' in r.stdout


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (("(x+y*z", "x=1", "y=2", "z=3"), 2, "expected ')' to close '('"),
        (("sigmod(x)", "x=1"), 2, "did you mean sigmoid?"),
        (("x+y", "x=1"), 2, "no value given for y"),
        (("x+y", "x=1", "y=2", "w=3"), 2, "w is not a variable"),
        (("x", "x=abc"), 2, "must be a number"),
        (("x", "x"), 2, "expected NAME=VALUE"),
        (("log(x)", "x=0"), 1, "log needs a positive input"),
        (("exp(x)", "x=1000"), 1, "overflow"),
        (("sqrt(x)", "x=0"), 1, "infinite"),
        (("1/x", "x=0"), 1, "division by zero"),
        (("[bold]x", "x=1"), 2, "unexpected character '['"),
        (("__import__('os').system('echo hi')",), 2, "error"),
        ((), 2, "no program given"),
    ],
)
def test_errors_are_one_clear_message(args: tuple[str, ...], code: int, fragment: str) -> None:
    r = bprop("eval", *args)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert fragment in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_json_errors_are_json_on_stdout_too() -> None:
    r = bprop("eval", "log(x)", "x=-1", "--json")
    assert r.returncode == 1
    err = json.loads(r.stdout)["error"]
    assert err["kind"] == "evaluation error" and "log needs a positive input" in err["message"]
    assert err["position"] == {"offset": 0, "line": 1, "column": 1}


def test_parse_error_draws_a_caret() -> None:
    r = bprop("eval", "(x+y*z", "x=1", "y=2", "z=3")
    assert r.stderr.splitlines()[1:3] == ["  (x+y*z", "        ^"]


def test_rich_markup_is_shown_literally() -> None:
    r = bprop("eval", "a_b + x # [bold red]not markup[/]", "a_b=1", "x=2")
    assert r.returncode == 0
    assert "[bold red]not markup[/]" in r.stdout


def test_hostile_inputs_fail_cleanly() -> None:
    for program in ("(" * 10_000 + "x" + ")" * 10_000, "x\x00", "é + x", "x" * 100_000 + "+"):
        r = bprop("eval", "-", "x=1", stdin=program)
        assert r.returncode in (0, 2) and "Traceback" not in r.stderr, program[:20]


def test_readme_shows_real_output() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("```text\n", 1)[1].split("\n```", 1)[0]
    actual = "\n".join(line.rstrip() for line in bprop("eval", *CS231N).stdout.rstrip("\n").splitlines())
    assert block == actual, "regenerate the README's first output block"
