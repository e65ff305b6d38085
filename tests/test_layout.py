"""Tables designed for 80 columns (a pipe's default): short headers that never wrap, a formula
and its number never split, the `at ...` line folded between assignments, no trailing spaces."""

from __future__ import annotations

import re

import pytest
from conftest import bprop

from bprop_cli.views.table import BACKWARD_HEADERS, fold_list, keep_with_number

NUMBER = r"-?\d[\d.e+-]*"


def _check_layout(text: str) -> None:
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert not [line for line in lines if line != line.rstrip()], "trailing spaces"
    # No formula split from its number: no line ends with '=' or '*', none starts with a bare number.
    assert not [line for line in lines if line.rstrip().endswith((" =", " *"))]
    assert not [line for line in lines if re.fullmatch(rf"\s*{NUMBER}", line)]
    # The backward table's header is one line holding every header it uses.
    heading = lines.index(next(line for line in lines if line.startswith("Backward pass")))
    header = lines[heading + 1]
    assert header.startswith("gate") and "local derivative" in header and "upstream * local" in header
    assert lines[heading + 2].startswith("─")  # the rule right under it: the header did not wrap


@pytest.mark.parametrize("args", [
    ("x*x + x", "x=3"),
    ("--example", "perceptron-mse"),
    ("--example", "sigmoid-neuron"),
    ("--example", "two-layer"),
    ("(x+y)*z", "x=-2", "y=5", "z=-4"),
], ids=lambda a: " ".join(a))
def test_tables_fit_80_columns_in_a_pipe(args: tuple[str, ...]) -> None:
    r = bprop("eval", *args)
    assert r.returncode == 0, r.stderr
    _check_layout(r.stdout)


def test_fan_in_adds_the_running_sum_column_without_wrapping() -> None:
    r = bprop("eval", "x*x + x", "x=3")
    header = [line for line in r.stdout.splitlines() if line.startswith("gate")][0]
    assert header.split() == "gate local derivative upstream * local running sum".split()
    assert BACKWARD_HEADERS == ("gate", "local derivative", "upstream * local", "running sum")


def test_the_program_header_is_whole_and_states_the_values_used() -> None:
    """perceptron-mse's loss line is shown (it was cut at 300 characters), and the example's
    own `# at:` line is not printed above values that differ from it."""
    r = bprop("eval", "--example", "perceptron-mse")
    assert "L = 0.5 * (yhat - y)^2" in r.stdout and "characters)" not in r.stdout
    changed = bprop("eval", "--example", "cs231n", "x=0").stdout
    assert "# at:" not in changed and "at x = 0, y = 5, z = -4" in changed


def test_the_at_line_folds_between_assignments() -> None:
    r = bprop("eval", "--example", "perceptron-mse")
    lines = r.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("at "))
    block = []
    for line in lines[start:]:
        if not line.strip():
            break
        block.append(line)
    assert len(block) == 2
    assert all(re.fullmatch(r"(at|\s*)\s*(\w+ = -?[\d.]+,?\s*)+", line) for line in block), block


def test_keep_with_number() -> None:
    assert keep_with_number("dv9/dv8 = 2*v8^(2-1) = -0.411741", 24) == "dv9/dv8 = 2*v8^(2-1)\n  = -0.411741"
    assert keep_with_number("dx = 1", 24) == "dx = 1"


def test_fold_list() -> None:
    folded = fold_list("at", [f"x{k} = {k}" for k in range(20)], 30)
    assert all(len(line) <= 30 for line in folded.splitlines())
    assert folded.replace("\n ", "").replace("  ", " ").startswith("at x0 = 0, x1 = 1,")


def test_prose_is_capped_at_a_wide_terminal() -> None:
    env = {"COLUMNS": "120", "FORCE_COLOR": "1", "NO_COLOR": "", "TERM": "xterm-256color"}
    r = bprop("explain", "(x+y)*z", "x=-2", "y=5", "z=-4", env=env)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", r.stdout)
    assert max(map(len, plain.splitlines())) <= 88


def test_a_long_try_line_folds_as_one_shell_command() -> None:
    import shlex

    from bprop_cli.views.story import shell_lines

    command = "bprop explain 'sigmoid(w0*x0+w1*x1+w2)' w0=2 x0=-1 w1=-3 x1=-2 w2=-3 --expand"
    lines = shell_lines(command, 80, "    ", "      ")
    assert len(lines) == 2 and lines[0].endswith(" \\") and all(len(line) <= 80 for line in lines)
    pasted = " ".join(line.strip().removesuffix("\\").strip() for line in lines)
    assert shlex.split(pasted) == shlex.split(command)
    r = bprop("explain", "fused-gates")
    assert "    bprop explain 'sigmoid(w0*x0+w1*x1+w2)' w0=2 x0=-1 w1=-3 x1=-2 w2=-3 \\\n      --expand" in r.stdout


# --- every built-in example, both views, at 80, 40 and 120 columns ---------------------------

from conftest import EXAMPLES  # noqa: E402

NAMES = [p.stem.replace("_", "-") for p in EXAMPLES]


def _no_split_formula(lines: list[str]) -> None:
    for k, line in enumerate(lines):
        nxt = lines[k + 1].strip() if k + 1 < len(lines) else ""
        # a line may end in '=' only when a matrix follows on lines of its own
        assert not (line.rstrip().endswith((" =", " *")) and not nxt.startswith("[")), (line, nxt)
        assert not re.fullmatch(rf"\s*{NUMBER}", line), (lines[k - 1], line)


def _header_keeps_its_comments(lines: list[str]) -> None:
    """The program at the top: a folded comment goes on with '#', it never reads as code."""
    for line in lines:
        if not line.strip() or line.startswith(("at ", "arrays:")):
            break
        assert "#" in line or "=" in line or line.startswith(" "), line


@pytest.mark.parametrize("command", ["eval", "explain"])
@pytest.mark.parametrize("name", NAMES)
def test_every_example_fits_80_columns(command: str, name: str) -> None:
    r = bprop(command, "--example", name)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert not [line for line in lines if line != line.rstrip()], "trailing spaces"
    _no_split_formula(lines)
    body = lines[2:] if command == "explain" else lines
    _header_keeps_its_comments([line.removeprefix("    ") for line in body])


@pytest.mark.parametrize("args", [("x*x + x", "x=3"), ("--example", "cs231n"), ("--example", "sigmoid-neuron"),
                                  ("--example", "backprop-explainer")], ids=lambda a: " ".join(a))
def test_at_40_columns_headers_and_numbers_stay_whole(args: tuple[str, ...]) -> None:
    r = bprop("eval", *args, env={"COLUMNS": "40"})
    lines = r.stdout.splitlines()
    assert all(len(line) <= 40 for line in lines), max(lines, key=len)
    forward = lines[next(k for k, line in enumerate(lines) if line.startswith("node"))]
    assert forward.split()[:3] == ["node", "computes", "value"]
    backward = lines.index("gate, local derivative, upstream * local")  # stacked, not in columns
    assert lines[backward + 1].startswith("─")
    _no_split_formula([line for line in lines if "#" not in line])  # the tables; a comment is prose
    import json

    data = json.loads(bprop("eval", *args, "--json").stdout)  # every gradient's digits on one line
    for name, g in data["gradients"].items():
        from bprop_cli.text import num

        assert any(re.fullmatch(rf"{re.escape(name)}\s+\S+\s+{re.escape(num(g))}", line) for line in lines), name


@pytest.mark.parametrize("command, name", [("eval", "baydin"), ("eval", "perceptron-mse"), ("eval", "mazur-scalar"),
                                           ("explain", "logistic-batch"), ("explain", "two-layer")])
def test_prose_stops_near_88_columns_at_120(command: str, name: str) -> None:
    lines = bprop(command, "--example", name, env={"COLUMNS": "120"}).stdout.splitlines()
    table_row = re.compile(r".*\S {2,}\S.*|─+")  # table rows and rules may use the width
    prose = [line for line in lines if not table_row.fullmatch(line.strip()) and not line.startswith(" " * 12)]
    assert max(map(len, prose)) <= 88, max(prose, key=len)


def test_folding_helpers() -> None:
    from bprop_cli.views.fold import fold_formula, fold_items, fold_program_line

    assert fold_formula("-0.217072 * 0.17551 = -0.0380982", 19) == "-0.217072 * 0.17551\n  = -0.0380982"
    assert fold_formula("a = (x + y) * z", 40) == "a = (x + y) * z"
    assert fold_items("unit direction: w -0.771454, x -0.367359, y 0.367359", 40) == \
        "unit direction: w -0.771454,\n  x -0.367359, y 0.367359"
    assert fold_program_line("q = x + y   # dq/dx = 1, dq/dy = 1: the add gate distributes, the mul gate swaps",
                             60) == ["q = x + y   # dq/dx = 1, dq/dy = 1: the add gate",
                                     "            # distributes, the mul gate swaps"]
    assert fold_program_line("q = x + y   # dq/dx = 1, dq/dy = 1: the add gate distributes", 30) == [
        "q = x + y", "# dq/dx = 1, dq/dy = 1: the", "# add gate distributes"]  # too narrow beside the code
    assert fold_program_line("# a long comment that goes past the edge of the screen", 30) == [
        "# a long comment that goes", "# past the edge of the screen"]


def test_on_a_terminal_too_a_formula_keeps_its_number() -> None:
    from rich.console import Console

    from bprop_cli.engine.run import run
    from bprop_cli.lang.catalog import example
    from bprop_cli.tutor.narration import narrate
    from bprop_cli.views.story import story_rich

    chosen = example("mazur-scalar")
    trace = run(chosen.program, dict(v.split("=", 1) for v in chosen.values))
    import io

    console = Console(width=80, force_terminal=True, color_system=None, file=io.StringIO())
    console.print(story_rich(narrate(trace), width=80))
    lines = [line.rstrip() for line in console.file.getvalue().splitlines()]  # type: ignore[attr-defined]
    assert max(map(len, lines)) <= 80
    _no_split_formula(lines)


@pytest.mark.parametrize("name", ["mazur-scalar", "cs231n", "micrograd-readme", "perceptron-mse"])
def test_the_graph_drawing_fits_80_columns_in_a_pipe(name: str) -> None:
    r = bprop("graph", "--example", name)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert [line for line in lines if line != line.rstrip()] == []
    _no_split_formula(lines)
    at = [line for line in lines if line.startswith("at ") or line.startswith("  ") and " = " in line[:12]]
    assert all(re.fullmatch(r"(at|\s*)\s*(\w+ = -?[\d.]+,?\s*)+", line) for line in at), at


def test_exact_tables_keep_a_formula_with_its_value() -> None:
    r = bprop("eval", "--example", "sigmoid-neuron", "--exact")
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    _no_split_formula(lines)  # e.g. '... = e/(1 +' then 'e)^2 ≈ 0.196612' before


def test_descriptions_wrap_as_sentences_not_as_equations() -> None:
    """A description that holds an '=' ('loss = (w*x + b - y)^2, the one-neuron example...') is
    prose: it wraps at the width, not before its '='."""
    lines = bprop("examples").stdout.splitlines()
    assert not [line for line in lines if line.lstrip().startswith("= ")]
    assert any("backprop-explainer     loss = (w*x + b - y)^2, the one-neuron" in line for line in lines)
