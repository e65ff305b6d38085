"""One way to give a program, its values and the shared options, on every command that takes
a program; combinations that cannot work are refused; every usage error is one line."""

from __future__ import annotations

import json
import math

import pytest
from conftest import bprop
from typer.main import get_command

from bprop_cli.cli import inputs
from bprop_cli.cli.app import app
from bprop_cli.cli.options import ProgramCommand

PROGRAM_COMMANDS = sorted(name for name, cmd in get_command(app).commands.items()  # type: ignore[attr-defined]
                          if isinstance(cmd, ProgramCommand) and getattr(cmd, "shared_options", True))


TRACE_VIEWS = ("eval", "explain", "graph")  # the commands that show a whole trace


def test_the_program_commands_are_found() -> None:  # the tests below are not vacuous
    assert {"eval", "explain", "graph", "quiz", "check"} <= set(PROGRAM_COMMANDS)


@pytest.mark.parametrize("name", PROGRAM_COMMANDS)
def test_every_program_command_shares_the_same_options(name: str) -> None:
    """Same flags, same arity, same help: declared once in inputs.SHARED."""
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    params = {opt: p for p in command.params for opt in p.opts}
    for shared in (*inputs.SHARED, *inputs.VIEW):
        for flag in shared.flags:
            if shared in inputs.VIEW and (name not in TRACE_VIEWS or flag not in params):
                assert name not in TRACE_VIEWS, f"bprop {name} has no {flag}"
                continue
            assert flag in params, f"bprop {name} has no {flag}"
            param = params[flag]
            assert param.help == shared.help
            assert (not param.is_flag) == shared.takes_value
            assert param.hidden == shared.hidden


CS231N = ("(x+y)*z", "x=-2", "y=5", "z=-4")


@pytest.mark.parametrize("command", ["eval", "explain", "graph"])
def test_example_values_and_seed_grad_on_every_command(command: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """--example, --values and --seed-grad mean the same on every command: the gradient of x
    at the CS231n point with --seed-grad 2 is 2 * -4 = -8 wherever it is shown."""
    (tmp_path / "v.json").write_text(json.dumps({"x": -2, "y": 5}))
    by_example = bprop(command, "--example", "cs231n", "--seed-grad", "2")
    by_values = bprop(command, "(x+y)*z", "--values", str(tmp_path / "v.json"), "z=-4", "--seed-grad", "2")
    for r in (by_example, by_values):
        assert r.returncode == 0, r.stderr
        assert "-8" in r.stdout
        assert "-4" in r.stdout


@pytest.mark.parametrize("command", ["eval", "explain", "graph"])
def test_expand_on_every_command(command: str) -> None:
    plain = bprop(command, "sigmoid(x)", "x=0.5")
    expanded = bprop(command, "sigmoid(x)", "x=0.5", "--expand")
    assert plain.returncode == expanded.returncode == 0
    assert plain.stdout != expanded.stdout
    if command != "explain":  # (the narration of the fused gate says what it stands for)
        assert "exp" not in plain.stdout and "exp" in expanded.stdout


@pytest.mark.parametrize("command, flag", [
    ("eval", "--all-rows"), ("eval", "--all-steps"), ("explain", "--all-rows"), ("explain", "--all-steps"),
])
def test_all_rows_everywhere_and_all_steps_still_works(command: str, flag: str) -> None:
    program = " + ".join(f"x*{k}" for k in range(1, 60))
    short = bprop(command, program, "x=1")
    whole = bprop(command, program, "x=1", flag)
    assert short.returncode == whole.returncode == 0, whole.stderr
    assert len(whole.stdout.splitlines()) > len(short.stdout.splitlines())


def test_all_steps_is_not_advertised() -> None:
    r = bprop("explain", "--help")
    assert "--all-rows" in r.stdout and "--all-steps" not in r.stdout


def test_a_program_file_states_its_values() -> None:
    """`-f FILE` reads the file's `# at:` line as --example does; arguments override it."""
    path = "bprop_cli/examples/cs231n.bp"
    r = bprop("eval", "-f", path, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    changed = json.loads(bprop("eval", "-f", path, "z=2", "--json").stdout)
    assert changed["gradients"] == {"x": 2.0, "y": 2.0, "z": 3.0}


@pytest.mark.parametrize("args, fragment", [
    (("--batch", "rows.csv", "--check"), "--batch and --check"),
    (("--batch", "rows.csv", "--exact"), "--batch and --exact"),
    (("--batch", "rows.csv", "--graph"), "--batch and --graph"),
    (("--batch", "rows.csv", "--symbolic"), "--batch and --symbolic"),
    (("--grad", "x", "--check"), "--grad prints one bare number"),
    (("--graph", "--symbolic"), "--graph draws numbers"),
], ids=lambda a: " ".join(a) if isinstance(a, tuple) else None)
def test_combinations_that_cannot_work_are_refused(args: tuple[str, ...], fragment: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = bprop("eval", "(x+y)*z", *args)
    assert r.returncode == 2 and fragment in r.stderr and r.stdout == "", r.stderr


def test_graph_without_values_says_so() -> None:
    r = bprop("eval", "x*y", "--graph")
    assert r.returncode == 2 and "every variable needs a value" in r.stderr and r.stdout == ""


def test_graph_beside_a_check() -> None:
    r = bprop("eval", *CS231N, "--check", "--graph")
    assert r.returncode == 0 and "check" in r.stdout.lower() and "[x]" in r.stdout


# --- usage errors: one line, one vocabulary, every path -------------------------------------

@pytest.mark.parametrize("argv, message", [
    (("eval", *CS231N, "--jsn"), "usage error: no such option --jsn (did you mean --json?)"),
    (("explain", *CS231N, "--json"), "usage error: no such option --json (bprop check, eval, quiz and train have it)"),
    (("explain", *CS231N, "--jsn"), "usage error: no such option --jsn (did you mean --json? bprop check, eval,"),
    (("explain", *CS231N, "--check"), "usage error: no such option --check (bprop eval has it)"),
    (("graph", "x*y", "--symbolic"), "usage error: no such option --symbolic (bprop eval has it)"),
    (("explain", *CS231N, "--frob"), "usage error: no such option --frob (bprop explain --help lists its options)"),
    (("eval", *CS231N, "--chek"), "usage error: no such option --chek (did you mean --check?)"),
    (("explain", *CS231N, "--all-row"), "usage error: no such option --all-row (did you mean --all-rows?)"),
    (("graph", *CS231N, "--exampel", "cs231n"), "usage error: no such option --exampel (did you mean --example?)"),
    (("explain", "--quiz", "x"), "usage error: no such option --quiz (quiz is a command: bprop quiz EXPR"),
    (("evl", "x"), "usage error: no such command 'evl' (did you mean eval?)"),
    (("eval", "x", "x=1", "--format=jsn"), "usage error: invalid value for '--format'"),
    (("eval", "x", "x=1", "--format"), "usage error: option --format needs a value"),
    (("--jsn",), "usage error: no such option --jsn"),
], ids=lambda a: " ".join(a) if isinstance(a, tuple) else None)
def test_usage_errors_are_one_line(argv: tuple[str, ...], message: str) -> None:
    r = bprop(*argv)
    assert r.returncode == 2
    assert r.stderr.startswith(message), r.stderr
    assert len(r.stderr.splitlines()) == 1
    assert not any(c in r.stderr for c in "╭│╰") and "Traceback" not in r.stderr


@pytest.mark.parametrize("words, hint", [
    (("chain", "rule"), "bprop explain chain-rule"),
    (("fan", "out"), "bprop explain fan-out"),
    (("gradient", "descent", "please"), "bprop explain gradient-descent"),
])
def test_a_topic_is_one_word(words: tuple[str, ...], hint: str) -> None:
    r = bprop("explain", *words)
    assert r.returncode == 2
    assert r.stderr.splitlines()[0].startswith("usage error: a topic is one word")
    assert hint in r.stderr


def test_an_expression_that_starts_with_dashes_still_works() -> None:
    assert float(bprop("eval", "-x^2", "x=3", "--grad", "x").stdout) == -6
    assert float(bprop("eval", "--x^2", "x=3", "--grad", "x").stdout) == 6
    assert float(bprop("eval", "--grad", "x", "--", "--x", "x=3").stdout) == 1


@pytest.mark.parametrize("args", [("x*y", "--graph"), ("(x+y)*z", "--batch", "p.csv", "--check")],
                         ids=["graph-no-values", "batch-check"])
def test_refusals_speak_the_usage_error_vocabulary(args: tuple[str, ...]) -> None:
    r = bprop("eval", *args)
    assert r.returncode == 2 and r.stderr.startswith("usage error: ")


@pytest.mark.parametrize("seed, grad", [("1/2", 1.0), ("-pi", -2 * math.pi), ("3", 6.0)])
def test_seed_grad_takes_constant_expressions_like_values(seed: str, grad: float) -> None:
    """--seed-grad reads numbers as NAME=VALUE does (fractions and pi too), on the fast path and Typer's."""
    for extra in ([], ["--traceback"]):  # --traceback sends eval through Typer
        r = bprop("eval", "x*2", "x=1", "--seed-grad", seed, "--grad", "x", *extra)
        assert r.returncode == 0 and math.isclose(float(r.stdout), grad, rel_tol=1e-12), r.stderr
