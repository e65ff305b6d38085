"""The suite runs the command line in-process (cli/environment.run), so that must print the same
bytes, with the same exit status, as `python -m bprop_cli` in a process of its own: checked here
on every built-in example and command, errors, help, stdin, files and the environment's knobs.
(BPROP_TEST_PROCESS=1 runs every test's command line in its own process instead.)"""

from __future__ import annotations

import os
import sys

import pytest
from conftest import EXAMPLES, ROOT, bprop, example_values

from bprop_cli.cli.environment import Environment, run

NAMES = [path.stem.replace("_", "-") for path in EXAMPLES]
SCALAR = ["eval", "(x+y)*z", "x=-2", "y=5", "z=-4"]

LINES: list[tuple[list[str], str | None, dict[str, str]]] = [
    *[(["eval", "--example", name], None, {}) for name in NAMES],
    *[(["eval", "--example", name, "--format", fmt], None, {})
      for name in ("mazur", "cs231n", "two-layer") for fmt in ("plain", "json", "markdown", "csv", "tsv")],
    *[(["explain", "--example", name], None, {}) for name in ("cs231n", "mazur", "micrograd-lecture")],
    *[(["graph", "--example", name, "--format", fmt], None, {})
      for name in ("cs231n", "mazur") for fmt in ("terminal", "dot", "mermaid")],
    (["eval", "--example", "two-layer", "--check"], None, {}),
    (["eval", "--example", "sigmoid-neuron", "--exact", "--symbolic", "--latex"], None, {}),
    (["eval", "--example", "mazur", "--scalarize"], None, {}),
    ([*SCALAR, "--json"], None, {}),
    ([*SCALAR, "--expand", "--graph"], None, {}),
    ([*SCALAR, "--batch", "-"], "x,y,z\n1,2,3\n-2,5,-4\n", {}),
    (["eval", "-f", str(EXAMPLES[0])], None, {}),
    (["explain"], None, {}),
    (["explain", "sigmoid"], None, {}),
    (["examples"], None, {}),
    (["--version"], None, {}),
    (["--help"], None, {}),
    *[([command, "--help"], None, {}) for command in ("eval", "graph", "explain", "quiz", "check", "train")],
    (["train", "--example", "mazur", "--steps", "20"], None, {}),
    (["train", "--example", "perceptron", "--format", "json"], None, {}),
    (["train", "(w*x + b - y)^2", "w=0", "b=0", "x=2", "y=3", "--params", "w,b", "--lr", "0.05"], None, {}),
    (["check", *SCALAR[1:], "--answer", "dx=-4", "--answer", "dy=4"], None, {}),
    (["check", "--example", "sigmoid-neuron", "--answer", "dw0=-0.2", "--json"], None, {}),
    (["quiz", *SCALAR[1:]], "2\n3\n-4\n", {}),
    (["quiz", *SCALAR[1:], "--json"], None, {}),
    # errors: one line on stderr and the exit code
    (["eval", "x+"], None, {}),
    (["eval", "np.dot(W, x)"], None, {}),
    (["eval", "sqrt(x)", "x=-1"], None, {}),
    (["eval", "--bogus", "x"], None, {}),
    (["evl", "x"], None, {}),
    (["eval", "-f", "/no/such/file.bp"], None, {}),
    (["eval", "x\x1b[31m", "x=1"], None, {}),
    (["train", "--example", "nope"], None, {}),
    ([], None, {}),
    # the environment's knobs
    ([*SCALAR], None, {"COLUMNS": "40"}),
    ([*SCALAR], None, {"COLUMNS": "200"}),
    ([*SCALAR], None, {"FORCE_COLOR": "1", "NO_COLOR": ""}),
    (["eval", "--help"], None, {"FORCE_COLOR": "1", "NO_COLOR": ""}),
    (["explain", *SCALAR[1:]], None, {"TERM": "dumb"}),
    (["eval", "x+"], None, {"FORCE_COLOR": "1", "NO_COLOR": ""}),
]


def _id(line: tuple[list[str], str | None, dict[str, str]]) -> str:
    args, stdin, env = line
    return " ".join(args)[:60] + (" <stdin" if stdin else "") + "".join(f" {k}={v}" for k, v in env.items())


@pytest.mark.parametrize("line", LINES, ids=[_id(line) for line in LINES])
def test_in_process_prints_what_a_process_prints(line: tuple[list[str], str | None, dict[str, str]]) -> None:
    args, stdin, env = line
    here = bprop(*args, stdin=stdin, env=env)
    there = bprop(*args, stdin=stdin, env=env, process=True)
    assert (here.returncode, here.stderr) == (there.returncode, there.stderr)
    assert here.stdout == there.stdout
    assert "Traceback" not in there.stderr


def test_every_example_with_its_stated_values() -> None:
    """The same, for each example's program given as a file with its '# at:' values."""
    for path in EXAMPLES:
        if path.suffix != ".bp":
            continue
        args = ["eval", "-f", str(path), *example_values(path), "--format", "plain"]
        assert bprop(*args).stdout == bprop(*args, process=True).stdout, path.name


def test_the_run_leaves_this_process_as_it_was(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """stdin, stdout, stderr, argv, the environment and the working directory are put back, also
    after a crash of the command (a file that cannot be read) or an exit."""
    before = (sys.stdin, sys.stdout, sys.stderr, list(sys.argv), dict(os.environ), os.getcwd())
    outcomes = [
        run(["eval", "x*y", "x=2", "y=3"], Environment(env={"NO_COLOR": "1", "ONLY": "this"}, cwd=tmp_path)),
        run(["eval", "-f", str(tmp_path)], Environment(env={"NO_COLOR": "1"}, cwd=ROOT)),
        run(["--version"], Environment()),
    ]
    assert (sys.stdin, sys.stdout, sys.stderr, list(sys.argv), dict(os.environ), os.getcwd()) == before
    assert [outcome.status for outcome in outcomes] == [0, 2, 0]
    assert "6" in outcomes[0].stdout and outcomes[0].stderr == ""
    assert outcomes[1].stderr.count("\n") == 1 and "Traceback" not in outcomes[1].stderr


def test_a_crash_is_reported_as_python_would_report_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An exception bprop did not catch is a traceback on stderr and status 1, as in a process:
    so a test of 'never a traceback' can still fail in-process."""
    from bprop_cli.cli import commands

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("planted")

    monkeypatch.setattr(commands, "eval_command", broken)
    outcome = run(["eval", "x", "x=1"], Environment(env={"NO_COLOR": "1"}))
    assert outcome.status == 1
    assert outcome.stderr.startswith("Traceback") and outcome.stderr.rstrip().endswith("RuntimeError: planted")
